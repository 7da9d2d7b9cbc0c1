train problems/001-8-adam.json
