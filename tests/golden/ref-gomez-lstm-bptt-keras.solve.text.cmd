solve problems/ref-gomez-lstm-bptt-keras.json
