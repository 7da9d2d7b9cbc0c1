compare --format text problems/001-4-5-fc-as-linear.json problems/001-4-5-fc-as-conv.json
