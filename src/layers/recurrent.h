// SimpleRNN / LSTM / GRU (nn.RNN / nn.LSTM / nn.GRU): the keys, shapes, parameter
// counts and value layouts the three kinds share. Each kind's file says which cell it
// is; the frameworks' storage (gate order, which axis is the input, one or two biases)
// is read from Convention::recurrent and mapped onto the cell's fixed form.
#pragma once

#include <optional>

#include "ir/layer.h"
#include "layers/recurrent_cell.h"
#include "problem/fields.h"

namespace dlsolve {

class Recurrent : public Layer {
public:
    CellSpec spec;
    bool return_sequences = false;
    bool bidirectional = false;
    bool use_bias = true;
    bool has_initial_state = false;  // "initial_state" given; else h_0 = c_0 = 0
    const Convention* convention = nullptr;  // the value names depend on it

    // Reads the keys every recurrent kind has.
    Recurrent(CellKind kind, Fields& fields, const Convention& convention);

    std::string class_name(const Convention& c, const std::vector<Dims>& in) const override;
    std::string fused_activation() const override { return spec.kind == CellKind::Simple ? spec.activation : std::string(); }
    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override;
    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override;
    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override;
    std::vector<std::string> value_roles() const override;
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention& c) const override;
    // The initial state is an input of the pass, not a weight: it gets a gradient, no update.
    bool value_trainable(const std::string& role) const override { return role != "initial_state"; }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode& mode,
                   const Convention& c) const override;
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor& y,
                  const Tensor& grad_y, const NumericMode& mode, const Convention& c, std::vector<Tensor>& grad_in,
                  std::vector<Tensor>& grad_p) const override;
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor& y, size_t flat,
                 const NumericMode& mode, const Convention& c) const override;
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand& y, size_t flat,
                            const NumericMode& mode, const Convention& c) const override;
    // LSTM and GRU: backpropagation through time for one weight element, gate by gate
    // (recurrent_chain.cpp); simple_rnn keeps the chain of links().
    std::vector<WorkedLine> param_gradient(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand& grad_y,
                                           size_t role, size_t flat, const NumericMode& mode, const Convention& c) const override;

    // The framework's own names of the gates, in storage order ("i, f, c, o").
    std::string gate_names(const Convention& c) const;
    // W_h as the exams write it, h_t = f(W_h·h_{t−1} + W_x·x_t + b): units × units, from
    // the given recurrent weights of a simple_rnn's forward direction (Keras's
    // recurrent_kernel is its transpose). Throws LayerError for other kinds or without values.
    CellMatrix recurrent_matrix(const Convention& c) const;
    // The forward direction's pass over one sample of a batch [N, T, features] with the
    // given values: states h_0 … h_T (and the gates), for the Jacobians along the sequence.
    CellTrace forward_trace(const Tensor& input, int64_t sample, const Convention& c) const;

private:
    struct Where {  // an element of a stored value: which value, which element
        size_t role;
        size_t flat;
    };
    int64_t directions() const { return bidirectional ? 2 : 1; }
    size_t roles_per_direction(const Convention& c) const;
    bool keras_double_bias(const Convention& c) const;
    // Where canonical element (row, col) of W_x, W_h, b_x, b_h of direction d is stored.
    Where input_weight(const Convention& c, int d, int64_t row, int64_t col, int64_t features) const;
    Where recurrent_weight(const Convention& c, int d, int64_t row, int64_t col) const;
    Where input_bias(const Convention& c, int d, int64_t row) const;
    Where recurrent_bias(const Convention& c, int d, int64_t row) const;
    int64_t stored_row(const Convention& c, int64_t row) const;
    CellWeights weights(const std::vector<const Tensor*>& p, const Convention& c, int d, int64_t features) const;
    void add_gradients(const CellWeights& g, const Convention& c, int d, int64_t features, std::vector<Tensor>& grad_p) const;
    std::string state_name(const char* state, int d, int64_t step, int64_t j) const;
    // The initial state: its value's index among the values, and where h_0[j] (state 0) or
    // c_0[j] (state 1) of direction d is stored in it.
    size_t initial_role(const Convention& c) const { return static_cast<size_t>(directions()) * roles_per_direction(c); }
    size_t initial_flat(const Convention& c, int d, int state, int64_t j) const;
    CellState initial_state(const std::vector<const Tensor*>& p, const Convention& c, int d) const;
    // Which canonical element of direction d a stored value element is (recurrent_chain.cpp).
    struct Canonical {
        enum class Kind { InputWeight, RecurrentWeight, InputBias, RecurrentBias } kind;
        int d;
        int64_t row, col;
    };
    std::optional<Canonical> canonical(const Convention& c, size_t role, size_t flat, int64_t features) const;
    // The element's name in the gate notation: W_if[2, 1], U_f[1, 2], b_hn[1].
    std::string gate_element_name(const Convention& c, const Canonical& e) const;
};

}  // namespace dlsolve
