// InputLayer: where data enters; its shape is given, not computed.
#include "layers/registry.h"

namespace dlsolve {
namespace {

class Input : public Layer {
public:
    Dims shape;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("InputLayer", "Input"));
    }
    size_t min_inputs() const override { return 0; }
    size_t max_inputs() const override { return 0; }
    ShapeExpr output_shape(const std::vector<Dims>&, const Convention& c) const override { return same_shape(shape, c); }
};

}  // namespace

std::unique_ptr<Layer> make_input(Dims shape) {
    auto layer = std::make_unique<Input>();
    layer->shape = std::move(shape);
    return layer;
}

std::unique_ptr<Layer> parse_input(Fields& fields, const Convention&, std::string_view) {
    return make_input(fields.int_list("shape", false));
}

}  // namespace dlsolve
