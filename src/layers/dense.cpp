// Dense / nn.Linear: acts on the last axis; units × (inputs + 1) parameters.
#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Dense : public Layer {
public:
    int64_t units = 1;
    bool use_bias = true;
    std::string activation;
    std::optional<int64_t> in_features;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Dense", "Linear"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        if (in_features && *in_features != in[0].back())
            throw LayerError(fmt::format("in_features is {} but the input has {} features", *in_features, in[0].back()));
        ShapeExpr out = same_shape(in[0], c);
        out.dims.back() = Expr::sym("units", units);
        out.labels.back() = "features";
        return out;
    }

    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        Expr inputs = Expr::sym("n_in", in[0].back());
        if (use_bias) inputs = inputs + 1;
        return ParamCount::trainable_only(Expr::sym("units", units) * inputs);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_dense(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Dense>();
    layer->units = fields.positive("units");
    layer->use_bias = fields.boolean("use_bias", true);
    layer->activation = read_activation(fields, false);
    layer->in_features = fields.optional_positive("in_features");
    return layer;
}

}  // namespace dlsolve
