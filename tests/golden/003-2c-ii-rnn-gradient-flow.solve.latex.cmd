solve --format latex problems/003-2c-ii-rnn-gradient-flow.json
