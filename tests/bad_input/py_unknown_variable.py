from keras.models import Sequential
from keras.layers import Conv2D

patchsize = 64
model = Sequential()
model.add(Conv2D(nb_filters, (3, 3), input_shape=(patchsize, patchsize, 3)))
