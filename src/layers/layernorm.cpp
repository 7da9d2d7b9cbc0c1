// LayerNormalization / nn.LayerNorm: γ and β over the normalised axes, 2 × their size.
// Keras normalises the last axis; PyTorch the trailing `normalized_shape`.
#include <algorithm>

#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class LayerNorm : public Layer {
public:
    std::vector<int64_t> normalized_shape;  // empty: the last axis

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("LayerNormalization", "LayerNorm"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Dims& dims = in[0];
        if (normalized_shape.size() > dims.size() ||
            !std::equal(normalized_shape.rbegin(), normalized_shape.rend(), dims.rbegin()))
            throw LayerError(fmt::format("normalized_shape {} does not match the trailing axes of the input {}",
                                         format_dims(normalized_shape), format_dims(dims)));
        return same_shape(dims, c);
    }

    size_t normalized_axes() const { return normalized_shape.empty() ? 1 : normalized_shape.size(); }

    // Normalising over the spatial axes as well mixes every position.
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const size_t rank = in[0].size();
        const bool only_channels = normalized_axes() == 1 && channel_axis(rank, c) == rank - 1;
        return {rank == 3 && !only_channels ? SpatialMap::Kind::Global : SpatialMap::Kind::Pointwise, {}, {}};
    }

    // Statistics are computed on the fly: mean (1 add), variance (subtract, square, add),
    // normalise (subtract, divide), scale and shift: 8 per element, and ε plus a square
    // root per normalised group.
    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const Expr elements = Expr::sym("elements", element_count(in[0], c).value());
        int64_t group = 1;
        for (size_t i = in[0].size() - normalized_axes(); i < in[0].size(); ++i) group *= in[0][i];
        return {Expr(), Expr(8) * elements + Expr(2) * Expr::sym("groups", elements.value() / group),
                "8 per element and 2 per normalised group"};
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        const Dims& dims = in[0];
        const size_t axes = normalized_shape.empty() ? 1 : normalized_shape.size();
        const auto labels = dim_labels(dims.size(), c);
        Expr size = Expr::sym(labels[dims.size() - axes], dims[dims.size() - axes]);
        for (size_t i = dims.size() - axes + 1; i < dims.size(); ++i) size = size * Expr::sym(labels[i], dims[i]);
        return ParamCount::trainable_only(Expr(2) * size);  // γ and β
    }
};

}  // namespace

std::unique_ptr<Layer> parse_layernorm(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<LayerNorm>();
    if (convention.framework == Framework::PyTorch && fields.has("normalized_shape")) {
        // nn.LayerNorm(5) means nn.LayerNorm([5]).
        if (fields.raw("normalized_shape")->is_number()) layer->normalized_shape = {fields.positive("normalized_shape")};
        else layer->normalized_shape = fields.int_list("normalized_shape", false);
    }
    return layer;
}

}  // namespace dlsolve
