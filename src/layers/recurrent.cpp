#include "layers/recurrent.h"

#include <fmt/format.h>

#include "layers/common.h"
#include "problem/error.h"

namespace dlsolve {


Recurrent::Recurrent(CellKind kind, Fields& fields, const Convention& c) : convention(&c) {
    spec.kind = kind;
    spec.units = fields.positive("units");
    return_sequences = fields.boolean("return_sequences", false);
    bidirectional = fields.boolean("bidirectional", false);
    use_bias = fields.boolean("use_bias", true);
    has_initial_state = fields.has("initial_state");
    spec.activation = fields.word("activation", {"tanh", "sigmoid", "relu", "linear"}, "tanh");
    if (kind != CellKind::Simple) spec.recurrent_activation = fields.word("recurrent_activation", {"tanh", "sigmoid", "relu", "linear"}, "sigmoid");
    if (kind == CellKind::Gru) {
        if (c.recurrent.gru_reset_after_choice) spec.reset_after = fields.boolean("reset_after", true);
        else if (fields.has("reset_after"))
            throw ProblemError(fields.path_of("reset_after"),
                               "nn.GRU has no reset_after: it always applies the reset gate to W_hn·h + b_hn (Keras's reset_after=True)");
    }
}

std::string Recurrent::class_name(const Convention& c, const std::vector<Dims>&) const {
    if (bidirectional && c.framework == Framework::Keras) return "Bidirectional";
    switch (spec.kind) {
        case CellKind::Simple: return std::string(c.pick<std::string_view>("SimpleRNN", "RNN"));
        case CellKind::Lstm: return "LSTM";
        case CellKind::Gru: return "GRU";
    }
    return {};
}

std::string Recurrent::gate_names(const Convention& c) const {
    switch (spec.kind) {
        case CellKind::Simple: return "h";
        case CellKind::Lstm: return std::string(c.recurrent.lstm_gates);
        case CellKind::Gru: return std::string(c.recurrent.gru_gates);
    }
    return {};
}

ShapeExpr Recurrent::output_shape(const std::vector<Dims>& in, const Convention&) const {
    if (in[0].size() == 1)
        throw LayerError(fmt::format("a recurrent layer reads a sequence [T, features], found the vector {} (a recurrent "
                                     "layer before it gives every step only with \"return_sequences\": true)", format_dims(in[0])));
    if (in[0].size() != 2)
        throw LayerError(fmt::format("a recurrent layer reads a sequence [T, features], found {}", format_dims(in[0])));
    Expr units = Expr::sym("units", spec.units);
    if (bidirectional) units = Expr::tight_product(2, units);
    if (!return_sequences) return {{units}, {"features"}};
    return {{Expr::sym("T", in[0][0]), units}, {"T", "features"}};
}

bool Recurrent::keras_double_bias(const Convention& c) const {
    return spec.kind == CellKind::Gru && spec.reset_after && !c.recurrent.bias_pair;
}

// Per direction: gates × (units × (features + units) + biases), the biases named as the
// framework stores them (PyTorch b_ih + b_hh; Keras one bias, two for GRU(reset_after=True)).
ParamCount Recurrent::params(const std::vector<Dims>& in, const Convention& c) const {
    const Expr units = Expr::sym("units", spec.units);
    Expr per_gate = units * (Expr::sym("n_in", in[0].back()) + units);
    if (use_bias) {
        if (c.recurrent.bias_pair) per_gate = per_gate + Expr::sym("b_ih", spec.units) + Expr::sym("b_hh", spec.units);
        else if (keras_double_bias(c)) per_gate = per_gate + Expr::sym("input_bias", spec.units) + Expr::sym("recurrent_bias", spec.units);
        else per_gate = per_gate + Expr::sym("bias", spec.units);
    }
    Expr total = spec.gates() == 1 ? per_gate : Expr::sym(fmt::format("gates({})", gate_names(c)), spec.gates()) * per_gate;
    if (bidirectional) total = Expr::sym("directions", 2) * total;
    return ParamCount::trainable_only(total);
}

Cost Recurrent::cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const {
    const Expr units = Expr::sym("units", spec.units);
    Expr macs = Expr::sym("T", in[0][0]) * Expr::sym("gates", spec.gates()) * units * (Expr::sym("n_in", in[0].back()) + units);
    if (bidirectional) macs = Expr::sym("directions", 2) * macs;
    Cost cost = weighted_sum_cost(macs, element_count(out, c), use_bias);
    cost.rule += "; the gates' activations and products are not counted";
    return cost;
}

size_t Recurrent::roles_per_direction(const Convention& c) const {
    if (!use_bias) return 2;
    return c.recurrent.bias_pair ? 4 : 3;
}

std::vector<std::string> Recurrent::value_roles() const {
    const RecurrentLayout& r = convention->recurrent;
    std::vector<std::string_view> base{r.input_weights, r.recurrent_weights};
    if (use_bias) base.push_back(r.bias);
    if (use_bias && r.bias_pair) base.push_back(r.recurrent_bias);
    std::vector<std::string> roles;
    for (int d = 0; d < directions(); ++d)
        for (auto name : base)
            roles.push_back(d == 0 ? std::string(name) : fmt::format("{}{}{}", r.reverse_prefix, name, r.reverse_suffix));
    if (has_initial_state) roles.push_back("initial_state");
    return roles;
}

std::vector<Dims> Recurrent::value_shapes(const std::vector<Dims>& in, const Convention& c) const {
    const int64_t rows = spec.gates() * spec.units, features = in[0].back();
    std::vector<Dims> one;
    if (c.recurrent.input_major) one = {{features, rows}, {spec.units, rows}};
    else one = {{rows, features}, {rows, spec.units}};
    if (use_bias) one.push_back(keras_double_bias(c) ? Dims{2, rows} : Dims{rows});
    if (use_bias && c.recurrent.bias_pair) one.push_back({rows});
    std::vector<Dims> shapes;
    for (int d = 0; d < directions(); ++d) shapes.insert(shapes.end(), one.begin(), one.end());
    if (!has_initial_state) return shapes;
    // Keras's list [h, (c,)] per direction, forward first; PyTorch's (h0, c0), each [D, units].
    const int64_t states = spec.kind == CellKind::Lstm ? 2 : 1, state_rows = states * directions();
    if (state_rows == 1) shapes.push_back({spec.units});
    else if (!c.recurrent.initial_state_by_direction && states == 2 && directions() == 2) shapes.push_back({2, 2, spec.units});
    else shapes.push_back({state_rows, spec.units});
    return shapes;
}

size_t Recurrent::initial_flat(const Convention& c, int d, int state, int64_t j) const {
    const int64_t states = spec.kind == CellKind::Lstm ? 2 : 1;
    const int64_t row = c.recurrent.initial_state_by_direction ? d * states + state : state * directions() + d;
    return static_cast<size_t>(row * spec.units + j);
}

CellState Recurrent::initial_state(const std::vector<const Tensor*>& p, const Convention& c, int d) const {
    if (!has_initial_state) return {};
    const Tensor& v = *p[initial_role(c)];
    CellState s{CellVector(spec.units), CellVector()};
    if (spec.kind == CellKind::Lstm) s.c.resize(spec.units);
    for (int64_t j = 0; j < spec.units; ++j) {
        s.h[j] = v[initial_flat(c, d, 0, j)];
        if (spec.kind == CellKind::Lstm) s.c[j] = v[initial_flat(c, d, 1, j)];
    }
    return s;
}

int64_t Recurrent::stored_row(const Convention& c, int64_t row) const {
    if (spec.kind != CellKind::Gru) return row;
    const int64_t gate = row / spec.units;
    int64_t block = 0;
    while (c.recurrent.gru_block[block] != gate) ++block;
    return block * spec.units + row % spec.units;
}

Recurrent::Where Recurrent::input_weight(const Convention& c, int d, int64_t row, int64_t col, int64_t features) const {
    const int64_t rows = spec.gates() * spec.units, s = stored_row(c, row);
    const size_t role = static_cast<size_t>(d) * roles_per_direction(c);
    return {role, static_cast<size_t>(c.recurrent.input_major ? col * rows + s : s * features + col)};
}

Recurrent::Where Recurrent::recurrent_weight(const Convention& c, int d, int64_t row, int64_t col) const {
    const int64_t rows = spec.gates() * spec.units, s = stored_row(c, row);
    const size_t role = static_cast<size_t>(d) * roles_per_direction(c) + 1;
    return {role, static_cast<size_t>(c.recurrent.input_major ? col * rows + s : s * spec.units + col)};
}

Recurrent::Where Recurrent::input_bias(const Convention& c, int d, int64_t row) const {
    return {static_cast<size_t>(d) * roles_per_direction(c) + 2, static_cast<size_t>(stored_row(c, row))};
}

Recurrent::Where Recurrent::recurrent_bias(const Convention& c, int d, int64_t row) const {
    const size_t first = static_cast<size_t>(d) * roles_per_direction(c);
    if (c.recurrent.bias_pair) return {first + 3, static_cast<size_t>(stored_row(c, row))};
    return {first + 2, static_cast<size_t>(spec.gates() * spec.units + stored_row(c, row))};  // row 1 of Keras's [2, 3·units]
}

CellWeights Recurrent::weights(const std::vector<const Tensor*>& p, const Convention& c, int d, int64_t features) const {
    const int64_t rows = spec.gates() * spec.units;
    CellWeights w{CellMatrix(rows, features), CellMatrix(rows, spec.units), CellVector::Zero(rows), CellVector::Zero(rows)};
    const auto at = [&](Where where) { return (*p[where.role])[where.flat]; };
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < features; ++i) w.wx(r, i) = at(input_weight(c, d, r, i, features));
        for (int64_t k = 0; k < spec.units; ++k) w.wh(r, k) = at(recurrent_weight(c, d, r, k));
        if (!use_bias) continue;
        w.bx[r] = at(input_bias(c, d, r));
        if (c.recurrent.bias_pair || keras_double_bias(c)) w.bh[r] = at(recurrent_bias(c, d, r));
    }
    return w;
}

void Recurrent::add_gradients(const CellWeights& g, const Convention& c, int d, int64_t features, std::vector<Tensor>& grad_p) const {
    const int64_t rows = spec.gates() * spec.units;
    const auto add = [&](Where where, double v) { grad_p[where.role][where.flat] += v; };
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < features; ++i) add(input_weight(c, d, r, i, features), g.wx(r, i));
        for (int64_t k = 0; k < spec.units; ++k) add(recurrent_weight(c, d, r, k), g.wh(r, k));
        if (!use_bias) continue;
        add(input_bias(c, d, r), g.bx[r]);
        if (c.recurrent.bias_pair || keras_double_bias(c)) add(recurrent_bias(c, d, r), g.bh[r]);
    }
}

CellMatrix Recurrent::recurrent_matrix(const Convention& c) const {
    if (spec.kind != CellKind::Simple)
        throw LayerError("the gradient-flow analysis is written for simple_rnn (h_t = f(W_h·h_{t−1} + W_x·x_t + b))");
    if (values.empty())
        throw LayerError(fmt::format("the gradient-flow analysis needs the recurrent weights: give \"{}\"", c.recurrent.recurrent_weights));
    std::vector<const Tensor*> p;
    for (const auto& v : values) p.push_back(&v.value);
    CellMatrix w(spec.units, spec.units);
    for (int64_t r = 0; r < spec.units; ++r)
        for (int64_t k = 0; k < spec.units; ++k) {
            const Where where = recurrent_weight(c, 0, r, k);
            w(r, k) = (*p[where.role])[where.flat];
        }
    return w;
}

}  // namespace dlsolve
