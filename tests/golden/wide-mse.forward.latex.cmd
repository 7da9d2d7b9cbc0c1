forward --format latex tests/golden/inputs/wide-mse.json
