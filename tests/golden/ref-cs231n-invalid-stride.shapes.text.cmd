shapes --format text problems/ref-cs231n-invalid-stride.json
