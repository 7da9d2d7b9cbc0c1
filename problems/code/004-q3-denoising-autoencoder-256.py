# Exam 004 (004_916180e65a705b22.txt), CNN Exercise, QUESTION 3 (denoising autoencoder).
# Hand-written JSON of the same network: problems/004-q3-denoising-autoencoder-256.json
# The listing starts from a tensor `inp` that it never defines; the question says
# "256x256 greyscale images as input", so the first two lines below define it.
import tensorflow as tf
tfkl = tf.keras.layers
inp = tfkl.Input(shape=(256, 256, 1))

net = tfkl.Conv2D(128, (3, 3), padding='same')(inp) # par=3x3x1x128 + 128 = 1280, out=256x256x128
net = tfkl.MaxPooling2D((2,2), padding='same')(net) # par=0, out=128x128x128
net = tfkl.Conv2D(64, (3,3), padding='same')(net) # par=3x3x128x64 + 64 = 73792, out=128x128x64
net = tfkl.MaxPooling2D((2,2), padding='same')(net) # par=0, out=64x64x64
net = tfkl.Conv2D(32, (3,3), padding='same')(net) # par=3x3x64x32 + 32 = 18464, out=64x64x32

net = tfkl.UpSampling2D((2, 2))(net) # par=0, out=128x128x32
net = tfkl.Conv2D(64, (3, 3), padding='same')(net) # par= 64x3x3x32+64=18496, out=128x128x64
net = tfkl.UpSampling2D((2,2))(net) # par=0, out=256x256x64
net = tfkl.Conv2D(128, (3, 3), padding='same')(net) # par=128*64*3*3 + 128=73.856, out= 256x256x128
out = tfkl.Conv2D(1, (3, 3), padding='same')(net) # par=3x3x1x128 + 1=1153, out= 256x256x1
