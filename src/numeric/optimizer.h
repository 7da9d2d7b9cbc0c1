// torch.optim's update rules: SGD (momentum, Nesterov, weight decay), RMSprop, Adam,
// AdamW (decoupled weight decay) and Adagrad, with the state they keep.
#pragma once

#include <string>
#include <vector>

#include "numeric/engine.h"

namespace dlsolve {

struct OptimizerState {
    int64_t step = 0;
    std::vector<std::vector<Tensor>> momentum, first, second;  // per node and role: buffer, m, v (or s, or the sum)
};

// One worked scalar update: each quantity (g, m, v, m̂, v̂, w) as a formula.
struct ScalarUpdate {
    std::string symbol;
    std::vector<std::pair<std::string, Expr>> steps;
};

// Applies one update to engine.params from pass's gradients; returns the worked
// updates of the `shown` parameters (checked against the tensor update).
std::vector<ScalarUpdate> optimizer_step(const OptimizerSpec& spec, Engine& engine, const Pass& pass, OptimizerState& state,
                                         const std::vector<ScalarRef>& shown);

// "SGD (lr = 0.1)", "Adam (lr = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-08)": the rule with PyTorch's defaults.
std::string describe_optimizer(const OptimizerSpec& spec);

}  // namespace dlsolve
