graph problems/004-11x11-key-proposal-conv5-maxpool3.json
