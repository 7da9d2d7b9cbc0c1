// The local derivatives of multi-head attention written as formulas, one factor per
// step of the chain, for `backward`'s chain rule (y = C·W_o + b_o, C = [O_1 … O_h],
// O_h = A_h·V_h, A_h = softmax(S_h), S_h = Q_h·K_hᵀ/√d_k, Q = X_q·W_q + b_q, likewise K, V):
//   ∂y_to/∂W_o[u, o] = C_tu,  ∂y_to/∂O_h[t, c] = W_o[h·d_v + c, o],
//   ∂O_h[t, c]/∂V_h[j, c] = A_h[t, j], and through the softmax Jacobian
//   ∂O_h[t, c]/∂Q_h[t, e] and ∂O_h[t, c]/∂K_h[k, e] (AttentionRule, the single-head
//   layer's code), then ∂Q[t, col]/∂W_q[r, col] = X_q[t, r], ∂Q[t, col]/∂X_q[t, r] = W_q[r, col],
//   ∂Q[t, col]/∂b_q[col] = 1 (likewise K and V).
#include <map>

#include <fmt/format.h>

#include "layers/multi_head_attention.h"

namespace dlsolve {

std::vector<Link> attention_links(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<size_t, 3>& order,
                                  const std::vector<Operand>& in, const std::vector<Operand>& p, size_t flat) {
    std::vector<const Tensor*> tensors, params;
    for (const auto& o : in) tensors.push_back(o.tensor);
    for (const auto& o : p) params.push_back(o.tensor);
    const std::array<const Tensor*, 3> qkv{tensors[order[0]], tensors[order[1]], tensors[order[2]]};
    const int64_t t_len = qkv[0]->shape[1], keys = qkv[1]->shape[1];
    const int64_t row = static_cast<int64_t>(flat) / g.out_width, o = static_cast<int64_t>(flat) % g.out_width;
    const int64_t n = row / t_len, t = row % t_len;
    const AttentionSample s = attention_forward(g, rule, qkv, params, n);

    std::map<std::pair<int, size_t>, std::vector<Expr>> terms;
    const auto add = [&](int source, size_t at, const Expr& e) { terms[{source, at}].push_back(e); };
    // Z[j, col] = Σ_r X[j, r]·W[r, col] + b[col] for projection `piece`: d = ∂y_to/∂Z[j, col].
    const auto project = [&](int piece, int64_t j, int64_t col, const Expr& d) {
        const size_t input = order[static_cast<size_t>(piece)];
        const int64_t width = g.rows(piece), length = tensors[input]->shape[1];
        for (int64_t r = 0; r < width; ++r) {
            const auto w = g.weight_slot(piece, r, col);
            const size_t x = static_cast<size_t>((n * length + j) * width + r);
            add(-1 - static_cast<int>(w.role), w.flat, d * in[input].at(x));
            add(static_cast<int>(input), x, d * p[w.role].at(w.flat));
        }
        if (g.use_bias) {
            const auto b = g.bias_slot(piece, col);
            add(-1 - static_cast<int>(b.role), b.flat, d);
        }
    };

    for (int64_t h = 0; h < g.num_heads; ++h) {
        const auto name = [h](const char* m, int64_t i, int64_t j) { return fmt::format("{}{}[{}, {}]", m, h + 1, i + 1, j + 1); };
        AttentionEntries e;
        e.keys = keys, e.depth = g.key_width;
        e.q = [&, h](int64_t i, int64_t c) { return Expr::real(name("q", i, c), s.q(i, h * g.key_width + c)); };
        e.k = [&, h](int64_t i, int64_t c) { return Expr::real(name("k", i, c), s.k(i, h * g.key_width + c)); };
        e.v = [&, h](int64_t i, int64_t c) { return Expr::real(name("v", i, c), s.v(i, h * g.value_width + c)); };
        e.a = [&, h](int64_t i, int64_t j) { return Expr::real(name("a", i, j), s.weights[static_cast<size_t>(h)](i, j)); };
        for (int64_t c = 0; c < g.value_width; ++c) {
            const int64_t u = h * g.value_width + c;
            const auto wo = g.weight_slot(3, u, o);
            add(-1 - static_cast<int>(wo.role), wo.flat, Expr::real(name("c", t, c), s.context(t, u)));
            const Expr by_head = p[wo.role].at(wo.flat);  // ∂y_to/∂O_h[t, c]
            for (int64_t j = 0; j < keys; ++j)
                if (rule.allowed(t, j)) project(2, j, u, by_head * e.a(t, j));
            for (int64_t d = 0; d < g.key_width; ++d) project(0, t, h * g.key_width + d, by_head * rule.output_by_query(e, t, c, d));
            for (int64_t k = 0; k < keys; ++k)
                if (rule.allowed(t, k))
                    for (int64_t d = 0; d < g.key_width; ++d)
                        project(1, k, h * g.key_width + d, by_head * rule.output_by_key(e, t, c, k, d));
        }
    }
    if (g.use_bias) {
        const auto b = g.bias_slot(3, o);
        add(-1 - static_cast<int>(b.role), b.flat, Expr(1));
    }
    std::vector<Link> out;
    for (const auto& [key, list] : terms) out.push_back({key.first, key.second, Expr::sum(list)});
    return out;
}

}  // namespace dlsolve
