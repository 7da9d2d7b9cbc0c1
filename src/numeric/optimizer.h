// The update rules of torch.optim and keras.optimizers: SGD (momentum, Nesterov, weight
// decay), RMSprop, Adam, AdamW (decoupled weight decay) and Adagrad, with the state they keep.
#pragma once

#include <array>
#include <cstdint>
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

// The numbers an update rule keeps or computes for one element (at most g, m, v, m̂, v̂):
// a fixed array, so that recording 10⁵ elements allocates nothing per element.
struct StateValues {
    std::array<double, 5> values{};
    size_t size = 0;
    void push(double v) { values.at(size++) = v; }
    double operator[](size_t i) const { return values[i]; }
    const double* begin() const { return values.data(); }
    const double* end() const { return values.data() + size; }
};

// One trainable element through one step: the value before, ∂L/∂w, the rule's state
// after the step (in the order of optimizer_state_names) and the value after.
struct ElementState {
    ScalarRef ref;
    double before, grad, after;
    StateValues state;
};

// The state an update rule keeps or computes per element, as (table label, JSON key):
// g (the gradient with L2 weight decay added, when there is some), SGD's momentum
// buffer b, RMSprop's square average s (and b with momentum), Adam's m, v, m̂, v̂,
// Adagrad's sum s.
std::vector<std::pair<std::string, std::string>> optimizer_state_names(const OptimizerSpec& spec);

// Applies one update to engine.params from pass's gradients; returns the worked
// updates of the `shown` parameters (checked against the tensor update) and, when
// `states` is given, appends the state of the trainable elements, the first
// `max_states` of them (a text table shows 32 of 10⁵).
std::vector<ScalarUpdate> optimizer_step(const OptimizerSpec& spec, Engine& engine, const Pass& pass, OptimizerState& state,
                                         const std::vector<ScalarRef>& shown, std::vector<ElementState>* states = nullptr,
                                         size_t max_states = SIZE_MAX);

// How many elements the optimizer updates (trainable layers, trainable values).
size_t trainable_elements(const Engine& engine);

// "SGD (lr α = 0.1), as torch.optim.SGD": the rule, its settings and whose rule it is.
std::string describe_optimizer(const OptimizerSpec& spec);

}  // namespace dlsolve
