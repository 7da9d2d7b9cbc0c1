forward tests/golden/inputs/wide-mse.json
