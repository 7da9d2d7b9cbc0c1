// Activation layers: relu, leaky_relu, sigmoid, tanh, softmax, linear, hard_threshold,
// either as their own type or as {"type": "activation", "activation": WORD}. They keep
// the shape and have no parameters.
#include <fmt/format.h>

#include "layers/activation_math.h"
#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

struct ActivationNames {
    std::string_view word;
    std::string_view keras_class;  // class of the dedicated Keras layer, or Activation
    std::string_view torch_class;
};

constexpr ActivationNames kActivations[] = {
    {"relu", "ReLU", "ReLU"},
    {"leaky_relu", "LeakyReLU", "LeakyReLU"},
    {"softmax", "Softmax", "Softmax"},
    {"sigmoid", "Activation", "Sigmoid"},
    {"tanh", "Activation", "Tanh"},
    {"linear", "Activation", "Identity"},
    {"hard_threshold", "Activation", "HardThreshold"},
};

class ActivationLayer : public Layer {
public:
    std::string activation;
    bool generic = false;  // written as {"type": "activation"}: Keras's Activation class
    double alpha = 0.0;      // leaky_relu slope
    double threshold = 0.0;  // hard_threshold: 1 above, 0 otherwise

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        for (const auto& names : kActivations)
            if (names.word == activation)
                return std::string(generic && c.framework == Framework::Keras ? "Activation"
                                                                               : c.pick(names.keras_class, names.torch_class));
        return "Activation";
    }

    std::optional<int> axis;  // softmax's "axis"

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const int rank = static_cast<int>(in[0].size());
        if (axis && (*axis >= rank || *axis < -rank))
            throw LayerError(fmt::format("softmax axis {} is outside the input {} (axes 0 to {}, or −1 to −{})", *axis, format_dims(in[0]),
                                         rank - 1, rank));
        return same_shape(in[0], c);
    }

    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        return activation_cost(activation, element_count(in[0], c));
    }

    Activation function() const { return {activation, alpha, threshold, axis}; }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention& c) const override {
        Tensor y = *in[0];
        activate(function(), y, c);
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y,
                  const Tensor& grad_y, const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in,
                  std::vector<Tensor>&) const override {
        grad_in[0] = activation_backward(function(), *in[0], y, grad_y, c);
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention& c) const override {
        return activation_expr(function(), in[0], flat, c);
    }

    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& out, size_t flat,
                            const NumericMode&, const Convention& c) const override {
        std::vector<Link> result;
        for (auto& [k, d] : activation_links(function(), in[0], out, flat, c)) result.push_back({0, k, d});
        return result;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_activation(Fields& fields, const Convention& convention, std::string_view type) {
    auto layer = std::make_unique<ActivationLayer>();
    layer->generic = type == "activation";
    layer->activation = layer->generic ? read_activation(fields, true) : std::string(type);
    // Keras's LeakyReLU layer defaults to 0.3, Activation("leaky_relu") to keras.activations.leaky_relu's 0.2.
    const double slope = layer->generic ? convention.fused_leaky_relu_alpha : convention.leaky_relu_alpha;
    if (layer->activation == "leaky_relu") layer->alpha = fields.number("alpha", slope, 0.0, 1e9);
    if (layer->activation == "hard_threshold") layer->threshold = fields.number("threshold", 0.0, -1e300, 1e300);
    // Keras's Softmax(axis=…) and nn.Softmax(dim=…), counted without the batch axis.
    if (layer->activation == "softmax" && fields.has("axis")) layer->axis = static_cast<int>(fields.integer("axis", 0, -8, 8));
    return layer;
}

}  // namespace dlsolve
