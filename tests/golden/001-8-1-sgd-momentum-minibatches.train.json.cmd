train --format json problems/001-8-1-sgd-momentum-minibatches.json
