train --format latex problems/ref-keras-adam-docstring.json
