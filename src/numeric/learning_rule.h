// Learning rules that are not gradient descent: the Hebbian rule (Δw = η·x·t, the
// target t as the post-synaptic activity) and Rosenblatt's perceptron rule
// (Δw = η·x·(t − y), y = step(w·x + b)). Both train one dense layer on a vector input,
// one sample at a time in order, the bias as the weight of a constant input 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "numeric/engine.h"

namespace dlsolve {

// Throws ProblemError when the rule does not apply: the network must be the input (a
// vector) and one trainable dense layer, with "activation": "hard_threshold" for the
// perceptron, whose targets must be 0 or 1.
void check_rule_network(const Graph& graph, const Convention& convention, const NumericSpec& numeric);

// The update of one weight or bias by one sample.
struct RuleElement {
    size_t role, flat;     // in the dense layer's values: weights (inputs × units), bias
    double before;
    double input;          // x_i, or 1 for a bias
    double signal;         // t (Hebbian) or t − y (perceptron) of the element's unit
    double delta;          // η·input·signal
    double after;
    std::optional<Expr> worked;  // w + η·x·(t − y) for the shown elements
};

struct RuleStep {
    size_t node;                 // the dense layer
    std::vector<double> output;  // y of the sample, one per unit, before the update
    std::vector<double> target;  // t
    std::vector<RuleElement> elements;
    bool changed = false;        // some weight moved (the perceptron misclassified the sample)
};

// Applies the rule for sample `sample` of the engine's current batch; `pass` is the
// forward pass of that batch on the current weights. Worked formulas for `shown`.
RuleStep rule_step(const RuleSpec& rule, Engine& engine, const Pass& pass, size_t sample, const std::vector<ScalarRef>& shown);

// "perceptron rule: w ← w + η·x·(t − y), b ← b + η·(t − y), y = step(w·x + b); η = 1".
std::string describe_rule(const RuleSpec& rule);

}  // namespace dlsolve
