// Flatten / nn.Flatten: one vector of every element, H × W × C (or C × H × W).
#include "layers/registry.h"

namespace dlsolve {
namespace {

class Flatten : public Layer {
public:
    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "Flatten"; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const auto labels = dim_labels(in[0].size(), c);
        Expr product = Expr::sym(labels[0], in[0][0]);
        for (size_t i = 1; i < in[0].size(); ++i) product = product * Expr::sym(labels[i], in[0][i]);
        return {{product}, {"features"}};
    }

    // Each flattened value is one value of the map before it, with that value's
    // receptive field; the dense layer after it is what sees the whole input.

    // Row-major order is the same before and after: only the shape changes.
    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        Tensor y = *in[0];
        y.shape = {in[0]->batch(), static_cast<int64_t>(in[0]->sample_size())};
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        grad_in[0].data = grad_y.data;
        (void)in;
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return in[0].at(flat);
    }
    std::vector<Link> links(const std::vector<Operand>&, const std::vector<Operand>&, const Tensor&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        return {{0, flat, Expr(1)}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_flatten(Fields&, const Convention&, std::string_view) { return std::make_unique<Flatten>(); }

}  // namespace dlsolve
