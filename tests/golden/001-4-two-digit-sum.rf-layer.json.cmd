rf --format json --layer pool2 problems/001-4-two-digit-sum.json
