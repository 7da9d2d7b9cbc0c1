// The arithmetic of scaled dot-product attention, S = QKᵀ·c, A = softmax or one-hot
// argmax of each row of S over the keys the mask allows, O = AV, per sample: forward,
// backward, the worked scores, weights and outputs, and the local derivatives.
#pragma once

#include <functional>
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

// Named entries of one sample's (one head's) Q [T_q, d_k], K [T_k, d_k], V [T_k, d_v] and
// weights A [T_q, T_k], 0-based (row, column), for the local derivatives written as
// formulas; the single-head layer and each head of multi-head attention fill it.
struct AttentionEntries {
    std::function<Expr(int64_t, int64_t)> q, k, v, a;
    int64_t keys = 0, depth = 0;
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

    // The chain through softmax attention, one factor per step (soft attention only):
    //   ∂O_ic/∂S_ik = Σ_j ∂O_ic/∂A_ij · ∂A_ij/∂S_ik = Σ_j V_jc · A_ij(δ_jk − A_ik),
    //   ∂O_ic/∂Q_ie = Σ_k ∂O_ic/∂S_ik · ∂S_ik/∂Q_ie, ∂S_ik/∂Q_ie = K_ke/√d_k,
    //   ∂O_ic/∂K_ke = ∂O_ic/∂S_ik · ∂S_ik/∂K_ke,   ∂S_ik/∂K_ke = Q_ie/√d_k,
    // each sum over the keys the mask allows.
    Expr output_by_score(const AttentionEntries& e, int64_t i, int64_t c, int64_t k) const;
    Expr output_by_query(const AttentionEntries& e, int64_t i, int64_t c, int64_t depth) const;
    Expr output_by_key(const AttentionEntries& e, int64_t i, int64_t c, int64_t k, int64_t depth) const;

private:
    struct Layout;
    Layout layout(const std::vector<const Tensor*>& inputs) const;
    double factor(int64_t depth) const;
    Expr scaled(const Expr& x, int64_t depth) const;  // x/√d_k, c·x or x
};

// "scale", "hard" and "mask".
AttentionRule read_attention_rule(Fields& fields);
// "mask" alone (multi-head attention: always soft, scaled by 1/√d_k).
void read_attention_mask(Fields& fields, AttentionRule& rule);

}  // namespace dlsolve
