solve problems/ref-gomez-lstm-bptt.json
