// What BatchNorm (training mode) and LayerNorm share: each element is normalised by
// the mean and biased variance of its group, y_i = γ·(x_i − μ)/√(σ² + ε) + β, and the
// gradient flows through μ and σ² as well as through x_i.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "expr/expr.h"
#include "ir/layer.h"
#include "numeric/tensor.h"

namespace dlsolve {

struct GroupStats {
    double mean = 0;
    double variance = 0;  // biased: divided by the group's size M, as both frameworks normalise
    double deviation = 1; // √(σ² + ε)
};

GroupStats group_stats(const Tensor& x, const std::vector<size_t>& members, double epsilon);

// ∂L/∂x for the members of one group, with γ_i = gamma(i):
// ∂L/∂x_j = (ĝ_j − mean(ĝ) − x̂_j·mean(ĝ·x̂))/√(σ² + ε), where ĝ_i = γ_i·∂L/∂y_i.
void normalize_backward(const Tensor& x, const Tensor& grad_y, const std::vector<size_t>& members, const GroupStats& stats,
                        const std::function<double(size_t)>& gamma, Tensor& grad_x);

// The worked value γ·(x − μ)/√(σ² + ε) + β.
Expr normalized_expr(const Expr& gamma, const Expr& x, const Expr& mean, const Expr& variance, const Expr& epsilon,
                     const Expr& beta);

// ∂y_i/∂x_j = γ/√(σ² + ε)·(δ_ij − (1 + x̂_i·x̂_j)/M) for the members j of i's group.
std::vector<Link> normalized_links(const Tensor& x, size_t i, const std::vector<size_t>& members, const GroupStats& stats,
                                   const Expr& gamma, const Expr& variance, const Expr& epsilon);

}  // namespace dlsolve
