// Embedding / nn.Embedding: a lookup table of input_dim rows (the vocabulary) of
// output_dim numbers; input_dim × output_dim parameters. Reads [T] integer ids, gives [T, output_dim].
#include <cmath>

#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Embedding : public Layer {
public:
    int64_t input_dim = 1;
    int64_t output_dim = 1;

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "Embedding"; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        ShapeExpr out;
        for (size_t d = 0; d < in[0].size(); ++d) {
            out.dims.push_back(Expr::sym(in[0].size() == 1 ? "T" : fmt::format("d{}", d + 1), in[0][d]));
            out.labels.push_back(in[0].size() == 1 ? "T" : fmt::format("d{}", d + 1));
        }
        out.dims.push_back(Expr::sym("output_dim", output_dim));
        out.labels.push_back("features");
        return out;
    }

    ParamCount params(const std::vector<Dims>&, const Convention&) const override {
        return ParamCount::trainable_only(Expr::sym("input_dim", input_dim) * Expr::sym("output_dim", output_dim));
    }

    std::vector<std::string> value_roles() const override { return {"weights"}; }
    std::vector<Dims> value_shapes(const std::vector<Dims>&, const Convention&) const override { return {{input_dim, output_dim}}; }

    // The row of the table that id `flat` of the input selects.
    int64_t row(const Tensor& ids, size_t flat) const {
        const double id = ids[flat];
        if (id != std::floor(id) || id < 0 || id >= static_cast<double>(input_dim))
            throw LayerError(fmt::format("token id {} (element {}) is not an integer in [0, {}) (input_dim)", format_real(id),
                                         flat + 1, input_dim));
        return static_cast<int64_t>(id);
    }

    size_t table_index(const Tensor& ids, size_t flat) const {
        const size_t d = static_cast<size_t>(output_dim);
        return static_cast<size_t>(row(ids, flat / d)) * d + flat % d;
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention& c) const override {
        Tensor y(batched_output(*this, in, c));
        for (size_t f = 0; f < y.size(); ++f) y[f] = (*p[0])[table_index(*in[0], f)];
        return y;
    }

    // Ids are not differentiable: only the selected rows receive gradient.
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>&, std::vector<Tensor>& grad_p) const override {
        for (size_t f = 0; f < grad_y.size(); ++f) grad_p[0][table_index(*in[0], f)] += grad_y[f];
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return p[0].at(table_index(*in[0].tensor, flat));
    }

    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        return {{-1, table_index(*in[0].tensor, flat), Expr(1)}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_embedding(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Embedding>();
    layer->input_dim = fields.positive("input_dim");
    layer->output_dim = fields.positive("output_dim");
    return layer;
}

}  // namespace dlsolve
