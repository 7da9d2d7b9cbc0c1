shapes --format text problems/004-43-class-concat-pooling.json
