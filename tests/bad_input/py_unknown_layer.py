import tensorflow as tf
tfkl = tf.keras.layers

inp = tfkl.Input(shape=(32, 32, 3))
x = tfkl.SeparableConv2D(16, (3, 3))(inp)
