// LayerNormalization / nn.LayerNorm: γ and β over the normalised axes, 2 × their size.
// Keras normalises the last axis; PyTorch the trailing `normalized_shape`.
#include <algorithm>

#include <fmt/format.h>

#include "layers/normalization.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class LayerNorm : public Layer {
public:
    std::vector<int64_t> normalized_shape;  // empty: the last axis
    double epsilon = 1e-3;

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
    // Normalising mixes the normalised axes only: Keras's channels are per position; on
    // PyTorch's [C, H, W] the last axis alone mixes the width, two or three mix H and W.
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const size_t rank = in[0].size();
        if (rank != 3 || (normalized_axes() == 1 && channel_axis(rank, c) == rank - 1)) return {};
        if (normalized_axes() == 1) return {SpatialMap::Kind::Window, {}, {AxisMap::Kind::Whole, in[0][2], 1, 0}, ""};
        return {SpatialMap::Kind::Global, {}, {}, ""};
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

    // γ and β have the shape of the normalised axes.
    std::vector<std::string> value_roles() const override { return {"gamma", "beta"}; }
    // Both frameworks start at γ = 1, β = 0.
    std::optional<double> value_default(const std::string& role) const override { return role == "gamma" ? 1.0 : 0.0; }
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention&) const override {
        const Dims normalized(in[0].end() - static_cast<std::ptrdiff_t>(normalized_axes()), in[0].end());
        return {normalized, normalized};
    }

    // Each sample's trailing normalised axes form one group of consecutive elements.
    size_t group_size(const Tensor& x) const {
        size_t size = 1;
        for (size_t d = x.shape.size() - normalized_axes(); d < x.shape.size(); ++d) size *= static_cast<size_t>(x.shape[d]);
        return size;
    }
    std::vector<size_t> members(const Tensor& x, size_t flat) const {
        const size_t size = group_size(x), first = flat - flat % size;
        std::vector<size_t> out;
        for (size_t k = 0; k < size; ++k) out.push_back(first + k);
        return out;
    }

    // Always the statistics of the sample itself (training or not), biased variance.
    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention&) const override {
        const Tensor& x = *in[0];
        Tensor y(x.shape);
        const size_t size = group_size(x);
        for (size_t first = 0; first < x.size(); first += size) {
            const auto group = members(x, first);
            const GroupStats s = group_stats(x, group, epsilon);
            for (size_t k : group) y[k] = (*p[0])[k % size] * (x[k] - s.mean) / s.deviation + (*p[1])[k % size];
        }
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>& grad_p) const override {
        const Tensor& x = *in[0];
        const size_t size = group_size(x);
        for (size_t first = 0; first < x.size(); first += size) {
            const auto group = members(x, first);
            const GroupStats s = group_stats(x, group, epsilon);
            for (size_t k : group) {
                grad_p[0][k % size] += grad_y[k] * (x[k] - s.mean) / s.deviation;
                grad_p[1][k % size] += grad_y[k];
            }
            normalize_backward(x, grad_y, group, s, [&](size_t k) { return (*p[0])[k % size]; }, grad_in[0]);
        }
    }

    std::pair<Expr, Expr> statistics(const GroupStats& s, size_t flat, size_t size) const {
        const size_t group = flat / size + 1;
        return {Expr::real(fmt::format("μ[{}]", group), s.mean), Expr::real(fmt::format("σ²[{}]", group), s.variance)};
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        const Tensor& x = *in[0].tensor;
        const size_t size = group_size(x);
        const GroupStats s = group_stats(x, members(x, flat), epsilon);
        const auto [mean, variance] = statistics(s, flat, size);
        return normalized_expr(p[0].at(flat % size), in[0].at(flat), mean, variance, Expr::real("ε", epsilon), p[1].at(flat % size));
    }

    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        const Tensor& x = *in[0].tensor;
        const size_t size = group_size(x);
        const GroupStats s = group_stats(x, members(x, flat), epsilon);
        const auto [mean, variance] = statistics(s, flat, size);
        const Expr eps = Expr::real("ε", epsilon);
        auto out = normalized_links(x, flat, members(x, flat), s, p[0].at(flat % size), variance, eps);
        out.push_back({-1, flat % size, divide(in[0].at(flat) - mean, apply("sqrt", variance + eps))});
        out.push_back({-2, flat % size, Expr(1)});
        return out;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_layernorm(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<LayerNorm>();
    layer->epsilon = fields.number("epsilon", convention.layernorm_epsilon, 0.0, 1.0);
    if (convention.framework == Framework::PyTorch && fields.has("normalized_shape")) {
        // nn.LayerNorm(5) means nn.LayerNorm([5]).
        if (fields.raw("normalized_shape")->is_number()) layer->normalized_shape = {fields.positive("normalized_shape")};
        else layer->normalized_shape = fields.int_list("normalized_shape", false);
    }
    return layer;
}

}  // namespace dlsolve
