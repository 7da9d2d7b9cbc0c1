// Activation functions for the numeric engine, shared by the activation layers and by
// the activations fused into dense and convolution layers: values, derivatives, and
// the worked formula of one element.
#pragma once

#include <string>
#include <vector>

#include "expr/expr.h"
#include "ir/convention.h"
#include "ir/layer.h"
#include "numeric/tensor.h"

#include <optional>

namespace dlsolve {

struct Activation {
    std::string name = "linear";  // relu, leaky_relu, sigmoid, tanh, softmax, linear, hard_threshold
    double alpha = 0.0;           // leaky_relu slope
    double threshold = 0.0;       // hard_threshold: 1 from the threshold on, 0 below
    std::optional<int> axis;      // softmax: the sample axis it normalises (−1 the last), else the convention's channel axis
};

// Softmax normalises along the channel axis of each sample (the last axis of a vector).
struct SoftmaxGroups {
    size_t outer, length, inner;
    SoftmaxGroups(const Dims& batch_shape, const Convention& convention, bool last_axis = false, std::optional<int> axis = std::nullopt);
    std::vector<size_t> members(size_t flat) const;  // the elements normalised with `flat`
};

// In place: values ← f(values). `last_axis`: softmax over the last axis (a dense
// layer's units) rather than the channel axis.
void activate(const Activation& f, Tensor& values, const Convention& convention, bool last_axis = false);
// ∂L/∂z from ∂L/∂a, given the outputs a = f(z) and the inputs z.
Tensor activation_backward(const Activation& f, const Tensor& z, const Tensor& a, const Tensor& grad_a,
                           const Convention& convention, bool last_axis = false);
// a_flat as a formula of the named pre-activations: max(0.5·h1, h1), σ(z), exp(z1)/(…).
Expr activation_expr(const Activation& f, const Operand& z, size_t flat, const Convention& convention);
// The same applied to formulas: `group` holds the softmax group's pre-activations (just
// the element for elementwise functions) and `position` the element's place in it.
Expr activation_of(const Activation& f, const std::vector<Expr>& group, size_t position);
// da/dz for an elementwise function, from the output a (PyTorch's choice at kinks).
Expr elementwise_slope(const Activation& f, const Expr& z, const Expr& a);
// ∂a_flat/∂z_k for each z_k it depends on (one for elementwise functions).
std::vector<std::pair<size_t, Expr>> activation_links(const Activation& f, const Operand& z, const Operand& a, size_t flat,
                                                      const Convention& convention);

}  // namespace dlsolve
