params --style dlsolve --depth 2
