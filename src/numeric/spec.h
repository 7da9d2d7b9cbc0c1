// What a problem gives for the numeric engine: input values, target, loss, optimizer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "numeric/tensor.h"

namespace dlsolve {

// torch.optim's update rules and defaults (lr has none: it must be given).
struct OptimizerSpec {
    std::string type;            // sgd, rmsprop, adam, adamw, adagrad
    double lr = 0;
    double momentum = 0;         // sgd, rmsprop
    double dampening = 0;        // sgd
    bool nesterov = false;       // sgd
    double weight_decay = 0;     // added to the gradient (adamw: decoupled, default 0.01)
    double beta1 = 0.9;          // adam, adamw
    double beta2 = 0.999;        // adam, adamw
    double alpha = 0.99;         // rmsprop's smoothing constant ("beta" in the exam's formula)
    double eps = 1e-8;           // adagrad: 1e-10
};

struct NumericSpec {
    bool has_values = false;
    Tensor input;                             // batch axis first
    std::vector<std::string> input_symbols;   // one sample's elements; empty: x[i]
    bool has_target = false;
    Tensor target;                            // batch axis first, like the output
    std::vector<int64_t> classes;             // class indices instead (cross-entropy)
    std::string loss;                         // empty: none
    std::optional<OptimizerSpec> optimizer;
    int64_t steps = 1;
    bool training = false;                    // dropout masks and BatchNorm batch statistics
};

}  // namespace dlsolve
