// Whether gradients vanish or explode through a recurrent layer: the Jacobian
// ∂h_t/∂h_{t−1} = diag(f′(a_t))·W_h, the singular values and eigenvalues of W_h, the
// spectral radius, the largest slope of f, and the verdict with its reason. A pass:
// it computes Exprs, the report prints them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "passes/analysis.h"

namespace dlsolve {

struct GradientFlow {
    std::string layer;
    std::string activation;
    int64_t units = 1;
    int64_t steps = 1;                     // T, the input's sequence length
    std::vector<std::vector<double>> w_h;  // rows of W_h as the exam writes it
    std::vector<Expr> singular_values;     // σ_i = √λ_i(W_hᵀ·W_h), largest first
    std::vector<double> eigen_real, eigen_imag;
    std::vector<Expr> eigen_moduli;        // |λ_i|
    Expr spectral_radius;                  // max |λ_i|
    Expr max_slope;                        // max f′: tanh 1, σ 1/4, ReLU 1, identity 1
    Expr bound;                            // max f′ · σ_max: every factor's norm is at most this
    Expr product_norm;                     // ‖W_h^T‖₂ for the identity (the product of the T Jacobians)
    std::optional<Expr> threshold;         // one unit: |w| = 1/max f′ between vanishing and exploding
    // Along the given input (its first sample), when the layer reads the model input:
    // f′(a_k) per step k = 1 … T from the states, and for t = 0 … T − 1 the singular values
    // of ∂h_T/∂h_t = ∏_{k=t+1..T} diag(f′(a_k))·W_h (the first is its 2-norm).
    std::vector<std::vector<Expr>> slopes;
    std::vector<std::vector<double>> sequence_singular_values;
    std::string verdict;                   // "explodes", "vanishes", "may explode", "neither"
    std::string reason;                    // one sentence
};

// Throws ProblemError when the layer is not a simple_rnn with given weights.
GradientFlow gradient_flow(const Problem& problem, const Analysis& analysis, size_t layer);

}  // namespace dlsolve
