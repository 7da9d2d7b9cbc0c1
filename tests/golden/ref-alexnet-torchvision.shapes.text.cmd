shapes --format text problems/ref-alexnet-torchvision.json
