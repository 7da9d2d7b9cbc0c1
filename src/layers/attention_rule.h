// The arithmetic of scaled dot-product attention, S = QKᵀ·c, A = softmax or one-hot
// argmax of each row of S over the keys the mask allows, O = AV, per sample: forward,
// backward, the worked scores, weights and outputs, and the local derivatives.
#pragma once

#include <string>
#include <vector>

#include "ir/layer.h"
#include "problem/fields.h"

namespace dlsolve {

struct AttentionScale {
    enum class Kind { SqrtDk, Number, None };
    Kind kind = Kind::SqrtDk;  // c = 1/√d_k, as F.scaled_dot_product_attention by default
    double value = 1.0;        // Kind::Number
};

struct AttentionShape {
    int64_t queries = 0, keys = 0, depth = 0, value_depth = 0;  // T_q, T_k, d_k, d_v
};

struct AttentionTrace {
    Tensor scores, weights, output;  // [N, T_q, T_k], [N, T_q, T_k], [N, T_q, d_v]
};

class AttentionRule {
public:
    AttentionScale scale;
    bool hard = false;
    bool causal = false;                 // query i sees keys 0…i (torch's tril, top-left aligned)
    std::vector<std::vector<int>> mask;  // T_q × T_k of 0 and 1 (1 = may attend); empty: none

    // Per-sample shapes of [query, key(, value)]; throws LayerError naming the inputs.
    AttentionShape check(const std::vector<std::string>& names, const std::vector<Dims>& inputs) const;
    bool allowed(int64_t query, int64_t key) const;

    AttentionTrace forward(const std::vector<const Tensor*>& inputs) const;
    void backward(const std::vector<const Tensor*>& inputs, const Tensor& grad_output, std::vector<Tensor>& grad_inputs) const;
    Expr explain(const std::vector<Operand>& inputs, size_t flat) const;
    std::vector<Link> links(const std::vector<Operand>& inputs, const Operand& output, size_t flat) const;
    std::vector<WorkedStage> stages(const std::vector<Operand>& inputs) const;

private:
    struct Layout;
    Layout layout(const std::vector<const Tensor*>& inputs) const;
    double factor(int64_t depth) const;
    Expr factor_expr(int64_t depth) const;
};

// "scale", "hard" and "mask".
AttentionRule read_attention_rule(Fields& fields);
// "mask" alone (multi-head attention: always soft, scaled by 1/√d_k).
void read_attention_mask(Fields& fields, AttentionRule& rule);

}  // namespace dlsolve
