summary --style torchinfo problems/ref-torchinfo-single-input-net.json
