// Positional encodings added to a [T, d] sequence. Sinusoidal (Vaswani et al. 2017, §3.5):
// PE(pos, 2i) = sin(pos/10000^(2i/d)), PE(pos, 2i + 1) = cos(pos/10000^(2i/d)), no
// parameters. Learned: an embedding of the positions 0 … max_len − 1, max_len × d parameters.
#include <cmath>

#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class PositionalEncoding : public Layer {
public:
    bool learned = false;
    std::optional<int64_t> max_len;

    std::string class_name(const Convention&, const std::vector<Dims>&) const override {
        return learned ? "PositionEmbedding" : "PositionalEncoding";
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        if (in[0].size() != 2)
            throw LayerError(fmt::format("positional_encoding reads a sequence [T, d]; the input has shape {}", format_dims(in[0])));
        if (max_len && in[0][0] > *max_len)
            throw LayerError(fmt::format("the sequence has {} positions but max_len is {}", in[0][0], *max_len));
        return {{Expr::sym("T", in[0][0]), Expr::sym("d", in[0][1])}, {"T", "features"}};
    }

    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        if (!learned) return {};
        return ParamCount::trainable_only(Expr::sym("max_len", *max_len) * Expr::sym("d", in[0][1]));
    }
    std::vector<std::string> value_roles() const override {
        if (learned) return {"weights"};
        return {};
    }
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention&) const override {
        return {{*max_len, in[0][1]}};
    }

    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        return {Expr(), Expr::sym("elements", element_count(in[0], c).value()), "one add per element (the encoding is a constant or a table look-up)"};
    }

    // Element `flat` of a batch [N, T, d]: its position and feature.
    static std::pair<int64_t, int64_t> position(const Tensor& x, size_t flat) {
        const int64_t d = x.shape[2], t = x.shape[1];
        return {(static_cast<int64_t>(flat) / d) % t, static_cast<int64_t>(flat) % d};
    }
    // 10000^(2i/d) for feature j (2i = j rounded down to even).
    static Expr divisor(int64_t j, int64_t d) {
        const int64_t two_i = j - j % 2;
        return Expr::real(fmt::format("10000^({}/{})", two_i, d), std::pow(10000.0, static_cast<double>(two_i) / static_cast<double>(d)));
    }
    static Expr sinusoid(int64_t pos, int64_t j, int64_t d) {
        return apply(j % 2 == 0 ? "sin" : "cos", divide(Expr::real(fmt::format("pos{}", pos), static_cast<double>(pos)), divisor(j, d)));
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention&) const override {
        const Tensor& x = *in[0];
        Tensor y(x.shape);
        const int64_t d = x.shape[2];
        for (size_t f = 0; f < x.size(); ++f) {
            const auto [pos, j] = position(x, f);
            y[f] = x[f] + (learned ? (*p[0])[static_cast<size_t>(pos * d + j)] : sinusoid(pos, j, d).to_double());
        }
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>& grad_p) const override {
        const int64_t d = in[0]->shape[2];
        for (size_t f = 0; f < grad_y.size(); ++f) {
            grad_in[0][f] += grad_y[f];
            if (!learned) continue;
            const auto [pos, j] = position(*in[0], f);
            grad_p[0][static_cast<size_t>(pos * d + j)] += grad_y[f];
        }
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        const int64_t d = in[0].tensor->shape[2];
        const auto [pos, j] = position(*in[0].tensor, flat);
        return in[0].at(flat) + (learned ? p[0].at(static_cast<size_t>(pos * d + j)) : sinusoid(pos, j, d));
    }

    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        std::vector<Link> out{{0, flat, Expr(1)}};
        if (learned) {
            const int64_t d = in[0].tensor->shape[2];
            const auto [pos, j] = position(*in[0].tensor, flat);
            out.push_back({-1, static_cast<size_t>(pos * d + j), Expr(1)});
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_positional_encoding(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<PositionalEncoding>();
    const std::string kind = fields.optional_string("kind").value_or("sinusoidal");
    if (kind != "sinusoidal" && kind != "learned") fields.fail("kind", "\"sinusoidal\" or \"learned\"");
    layer->learned = kind == "learned";
    // A learned table has max_len rows; a sinusoidal encoding needs none (max_len only bounds T).
    layer->max_len = layer->learned ? fields.positive("max_len") : fields.optional_positive("max_len");
    return layer;
}

}  // namespace dlsolve
