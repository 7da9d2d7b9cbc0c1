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

    // On a vector every unit sees every input; on [H, W, C] the units act per position.
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention&) const override {
        return {in[0].size() == 1 ? SpatialMap::Kind::Global : SpatialMap::Kind::Pointwise, {}, {}};
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        Expr macs = Expr::sym("n_in", in[0].back()) * Expr::sym("units", units);
        for (size_t d = in[0].size() - 1; d-- > 0;) macs = macs * in[0][d];  // positions
        Cost cost = weighted_sum_cost(macs, element_count(out, c), use_bias);
        const Cost act = activation_cost(activation, Expr::sym("outputs", element_count(out, c).value()));
        if (act.flops.value() != 0) cost.flops = cost.flops + act.flops, cost.rule += "; " + activation + ": " + act.rule;
        return cost;
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
