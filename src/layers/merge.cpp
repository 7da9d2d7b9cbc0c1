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
};

}  // namespace

std::unique_ptr<Layer> parse_concat(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Concat>();
    if (fields.has("axis")) layer->axis = fields.integer("axis", 0, -16, 16);
    return layer;
}

std::unique_ptr<Layer> parse_add(Fields&, const Convention&, std::string_view) { return std::make_unique<Add>(); }

}  // namespace dlsolve
