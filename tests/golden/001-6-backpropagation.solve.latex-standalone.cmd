solve --format latex --standalone problems/001-6-backpropagation.json
