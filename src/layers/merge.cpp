// Concatenate / torch.cat and Add / +: layers that merge several inputs (skip
// connections, U-Nets). Concatenation sums the sizes along one axis (the channels by
// default) and needs every other axis equal; addition needs equal shapes.
#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

std::string mismatch(const std::vector<std::string>& names, const std::vector<Dims>& in, size_t i,
                     const std::string& why) {
    return fmt::format("{}: input \"{}\" has shape {} but \"{}\" has shape {}", why, names[0], format_dims(in[0]), names[i],
                       format_dims(in[i]));
}

class Concat : public Layer {
public:
    std::optional<int64_t> axis;  // as written in the framework, counting the batch axis

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Concatenate", "cat"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return kUnlimitedInputs; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const size_t rank = in[0].size();
        size_t along = channel_axis(rank, c);
        if (axis) {
            const int64_t with_batch = static_cast<int64_t>(rank) + 1;
            const int64_t a = *axis < 0 ? *axis + with_batch : *axis;
            if (a <= 0 || a >= with_batch)
                throw LayerError(fmt::format("axis {} is not a non-batch axis of a rank-{} input (with the batch axis)",
                                             *axis, with_batch));
            along = static_cast<size_t>(a - 1);
        }
        ShapeExpr out = same_shape(in[0], c);
        std::vector<Expr> parts;
        for (size_t i = 0; i < in.size(); ++i) {
            bool fits = in[i].size() == rank;
            for (size_t d = 0; fits && d < rank; ++d) fits = d == along || in[i][d] == in[0][d];
            if (!fits) throw LayerError(mismatch(inputs, in, i, fmt::format("cannot concatenate along {}", out.labels[along])));
            parts.push_back(in[i][along]);
        }
        out.dims[along] = Expr::sum(parts);
        return out;
    }

    // Along a sample axis `along` (batch axis excluded): outer blocks × each input's slice.
    size_t sample_axis(const Dims& sample, const Convention& c) const {
        const size_t rank = sample.size();
        if (!axis) return channel_axis(rank, c);
        const int64_t with_batch = static_cast<int64_t>(rank) + 1;
        return static_cast<size_t>((*axis < 0 ? *axis + with_batch : *axis) - 1);
    }
    // For output element `flat`: which input, and the element in it.
    std::pair<size_t, size_t> source(const std::vector<const Tensor*>& in, const Dims& out_shape, size_t flat,
                                     const Convention& c) const {
        const Dims sample(out_shape.begin() + 1, out_shape.end());
        const size_t along = 1 + sample_axis(sample, c);
        auto index = unravel(flat, out_shape);
        for (size_t k = 0; k < in.size(); ++k) {
            if (index[along] < in[k]->shape[along]) return {k, ravel(index, in[k]->shape)};
            index[along] -= in[k]->shape[along];
        }
        throw std::logic_error("concat index out of range");
    }
    Dims out_shape(const std::vector<const Tensor*>& in, const Convention& c) const {
        Dims shape = in[0]->shape;
        const size_t along = 1 + sample_axis(Dims(shape.begin() + 1, shape.end()), c);
        for (size_t k = 1; k < in.size(); ++k) shape[along] += in[k]->shape[along];
        return shape;
    }

    // Joining maps side by side along H or W gives units from different places: no single field.
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        if (in[0].size() == 3 && sample_axis(in[0], c) != channel_axis(3, c))
            return {SpatialMap::Kind::Undefined, {}, {}, "concatenating along H or W places units from different positions side by side: no single receptive field"};
        return {};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention& c) const override {
        Tensor y(out_shape(in, c));
        for (size_t i = 0; i < y.size(); ++i) {
            const auto [k, at] = source(in, y.shape, i, c);
            y[i] = (*in[k])[at];
        }
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        for (size_t i = 0; i < y.size(); ++i) {
            const auto [k, at] = source(in, y.shape, i, c);
            grad_in[k][at] = grad_y[i];
        }
    }
    std::vector<const Tensor*> tensors(const std::vector<Operand>& in) const {
        std::vector<const Tensor*> out;
        for (const auto& o : in) out.push_back(o.tensor);
        return out;
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor& y, size_t flat, const NumericMode&,
                 const Convention& c) const override {
        const auto [k, at] = source(tensors(in), y.shape, flat, c);
        return in[k].at(at);
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& y, size_t flat,
                            const NumericMode&, const Convention& c) const override {
        const auto [k, at] = source(tensors(in), y.tensor->shape, flat, c);
        return {{static_cast<int>(k), at, Expr(1)}};
    }
};

class Add : public Layer {
public:
    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Add", "add"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return kUnlimitedInputs; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        for (size_t i = 1; i < in.size(); ++i)
            if (in[i] != in[0]) throw LayerError(mismatch(inputs, in, i, "cannot add tensors of different shapes"));
        return same_shape(in[0], c);
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        return {Expr(), (Expr::sym("inputs", static_cast<int64_t>(in.size())) - 1) * element_count(out, c),
                "1 addition per element for each input after the first"};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        Tensor y = *in[0];
        for (size_t k = 1; k < in.size(); ++k)
            for (size_t i = 0; i < y.size(); ++i) y[i] += (*in[k])[i];
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        for (size_t k = 0; k < in.size(); ++k) grad_in[k].data = grad_y.data;
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        std::vector<Expr> terms;
        for (const auto& o : in) terms.push_back(o.at(flat));
        return Expr::sum(terms);
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        std::vector<Link> out;
        for (size_t k = 0; k < in.size(); ++k) out.push_back({static_cast<int>(k), flat, Expr(1)});
        return out;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_concat(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Concat>();
    if (fields.has("axis")) layer->axis = fields.integer("axis", 0, -16, 16);
    return layer;
}

std::unique_ptr<Layer> parse_add(Fields&, const Convention&, std::string_view) { return std::make_unique<Add>(); }

}  // namespace dlsolve
