import torch.nn as nn
from keras.layers import Dense

model = nn.Sequential(nn.Linear(4, 2))
