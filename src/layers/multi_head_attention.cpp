// MultiHeadAttention / nn.MultiheadAttention on [T, d] sequences: query, key and value
// projections, scaled dot-product attention per head, an output projection. Keras's
// keys (num_heads, key_dim, value_dim, output_shape, use_bias) and PyTorch's
// (embed_dim, num_heads, kdim, vdim, bias) describe the same computation; where the
// frameworks store its matrices is Convention::attention.
#include <fmt/format.h>

#include "layers/common.h"
#include "layers/multi_head_attention.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class MultiHeadAttention : public Layer {
public:
    MultiHeadGeometry keys;               // widths from the keys; in_width from the inputs
    std::optional<int64_t> embed_dim;     // PyTorch: the query's width, and d_out
    std::optional<int64_t> kdim, vdim;    // PyTorch: the key's and value's widths
    std::optional<int64_t> output_width;  // Keras output_shape
    AttentionRule rule;                   // each head's attention: soft, 1/√key_width, the mask if any

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.attention.class_name);
    }
    size_t min_inputs() const override { return 1; }
    size_t max_inputs() const override { return 3; }

    // The geometry for these inputs (in call order), with every width checked.
    MultiHeadGeometry geometry(const std::vector<Dims>& in) const {
        const auto order = attention_inputs(*keys.layout, in.size());
        for (size_t i = 0; i < in.size(); ++i)
            if (in[i].size() != 2)
                throw LayerError(fmt::format("{} input \"{}\" has shape {}: expected a sequence [T, features]",
                                             keys.layout->class_name, i < inputs.size() ? inputs[i] : "input",
                                             format_dims(in[i])));
        const Dims &q = in[order[0]], &k = in[order[1]], &v = in[order[2]];
        if (k[0] != v[0])
            throw LayerError(fmt::format("the key has {} positions but the value has {}: they must be equal", k[0], v[0]));
        rule.check({"query", "key", "value"}, {{q[0], keys.key_width}, {k[0], keys.key_width}, {v[0], keys.value_width}});
        MultiHeadGeometry g = keys;
        g.in_width = {q[1], k[1], v[1]};
        g.out_width = output_width.value_or(q[1]);
        if (embed_dim) {
            const std::array<std::pair<const char*, int64_t>, 3> expected{
                {{"embed_dim", *embed_dim}, {"kdim", kdim.value_or(*embed_dim)}, {"vdim", vdim.value_or(*embed_dim)}}};
            static constexpr const char* kRole[] = {"query", "key", "value"};
            for (size_t p = 0; p < 3; ++p)
                if (g.in_width[p] != expected[p].second)
                    throw LayerError(fmt::format("the {} has {} features but {} is {}", kRole[p], g.in_width[p],
                                                 expected[p].first, expected[p].second));
            g.out_width = *embed_dim;
        }
        return g;
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        const MultiHeadGeometry g = geometry(in);
        const auto order = attention_inputs(*keys.layout, in.size());
        return {{Expr::sym("T", in[order[0]][0]), Expr::sym(embed_dim ? "embed_dim" : "d_out", g.out_width)},
                {"T", "features"}};
    }

    // The symbols of one projection's size: d_in × (heads × width) as Keras's kernel, d_in × E as PyTorch's.
    Expr in_symbol(const MultiHeadGeometry& g, int piece, bool self) const {
        static constexpr const char* kTorch[] = {"embed_dim", "kdim", "vdim"};
        static constexpr const char* kKeras[] = {"d_q", "d_k", "d_v"};
        if (piece == 3) return embed_dim ? Expr::sym("embed_dim", *embed_dim) : Expr::sym("num_heads", g.num_heads) * Expr::sym("value_dim", g.value_width);
        const size_t p = static_cast<size_t>(piece);
        if (embed_dim) return Expr::sym(kTorch[p], g.in_width[p]);
        return Expr::sym(self ? "d" : kKeras[p], g.in_width[p]);
    }
    Expr out_symbol(const MultiHeadGeometry& g, int piece) const {
        if (embed_dim) return Expr::sym("embed_dim", *embed_dim);
        if (piece == 3) return Expr::sym("d_out", g.out_width);
        return Expr::sym("num_heads", g.num_heads) * Expr::sym(piece < 2 ? "key_dim" : "value_dim", piece < 2 ? g.key_width : g.value_width);
    }

    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        const MultiHeadGeometry g = geometry(in);
        const bool self = in.size() == 1;
        std::vector<Expr> terms;
        for (int p = 0; p < 4; ++p) {
            Expr term = in_symbol(g, p, self) * out_symbol(g, p);
            if (g.use_bias) term = term + out_symbol(g, p);
            terms.push_back(term);
        }
        // 4 × (E × E + E) when the four projections are the same size, as PyTorch's packed layer.
        if (embed_dim && g.packed) return ParamCount::trainable_only(Expr(4) * terms[0]);
        // 3 × (d × h × k + h × k) + … when query, key and value are projected alike (Keras self-attention).
        if (self && g.key_width == g.value_width) return ParamCount::trainable_only(Expr(3) * terms[0] + terms[3]);
        return ParamCount::trainable_only(Expr::sum(terms));
    }

    std::vector<std::string> value_roles() const override { return keys.roles(); }
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention&) const override {
        return geometry(in).shapes();
    }

    // MACs per part, in this order: the query, key and value projections (T·d·h·k each),
    // QKᵀ (h·T·S·k), AV (h·T·S·v), the output projection (T·h·v·d_out).
    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const MultiHeadGeometry g = geometry(in);
        const auto order = attention_inputs(*keys.layout, in.size());
        std::vector<Expr> parts;
        for (const auto& part : cost_parts(in, c)) parts.push_back(part.macs);
        const Expr macs = Expr::sum(parts);
        // FLOPs: 2 per MAC, one fewer per sum without a bias add (the products QKᵀ and AV
        // have none); each score is scaled once; the softmax as the activation counts it.
        const int64_t outputs_q = in[order[0]][0] * g.cols(0), outputs_k = in[order[1]][0] * g.cols(1),
                      outputs_v = in[order[1]][0] * g.cols(2), outputs_y = in[order[0]][0] * g.out_width;
        const int64_t scores = g.num_heads * in[order[0]][0] * in[order[1]][0];
        const int64_t context = in[order[0]][0] * g.num_heads * g.value_width;
        const int64_t no_bias = g.use_bias ? 0 : outputs_q + outputs_k + outputs_v + outputs_y;
        const Cost softmax = activation_cost("softmax", Expr::sym("scores", scores));
        const Expr flops = Expr(2) * macs - Expr::sym("sums without a bias", no_bias + scores + context) +
                           Expr::sym("scores", scores) + softmax.flops;
        return {macs, flops,
                fmt::format("MACs: query, key and value projections, QKᵀ, AV, output projection, in that order = {}; "
                            "FLOPs 2 per MAC, one fewer per sum without a bias (QKᵀ and AV have none), 1 per score for the "
                            "scale 1/√{}, softmax: {}",
                            fmt::join(values_of(parts), " + "), g.key_width, softmax.rule) +
                    "; one MAC per multiply-add, as fvcore counts one \"flop\" (fvcore/nn/jit_handles.py)"};
    }

    // One multiply-add is one MAC, as fvcore's FlopCountAnalysis counts one "flop" for it
    // (fvcore/nn/jit_handles.py: linear_flop_jit, bmm_flop_jit, matmul_flop_jit).
    std::vector<CostPart> cost_parts(const std::vector<Dims>& in, const Convention&) const override {
        const MultiHeadGeometry g = geometry(in);
        const auto order = attention_inputs(*keys.layout, in.size());
        const Expr t = Expr::sym("T", in[order[0]][0]), s = Expr::sym(in.size() == 1 ? "T" : "S", in[order[1]][0]);
        const Expr heads = Expr::sym("num_heads", g.num_heads);
        const Expr kw = Expr::sym(embed_dim ? "head_dim" : "key_dim", g.key_width);
        const Expr vw = Expr::sym(embed_dim ? "head_dim" : "value_dim", g.value_width);
        const bool self = in.size() == 1;
        return {{"query_projection", t * in_symbol(g, 0, self) * out_symbol(g, 0)},
                {"key_projection", s * in_symbol(g, 1, self) * out_symbol(g, 1)},
                {"value_projection", s * in_symbol(g, 2, self) * out_symbol(g, 2)},
                {"scores", heads * t * s * kw},
                {"weighted_values", heads * t * s * vw},
                {"output_projection", t * in_symbol(g, 3, self) * out_symbol(g, 3)}};
    }

    // Per head the scores S = QKᵀ/√d_k and the softmax weights A, T × S each: autograd saves A
    // for backward (softmax's backward needs its output, AV's needs A), S lives only until
    // the softmax has run.
    std::vector<InnerTensor> inner_tensors(const std::vector<Dims>& in, const Convention&) const override {
        const MultiHeadGeometry g = geometry(in);
        const auto order = attention_inputs(*keys.layout, in.size());
        const Expr t = Expr::sym("T", in[order[0]][0]), s = Expr::sym(in.size() == 1 ? "T" : "S", in[order[1]][0]);
        const Expr heads = Expr::sym("num_heads", g.num_heads);
        return {{"scores", "scores S = QKᵀ/√d_k per head", heads * t * s, false},
                {"weights", "softmax weights A per head", heads * t * s, true}};
    }

    static std::vector<int64_t> values_of(const std::vector<Expr>& parts) {
        std::vector<int64_t> out;
        for (const auto& p : parts) out.push_back(p.value());
        return out;
    }

    std::array<const Tensor*, 3> ordered(const std::vector<const Tensor*>& in) const {
        const auto order = attention_inputs(*keys.layout, in.size());
        return {in[order[0]], in[order[1]], in[order[2]]};
    }
    MultiHeadGeometry numeric_geometry(const std::vector<const Tensor*>& in) const {
        std::vector<Dims> dims;
        for (const Tensor* t : in) dims.emplace_back(t->shape.begin() + 1, t->shape.end());
        return geometry(dims);
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention&) const override {
        const MultiHeadGeometry g = numeric_geometry(in);
        const auto qkv = ordered(in);
        const int64_t batch = in[0]->shape[0], t = qkv[0]->shape[1];
        Tensor y({batch, t, g.out_width});
        for (int64_t n = 0; n < batch; ++n) {
            const AttentionSample s = attention_forward(g, rule, qkv, p, n);
            Eigen::Map<RowMatrix>(y.data.data() + n * t * g.out_width, t, g.out_width) = s.y;
        }
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in,
                  std::vector<Tensor>& grad_p) const override {
        const MultiHeadGeometry g = numeric_geometry(in);
        const auto order = attention_inputs(*keys.layout, in.size());
        const int64_t batch = in[0]->shape[0], t = in[order[0]]->shape[1];
        for (int64_t n = 0; n < batch; ++n) {
            const RowMatrix dy = Eigen::Map<const RowMatrix>(grad_y.data.data() + n * t * g.out_width, t, g.out_width);
            attention_backward(g, rule, ordered(in), p, n, dy, {&grad_in[order[0]], &grad_in[order[1]], &grad_in[order[2]]}, grad_p);
        }
    }

    // y[t, o] = Σ_u c[t, u]·W_o[u, o] + b_o[o]: the output projection of the heads'
    // context vectors c_h = A_h·V_h, A_h = softmax(Q_h·K_hᵀ/√k), each weight and
    // projected value a named number.
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        std::vector<const Tensor*> tensors;
        for (const auto& o : in) tensors.push_back(o.tensor);
        std::vector<const Tensor*> params;
        for (const auto& o : p) params.push_back(o.tensor);
        const MultiHeadGeometry g = numeric_geometry(tensors);
        const int64_t t_len = ordered(tensors)[0]->shape[1];
        const int64_t row = static_cast<int64_t>(flat) / g.out_width, o = static_cast<int64_t>(flat) % g.out_width;
        const int64_t sample = row / t_len, t = row % t_len;
        const AttentionSample s = attention_forward(g, rule, ordered(tensors), params, sample);
        std::vector<Expr> terms;
        for (int64_t u = 0; u < g.rows(3); ++u) {
            const auto slot = g.weight_slot(3, u, o);
            // c_h[t, j] = Σ_s a_h[t, s]·v_h[s, j]: head h's softmax weights and projected values.
            const int64_t h = u / g.value_width, j = u % g.value_width;
            std::vector<Expr> context;
            for (int64_t k = 0; k < s.v.rows(); ++k)
                if (rule.allowed(t, k))
                    context.push_back(Expr::real(fmt::format("a{}[{}, {}]", h + 1, t + 1, k + 1), s.weights[static_cast<size_t>(h)](t, k)) *
                                  Expr::real(fmt::format("v{}[{}, {}]", h + 1, k + 1, j + 1), s.v(k, u)));
            terms.push_back(Expr::sum(context) * p[slot.role].at(slot.flat));
        }
        if (g.use_bias) {
            const auto slot = g.bias_slot(3, o);
            terms.push_back(p[slot.role].at(slot.flat));
        }
        return Expr::sum(terms);
    }

    // ∂y/∂(every input and parameter element) for one output element, each a formula:
    // output projection, softmax Jacobian, scores, projections (multi_head_links.cpp).
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        std::vector<const Tensor*> tensors;
        for (const auto& o : in) tensors.push_back(o.tensor);
        return attention_links(numeric_geometry(tensors), rule, attention_inputs(*keys.layout, in.size()), in, p, flat);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_multi_head_attention(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<MultiHeadAttention>();
    MultiHeadGeometry& g = layer->keys;
    g.layout = &convention.attention;
    g.num_heads = fields.positive("num_heads");
    if (convention.attention.packed_weight.empty()) {  // Keras's keys
        g.key_width = fields.positive("key_dim");
        g.value_width = fields.positive("value_dim", g.key_width);
        if (fields.has("output_shape")) {
            const Json* raw = fields.raw("output_shape");
            if (raw->is_array()) {
                const auto list = fields.int_list("output_shape", false);
                if (list.size() != 1 || list[0] <= 0) fields.fail("output_shape", "one positive width, e.g. 64 or [64]");
                layer->output_width = list[0];
            } else {
                layer->output_width = fields.positive("output_shape");
            }
        }
        g.use_bias = fields.boolean("use_bias", true);
    } else {  // PyTorch's keys
        const int64_t e = fields.positive("embed_dim");
        if (e % g.num_heads != 0)
            throw ProblemError(fields.path_of("num_heads"),
                               fmt::format("embed_dim {} is not divisible by num_heads {} (embed_dim must be divisible by num_heads)",
                                           e, g.num_heads));
        layer->embed_dim = e;
        layer->kdim = fields.optional_positive("kdim");
        layer->vdim = fields.optional_positive("vdim");
        g.key_width = g.value_width = e / g.num_heads;
        g.use_bias = fields.boolean("bias", true);
        g.packed = layer->kdim.value_or(e) == e && layer->vdim.value_or(e) == e;
    }
    read_attention_mask(fields, layer->rule);
    return layer;
}

}  // namespace dlsolve
