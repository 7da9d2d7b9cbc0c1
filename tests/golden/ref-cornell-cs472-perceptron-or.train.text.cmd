train problems/ref-cornell-cs472-perceptron-or.json
