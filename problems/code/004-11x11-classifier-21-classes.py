# Exam 004 (004_916180e65a705b22.txt), CNN Exercise with an 11x11 first layer (21 classes).
# Hand-written JSON of the same network: problems/004-11x11-classifier-21-classes.json
# Two slips of the OCR text are mended so that it is Python: the size notes the student
# wrote after some lines (42x42, 32x32, ...) are comments here, and the stray comma that
# ended the first `from keras.layers import` line is kept (the reader accepts it).

import keras
from keras.utils import np_utils
from keras.models import Sequential, Model
from keras.layers import Dense, Activation, Flatten, Conv2D,
from keras.layers import MaxPooling2D, BatchNormalization

pool_size = (2,2) # size of pooling area for max pooling
nb_filters = 64

model = Sequential()

model.add(Conv2D(nb_filters, (11,11), input_shape=(64, 64, 3), padding = "same")) # 42x42
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size = pool_size)) # 32x32
model.add(Conv2D(nb_filters*2, (5,5), padding = "same")) #2nd conv Layer starts 16x16
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size = pool_size)) # 12x12
model.add(Conv2D(nb_filters*4, (3,3), padding = "same")) #3rd conv Layer starts 6x6
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size = pool_size)) # 4x4
model.add(Conv2D(nb_filters, (1,1), padding = "same")) #4th conv Layer starts 2x2
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size = pool_size)) # 2x2
model.add(Flatten()) # 1x1
model.add(Dense(64))
model.add(BatchNormalization())
model.add(Activation('relu'))
model.add(Dense(16))
model.add(Activation('relu'))
model.add(Dense(21))
model.add(Activation('softmax'))

model.summary()
