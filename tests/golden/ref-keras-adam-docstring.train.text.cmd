train --format text problems/ref-keras-adam-docstring.json
