// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (torch/nn/modules/transformer.py):
// self-attention (and, in the decoder, attention over the encoder's memory), a
// feed-forward d_model → dim_feedforward → d_model, a LayerNorm after (or, with
// norm_first, before) each sublayer. Shapes, parameters and MACs per part; no numeric
// rule (write the block as its layers to compute values).
#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class TransformerBlock : public Layer {
public:
    bool decoder = false;
    int64_t d_model = 1;
    int64_t nhead = 1;
    int64_t dim_feedforward = 2048;
    bool norm_first = false;
    bool bias = true;  // torch ≥ 2.1: bias=False drops every Linear's and LayerNorm's bias
    std::string activation = "relu";

    std::string class_name(const Convention&, const std::vector<Dims>&) const override {
        return decoder ? "TransformerDecoderLayer" : "TransformerEncoderLayer";
    }
    // The decoder reads [tgt, memory], as TransformerDecoderLayer.forward(tgt, memory).
    size_t min_inputs() const override { return decoder ? 2 : 1; }
    size_t max_inputs() const override { return decoder ? 2 : 1; }

    void check(const std::vector<Dims>& in) const {
        static constexpr const char* kRole[] = {"tgt", "memory"};
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i].size() != 2)
                throw LayerError(fmt::format("{} {} has shape {}: expected a sequence [T, d_model]", class_name(Convention::pytorch(), in),
                                             decoder ? kRole[i] : "input", format_dims(in[i])));
            if (in[i][1] != d_model)
                throw LayerError(fmt::format("the {} has {} features but d_model is {}", decoder ? kRole[i] : "input", in[i][1], d_model));
        }
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        return {{Expr::sym("T", in[0][0]), Expr::sym("d_model", d_model)}, {"T", "features"}};
    }

    Expr d() const { return Expr::sym("d_model", d_model); }
    Expr dff() const { return Expr::sym("dim_feedforward", dim_feedforward); }
    Expr linear(const Expr& in, const Expr& out) const { return bias ? in * out + out : in * out; }

    // Per MultiheadAttention 4 × (d × d + d); linear1 d × dff + dff; linear2 dff × d + d;
    // per LayerNorm 2 × d (weight and bias).
    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        const Expr attention = Expr(4) * linear(d(), d());
        const Expr norms = Expr(decoder ? 3 : 2) * (bias ? Expr(2) * d() : d());
        std::vector<Expr> parts{decoder ? Expr(2) * attention : attention, linear(d(), dff()), linear(dff(), d()), norms};
        return ParamCount::trainable_only(Expr::sum(parts));
    }

    // MACs per part: self-attention's four projections (T·d·d each), QKᵀ and AV (T·T·d
    // each); in the decoder the cross-attention's query and output projections (T·d·d),
    // key and value projections of the memory (S·d·d), QKᵀ and AV (T·S·d); the feed-forward
    // T·d·dff twice.
    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention&) const override {
        check(in);
        const Expr t = Expr::sym("T", in[0][0]);
        std::vector<Expr> parts{Expr(4) * t * d() * d(), Expr(2) * t * t * d()};
        std::string names = "self-attention projections 4·T·d², QKᵀ and AV 2·T²·d";
        if (decoder) {
            const Expr s = Expr::sym("S", in[1][0]);
            parts.push_back(Expr(2) * t * d() * d() + Expr(2) * s * d() * d());
            parts.push_back(Expr(2) * t * s * d());
            names += ", cross-attention projections 2·T·d² + 2·S·d², its QKᵀ and AV 2·T·S·d";
        }
        parts.push_back(Expr(2) * t * d() * dff());
        names += ", feed-forward 2·T·d·dff";
        std::vector<int64_t> values;
        for (const auto& p : parts) values.push_back(p.value());
        const Expr macs = Expr::sum(parts);
        return {macs, Expr(2) * macs,
                fmt::format("MACs: {} = {}; FLOPs 2 per MAC (biases, softmax, LayerNorm, {} and the residual adds not counted)",
                            names, fmt::join(values, " + "), activation)};
    }
};

std::unique_ptr<Layer> parse_block(Fields& fields, const Convention& convention, bool decoder) {
    auto layer = std::make_unique<TransformerBlock>();
    if (convention.framework != Framework::PyTorch)
        throw ProblemError(fields.path_of("type"), fmt::format("{} follows nn.Transformer{}Layer: use \"framework\": \"pytorch\"",
                                                               decoder ? "transformer_decoder" : "transformer_encoder",
                                                               decoder ? "Decoder" : "Encoder"));
    layer->decoder = decoder;
    layer->d_model = fields.positive("d_model");
    layer->nhead = fields.positive("nhead");
    if (layer->d_model % layer->nhead != 0)
        throw ProblemError(fields.path_of("nhead"), fmt::format("d_model {} is not divisible by nhead {} (embed_dim must be divisible by num_heads)",
                                                                layer->d_model, layer->nhead));
    layer->dim_feedforward = fields.positive("dim_feedforward", 2048);
    layer->norm_first = fields.boolean("norm_first", false);
    layer->bias = fields.boolean("bias", true);
    layer->activation = fields.optional_string("activation").value_or("relu");
    if (layer->activation != "relu" && layer->activation != "gelu") fields.fail("activation", "\"relu\" or \"gelu\"");
    return layer;
}

}  // namespace

std::unique_ptr<Layer> parse_transformer_encoder(Fields& fields, const Convention& c, std::string_view) {
    return parse_block(fields, c, false);
}
std::unique_ptr<Layer> parse_transformer_decoder(Fields& fields, const Convention& c, std::string_view) {
    return parse_block(fields, c, true);
}

}  // namespace dlsolve
