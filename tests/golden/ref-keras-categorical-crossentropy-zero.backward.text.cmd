backward --format text problems/ref-keras-categorical-crossentropy-zero.json
