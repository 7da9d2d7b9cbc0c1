# Exam 004 (004_916180e65a705b22.txt), Exercise (17-01-22), as printed (its listing has no
# import line; tf is TensorFlow, as in the exam's other listings).
# Hand-written JSON of the same network: problems/004-2022-01-17-regression.json

tfk = tf.keras
tfkl = tf.keras.layers

input_shape = (256, 256, 3);

# Build the neural network layer by layer
input_layer = tfkl.Input(shape=input_shape, name='Input')

conv1 = tfkl.Conv2D(filters=8, kernel_size=(5, 5), strides = (1, 1),padding = 'same',activation = 'relu', name='conv1')(input_layer)
pool1 = tfkl.MaxPooling2D(pool_size = (2, 2), name='mp1')(conv1)

conv2 = tfkl.Conv2D(filters=32,kernel_size=(5, 5),strides = (2, 2),padding = 'same',activation = 'relu', name='conv2')(pool1)
pool2 = tfkl.MaxPooling2D(pool_size = (2, 2), name='mp2')(conv2)

btchNorm = tfkl.BatchNormalization(name='batchNorm')(pool2) #this normalizes each slice of the volume independently

conv3 = tfkl.Conv2D(filters=64,kernel_size=(3, 3),strides = (2, 2),padding = 'same',activation = 'relu', name='conv3')(btchNorm)
pool3 = tfkl.MaxPooling2D(pool_size = (2, 2), name='mp3')(conv3)

flattening_layer = tfkl.Flatten(name='Flatten')(pool3)

dropout1 = tfkl.Dropout(0.3)(flattening_layer)
dense1 = tfkl.Dense(units=64, name='Dense1', activation='relu')(dropout1)

dropout2 = tfkl.Dropout(0.3)(dense1)
dense2 = tfkl.Dense(units=32, name='Dense2', activation='relu')(dropout2)

output_layer = tfkl.Dense(units=2, activation='linear', name='Output')(dense2)

# Connect input and output
model = tfk.Model(inputs=input_layer, outputs=output_layer, name='model')

# Consider now the execution of the following command
model.summary()
