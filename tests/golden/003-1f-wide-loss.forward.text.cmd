forward --format text problems/003-1f-zero-learning-rate-250-classes.json
