forward --format json tests/golden/inputs/reduction-none.json
