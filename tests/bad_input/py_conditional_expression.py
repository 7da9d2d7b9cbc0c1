from keras.layers import Dense, Input
x = Input(shape=(4,))
y = Dense(3)(x) if True else x
