# Exam 004, CNN Exercise 'Describe the network in the IMAGE': the Keras code as printed.
# It does not run (kernel= for kernel_size=, pooling2 used as pool2, Flatten(concat));
# the reader stops at the first slip. problems/004-43-class-concat-pooling.json encodes
# the network of the exam's written Summary instead.
input_layer = tfkl.Input(shape = (32,32,1))

conv1 = tfkl.Conv2D(filters = 32, kernel = (5,5), strides = (1,1), padding = 'same', activation = 'relu')(input_layer)

pool1 = tfkl.MaxPooling2D(pool_size = (2,2))(conv1)

conv2 = tfkl.Conv2D(filters = 32, kernel = (5,5), strides = (1,1), padding = 'same', activation = 'relu')(pool1)

pooling2 = tfkl.MaxPooling2D(pool_size = (2,2))(conv2)

conv3 = tfkl.Conv2D(filters = 32, kernel = (5,5), strides = (1,1), padding = 'same', activation = 'relu')(pool2)

pool3 = tfkl.MaxPooling2D(pool_size = (2,2))(conv3)

# skip connections of the outputs of the max pool layers, requires to have all the same size
concat = tfkl.Concatenate() ( [pool1, pool2, pool3] )
