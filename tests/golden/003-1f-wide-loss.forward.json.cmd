forward --format json problems/003-1f-zero-learning-rate-250-classes.json
