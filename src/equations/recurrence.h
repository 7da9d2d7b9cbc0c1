// Recurrences over a time index: `h[t] = sigmoid(W_h @ h[t-1] + W_x @ x[t] + b_h)` for
// t = 1…T, with h[0] given as the tensor h0 and x[t] the steps of the input x. With a
// number for T the recurrence unrolls into T equations sharing their parameters (one
// engine computes and differentiates them); with a symbol it stays one step, and the
// backpropagation through time is written in symbols: the recursion for ∂L/∂h[t−1]
// and the fully expanded sum over t.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "equations/system.h"

namespace dlsolve::equations {

// Reads "time" and replaces the recurrences of `s.equations` by their unrolled (or
// one-step) form; throws ProblemError for a recurrence without its start value.
void prepare_recurrences(System& s, Fields& top);

struct BpttLine {
    std::string label;  // "∂h[t]/∂h[t−1]", "dL/dW_x fully expanded"
    std::string text;
    std::string key;    // answer key, or empty
    Json answer = {};   // the key's answer when it is a number (a threshold), else the text
};

// A scalar state h[t] = φ(w @ h[t−1] + …) (± a constant) with φ the sigmoid or tanh and w
// a 1 × 1 parameter: φ′ is at most `slope` (σ′(0) = 1/4), so each step back scales the
// gradient by at most slope·|w|: it vanishes for |w| < `threshold` = 1/slope.
struct ScalarThreshold {
    std::string weight, slope_text, threshold_text;
    double slope = 0, threshold = 0;
};
std::optional<ScalarThreshold> scalar_threshold(const System& s, const Equation& e);

// The backpropagation through time of every recurrence, in symbols (and, for a T with
// a value, the expanded sum written out term by term).
std::vector<BpttLine> bptt(const System& s);

}  // namespace dlsolve::equations
