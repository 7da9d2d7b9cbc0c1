// Flatten / nn.Flatten: one vector of every element, H × W × C (or C × H × W).
#include "layers/common.h"
#include "layers/registry.h"

namespace dlsolve {
namespace {

// Row-major order is the same before and after: the numbers pass through (SameElements).
class Flatten : public SameElements {
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
};

}  // namespace

std::unique_ptr<Layer> parse_flatten(Fields&, const Convention&, std::string_view) { return std::make_unique<Flatten>(); }

}  // namespace dlsolve
