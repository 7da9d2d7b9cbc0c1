import tensorflow as tf
tfkl = tf.keras.layers

class Scale(tfkl.Layer):
    def call(self, x):
        return x * 2
