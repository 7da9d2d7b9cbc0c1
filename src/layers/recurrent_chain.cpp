// Backpropagation through time written out for one element of an LSTM's or a GRU's
// weights, gate by gate, in the exam's names: the recursion for ∂L/∂h_t (and the LSTM's
// ∂L/∂c_t, which carries ∂L/∂c_{t+1}·f_{t+1}) from the last step down, each gate's
// ∂L/∂a_t, and ∂L/∂θ = Σ_t ∂L/∂a_t·∂a_t/∂θ with the numbers of every step. The numbers
// are those cell_backward computes (recorded in CellGradients); each formula is checked
// against them, so the text cannot drift from the engine.
#include <stdexcept>

#include <fmt/format.h>

#include "layers/activation_math.h"
#include "layers/recurrent.h"
#include "layers/recurrent_sequence.h"
#include "numeric/tensor.h"

namespace dlsolve {
namespace {

std::string fill(std::string_view pattern, const std::string& letter) {
    std::string s(pattern);
    if (const auto at = s.find("{}"); at != std::string::npos) s.replace(at, 2, letter);
    return s;
}

std::vector<std::string> split_letters(std::string_view list) {  // "i, f, c, o"
    std::vector<std::string> out;
    std::string word;
    for (char ch : list) {
        if (ch == ',' || ch == ' ') {
            if (!word.empty()) out.push_back(word), word.clear();
        } else {
            word += ch;
        }
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

// The letter a gate's slices are named with, as the framework stores it: LSTM i, f, c|g, o;
// GRU z, r, h|n (gate: the canonical block, LSTM i, f, c, o and GRU z, r, h).
std::string stored_letter(const Convention& c, CellKind kind, int64_t gate) {
    if (kind == CellKind::Lstm) return split_letters(c.recurrent.lstm_gates)[static_cast<size_t>(gate)];
    const auto stored = split_letters(c.recurrent.gru_gates);
    for (size_t b = 0; b < 3; ++b)
        if (c.recurrent.gru_block[b] == gate) return stored[b];
    return {};
}

std::string short_name(const std::string& activation) { return activation == "sigmoid" ? "σ" : activation; }

void require_same(const Expr& e, double engine, const std::string& what) {
    const double v = e.to_double();
    if (std::abs(v - engine) > 1e-9 * std::max({1.0, std::abs(v), std::abs(engine)}))
        throw std::logic_error(fmt::format("the worked {} gives {} but backpropagation through time {}", what, e.value_text(),
                                           format_real(engine)));
}

}  // namespace

std::optional<Recurrent::Canonical> Recurrent::canonical(const Convention& c, size_t role, size_t flat, int64_t features) const {
    const int64_t rows = spec.gates() * spec.units;
    const auto is = [&](Where w) { return w.role == role && w.flat == flat; };
    for (int d = 0; d < directions(); ++d)
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t i = 0; i < features; ++i)
                if (is(input_weight(c, d, r, i, features))) return Canonical{Canonical::Kind::InputWeight, d, r, i};
            for (int64_t k = 0; k < spec.units; ++k)
                if (is(recurrent_weight(c, d, r, k))) return Canonical{Canonical::Kind::RecurrentWeight, d, r, k};
            if (!use_bias) continue;
            if (is(input_bias(c, d, r))) return Canonical{Canonical::Kind::InputBias, d, r, 0};
            if ((c.recurrent.bias_pair || keras_double_bias(c)) && is(recurrent_bias(c, d, r)))
                return Canonical{Canonical::Kind::RecurrentBias, d, r, 0};
        }
    return std::nullopt;
}

std::string Recurrent::gate_element_name(const Convention& c, const Canonical& e) const {
    const int64_t u = spec.units, gate = e.row / u, j = e.row % u;
    const std::string letter = stored_letter(c, spec.kind, gate);
    const std::string back = e.d == 1 ? "←" : "";
    const auto matrix = [&](std::string_view pattern, int64_t col) {
        return c.recurrent.input_major ? fmt::format("{}{}[{}, {}]", fill(pattern, letter), back, col + 1, j + 1)
                                       : fmt::format("{}{}[{}, {}]", fill(pattern, letter), back, j + 1, col + 1);
    };
    switch (e.kind) {
        case Canonical::Kind::InputWeight: return matrix(c.recurrent.gate_input_weight, e.col);
        case Canonical::Kind::RecurrentWeight: return matrix(c.recurrent.gate_recurrent_weight, e.col);
        case Canonical::Kind::InputBias: return fmt::format("{}{}[{}]", fill(c.recurrent.gate_bias, letter), back, j + 1);
        case Canonical::Kind::RecurrentBias: return fmt::format("{}{}[{}]", fill(c.recurrent.gate_recurrent_bias, letter), back, j + 1);
    }
    return {};
}

std::vector<WorkedLine> Recurrent::param_gradient(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand& grad_y,
                                                  size_t role, size_t flat, const NumericMode&, const Convention& c) const {
    if (spec.kind == CellKind::Simple) return {};
    const Sequence q = sequence_of(*this, *in[0].tensor, c);
    // An exam's LSTM has a few units and steps; beyond that the lines (every unit's ∂L/∂h_t
    // with a term per gate row) are no longer read, and the chain of links() is written.
    constexpr int64_t kWorkedStates = 256;
    if (q.batch * q.steps * q.units > kWorkedStates) return {};
    const std::optional<Canonical> found = canonical(c, role, flat, q.features);
    if (!found) return {};
    const Canonical e = *found;
    const int d = e.d;
    const int64_t u = q.units, gate = e.row / u, unit = e.row % u;
    const bool lstm = spec.kind == CellKind::Lstm;
    std::vector<const Tensor*> tensors;
    for (const auto& o : p) tensors.push_back(o.tensor);
    const CellWeights w = weights(tensors, c, d, q.features);
    const Activation act{spec.activation, 0.0, 0.0}, rec_act{spec.recurrent_activation, 0.0, 0.0};
    // The gates' values by canonical row block: LSTM i, f, g|c̃, o; GRU z, r, n|h̃.
    const std::vector<std::string> letters = lstm ? std::vector<std::string>{"i", "f", std::string(c.recurrent.lstm_candidate), "o"}
                                                  : std::vector<std::string>{"z", "r", std::string(c.recurrent.gru_candidate)};
    const auto is_candidate = [&](int64_t g) { return g == 2; };
    const auto weight_leaf = [&](const Canonical& at, Where where) {
        const std::string name = values[where.role].symbols.empty() ? gate_element_name(c, at) : p[where.role].name(where.flat);
        return Expr::real(name, (*p[where.role].tensor)[where.flat]);
    };
    const auto wh = [&](int64_t r, int64_t k) {
        return weight_leaf({Canonical::Kind::RecurrentWeight, d, r, k}, recurrent_weight(c, d, r, k));
    };
    const std::string own = gate_element_name(c, e);
    const std::string asked = p[role].name(flat);

    std::vector<WorkedLine> lines;
    // What the element is and the chain it follows.
    {
        const std::string sa = short_name(spec.activation), sr = short_name(spec.recurrent_activation), g = letters[static_cast<size_t>(gate)];
        std::string cell;
        if (lstm)
            cell = fmt::format("i_t = {0}(a_i,t), f_t = {0}(a_f,t), {2}_t = {1}(a_{2},t), o_t = {0}(a_o,t), a_·,t = W_x·x_t + W_h·h_{{t−1}} + b; "
                               "c_t = f_t ⊙ c_{{t−1}} + i_t ⊙ {2}_t, h_t = o_t ⊙ {1}(c_t)",
                               sr, sa, letters[2]);
        else if (spec.reset_after)
            cell = fmt::format("z_t = {0}(a_z,t), r_t = {0}(a_r,t), {2}_t = {1}(a_{2},t) with a_{2},t = W_x·x_t + b_x + r_t ⊙ (W_h·h_{{t−1}} + b_h); "
                               "h_t = z_t ⊙ h_{{t−1}} + (1 − z_t) ⊙ {2}_t",
                               sr, sa, letters[2]);
        else
            cell = fmt::format("z_t = {0}(a_z,t), r_t = {0}(a_r,t), {2}_t = {1}(a_{2},t) with a_{2},t = W_x·x_t + b + W_h·(r_t ⊙ h_{{t−1}}); "
                               "h_t = z_t ⊙ h_{{t−1}} + (1 − z_t) ⊙ {2}_t",
                               sr, sa, letters[2]);
        lines.push_back({"Cell", {}, cell});
        const std::string uj = u == 1 ? "" : fmt::format("[{}]", unit + 1);
        std::string local;  // ∂a_t/∂θ
        switch (e.kind) {
            case Canonical::Kind::InputWeight: local = fmt::format(" · x_t[{}]", e.col + 1); break;
            case Canonical::Kind::RecurrentWeight:
                if (!lstm && is_candidate(gate)) local = spec.reset_after ? fmt::format(" · r_t{} · h_{{t−1}}[{}]", uj, e.col + 1)
                                                                          : fmt::format(" · r_t[{0}] · h_{{t−1}}[{0}]", e.col + 1);
                else local = fmt::format(" · h_{{t−1}}[{}]", e.col + 1);
                break;
            case Canonical::Kind::InputBias: break;
            case Canonical::Kind::RecurrentBias:
                if (!lstm && is_candidate(gate)) local = fmt::format(" · r_t{}", uj);
                break;
        }
        std::string via;  // ∂L/∂a_t as the product of its factors
        if (lstm) {
            if (g == "o") via = fmt::format("∂L/∂h_t{0} · ∂h_t/∂o_t · ∂o_t/∂a_o,t = ∂L/∂h_t{0} · {1}(c_t{0}) · {2}′", uj, sa, sr);
            else if (gate == 0) via = fmt::format("∂L/∂c_t{0} · ∂c_t/∂i_t · ∂i_t/∂a_i,t = ∂L/∂c_t{0} · {1}_t{0} · {2}′", uj, letters[2], sr);
            else if (gate == 1) via = fmt::format("∂L/∂c_t{0} · ∂c_t/∂f_t · ∂f_t/∂a_f,t = ∂L/∂c_t{0} · c_{{t−1}}{0} · {1}′", uj, sr);
            else via = fmt::format("∂L/∂c_t{0} · ∂c_t/∂{1}_t · ∂{1}_t/∂a_{1},t = ∂L/∂c_t{0} · i_t{0} · {2}′", uj, letters[2], sa);
        } else {
            if (gate == 0) via = fmt::format("∂L/∂h_t{0} · ∂h_t/∂z_t · ∂z_t/∂a_z,t = ∂L/∂h_t{0} · (h_{{t−1}}{0} − {1}_t{0}) · {2}′", uj, letters[2], sr);
            else if (gate == 2) via = fmt::format("∂L/∂h_t{0} · ∂h_t/∂{1}_t · ∂{1}_t/∂a_{1},t = ∂L/∂h_t{0} · (1 − z_t{0}) · {2}′", uj, letters[2], sa);
            else if (spec.reset_after) via = fmt::format("∂L/∂a_{1},t{0} · ∂a_{1},t/∂r_t · ∂r_t/∂a_r,t = ∂L/∂a_{1},t{0} · (W_h·h_{{t−1}} + b_h)_{1}{0} · {2}′", uj, letters[2], sr);
            else  // Keras only: its recurrent_kernel is [units, 3·units], U_h[j, k] from h[j] to unit k
                via = fmt::format("∂L/∂r_t{0} · ∂r_t/∂a_r,t = (Σ_k ∂L/∂a_{1},t[k] · {3}[{4}, k]) · h_{{t−1}}{0} · {2}′", uj, letters[2], sr,
                                  fill(c.recurrent.gate_recurrent_weight, stored_letter(c, spec.kind, 2)), unit + 1);
        }
        lines.push_back({"Chain", {}, fmt::format("{} is {}; ∂L/∂{} = Σ_t ∂L/∂a_{},t{} · ∂a_{},t/∂{} with ∂L/∂a_{},t{} = {}, so each step adds ∂L/∂a_{},t{}{}",
                                                  asked, own, own, g, uj, g, own, g, uj, via, g, uj, local)});
        std::string recursion = lstm ? "∂L/∂h_t = ∂L/∂(output at t) + Σ_r ∂L/∂a_r,t+1 · W_h[r, ·] (r over every gate's rows); "
                                       "∂L/∂c_t = ∂L/∂h_t · o_t · " + sa + "′(c_t) + ∂L/∂c_{t+1} · f_{t+1}"
                                     : "∂L/∂h_t = ∂L/∂(output at t) + ∂L/∂h_{t+1} · z_{t+1} + Σ_r ∂L/∂a_r,t+1 · ∂a_r,t+1/∂h_t";
        lines.push_back({"Recursion", {}, recursion + ", from the last step down"});
    }

    std::vector<Expr> totals;
    for (int64_t n = 0; n < q.batch; ++n) {
        const std::string sample = q.batch > 1 ? fmt::format("⁽{}⁾", n + 1) : "";
        const CellMatrix x = read_direction(*in[0].tensor, q, n, d);
        const CellTrace trace = cell_forward(spec, w, x, initial_state(tensors, c, d));
        // ∂L/∂ of the outputs the layer gives at each step, as backward() reads them.
        const auto output_at = [&](int64_t s, int64_t k) -> std::optional<size_t> {
            if (q.all_steps) return q.output(n, q.time_of(d, s), d, k);
            if (s == q.last_step(d)) return q.output(n, 0, d, k);
            return std::nullopt;
        };
        CellMatrix grad_h = CellMatrix::Zero(q.steps, u), grad_x;
        for (int64_t s = 0; s < q.steps; ++s)
            for (int64_t k = 0; k < u; ++k)
                if (auto o = output_at(s, k)) grad_h(s, k) = (*grad_y.tensor)[*o];
        const int64_t rows = spec.gates() * u;
        CellWeights sink{CellMatrix::Zero(rows, q.features), CellMatrix::Zero(rows, u), CellVector::Zero(rows), CellVector::Zero(rows)};
        CellGradients rec;
        cell_backward(spec, w, x, trace, grad_h, grad_x, sink, &rec);

        const auto name = [&](const std::string& base, int64_t step, int64_t k) { return state_name(base.c_str(), d, step, k) + sample; };
        // Leaves: step s is 0-based; the state after it is h_{s+1}, the one before h_s.
        const auto h = [&](int64_t index, int64_t k) { return Expr::real(name("h", index, k), trace.h[static_cast<size_t>(index)][k]); };
        const auto cs = [&](int64_t index, int64_t k) { return Expr::real(name("c", index, k), trace.c[static_cast<size_t>(index)][k]); };
        const auto gv = [&](int64_t s, int64_t g, int64_t k) {
            return Expr::real(name(letters[static_cast<size_t>(g)], s + 1, k), trace.gates[static_cast<size_t>(s)][g * u + k]);
        };
        const auto act_c = [&](int64_t s, int64_t k) {
            const double value = cell_activation(spec.activation, trace.c[static_cast<size_t>(s) + 1][k]);
            return Expr::real(fmt::format("{}({})", spec.activation, name("c", s + 1, k)), value);
        };
        const auto dh = [&](int64_t s, int64_t k) { return Expr::real("∂L/∂" + name("h", s + 1, k), rec.dh[static_cast<size_t>(s)][k]); };
        const auto dc = [&](int64_t s, int64_t k) { return Expr::real("∂L/∂" + name("c", s + 1, k), rec.dc[static_cast<size_t>(s)][k]); };
        const auto da_name = [&](int64_t s, int64_t r) { return "∂L/∂" + name("a_" + letters[static_cast<size_t>(r / u)], s + 1, r % u); };
        const auto da = [&](int64_t s, int64_t r) { return Expr::real(da_name(s, r), rec.da[static_cast<size_t>(s)][r]); };
        const auto slope_of = [&](const Activation& f, const Expr& a) { return elementwise_slope(f, a, a); };
        // W_h·h_{t−1} + b_h of the candidate (GRU reset_after), which r_t multiplies.
        const auto candidate_recurrent = [&](int64_t s, int64_t k) {
            const std::string letter = stored_letter(c, spec.kind, 2);
            const std::string matrix = fill(c.recurrent.gate_recurrent_weight, letter);
            const std::string bias = use_bias ? " + " + fill(c.recurrent.gate_recurrent_bias, letter) : "";
            const std::string label = fmt::format("({}·h{}{}{}){}", matrix, d == 1 ? "←" : "", s, bias, u == 1 ? "" : fmt::format("[{}]", k + 1));
            return Expr::real(label + sample, trace.recurrent[static_cast<size_t>(s)][2 * u + k]);
        };
        // ∂L/∂a_t of canonical row r at step s as the product of its factors.
        const auto chain = [&](int64_t s, int64_t r) -> Expr {
            const int64_t g = r / u, k = r % u;
            if (lstm) {
                switch (g) {
                    case 0: return dc(s, k) * gv(s, 2, k) * slope_of(rec_act, gv(s, 0, k));
                    case 1: return dc(s, k) * cs(s, k) * slope_of(rec_act, gv(s, 1, k));
                    case 2: return dc(s, k) * gv(s, 0, k) * slope_of(act, gv(s, 2, k));
                    default: return dh(s, k) * act_c(s, k) * slope_of(rec_act, gv(s, 3, k));
                }
            }
            if (g == 0) return dh(s, k) * (h(s, k) - gv(s, 2, k)) * slope_of(rec_act, gv(s, 0, k));
            if (g == 2) return dh(s, k) * (Expr(1) - gv(s, 0, k)) * slope_of(act, gv(s, 2, k));
            if (spec.reset_after) return da(s, 2 * u + k) * candidate_recurrent(s, k) * slope_of(rec_act, gv(s, 1, k));
            std::vector<Expr> back;
            for (int64_t jj = 0; jj < u; ++jj) back.push_back(da(s, 2 * u + jj) * wh(2 * u + jj, k));
            return (back.size() == 1 ? back[0] : Expr::sum(back)) * h(s, k) * slope_of(rec_act, gv(s, 1, k));
        };
        const auto emit = [&](const std::string& label, const Expr& expr, double engine) {
            require_same(expr, engine, label);
            lines.push_back({label, expr, {}});
        };
        for (int64_t s = q.steps; s-- > 0;) {
            for (int64_t k = 0; k < u; ++k) {
                std::vector<Expr> terms;
                if (auto o = output_at(s, k)) terms.push_back(grad_y.at(*o));
                if (s + 1 < q.steps) {
                    if (!lstm) terms.push_back(dh(s + 1, k) * gv(s + 1, 0, k));
                    const int64_t direct = lstm ? rows : 2 * u;  // rows that read h_t through W_h·h_t alone
                    for (int64_t r = 0; r < direct; ++r) terms.push_back(da(s + 1, r) * wh(r, k));
                    if (!lstm && spec.reset_after)
                        for (int64_t jj = 0; jj < u; ++jj) terms.push_back(da(s + 1, 2 * u + jj) * gv(s + 1, 1, jj) * wh(2 * u + jj, k));
                    if (!lstm && !spec.reset_after) {
                        std::vector<Expr> back;
                        for (int64_t jj = 0; jj < u; ++jj) back.push_back(da(s + 1, 2 * u + jj) * wh(2 * u + jj, k));
                        terms.push_back((back.size() == 1 ? back[0] : Expr::sum(back)) * gv(s + 1, 1, k));
                    }
                }
                emit("∂L/∂" + name("h", s + 1, k), terms.size() == 1 ? terms[0] : Expr::sum(terms), rec.dh[static_cast<size_t>(s)][k]);
            }
            if (lstm)
                for (int64_t k = 0; k < u; ++k) {
                    Expr e = dh(s, k) * gv(s, 3, k) * slope_of(act, act_c(s, k));
                    if (s + 1 < q.steps) e = e + dc(s + 1, k) * gv(s + 1, 1, k);
                    emit("∂L/∂" + name("c", s + 1, k), e, rec.dc[static_cast<size_t>(s)][k]);
                }
            if (s == 0) continue;  // the gates of the first step feed no earlier state
            const std::vector<int64_t> order = lstm ? std::vector<int64_t>{0, 1, 2, 3} : std::vector<int64_t>{0, 2, 1};
            for (int64_t g : order)
                for (int64_t k = 0; k < u; ++k) emit(da_name(s, g * u + k), chain(s, g * u + k), rec.da[static_cast<size_t>(s)][g * u + k]);
        }
        // Each step's share of ∂L/∂θ.
        for (int64_t s = 0; s < q.steps; ++s) {
            Expr term = chain(s, e.row);
            const bool candidate_gru = !lstm && is_candidate(gate);
            switch (e.kind) {
                case Canonical::Kind::InputWeight: term = term * in[0].at(q.input(n, q.time_of(d, s), e.col)); break;
                case Canonical::Kind::RecurrentWeight:
                    if (candidate_gru && spec.reset_after) term = term * gv(s, 1, unit) * h(s, e.col);
                    else if (candidate_gru) term = term * gv(s, 1, e.col) * h(s, e.col);
                    else term = term * h(s, e.col);
                    break;
                case Canonical::Kind::InputBias: break;
                case Canonical::Kind::RecurrentBias:
                    if (candidate_gru) term = term * gv(s, 1, unit);
                    break;
            }
            const std::string label = fmt::format("t = {}{}", s + 1, q.batch > 1 ? fmt::format(", sample {}", n + 1) : "");
            lines.push_back({label, term, {}});
            totals.push_back(Expr::named(fmt::format("[{}]", label), term));
        }
    }
    lines.push_back({"∂L/∂" + asked, totals.size() == 1 ? totals[0] : Expr::sum(totals), {}});
    return lines;
}

}  // namespace dlsolve
