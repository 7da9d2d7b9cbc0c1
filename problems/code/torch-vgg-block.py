# A small VGG network (Simonyan & Zisserman 2015 style): blocks of 3x3 convolutions with
# padding 1, batch normalisation and ReLU, each block ending in a 2x2 max pooling; CIFAR-10.
import torch
from torch import nn

model = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=3, padding=1),
    nn.BatchNorm2d(32),
    nn.ReLU(inplace=True),
    nn.Conv2d(32, 32, kernel_size=3, padding=1),
    nn.BatchNorm2d(32),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(2, 2),          # 32x32 -> 16x16
    nn.Conv2d(32, 64, 3, padding=1),
    nn.BatchNorm2d(64),
    nn.ReLU(inplace=True),
    nn.MaxPool2d(kernel_size=2),  # 16x16 -> 8x8
    nn.Flatten(),
    nn.Dropout(0.5),
    nn.Linear(64 * 8 * 8, 256),
    nn.ReLU(),
    nn.Linear(256, 10),
)

example_input = torch.randn(8, 3, 32, 32)
