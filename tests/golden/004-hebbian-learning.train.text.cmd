train problems/004-hebbian-learning.json
