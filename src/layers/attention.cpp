// Scaled dot-product attention over inputs [query, key, value] (value = key with two
// inputs), per sample Q [T_q, d_k], K [T_k, d_k], V [T_k, d_v]:
//   S = QKᵀ·c (c = 1/√d_k by default), A = softmax of each row of S over the keys the
//   mask allows, O = AV,
// as torch.nn.functional.scaled_dot_product_attention writes it (attn_mask, is_causal,
// scale). Hard attention, as the exams define it, puts all the weight on each row's
// largest score (the first of equal ones): A is one-hot, so ∂O/∂S = 0 and no gradient
// reaches Q or K. The mask is 1 where a query may attend to a key (Keras's
// attention_mask, and the boolean attn_mask of F.scaled_dot_product_attention);
// nn.MultiheadAttention's boolean attn_mask and key_padding_mask mean the opposite
// (True = "not allowed to attend", torch/nn/modules/activation.py).
#include <cmath>

#include <fmt/format.h>

#include "layers/attention_rule.h"
#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Attention : public Layer {
public:
    AttentionRule rule;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Attention", "scaled_dot_product_attention"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return 3; }

    AttentionShape shape(const std::vector<Dims>& in) const { return rule.check(inputs, in); }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention&) const override {
        const AttentionShape s = shape(in);
        return {{Expr::sym("T_q", s.queries), Expr::sym("d_v", s.value_depth)}, {"T_q", "d_v"}};
    }

    // QKᵀ and AV: T_q·T_k·d_k and T_q·T_k·d_v multiply-adds (what torchinfo leaves out).
    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention&) const override {
        const AttentionShape s = shape(in);
        const Expr tq = Expr::sym("T_q", s.queries), tk = Expr::sym("T_k", s.keys);
        const Expr macs = tq * tk * Expr::sym("d_k", s.depth) + tq * tk * Expr::sym("d_v", s.value_depth);
        // 2 FLOPs per MAC, one fewer per sum (no bias); c·s per score; softmax 3 per score
        // (exp, sum, divide) or, hard, T_k − 1 comparisons per row.
        Expr flops = Expr(2) * macs - tq * tk - tq * Expr::sym("d_v", s.value_depth);
        std::string why = "QKᵀ (T_q·T_k·d_k MACs) and AV (T_q·T_k·d_v MACs): 2 per multiply-add, one fewer per sum";
        if (rule.scale.kind != AttentionScale::Kind::None) flops = flops + tq * tk, why += "; 1 per score for the scale";
        if (rule.hard) flops = flops + tq * (tk - 1), why += "; T_k − 1 comparisons per row for the argmax";
        else flops = flops + Expr(3) * tq * tk, why += "; softmax 3 per score (exp, sum, divide)";
        return {macs, flops, why};
    }

    // The scores S and the weights A, T_q × T_k each; A is kept for backward (hard: one-hot).
    std::vector<InnerTensor> inner_tensors(const std::vector<Dims>& in, const Convention&) const override {
        const AttentionShape s = shape(in);
        const Expr cells = Expr::sym("T_q", s.queries) * Expr::sym("T_k", s.keys);
        return {{"scores", "scores S", cells, false}, {"weights", "weights A", cells, true}};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        return rule.forward(in).output;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        rule.backward(in, grad_y, grad_in);
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return rule.explain(in, flat);
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& y, size_t flat,
                            const NumericMode&, const Convention&) const override {
        return rule.links(in, y, flat);
    }
    std::vector<WorkedStage> stages(const std::vector<Operand>& in, const std::vector<Operand>&, const NumericMode&,
                                    const Convention&) const override {
        return rule.stages(in);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_attention(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Attention>();
    layer->rule = read_attention_rule(fields);
    return layer;
}

}  // namespace dlsolve
