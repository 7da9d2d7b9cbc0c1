// The arithmetic of one recurrent direction (SimpleRNN, LSTM, GRU) in one fixed form:
// weights as W_x [g·units, features] and W_h [g·units, units] with the gates in Keras's
// order (LSTM i, f, c, o; GRU z, r, h) and two bias vectors b_x, b_h (b_h zero where the
// framework has one bias). recurrent.cpp maps each framework's layout onto this form, so
// the forward pass and backpropagation through time are written once.
#pragma once

#include <string>
#include <vector>

#include <Eigen/Dense>

namespace dlsolve {

enum class CellKind { Simple, Lstm, Gru };

struct CellSpec {
    CellKind kind = CellKind::Simple;
    int64_t units = 1;
    std::string activation = "tanh";            // simple_rnn's, and the candidate's (LSTM c, GRU h)
    std::string recurrent_activation = "sigmoid";  // the gates
    bool reset_after = true;                    // GRU: r multiplies W_h·h + b_h (else W_h·(r ⊙ h))

    int64_t gates() const { return kind == CellKind::Simple ? 1 : kind == CellKind::Lstm ? 4 : 3; }
};

using CellMatrix = Eigen::MatrixXd;
using CellVector = Eigen::VectorXd;

struct CellWeights {
    CellMatrix wx;  // g·units × features
    CellMatrix wh;  // g·units × units
    CellVector bx, bh;
};

// What the forward pass keeps for backpropagation: states h_0 … h_T (h_0 the initial
// state), LSTM cells c_0 … c_T, the gates' activated values per step, and for the GRU
// the recurrent sums W_h·h_{t−1} + b_h.
struct CellTrace {
    std::vector<CellVector> h, c, gates, recurrent;
};

// A direction's initial state h_0 (and an LSTM's c_0); empty vectors are zeros.
struct CellState {
    CellVector h, c;
};

// Scalar activations of the cells: tanh, sigmoid, relu, linear.
double cell_activation(const std::string& name, double z);
// The derivative from the output a = f(z).
double cell_slope(const std::string& name, double a);

// What backpropagation through time found at each step s (0-based), for the worked
// chain: ∂L/∂h_s (the output's own gradient plus what step s + 1 sends back), ∂L/∂c_s
// (LSTM, with ∂L/∂c_{s+1}·f_{s+1}), and ∂L/∂a_s, the gates' pre-activations in the
// canonical rows (GRU reset_after: a_h's input part; its recurrent part gets r ⊙ ∂L/∂a_h).
struct CellGradients {
    std::vector<CellVector> dh, dc, da;
};

// x is T × features, in the order the direction reads it.
CellTrace cell_forward(const CellSpec& spec, const CellWeights& w, const CellMatrix& x, const CellState& initial = {});
// ∂L/∂h_t from outside the cell (T × units) → ∂L/∂x (T × features), and ∂L/∂W added to `grads`;
// ∂L/∂h_0 (and ∂L/∂c_0) into `grad_initial` when given.
void cell_backward(const CellSpec& spec, const CellWeights& w, const CellMatrix& x, const CellTrace& trace,
                   const CellMatrix& grad_h, CellMatrix& grad_x, CellWeights& grads, CellGradients* record = nullptr,
                   CellState* grad_initial = nullptr);

}  // namespace dlsolve
