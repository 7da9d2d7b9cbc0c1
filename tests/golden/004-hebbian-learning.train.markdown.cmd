train --format markdown problems/004-hebbian-learning.json
