params --style torchinfo
