graph tests/graph/siamese-numbers.json
