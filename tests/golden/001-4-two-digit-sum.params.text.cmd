params --format text problems/001-4-two-digit-sum.json
