#include "layers/normalization.h"

#include <cmath>

#include "problem/error.h"

namespace dlsolve {

GroupStats group_stats(const Tensor& x, const std::vector<size_t>& members, double epsilon) {
    GroupStats s;
    const double m = static_cast<double>(members.size());
    for (size_t k : members) s.mean += x[k];
    s.mean /= m;
    for (size_t k : members) s.variance += (x[k] - s.mean) * (x[k] - s.mean);
    s.variance /= m;
    s.deviation = std::sqrt(s.variance + epsilon);
    if (s.deviation == 0) throw LayerError("the variance is 0 and epsilon is 0: y = (x − μ)/√(σ² + ε) divides by zero");
    return s;
}

void normalize_backward(const Tensor& x, const Tensor& grad_y, const std::vector<size_t>& members, const GroupStats& s,
                        const std::function<double(size_t)>& gamma, Tensor& grad_x) {
    const double m = static_cast<double>(members.size());
    double mean_g = 0, mean_gx = 0;
    for (size_t k : members) {
        const double g = gamma(k) * grad_y[k], xhat = (x[k] - s.mean) / s.deviation;
        mean_g += g / m;
        mean_gx += g * xhat / m;
    }
    for (size_t k : members) {
        const double g = gamma(k) * grad_y[k], xhat = (x[k] - s.mean) / s.deviation;
        grad_x[k] += (g - mean_g - xhat * mean_gx) / s.deviation;
    }
}

Expr normalized_expr(const Expr& gamma, const Expr& x, const Expr& mean, const Expr& variance, const Expr& epsilon,
                     const Expr& beta) {
    return divide(gamma * (x - mean), apply("sqrt", variance + epsilon)) + beta;
}

std::vector<Link> normalized_links(const Tensor& x, size_t i, const std::vector<size_t>& members, const GroupStats& s,
                                   const Expr& gamma, const Expr& variance, const Expr& epsilon) {
    const Expr scale = divide(gamma, apply("sqrt", variance + epsilon));
    const Expr size = Expr::sym("M", static_cast<int64_t>(members.size()));
    const Expr xhat_i = Expr::real("x̂_i", (x[i] - s.mean) / s.deviation);
    std::vector<Link> out;
    for (size_t j : members) {
        const Expr xhat_j = j == i ? xhat_i : Expr::real("x̂_j", (x[j] - s.mean) / s.deviation);
        const Expr shared = divide(Expr(1) + xhat_i * xhat_j, size);
        out.push_back({0, j, j == i ? scale * (Expr(1) - shared) : -(scale * shared)});
    }
    return out;
}

}  // namespace dlsolve
