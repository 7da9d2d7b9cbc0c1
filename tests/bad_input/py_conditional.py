import torch.nn as nn

class Net(nn.Module):
    def __init__(self, deep=True):
        super().__init__()
        self.fc1 = nn.Linear(784, 10)

    def forward(self, x):
        if x.size(0) > 1:
            x = self.fc1(x)
        return x
