backward --format text problems/ref-mazur-backprop-example.json
