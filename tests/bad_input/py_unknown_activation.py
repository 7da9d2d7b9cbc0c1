from keras.layers import Dense, Input
x = Input(shape=(4,))
y = Dense(3, activation='swish')(x)
