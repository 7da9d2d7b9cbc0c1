solve problems/003-2c-i-gru-bptt.json
