forward --format text problems/ref-cs231n-svm-loss.json
