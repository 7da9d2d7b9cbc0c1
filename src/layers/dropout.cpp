// Dropout / nn.Dropout: zeroes a fraction `rate` of activations while training; the
// shape is unchanged and there are no parameters.
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Dropout : public Layer {
public:
    double rate = 0.5;

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "Dropout"; }
    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override { return same_shape(in[0], c); }
};

}  // namespace

std::unique_ptr<Layer> parse_dropout(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Dropout>();
    if (!fields.has("rate")) fields.missing("rate", "a number ≥ 0 and < 1");
    layer->rate = fields.number("rate", 0.5, 0.0, 1.0, false);
    return layer;
}

}  // namespace dlsolve
