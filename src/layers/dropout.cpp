// Dropout / nn.Dropout: zeroes a fraction `rate` of activations while training; the
// shape is unchanged and there are no parameters.
#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/values.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Dropout : public Layer {
public:
    double rate = 0.5;

    std::vector<double> mask;  // one sample's keep (1) / drop (0) mask, given for training

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "Dropout"; }
    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        if (!mask.empty() && mask.size() != static_cast<size_t>(element_count(in[0], c).value()))
            throw LayerError(fmt::format("the mask has {} values but one sample of the input has {}", mask.size(),
                                         element_count(in[0], c).value()));
        return same_shape(in[0], c);
    }

    // Inverted dropout: while training, kept values are scaled by 1/(1 − rate); at
    // inference the layer is the identity.
    double factor(const NumericMode& mode, size_t flat, size_t sample) const {
        if (!mode.training) return 1.0;
        if (mask.empty()) throw LayerError("training with dropout needs its \"mask\" (which values are kept)");
        return mask[flat % sample] / (1.0 - rate);
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode& mode,
                   const Convention&) const override {
        Tensor y = *in[0];
        for (size_t i = 0; i < y.size(); ++i) y[i] *= factor(mode, i, y.sample_size());
        return y;
    }
    void backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode& mode, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        for (size_t i = 0; i < grad_y.size(); ++i) grad_in[0][i] = grad_y[i] * factor(mode, i, grad_y.sample_size());
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode& mode,
                 const Convention&) const override {
        if (!mode.training) return in[0].at(flat);
        const size_t sample = in[0].tensor->sample_size();
        return divide(Expr::real("m", mask[flat % sample]) * in[0].at(flat), Expr(1) - Expr::real("p", rate));
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode& mode, const Convention&) const override {
        if (!mode.training) return {{0, flat, Expr(1)}};
        const size_t sample = in[0].tensor->sample_size();
        return {{0, flat, divide(Expr::real("m", mask[flat % sample]), Expr(1) - Expr::real("p", rate))}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_dropout(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Dropout>();
    if (!fields.has("rate")) fields.missing("rate", "a number ≥ 0 and < 1");
    layer->rate = fields.number("rate", 0.5, 0.0, 1.0, false);
    if (const Json* mask = fields.raw("mask")) {
        const auto flat = flatten_numbers(*mask, fields.path_of("mask"));
        for (double m : flat)
            if (m != 0.0 && m != 1.0) fields.fail("mask", "an array of 0 (dropped) and 1 (kept)");
        layer->mask = flat;
    }
    return layer;
}

}  // namespace dlsolve
