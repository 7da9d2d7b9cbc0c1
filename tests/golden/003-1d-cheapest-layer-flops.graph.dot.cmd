graph problems/003-1d-cheapest-layer-flops.json
