// The recurrent layers' numbers: the unrolled forward pass, backpropagation through
// time, and each output state worked with the previous state substituted.
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "layers/activation_math.h"
#include "layers/common.h"
#include "layers/recurrent.h"
#include "layers/recurrent_sequence.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

Expr apply_named(const std::string& activation, const Expr& z) { return activation_of(Activation{activation, 0.0, 0.0}, {z}, 0); }

}  // namespace

Tensor Recurrent::forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                          const Convention& c) const {
    const Sequence q = sequence_of(*this, *in[0], c);
    Tensor y(batched_output(*this, in, c));
    for (int64_t n = 0; n < q.batch; ++n)
        for (int d = 0; d < q.directions; ++d) {
            const CellTrace t = cell_forward(spec, weights(p, c, d, q.features), read_direction(*in[0], q, n, d), initial_state(p, c, d));
            for (int64_t j = 0; j < q.units; ++j) {
                if (!q.all_steps) {
                    y[q.output(n, 0, d, j)] = t.h[static_cast<size_t>(q.last_step(d) + 1)][j];
                    continue;
                }
                for (int64_t time = 0; time < q.steps; ++time)
                    y[q.output(n, time, d, j)] = t.h[static_cast<size_t>(q.step_at(d, time) + 1)][j];
            }
        }
    return y;
}

void Recurrent::backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor&,
                         const Tensor& grad_y, const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in,
                         std::vector<Tensor>& grad_p) const {
    const Sequence q = sequence_of(*this, *in[0], c);
    for (int d = 0; d < q.directions; ++d) {
        const CellWeights w = weights(p, c, d, q.features);
        const CellState initial = initial_state(p, c, d);
        const int64_t rows = spec.gates() * q.units;
        CellWeights g{CellMatrix::Zero(rows, q.features), CellMatrix::Zero(rows, q.units), CellVector::Zero(rows), CellVector::Zero(rows)};
        for (int64_t n = 0; n < q.batch; ++n) {
            const CellMatrix x = read_direction(*in[0], q, n, d);
            const CellTrace t = cell_forward(spec, w, x, initial);
            CellMatrix grad_h = CellMatrix::Zero(q.steps, q.units);
            for (int64_t j = 0; j < q.units; ++j) {
                if (!q.all_steps) grad_h(q.last_step(d), j) = grad_y[q.output(n, 0, d, j)];
                else
                    for (int64_t time = 0; time < q.steps; ++time) grad_h(q.step_at(d, time), j) = grad_y[q.output(n, time, d, j)];
            }
            CellMatrix grad_x;
            CellState grad_initial;
            cell_backward(spec, w, x, t, grad_h, grad_x, g, nullptr, &grad_initial);
            for (int64_t s = 0; s < q.steps; ++s)
                for (int64_t i = 0; i < q.features; ++i) grad_in[0][q.input(n, q.time_of(d, s), i)] += grad_x(s, i);
            if (has_initial_state)  // one initial state for every sample: their gradients add up
                for (int64_t j = 0; j < q.units; ++j) {
                    grad_p[initial_role(c)][initial_flat(c, d, 0, j)] += grad_initial.h[j];
                    if (spec.kind == CellKind::Lstm) grad_p[initial_role(c)][initial_flat(c, d, 1, j)] += grad_initial.c[j];
                }
        }
        add_gradients(g, c, d, q.features, grad_p);
    }
}

CellTrace Recurrent::forward_trace(const Tensor& x, int64_t sample, const Convention& c) const {
    const Sequence q = sequence_of(*this, x, c);
    std::vector<const Tensor*> p;
    for (const auto& v : values) p.push_back(&v.value);
    return cell_forward(spec, weights(p, c, 0, q.features), read_direction(x, q, sample, 0), initial_state(p, c, 0));
}

std::string Recurrent::state_name(const char* state, int d, int64_t step, int64_t j) const {
    std::string base = state;  // h1, h2, … and c1, c2, …: the exams' names, whatever names the layer's output
    if (d == 1) base += "←";
    return spec.units == 1 ? fmt::format("{}{}", base, step) : fmt::format("{}{}[{}]", base, step, j + 1);
}

// The state h_s[j] of direction d with its inputs x_t, the weights, and the previous
// states h_{s−1} (and c_{s−1}) substituted by value; h_0 = c_0 = 0 drop out unless given.
Expr Recurrent::explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat,
                        const NumericMode&, const Convention& c) const {
    const Sequence q = sequence_of(*this, *in[0].tensor, c);
    // Named copies, not a structured binding: lambdas below capture them (clang 14).
    const Sequence::Position at_flat = q.locate(flat);
    const int64_t n = at_flat.n, s = at_flat.s, j = at_flat.j;
    const int d = at_flat.d;
    std::vector<const Tensor*> values;
    for (const auto& o : p) values.push_back(o.tensor);
    const CellWeights w = weights(values, c, d, q.features);
    const CellTrace trace = cell_forward(spec, w, read_direction(*in[0].tensor, q, n, d), initial_state(values, c, d));
    const int64_t time = q.time_of(d, s);
    const auto weight = [&](Where where) { return p[where.role].at(where.flat); };
    const bool has_prev = s > 0 || has_initial_state;  // else h_{t−1} = 0
    const auto h_prev = [&](int64_t k) {
        if (s == 0) return p[initial_role(c)].at(initial_flat(c, d, 0, k));
        return Expr::real(state_name("h", d, s, k), trace.h[static_cast<size_t>(s)][k]);
    };
    // W_x·x_t + b_x (+ b_h) for canonical row r, and W_h·h_{t−1} unless h_0 = 0.
    const auto input_terms = [&](int64_t r, bool with_recurrent_bias) {
        std::vector<Expr> terms;
        for (int64_t i = 0; i < q.features; ++i) terms.push_back(weight(input_weight(c, d, r, i, q.features)) * in[0].at(q.input(n, time, i)));
        if (use_bias) terms.push_back(weight(input_bias(c, d, r)));
        if (use_bias && with_recurrent_bias && (c.recurrent.bias_pair || keras_double_bias(c))) terms.push_back(weight(recurrent_bias(c, d, r)));
        return terms;
    };
    const auto recurrent_terms = [&](int64_t r) {
        std::vector<Expr> terms;
        if (has_prev)
            for (int64_t k = 0; k < q.units; ++k) terms.push_back(weight(recurrent_weight(c, d, r, k)) * h_prev(k));
        return terms;
    };
    const auto full_sum = [&](int64_t r) {
        auto terms = input_terms(r, true);
        for (auto& t : recurrent_terms(r)) terms.push_back(t);
        return Expr::sum(terms);
    };
    const int64_t u = q.units;
    switch (spec.kind) {
        case CellKind::Simple: return apply_named(spec.activation, full_sum(j));
        case CellKind::Lstm: {
            const Expr i = apply_named(spec.recurrent_activation, full_sum(j));
            const Expr f = apply_named(spec.recurrent_activation, full_sum(u + j));
            const Expr g = apply_named(spec.activation, full_sum(2 * u + j));
            const Expr o = apply_named(spec.recurrent_activation, full_sum(3 * u + j));
            Expr cell = i * g;
            if (s > 0) cell = f * Expr::real(state_name("c", d, s, j), trace.c[static_cast<size_t>(s)][j]) + cell;
            else if (has_initial_state) cell = f * p[initial_role(c)].at(initial_flat(c, d, 1, j)) + cell;
            return o * apply_named(spec.activation, cell);
        }
        case CellKind::Gru: {
            const Expr z = apply_named(spec.recurrent_activation, full_sum(j));
            const Expr r = apply_named(spec.recurrent_activation, full_sum(u + j));
            std::vector<Expr> candidate = input_terms(2 * u + j, false);
            if (spec.reset_after) {
                std::vector<Expr> inner = recurrent_terms(2 * u + j);
                if (use_bias && (c.recurrent.bias_pair || keras_double_bias(c))) inner.push_back(weight(recurrent_bias(c, d, 2 * u + j)));
                if (!inner.empty()) candidate.push_back(r * Expr::sum(inner));
            } else if (has_prev) {
                // W_hh·(r ⊙ h_{t−1}): every unit's reset gate, by value.
                const CellVector& gates = trace.gates[static_cast<size_t>(s)];
                for (int64_t k = 0; k < u; ++k)
                    candidate.push_back(weight(recurrent_weight(c, d, 2 * u + j, k)) *
                                        (Expr::real(state_name("r", d, s + 1, k), gates[u + k]) * h_prev(k)));
            }
            const Expr n_value = apply_named(spec.activation, Expr::sum(candidate));
            const Expr keep = (Expr(1) - z) * n_value;
            return has_prev ? z * h_prev(j) + keep : keep;
        }
    }
    return {};
}

// The derivatives of one output state h_s[j] with respect to every weight and input
// element it depends on, through every earlier step. A simple_rnn's are written out:
// ∂h_s/∂θ = f′(a_s)·(∂a_s/∂θ + Σ_k W_h[j, k]·∂h_{s−1}[k]/∂θ), expanded for one unit into
// the sum over the steps t of (∏_{k=t+1..s} f′(a_k)·W_h)·f′(a_t)·∂a_t/∂θ. An LSTM's and a
// GRU's are the values backpropagation through time gives, named ∂h_s/∂θ;
// one element asked for by name is worked gate by gate instead (param_gradient, recurrent_chain.cpp).
std::vector<Link> Recurrent::links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand&, size_t flat,
                                   const NumericMode&, const Convention& c) const {
    const Sequence q = sequence_of(*this, *in[0].tensor, c);
    const int64_t u = q.units;
    // Named copies, not a structured binding: lambdas below capture them (clang 14).
    const Sequence::Position at_flat = q.locate(flat);
    const int64_t n = at_flat.n, s = at_flat.s, j = at_flat.j;
    const int d = at_flat.d;
    std::vector<const Tensor*> values;
    for (const auto& o : p) values.push_back(o.tensor);
    const CellWeights w = weights(values, c, d, q.features);
    const CellMatrix x = read_direction(*in[0].tensor, q, n, d);
    const CellTrace trace = cell_forward(spec, w, x, initial_state(values, c, d));
    const bool two_biases = use_bias && (c.recurrent.bias_pair || keras_double_bias(c));
    const auto param_link = [&](Where where, Expr derivative) { return Link{-1 - static_cast<int>(where.role), where.flat, std::move(derivative)}; };
    const auto input_flat = [&](int64_t step, int64_t i) { return q.input(n, q.time_of(d, step), i); };
    std::vector<Link> out;

    if (spec.kind != CellKind::Simple) {
        CellMatrix grad_h = CellMatrix::Zero(q.steps, u), grad_x;
        grad_h(s, j) = 1;
        const int64_t rows = spec.gates() * u;
        CellWeights g{CellMatrix::Zero(rows, q.features), CellMatrix::Zero(rows, u), CellVector::Zero(rows), CellVector::Zero(rows)};
        CellState grad_initial;
        cell_backward(spec, w, x, trace, grad_h, grad_x, g, nullptr, &grad_initial);
        const std::string state = state_name("h", d, s + 1, j);
        const auto named = [&](Where where, double v) {
            return param_link(where, Expr::real(fmt::format("∂{}/∂{}", state, p[where.role].name(where.flat)), v));
        };
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t i = 0; i < q.features; ++i) out.push_back(named(input_weight(c, d, r, i, q.features), g.wx(r, i)));
            for (int64_t k = 0; k < u; ++k) out.push_back(named(recurrent_weight(c, d, r, k), g.wh(r, k)));
            if (use_bias) out.push_back(named(input_bias(c, d, r), g.bx[r]));
            if (two_biases) out.push_back(named(recurrent_bias(c, d, r), g.bh[r]));
        }
        for (int64_t t = 0; t <= s; ++t)
            for (int64_t i = 0; i < q.features; ++i) {
                const size_t at = input_flat(t, i);
                out.push_back({0, at, Expr::real(fmt::format("∂{}/∂{}", state, in[0].name(at)), grad_x(t, i))});
            }
        if (has_initial_state)
            for (int64_t k = 0; k < u; ++k) {
                out.push_back(named({initial_role(c), initial_flat(c, d, 0, k)}, grad_initial.h[k]));
                if (spec.kind == CellKind::Lstm) out.push_back(named({initial_role(c), initial_flat(c, d, 1, k)}, grad_initial.c[k]));
            }
        return out;
    }

    // simple_rnn: f′(a_t) from the state h_t, and ∂a_t[r]/∂θ for each kind of θ.
    const Activation f{spec.activation, 0.0, 0.0};
    const auto h = [&](int64_t step, int64_t k) { return Expr::real(state_name("h", d, step, k), trace.h[static_cast<size_t>(step)][k]); };
    const auto slope = [&](int64_t t, int64_t r) { return elementwise_slope(f, h(t + 1, r), h(t + 1, r)); };
    const auto w_h = [&](int64_t r, int64_t k) { return p[recurrent_weight(c, d, r, k).role].at(recurrent_weight(c, d, r, k).flat); };
    // local(t, r): ∂a_t[r]/∂θ where θ touches row r at step t only through a_t; none for others.
    using Local = std::function<std::optional<Expr>(int64_t t, int64_t r)>;
    // ∂h_s[j]/∂θ, memoised per (step, unit).
    const auto total = [&](const Local& local) -> std::optional<Expr> {
        if (u == 1) {  // Σ_t (∏_{k=t+1..s} f′(a_k)·W_h)·f′(a_t)·∂a_t/∂θ
            std::vector<Expr> terms;
            for (int64_t t = 0; t <= s; ++t) {
                const auto l = local(t, 0);
                if (!l) continue;
                Expr term = slope(t, 0) * *l;
                for (int64_t k = t + 1; k <= s; ++k) term = slope(k, 0) * w_h(0, 0) * term;
                terms.push_back(term);
            }
            if (terms.empty()) return std::nullopt;
            return terms.size() == 1 ? terms[0] : Expr::sum(terms);
        }
        std::map<std::pair<int64_t, int64_t>, std::optional<Expr>> memo;
        const std::function<std::optional<Expr>(int64_t, int64_t)> at = [&](int64_t t, int64_t r) -> std::optional<Expr> {
            if (auto it = memo.find({t, r}); it != memo.end()) return it->second;
            std::vector<Expr> inner;
            if (auto l = local(t, r)) inner.push_back(*l);
            if (t > 0)
                for (int64_t k = 0; k < u; ++k)
                    if (auto below = at(t - 1, k)) inner.push_back(w_h(r, k) * *below);
            std::optional<Expr> result;
            if (!inner.empty()) result = slope(t, r) * (inner.size() == 1 ? inner[0] : Expr::sum(inner));
            return memo[{t, r}] = result;
        };
        return at(s, j);
    };
    const auto add = [&](const std::optional<Expr>& e, auto&& make) {
        if (e) out.push_back(make(*e));
    };
    for (int64_t r = 0; r < u; ++r) {
        for (int64_t i = 0; i < q.features; ++i) {
            const Where where = input_weight(c, d, r, i, q.features);
            add(total([&](int64_t t, int64_t row) -> std::optional<Expr> {
                    if (row != r) return std::nullopt;
                    return in[0].at(input_flat(t, i));
                }),
                [&](Expr e) { return param_link(where, std::move(e)); });
        }
        for (int64_t k = 0; k < u; ++k) {
            const Where where = recurrent_weight(c, d, r, k);
            add(total([&](int64_t t, int64_t row) -> std::optional<Expr> {
                    if (row != r || (t == 0 && !has_initial_state)) return std::nullopt;  // h_0 = 0
                    return t == 0 ? p[initial_role(c)].at(initial_flat(c, d, 0, k)) : h(t, k);
                }),
                [&](Expr e) { return param_link(where, std::move(e)); });
        }
        const Local one = [&](int64_t, int64_t row) -> std::optional<Expr> {
            if (row != r) return std::nullopt;
            return Expr(1);
        };
        if (use_bias) add(total(one), [&](Expr e) { return param_link(input_bias(c, d, r), std::move(e)); });
        if (two_biases) add(total(one), [&](Expr e) { return param_link(recurrent_bias(c, d, r), std::move(e)); });
        if (has_initial_state)  // ∂a_1/∂h_0[r] = W_h[·, r]
            add(total([&](int64_t t, int64_t row) -> std::optional<Expr> {
                    if (t != 0) return std::nullopt;
                    return w_h(row, r);
                }),
                [&](Expr e) { return param_link({initial_role(c), initial_flat(c, d, 0, r)}, std::move(e)); });
    }
    for (int64_t step = 0; step <= s; ++step)
        for (int64_t i = 0; i < q.features; ++i)
            add(total([&](int64_t t, int64_t row) -> std::optional<Expr> {
                    if (t != step) return std::nullopt;
                    return p[input_weight(c, d, row, i, q.features).role].at(input_weight(c, d, row, i, q.features).flat);
                }),
                [&](Expr e) { return Link{0, input_flat(step, i), std::move(e)}; });
    return out;
}

}  // namespace dlsolve
