#include "layers/activation_math.h"

#include <cmath>

namespace dlsolve {

SoftmaxGroups::SoftmaxGroups(const Dims& batch_shape, const Convention& convention, bool last_axis, std::optional<int> sample_axis) {
    // batch_shape includes the batch axis; the channel axis of a sample is axis 1 + channel_axis.
    const size_t rank = batch_shape.size() - 1;
    size_t axis = last_axis ? batch_shape.size() - 1 : 1 + (rank == 0 ? 0 : channel_axis(rank, convention));
    // An explicit axis (checked against the rank by the layer) counts without the batch, −1 the last.
    if (sample_axis && rank > 0) axis = 1 + static_cast<size_t>(*sample_axis < 0 ? *sample_axis + static_cast<int>(rank) : *sample_axis);
    outer = 1, inner = 1;
    for (size_t d = 0; d < axis; ++d) outer *= static_cast<size_t>(batch_shape[d]);
    length = static_cast<size_t>(batch_shape[axis]);
    for (size_t d = axis + 1; d < batch_shape.size(); ++d) inner *= static_cast<size_t>(batch_shape[d]);
}

std::vector<size_t> SoftmaxGroups::members(size_t flat) const {
    const size_t o = flat / (length * inner), i = flat % inner;
    std::vector<size_t> out;
    for (size_t k = 0; k < length; ++k) out.push_back((o * length + k) * inner + i);
    return out;
}

namespace {

double scalar(const Activation& f, double z) {
    if (f.name == "relu") return z > 0 ? z : 0.0;
    if (f.name == "leaky_relu") return z > 0 ? z : f.alpha * z;
    if (f.name == "sigmoid") return 1.0 / (1.0 + std::exp(-z));
    if (f.name == "tanh") return std::tanh(z);
    if (f.name == "hard_threshold") return z >= f.threshold ? 1.0 : 0.0;  // the exams' step: 1 for z ≥ θ
    return z;  // linear
}

// da/dz as PyTorch's autograd takes it (relu′(0) = 0, leaky_relu′(0) = slope).
double slope(const Activation& f, double z, double a) {
    if (f.name == "relu") return z > 0 ? 1.0 : 0.0;
    if (f.name == "leaky_relu") return z > 0 ? 1.0 : f.alpha;
    if (f.name == "sigmoid") return a * (1.0 - a);
    if (f.name == "tanh") return 1.0 - a * a;
    if (f.name == "hard_threshold") return 0.0;
    return 1.0;
}

}  // namespace

void activate(const Activation& f, Tensor& values, const Convention& convention, bool last_axis) {
    if (f.name != "softmax") {
        for (auto& v : values.data) v = scalar(f, v);
        return;
    }
    const SoftmaxGroups g(values.shape, convention, last_axis, f.axis);
    for (size_t o = 0; o < g.outer; ++o)
        for (size_t i = 0; i < g.inner; ++i) {
            double top = -INFINITY, total = 0;
            for (size_t k = 0; k < g.length; ++k) top = std::max(top, values[(o * g.length + k) * g.inner + i]);
            for (size_t k = 0; k < g.length; ++k) total += std::exp(values[(o * g.length + k) * g.inner + i] - top);
            for (size_t k = 0; k < g.length; ++k) {
                double& v = values[(o * g.length + k) * g.inner + i];
                v = std::exp(v - top) / total;
            }
        }
}

Tensor activation_backward(const Activation& f, const Tensor& z, const Tensor& a, const Tensor& grad_a,
                           const Convention& convention, bool last_axis) {
    Tensor grad_z(z.shape);
    if (f.name != "softmax") {
        for (size_t i = 0; i < z.size(); ++i) grad_z[i] = grad_a[i] * slope(f, z[i], a[i]);
        return grad_z;
    }
    // ∂L/∂z_k = a_k (∂L/∂a_k − Σ_j ∂L/∂a_j a_j)
    const SoftmaxGroups g(z.shape, convention, last_axis, f.axis);
    for (size_t o = 0; o < g.outer; ++o)
        for (size_t i = 0; i < g.inner; ++i) {
            double dot = 0;
            for (size_t k = 0; k < g.length; ++k) {
                const size_t at = (o * g.length + k) * g.inner + i;
                dot += grad_a[at] * a[at];
            }
            for (size_t k = 0; k < g.length; ++k) {
                const size_t at = (o * g.length + k) * g.inner + i;
                grad_z[at] = a[at] * (grad_a[at] - dot);
            }
        }
    return grad_z;
}

Expr activation_of(const Activation& f, const std::vector<Expr>& group, size_t position) {
    const Expr& x = group[position];
    if (f.name == "relu") return max(Expr(0), x);
    if (f.name == "leaky_relu") return max(Expr::real("α", f.alpha) * x, x);
    if (f.name == "sigmoid") return apply("sigmoid", x);
    if (f.name == "tanh") return apply("tanh", x);
    if (f.name == "hard_threshold") return apply("step", f.threshold == 0 ? x : x - Expr::real("θ", f.threshold));
    if (f.name == "softmax") {
        std::vector<Expr> terms;
        for (const auto& z : group) terms.push_back(apply("exp", z));
        return divide(apply("exp", x), Expr::sum(terms));
    }
    return x;
}

Expr activation_expr(const Activation& f, const Operand& z, size_t flat, const Convention& convention) {
    if (f.name != "softmax") return activation_of(f, {z.at(flat)}, 0);
    std::vector<Expr> group;
    size_t position = 0;
    for (size_t k : SoftmaxGroups(z.tensor->shape, convention, false, f.axis).members(flat)) {
        if (k == flat) position = group.size();
        group.push_back(z.at(k));
    }
    return activation_of(f, group, position);
}

Expr elementwise_slope(const Activation& f, const Expr& z, const Expr& a) {
    if (f.name == "sigmoid") return a * (Expr(1) - a);
    if (f.name == "tanh") return Expr(1) - square(a);
    return Expr::real(slope(f, z.to_double(), a.to_double()));
}

std::vector<std::pair<size_t, Expr>> activation_links(const Activation& f, const Operand& z, const Operand& a, size_t flat,
                                                      const Convention& convention) {
    if (f.name == "softmax") {
        std::vector<std::pair<size_t, Expr>> out;
        for (size_t k : SoftmaxGroups(z.tensor->shape, convention, false, f.axis).members(flat))
            out.emplace_back(k, k == flat ? a.at(flat) * (Expr(1) - a.at(k)) : -(a.at(flat) * a.at(k)));
        return out;
    }
    return {{flat, elementwise_slope(f, z.at(flat), a.at(flat))}};
}

}  // namespace dlsolve
