#include "layers/attention_rule.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

// Where each sample's Q, K, V rows live: a batch of 1 repeats for every sample.
struct AttentionRule::Layout {
    int64_t batch, tq, tk, d, dv;
    Dims q_batch;  // per input: its batch size
    size_t value;  // the input that holds V (the key's with two inputs)

    size_t sample(size_t input, int64_t n) const { return static_cast<size_t>(q_batch[input] == 1 ? 0 : n); }
    size_t q(int64_t n, int64_t i, int64_t t) const { return (sample(0, n) * static_cast<size_t>(tq) + static_cast<size_t>(i)) * static_cast<size_t>(d) + static_cast<size_t>(t); }
    size_t k(int64_t n, int64_t j, int64_t t) const { return (sample(1, n) * static_cast<size_t>(tk) + static_cast<size_t>(j)) * static_cast<size_t>(d) + static_cast<size_t>(t); }
    size_t v(int64_t n, int64_t j, int64_t c) const { return (sample(value, n) * static_cast<size_t>(tk) + static_cast<size_t>(j)) * static_cast<size_t>(dv) + static_cast<size_t>(c); }
    size_t s(int64_t n, int64_t i, int64_t j) const { return static_cast<size_t>((n * tq + i) * tk + j); }
    size_t o(int64_t n, int64_t i, int64_t c) const { return static_cast<size_t>((n * tq + i) * dv + c); }
};

AttentionShape AttentionRule::check(const std::vector<std::string>& names, const std::vector<Dims>& in) const {
    const auto name = [&](size_t k) { return k < names.size() ? names[k] : std::string(k == 0 ? "query" : k == 1 ? "key" : "value"); };
    for (size_t k = 0; k < in.size(); ++k)
        if (in[k].size() != 2)
            throw LayerError(fmt::format("attention needs each input as [T, d] (positions × depth), but \"{}\" is {}", name(k),
                                         format_dims(in[k])));
    const Dims& value = in.size() > 2 ? in[2] : in[1];
    if (in[0][1] != in[1][1])
        throw LayerError(fmt::format("the query and the key need the same depth d_k for QKᵀ: \"{}\" {} has {} but \"{}\" {} has {}", name(0),
                                     format_dims(in[0]), in[0][1], name(1), format_dims(in[1]), in[1][1]));
    if (value[0] != in[1][0])
        throw LayerError(fmt::format("the value needs one row per key: \"{}\" {} has {} keys but \"{}\" {} has {} rows", name(1),
                                     format_dims(in[1]), in[1][0], name(2), format_dims(value), value[0]));
    const AttentionShape s{in[0][0], in[1][0], in[0][1], value[1]};
    if (!mask.empty()) {
        const bool fits = static_cast<int64_t>(mask.size()) == s.queries &&
                          std::all_of(mask.begin(), mask.end(), [&](const auto& row) { return static_cast<int64_t>(row.size()) == s.keys; });
        if (!fits)
            throw LayerError(fmt::format("mask is {} × {} but the scores are T_q × T_k = {} × {} (a row per query, a column per key)",
                                         mask.size(), mask.empty() ? 0 : mask[0].size(), s.queries, s.keys));
        for (size_t i = 0; i < mask.size(); ++i)
            if (std::none_of(mask[i].begin(), mask[i].end(), [](int m) { return m == 1; }))
                throw LayerError(fmt::format("mask row {} lets query {} attend to no key: its softmax would divide by zero "
                                             "(PyTorch gives NaN, Keras a uniform row)", i + 1, i + 1));
    }
    return s;
}

bool AttentionRule::allowed(int64_t query, int64_t key) const {
    if (causal) return key <= query;
    if (!mask.empty()) return mask[static_cast<size_t>(query)][static_cast<size_t>(key)] == 1;
    return true;
}

double AttentionRule::factor(int64_t depth) const {
    if (scale.kind == AttentionScale::Kind::SqrtDk) return 1.0 / std::sqrt(static_cast<double>(depth));
    return scale.kind == AttentionScale::Kind::Number ? scale.value : 1.0;
}

AttentionRule::Layout AttentionRule::layout(const std::vector<const Tensor*>& in) const {
    Layout l{};
    l.value = in.size() > 2 ? 2 : 1;
    l.batch = 1;
    for (const Tensor* t : in) {
        l.q_batch.push_back(t->shape[0]);
        if (t->shape[0] != 1 && l.batch != 1 && t->shape[0] != l.batch)
            throw LayerError(fmt::format("the inputs have {} and {} samples", l.batch, t->shape[0]));
        l.batch = std::max(l.batch, t->shape[0]);
    }
    l.tq = in[0]->shape[1], l.tk = in[1]->shape[1], l.d = in[0]->shape[2], l.dv = in[l.value]->shape[2];
    return l;
}

AttentionTrace AttentionRule::forward(const std::vector<const Tensor*>& in) const {
    const Layout l = layout(in);
    const Tensor &q = *in[0], &k = *in[1], &v = *in[l.value];
    AttentionTrace t{Tensor({l.batch, l.tq, l.tk}), Tensor({l.batch, l.tq, l.tk}), Tensor({l.batch, l.tq, l.dv})};
    const double c = factor(l.d);
    for (int64_t n = 0; n < l.batch; ++n)
        for (int64_t i = 0; i < l.tq; ++i) {
            int64_t best = -1;
            for (int64_t j = 0; j < l.tk; ++j) {
                double dot = 0;
                for (int64_t e = 0; e < l.d; ++e) dot += q[l.q(n, i, e)] * k[l.k(n, j, e)];
                // As the worked formula divides by √d_k, so does the number.
                t.scores[l.s(n, i, j)] = scale.kind == AttentionScale::Kind::SqrtDk ? dot / std::sqrt(static_cast<double>(l.d)) : dot * c;
                if (allowed(i, j) && (best < 0 || t.scores[l.s(n, i, j)] > t.scores[l.s(n, i, best)])) best = j;
            }
            if (hard) {
                t.weights[l.s(n, i, best)] = 1.0;
            } else {
                const double top = t.scores[l.s(n, i, best)];
                double total = 0;
                for (int64_t j = 0; j < l.tk; ++j)
                    if (allowed(i, j)) total += t.weights[l.s(n, i, j)] = std::exp(t.scores[l.s(n, i, j)] - top);
                for (int64_t j = 0; j < l.tk; ++j) t.weights[l.s(n, i, j)] /= total;
            }
            for (int64_t cc = 0; cc < l.dv; ++cc) {
                double sum = 0;
                for (int64_t j = 0; j < l.tk; ++j)
                    if (allowed(i, j)) sum += t.weights[l.s(n, i, j)] * v[l.v(n, j, cc)];
                t.output[l.o(n, i, cc)] = sum;
            }
        }
    return t;
}

// dV = Aᵀ·dO; soft only: dA = dO·Vᵀ, dS = A ⊙ (dA − Σ_l A_il·dA_il), dQ = c·dS·K, dK = c·dSᵀ·Q.
void AttentionRule::backward(const std::vector<const Tensor*>& in, const Tensor& g, std::vector<Tensor>& grad) const {
    const Layout l = layout(in);
    const AttentionTrace t = forward(in);
    const Tensor &q = *in[0], &k = *in[1], &v = *in[l.value];
    const double c = factor(l.d);
    for (int64_t n = 0; n < l.batch; ++n)
        for (int64_t i = 0; i < l.tq; ++i) {
            std::vector<double> da(static_cast<size_t>(l.tk), 0.0);
            double mean = 0;
            for (int64_t j = 0; j < l.tk; ++j) {
                if (!allowed(i, j)) continue;
                const double a = t.weights[l.s(n, i, j)];
                for (int64_t cc = 0; cc < l.dv; ++cc) {
                    grad[l.value][l.v(n, j, cc)] += a * g[l.o(n, i, cc)];
                    da[static_cast<size_t>(j)] += g[l.o(n, i, cc)] * v[l.v(n, j, cc)];
                }
                mean += a * da[static_cast<size_t>(j)];
            }
            if (hard) continue;  // ∂A/∂S = 0: no gradient reaches Q or K
            for (int64_t j = 0; j < l.tk; ++j) {
                if (!allowed(i, j)) continue;
                const double ds = t.weights[l.s(n, i, j)] * (da[static_cast<size_t>(j)] - mean) * c;
                for (int64_t e = 0; e < l.d; ++e) {
                    grad[0][l.q(n, i, e)] += ds * k[l.k(n, j, e)];
                    grad[1][l.k(n, j, e)] += ds * q[l.q(n, i, e)];
                }
            }
        }
}

namespace {

std::vector<const Tensor*> tensors(const std::vector<Operand>& in) {
    std::vector<const Tensor*> out;
    for (const auto& o : in) out.push_back(o.tensor);
    return out;
}

// "S[2, 1]", with the sample as the engine writes it when there are several: "S[2, 1]⁽3⁾".
std::string entry(const char* matrix, int64_t batch, int64_t n, int64_t i, int64_t j) {
    const std::string name = fmt::format("{}[{}, {}]", matrix, i + 1, j + 1);
    return batch > 1 ? fmt::format("{}⁽{}⁾", name, n + 1) : name;
}

}  // namespace

Expr AttentionRule::explain(const std::vector<Operand>& in, size_t flat) const {
    const Layout l = layout(tensors(in));
    const AttentionTrace t = forward(tensors(in));
    const int64_t n = static_cast<int64_t>(flat) / (l.tq * l.dv), i = static_cast<int64_t>(flat) / l.dv % l.tq,
                  c = static_cast<int64_t>(flat) % l.dv;
    // O_ic = Σ_j A_ij·V_jc over the keys the mask allows (hard: one A_ij is 1, the others 0).
    std::vector<Expr> terms;
    for (int64_t j = 0; j < l.tk; ++j)
        if (allowed(i, j)) terms.push_back(Expr::real(entry("A", l.batch, n, i, j), t.weights[l.s(n, i, j)]) * in[l.value].at(l.v(n, j, c)));
    return Expr::sum(terms);
}

Expr AttentionRule::scaled(const Expr& x, int64_t depth) const {
    if (scale.kind == AttentionScale::Kind::SqrtDk) return divide(x, apply("sqrt", Expr::sym("d_k", depth)));
    return scale.kind == AttentionScale::Kind::Number ? Expr::real("c", scale.value) * x : x;
}

Expr AttentionRule::output_by_score(const AttentionEntries& e, int64_t i, int64_t c, int64_t k) const {
    std::vector<Expr> terms;
    for (int64_t j = 0; j < e.keys; ++j)
        if (allowed(i, j)) terms.push_back(e.v(j, c) * (e.a(i, j) * (Expr(j == k ? 1 : 0) - e.a(i, k))));
    return Expr::sum(terms);
}

Expr AttentionRule::output_by_query(const AttentionEntries& e, int64_t i, int64_t c, int64_t depth) const {
    std::vector<Expr> terms;
    for (int64_t k = 0; k < e.keys; ++k)
        if (allowed(i, k)) terms.push_back(output_by_score(e, i, c, k) * scaled(e.k(k, depth), e.depth));
    return Expr::sum(terms);
}

Expr AttentionRule::output_by_key(const AttentionEntries& e, int64_t i, int64_t c, int64_t k, int64_t depth) const {
    return output_by_score(e, i, c, k) * scaled(e.q(i, depth), e.depth);
}

// ∂O_ic/∂V_jc = A_ij (hard: 1 for the chosen key, and nothing reaches Q or K); soft:
// through the softmax Jacobian, output_by_query and output_by_key.
std::vector<Link> AttentionRule::links(const std::vector<Operand>& in, const Operand&, size_t flat) const {
    const Layout l = layout(tensors(in));
    const AttentionTrace t = forward(tensors(in));
    const int64_t n = static_cast<int64_t>(flat) / (l.tq * l.dv), i = static_cast<int64_t>(flat) / l.dv % l.tq,
                  c = static_cast<int64_t>(flat) % l.dv;
    AttentionEntries names;
    names.keys = l.tk, names.depth = l.d;
    names.q = [&](int64_t r, int64_t e) { return in[0].at(l.q(n, r, e)); };
    names.k = [&](int64_t r, int64_t e) { return in[1].at(l.k(n, r, e)); };
    names.v = [&](int64_t r, int64_t e) { return in[l.value].at(l.v(n, r, e)); };
    names.a = [&](int64_t r, int64_t j) { return Expr::real(entry("A", l.batch, n, r, j), t.weights[l.s(n, r, j)]); };
    std::vector<Link> out;
    for (int64_t j = 0; j < l.tk; ++j) {
        if (!allowed(i, j)) continue;
        if (!hard) out.push_back({static_cast<int>(l.value), l.v(n, j, c), names.a(i, j)});
        else if (t.weights[l.s(n, i, j)] != 0) out.push_back({static_cast<int>(l.value), l.v(n, j, c), Expr(1)});
    }
    if (hard) return out;
    for (int64_t e = 0; e < l.d; ++e) out.push_back({0, l.q(n, i, e), output_by_query(names, i, c, e)});
    for (int64_t k = 0; k < l.tk; ++k)
        if (allowed(i, k))
            for (int64_t e = 0; e < l.d; ++e) out.push_back({1, l.k(n, k, e), output_by_key(names, i, c, k, e)});
    return out;
}

std::vector<WorkedStage> AttentionRule::stages(const std::vector<Operand>& in) const {
    const Layout l = layout(tensors(in));
    const AttentionTrace t = forward(tensors(in));
    const char* scale_text = scale.kind == AttentionScale::Kind::SqrtDk ? "QKᵀ/√d_k"
                             : scale.kind == AttentionScale::Kind::Number ? "c·QKᵀ" : "QKᵀ";
    const bool masked = causal || !mask.empty();
    WorkedStage scores{"scores", fmt::format("scores S = {}{}", scale_text, masked ? " (a masked score gets no weight)" : ""), t.scores, {}};
    WorkedStage weights{"weights",
                        hard ? "weights A: 1 at each row's largest score (the first of equal ones), 0 elsewhere; ∂A/∂S = 0"
                             : "weights A = softmax of each row of S",
                        t.weights, {}};
    for (int64_t n = 0; n < l.batch; ++n)
        for (int64_t i = 0; i < l.tq; ++i) {
            std::vector<Expr> row;
            for (int64_t j = 0; j < l.tk; ++j) {
                std::vector<Expr> products;
                for (int64_t e = 0; e < l.d; ++e) products.push_back(in[0].at(l.q(n, i, e)) * in[1].at(l.k(n, j, e)));
                const Expr dot = Expr::sum(products);
                const Expr s = scaled(dot, l.d);
                scores.elements.emplace_back(entry("S", l.batch, n, i, j), s);
                row.push_back(Expr::real(entry("S", l.batch, n, i, j), t.scores[l.s(n, i, j)]));
            }
            std::vector<Expr> open;  // the scores the mask lets through
            for (int64_t j = 0; j < l.tk; ++j)
                if (allowed(i, j)) open.push_back(row[static_cast<size_t>(j)]);
            for (int64_t j = 0; j < l.tk; ++j) {
                Expr a;
                if (!allowed(i, j) || hard) {
                    a = Expr(t.weights[l.s(n, i, j)] == 1.0 ? 1 : 0);
                } else {
                    std::vector<Expr> terms;
                    for (const Expr& z : open) terms.push_back(apply("exp", z));
                    a = divide(apply("exp", row[static_cast<size_t>(j)]), Expr::sum(terms));
                }
                weights.elements.emplace_back(entry("A", l.batch, n, i, j), a);
            }
        }
    return {scores, weights};
}

AttentionRule read_attention_rule(Fields& fields) {
    AttentionRule rule;
    if (const Json* s = fields.raw("scale")) {
        if (s->is_string() && s->get<std::string>() == "sqrt_dk") rule.scale.kind = AttentionScale::Kind::SqrtDk;
        else if (s->is_string() && s->get<std::string>() == "none") rule.scale.kind = AttentionScale::Kind::None;
        else if (s->is_number() && std::isfinite(s->get<double>())) rule.scale = {AttentionScale::Kind::Number, s->get<double>()};
        else fields.fail("scale", "\"sqrt_dk\" (1/√d_k), \"none\", or a number c that multiplies QKᵀ");
    }
    rule.hard = fields.boolean("hard", false);
    read_attention_mask(fields, rule);
    return rule;
}

void read_attention_mask(Fields& fields, AttentionRule& rule) {
    if (const Json* m = fields.raw("mask")) {
        const std::string expected = "\"causal\" or a T_q × T_k matrix of 0 and 1 (1 = the query may attend to the key, as Keras's attention_mask)";
        if (m->is_string()) {
            if (m->get<std::string>() != "causal") fields.fail("mask", expected);
            rule.causal = true;
        } else {
            if (!m->is_array() || m->empty()) fields.fail("mask", expected);
            for (const auto& row : *m) {
                if (!row.is_array() || row.empty()) fields.fail("mask", expected);
                std::vector<int> bits;
                for (const auto& bit : row) {
                    if (!bit.is_number_integer() || (bit.get<int64_t>() != 0 && bit.get<int64_t>() != 1)) fields.fail("mask", expected);
                    bits.push_back(static_cast<int>(bit.get<int64_t>()));
                }
                rule.mask.push_back(std::move(bits));
            }
        }
    }
}

}  // namespace dlsolve
