solve problems/003-2c-i-gru-bptt-keras-reset-before.json
