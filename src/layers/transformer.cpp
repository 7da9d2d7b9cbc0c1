// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (torch/nn/modules/transformer.py):
// self-attention (and, in the decoder, attention over the encoder's memory), a
// feed-forward d_model → dim_feedforward → d_model, a LayerNorm after (or, with
// norm_first, before) each sublayer. Shapes, parameters and MACs per part; values under
// PyTorch's parameter names (transformer_numeric.cpp).
#include <algorithm>

#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "layers/transformer.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class TransformerBlock : public Layer {
public:
    TransformerSpec spec;  // bias false: torch ≥ 2.1's bias=False, no Linear or LayerNorm biases

    std::string class_name(const Convention&, const std::vector<Dims>&) const override {
        return spec.decoder ? "TransformerDecoderLayer" : "TransformerEncoderLayer";
    }
    // The decoder reads [tgt, memory], as TransformerDecoderLayer.forward(tgt, memory).
    size_t min_inputs() const override { return spec.decoder ? 2 : 1; }
    size_t max_inputs() const override { return spec.decoder ? 2 : 1; }

    void check(const std::vector<Dims>& in) const {
        static constexpr const char* kRole[] = {"tgt", "memory"};
        for (size_t i = 0; i < in.size(); ++i) {
            if (in[i].size() != 2)
                throw LayerError(fmt::format("{} {} has shape {}: expected a sequence [T, d_model]", class_name(Convention::pytorch(), in),
                                             spec.decoder ? kRole[i] : "input", format_dims(in[i])));
            if (in[i][1] != spec.d_model)
                throw LayerError(fmt::format("the {} has {} features but d_model is {}", spec.decoder ? kRole[i] : "input", in[i][1], spec.d_model));
        }
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        return {{Expr::sym("T", in[0][0]), Expr::sym("d_model", spec.d_model)}, {"T", "features"}};
    }

    Expr d() const { return Expr::sym("d_model", spec.d_model); }
    Expr dff() const { return Expr::sym("dim_feedforward", spec.dim_feedforward); }
    Expr linear(const Expr& in, const Expr& out) const { return spec.bias ? in * out + out : in * out; }

    // Per MultiheadAttention 4 × (d × d + d); linear1 d × dff + dff; linear2 dff × d + d;
    // per LayerNorm 2 × d (weight and bias).
    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        const Expr attention = Expr(4) * linear(d(), d());
        const Expr norms = Expr(spec.decoder ? 3 : 2) * (spec.bias ? Expr(2) * d() : d());
        std::vector<Expr> parts{spec.decoder ? Expr(2) * attention : attention, linear(d(), dff()), linear(dff(), d()), norms};
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
        if (spec.decoder) {
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
                fmt::format("MACs: {} = {}; FLOPs 2 per MAC (biases, softmax, LayerNorm, {} and the residual adds not counted); "
                            "one MAC per multiply-add, as fvcore counts one \"flop\" (fvcore/nn/jit_handles.py)",
                            names, fmt::join(values, " + "), spec.activation)};
    }

    // Each attention's scores S and softmax weights A, nhead × T × S each (A saved for backward).
    std::vector<InnerTensor> inner_tensors(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        const Expr t = Expr::sym("T", in[0][0]), heads = Expr::sym("nhead", spec.nhead);
        std::vector<InnerTensor> out{{"self_attn.scores", "self-attention scores S = QKᵀ/√d_k per head", heads * t * t, false},
                                     {"self_attn.weights", "self-attention softmax weights A per head", heads * t * t, true}};
        if (spec.decoder) {
            const Expr s = Expr::sym("S", in[1][0]);
            out.push_back({"multihead_attn.scores", "cross-attention scores S per head", heads * t * s, false});
            out.push_back({"multihead_attn.weights", "cross-attention softmax weights A per head", heads * t * s, true});
        }
        return out;
    }

    // The same MACs under PyTorch's submodule names (self_attn, multihead_attn, linear1, linear2).
    std::vector<CostPart> cost_parts(const std::vector<Dims>& in, const Convention&) const override {
        check(in);
        const Expr t = Expr::sym("T", in[0][0]);
        std::vector<CostPart> out;
        const auto attention = [&](const std::string& name, const Expr& keys) {
            out.push_back({name + ".query_projection", t * d() * d()});
            out.push_back({name + ".key_projection", keys * d() * d()});
            out.push_back({name + ".value_projection", keys * d() * d()});
            out.push_back({name + ".scores", t * keys * d()});
            out.push_back({name + ".weighted_values", t * keys * d()});
            out.push_back({name + ".output_projection", t * d() * d()});
        };
        attention("self_attn", t);
        if (spec.decoder) attention("multihead_attn", Expr::sym("S", in[1][0]));
        out.push_back({"linear1", t * d() * dff()});
        out.push_back({"linear2", t * dff() * d()});
        return out;
    }

    std::vector<std::string> value_roles() const override { return spec.roles(); }
    std::vector<Dims> value_shapes(const std::vector<Dims>&, const Convention&) const override { return spec.shapes(); }
    // PyTorch's initial values: LayerNorm weight 1, bias 0; MultiheadAttention's
    // in_proj_bias and out_proj.bias 0 (_reset_parameters). The rest must be given.
    std::optional<double> value_default(const std::string& role) const override {
        if (role.starts_with("norm")) return role.ends_with(".weight") ? 1.0 : 0.0;
        if (role.ends_with("in_proj_bias") || role.ends_with("out_proj.bias")) return 0.0;
        return std::nullopt;
    }

    static RowMatrix sample_of(const Tensor& t, int64_t n) {
        return Eigen::Map<const RowMatrix>(t.data.data() + n * t.shape[1] * t.shape[2], t.shape[1], t.shape[2]);
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention&) const override {
        const Tensor& x = *in[0];
        Tensor y(x.shape);
        for (int64_t n = 0; n < x.shape[0]; ++n) {
            const RowMatrix memory = spec.decoder ? sample_of(*in[1], n) : RowMatrix();
            const TransformerSample s = transformer_forward(spec, sample_of(x, n), spec.decoder ? &memory : nullptr, p);
            Eigen::Map<RowMatrix>(y.data.data() + n * x.shape[1] * x.shape[2], x.shape[1], x.shape[2]) = s.y;
        }
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>& grad_p) const override {
        const Tensor& x = *in[0];
        for (int64_t n = 0; n < x.shape[0]; ++n) {
            const RowMatrix memory = spec.decoder ? sample_of(*in[1], n) : RowMatrix();
            RowMatrix grad_x, grad_memory = RowMatrix::Zero(memory.rows(), memory.cols());
            transformer_backward(spec, sample_of(x, n), spec.decoder ? &memory : nullptr, p, sample_of(grad_y, n), grad_x,
                                 spec.decoder ? &grad_memory : nullptr, grad_p);
            Eigen::Map<RowMatrix>(grad_in[0].data.data() + n * x.shape[1] * x.shape[2], x.shape[1], x.shape[2]) += grad_x;
            if (spec.decoder)
                Eigen::Map<RowMatrix>(grad_in[1].data.data() + n * memory.rows() * memory.cols(), memory.rows(), memory.cols()) +=
                    grad_memory;
        }
    }

    // Post-norm: y = γ·(u − μ)/√(σ² + ε) + β of the last sublayer's sum u; norm_first:
    // y = z + f, the residual plus the feed-forward output. The sums are named values.
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        std::vector<const Tensor*> params;
        for (const auto& o : p) params.push_back(o.tensor);
        const Tensor& x = *in[0].tensor;
        const int64_t t_len = x.shape[1], d = spec.d_model;
        const int64_t sample = static_cast<int64_t>(flat) / (t_len * d), t = static_cast<int64_t>(flat) / d % t_len,
                      j = static_cast<int64_t>(flat) % d;
        const RowMatrix memory = spec.decoder ? sample_of(*in[1].tensor, sample) : RowMatrix();
        const TransformerSample s = transformer_forward(spec, sample_of(x, sample), spec.decoder ? &memory : nullptr, params);
        const std::string where = fmt::format("[{}, {}]", t + 1, j + 1);
        if (spec.norm_first)
            return Expr::real("z" + where, s.residual(t, j)) + Expr::real("ff" + where, s.feed_forward(t, j));
        const auto roles = spec.roles();
        const int last = spec.decoder ? 3 : 2;
        const auto find = [&roles](const std::string& role) {
            return static_cast<size_t>(std::find(roles.begin(), roles.end(), role) - roles.begin());
        };
        const double mean = s.last_sum.row(t).mean();
        const double variance = (s.last_sum.row(t).array() - mean).square().mean();
        const Expr gamma = p[find(fmt::format("norm{}.weight", last))].at(static_cast<size_t>(j));
        const std::string bias_role = fmt::format("norm{}.bias", last);
        const Expr normed = gamma * divide(Expr::real("u" + where, s.last_sum(t, j)) - Expr::real(fmt::format("μ[{}]", t + 1), mean),
                                           apply("sqrt", Expr::real(fmt::format("σ²[{}]", t + 1), variance) + Expr::real("ε", spec.epsilon)));
        if (!spec.bias) return normed;
        return normed + p[find(bias_role)].at(static_cast<size_t>(j));
    }

    // ∂y/∂(inputs and parameters) of one output element: the backward rule with a
    // one-hot ∂L/∂y, each derivative a number.
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand&, size_t flat,
                            const NumericMode& mode, const Convention& c) const override {
        return links_from_backward(*this, in, p, flat, mode, c);
    }
};

std::unique_ptr<Layer> parse_block(Fields& fields, const Convention& convention, bool decoder) {
    auto layer = std::make_unique<TransformerBlock>();
    if (convention.framework != Framework::PyTorch)
        throw ProblemError(fields.path_of("type"), fmt::format("{} follows nn.Transformer{}Layer: use \"framework\": \"pytorch\"",
                                                               decoder ? "transformer_decoder" : "transformer_encoder",
                                                               decoder ? "Decoder" : "Encoder"));
    layer->spec.decoder = decoder;
    layer->spec.d_model = fields.positive("d_model");
    layer->spec.nhead = fields.positive("nhead");
    if (layer->spec.d_model % layer->spec.nhead != 0)
        throw ProblemError(fields.path_of("nhead"), fmt::format("d_model {} is not divisible by nhead {} (embed_dim must be divisible by num_heads)",
                                                                layer->spec.d_model, layer->spec.nhead));
    layer->spec.dim_feedforward = fields.positive("dim_feedforward", 2048);
    layer->spec.norm_first = fields.boolean("norm_first", false);
    layer->spec.bias = fields.boolean("bias", true);
    layer->spec.activation = fields.optional_string("activation").value_or("relu");
    if (layer->spec.activation != "relu" && layer->spec.activation != "gelu") fields.fail("activation", "\"relu\" or \"gelu\"");
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
