forward tests/golden/inputs/reduction-none.json
