from keras.models import Sequential
from keras.layers import Conv2D, Dense, Flatten

model = Sequential()
model.add(Conv2D(8, (3, 3), input_shape=(32, 32, 3)))
for i in range(3):
    model.add(Conv2D(8, (3, 3)))
model.add(Flatten())
