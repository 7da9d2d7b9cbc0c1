# A CNN with an Inception-style block (Szegedy et al. 2015): three branches (1x1, 1x1 then
# 3x3, 3x3 max pooling then 1x1) joined with torch.cat along the channels.
import torch
import torch.nn as nn
import torch.nn.functional as F


class InceptionNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1)
        self.branch1 = nn.Conv2d(32, 16, kernel_size=1)
        self.branch3_reduce = nn.Conv2d(32, 16, kernel_size=1)
        self.branch3 = nn.Conv2d(16, 24, kernel_size=3, padding=1)
        self.branch_pool = nn.Conv2d(32, 8, kernel_size=1)
        self.fc = nn.Linear(48 * 8 * 8, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)          # 32x16x16
        b1 = F.relu(self.branch1(x))
        b3 = F.relu(self.branch3(F.relu(self.branch3_reduce(x))))
        bp = self.branch_pool(F.max_pool2d(x, 3, stride=1, padding=1))
        x = torch.cat([b1, b3, bp], dim=1)                 # 48 channels
        x = F.max_pool2d(x, 2)
        x = x.view(-1, 48 * 8 * 8)
        return self.fc(x)


model = InceptionNet()
example_input = torch.randn(2, 3, 32, 32)
