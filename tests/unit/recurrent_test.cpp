// Recurrent layers and embeddings: counts and shapes against the frameworks' published
// figures, forward values and gradients against PyTorch (torch 1.13, float64, values in
// the comments), and the Keras layout against its PyTorch twin.
#include <catch2/catch.hpp>

#include "helpers.h"

using Catch::Matchers::WithinRel;
using dlsolve::test::run_numeric;
using dlsolve::test::solve;
using dlsolve::test::error_of;

TEST_CASE("LSTM, GRU and SimpleRNN counts as each framework counts them, with the gates named", "[recurrent][params]") {
    // LSTM(2) on 3 features: 48 in Keras, 56 in PyTorch (bias_ih + bias_hh).
    const auto keras = solve("keras", "[6, 3]", R"([{"name": "l", "type": "lstm", "units": 2}])");
    CHECK(keras.layer("l").params.total.worked() == "4 × (2 × (3 + 2) + 2) = 48");
    CHECK(keras.layer("l").params.total.symbolic() == "gates(i, f, c, o) × (units × (n_in + units) + bias)");
    const auto torch = solve("pytorch", "[6, 3]", R"([{"name": "l", "type": "lstm", "units": 2}])");
    CHECK(torch.layer("l").params.total.worked() == "4 × (2 × (3 + 2) + 2 + 2) = 56");
    CHECK(torch.layer("l").params.total.symbolic() == "gates(i, f, g, o) × (units × (n_in + units) + b_ih + b_hh)");
    // LSTM(50) on 10 features: 12,200 / 12,400.
    CHECK(solve("keras", "[30, 10]", R"([{"name": "l", "type": "lstm", "units": 50}])").params("l") == 12200);
    CHECK(solve("pytorch", "[30, 10]", R"([{"name": "l", "type": "lstm", "units": 50}])").params("l") == 12400);
    // GRU(5) on 4 features (TensorFlow issue 43960): 150 with reset_after=False, 165 by default and in PyTorch.
    CHECK(solve("keras", "[10, 4]", R"([{"name": "g", "type": "gru", "units": 5, "reset_after": false}])").params("g") == 150);
    CHECK(solve("keras", "[10, 4]", R"([{"name": "g", "type": "gru", "units": 5}])").layer("g").params.total.worked() ==
          "3 × (5 × (4 + 5) + 5 + 5) = 165");
    CHECK(solve("pytorch", "[10, 4]", R"([{"name": "g", "type": "gru", "units": 5}])").params("g") == 165);
    // Chollet, Deep Learning with Python, listing 6.22: SimpleRNN(32) on 32 features 2,080; nn.RNN has two biases.
    CHECK(solve("keras", "[5, 32]", R"([{"name": "r", "type": "simple_rnn", "units": 32}])").layer("r").params.total.worked() ==
          "32 × (32 + 32) + 32 = 2080");
    CHECK(solve("pytorch", "[5, 32]", R"([{"name": "r", "type": "simple_rnn", "units": 32}])").params("r") == 2112);
    // Keras guide "Working with RNNs": Bidirectional(LSTM(64)) on 10 features, 38,400.
    const auto bi = solve("keras", "[5, 10]", R"([{"type": "lstm", "units": 64, "bidirectional": true, "return_sequences": true}])");
    CHECK(bi.layer("bidirectional").params.total.worked() == "2 × 4 × (64 × (10 + 64) + 64) = 38400");
    CHECK(bi.layer("bidirectional").class_name == "Bidirectional");
    CHECK(bi.shape("bidirectional") == dlsolve::Dims{5, 128});
    // use_bias false drops every bias, both of PyTorch's.
    CHECK(solve("pytorch", "[4, 3]", R"([{"name": "l", "type": "lstm", "units": 2, "use_bias": false}])").params("l") == 40);
}

TEST_CASE("sequence shapes: return_sequences, the last step, embeddings and dense per step", "[recurrent][shapes]") {
    const auto s = solve("keras", "[7]", R"([{"name": "e", "type": "embedding", "input_dim": 1000, "output_dim": 64},
        {"name": "g", "type": "gru", "units": 16, "return_sequences": true},
        {"name": "d", "type": "dense", "units": 3},
        {"name": "r", "type": "simple_rnn", "units": 4}])");
    CHECK(s.shape("e") == dlsolve::Dims{7, 64});
    CHECK(s.params("e") == 64000);  // keras.io guide: Embedding(1000, 64) 64,000
    CHECK(s.shape("g") == dlsolve::Dims{7, 16});
    CHECK(s.shape("d") == dlsolve::Dims{7, 3});
    CHECK(s.params("d") == 3 * (16 + 1));
    CHECK(s.shape("r") == dlsolve::Dims{4});
    CHECK(s.layer("r").class_name == "SimpleRNN");
    CHECK(solve("pytorch", "[7, 2]", R"([{"type": "simple_rnn", "units": 4}])").layer("0").class_name == "RNN");
}

TEST_CASE("a recurrent layer refuses what is not a sequence", "[recurrent][errors]") {
    CHECK(error_of("keras", "[28, 28, 3]", R"([{"type": "lstm", "units": 8}])").find("a recurrent layer reads a sequence [T, features], found [28, 28, 3]") !=
          std::string::npos);
    CHECK(error_of("pytorch", "[10, 4]", R"([{"type": "lstm", "units": 8}, {"type": "gru", "units": 2}])").find("\"return_sequences\": true") !=
          std::string::npos);
    CHECK(error_of("pytorch", "[10, 4]", R"([{"type": "gru", "units": 2, "reset_after": true}])").find("reset_after") != std::string::npos);
}

namespace {

// nn.RNN(1, 1) with weight_ih 0.5, weight_hh 0.8, bias_ih 0.1, bias_hh 0, inputs 1, 0.5, −1,
// MSE of output[:, -1] against 0.2 (problems/003-2c-i-rnn-bptt.json; the numbers are PyTorch's).
std::string scalar_rnn(const std::string& return_sequences, const std::string& target) {
    return R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "values": [[1.0], [0.5], [-1.0]]},
        "layers": [{"name": "rnn", "type": "simple_rnn", "units": 1, "return_sequences": )" + return_sequences + R"(,
                    "weight_ih": [[0.5]], "weight_hh": [[0.8]], "bias_ih": [0.1], "bias_hh": [0.0]}],
        "target": )" + target + R"(, "loss": "mse"})";
}

}  // namespace

TEST_CASE("a scalar RNN unrolled over 3 steps and backpropagated through time, as PyTorch", "[recurrent][numeric]") {
    auto n = run_numeric(scalar_rnn("false", "[0.2]"));
    CHECK_THAT(n.output("rnn")[0], WithinRel(0.12139816368477724, 1e-12));
    CHECK_THAT(n.pass.loss->value.to_double(), WithinRel(0.006178248672125073, 1e-12));
    CHECK_THAT(n.param_grad("rnn", 0)[0], WithinRel(0.07880429147016774, 1e-12));   // ∂L/∂W_x
    CHECK_THAT(n.param_grad("rnn", 1)[0], WithinRel(-0.13927704221566606, 1e-12));  // ∂L/∂W_h
    CHECK_THAT(n.param_grad("rnn", 2)[0], WithinRel(-0.2665466144228226, 1e-12));   // ∂L/∂b_ih
    CHECK_THAT(n.param_grad("rnn", 3)[0], WithinRel(-0.2665466144228226, 1e-12));   // ∂L/∂b_hh
    // h3 worked with h2 substituted: tanh(0.5 × (−1) + 0.1 + 0 + 0.8 × 0.652…) = 0.121…
    const dlsolve::Expr h3 = n.explain("rnn", 0);
    CHECK(h3.formula().rfind("tanh(0.5 × (−1) + 0.1 + 0 + 0.8 × 0.6524998279", 0) == 0);
    CHECK_THAT(h3.to_double(), WithinRel(0.12139816368477724, 1e-12));
    // Every state with return_sequences: h1 = tanh(0.5 + 0.1) = 0.537…, h2 = 0.652…
    auto all = run_numeric(scalar_rnn("true", "[[0.2], [0.2], [0.2]]"));
    CHECK_THAT(all.output("rnn")[0], WithinRel(0.5370495669980353, 1e-12));
    CHECK_THAT(all.output("rnn")[1], WithinRel(0.6524998278634717, 1e-12));
    CHECK(all.explain("rnn", 0).formula() == "tanh(0.5 × 1 + 0.1 + 0)");
}

TEST_CASE("a Keras-layout LSTM and its PyTorch twin (transposed, one bias split in two) give the same numbers", "[recurrent][numeric]") {
    // Keras kernel [features, 4·units] = weight_ihᵀ; the gate order i, f, c, o is PyTorch's i, f, g, o.
    const char* keras = R"({"title": "k", "framework": "keras", "input": {"values": [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.75]]},
        "layers": [{"name": "l", "type": "lstm", "units": 1, "kernel": [[0.1, 0.2, 0.3, 0.4], [-0.5, 0.6, -0.7, 0.8]],
                    "recurrent_kernel": [[0.9, -0.1, 0.2, -0.3]], "bias": [0.05, 0.15, -0.25, 0.35]}],
        "target": [0.3], "loss": "mse"})";
    const char* torch = R"({"title": "p", "framework": "pytorch", "input": {"values": [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.75]]},
        "layers": [{"name": "l", "type": "lstm", "units": 1, "weight_ih": [[0.1, -0.5], [0.2, 0.6], [0.3, -0.7], [0.4, 0.8]],
                    "weight_hh": [[0.9], [-0.1], [0.2], [-0.3]], "bias_ih": [0.05, 0.15, -0.25, 0.35], "bias_hh": [0, 0, 0, 0]}],
        "target": [0.3], "loss": "mse"})";
    auto k = run_numeric(keras);
    auto p = run_numeric(torch);
    CHECK_THAT(k.output("l")[0], WithinRel(p.output("l")[0], 1e-12));
    CHECK_THAT(k.pass.loss->value.to_double(), WithinRel(p.pass.loss->value.to_double(), 1e-12));
    for (size_t i = 0; i < 2; ++i)
        for (size_t g = 0; g < 4; ++g) CHECK_THAT(k.param_grad("l", 0)[i * 4 + g], WithinRel(p.param_grad("l", 0)[g * 2 + i], 1e-12));
    for (size_t g = 0; g < 4; ++g) CHECK_THAT(k.param_grad("l", 2)[g], WithinRel(p.param_grad("l", 2)[g], 1e-12));
}

TEST_CASE("a Keras GRU (z, r, h with a bias [2, 3·units]) and its PyTorch twin (r, z, n with bias_ih and bias_hh) give the same numbers", "[recurrent][numeric]") {
    // The twin's rows are Keras's columns in PyTorch's gate order: r (Keras 1), z (Keras 0), n (Keras 2).
    const char* keras = R"({"title": "k", "framework": "keras", "input": {"values": [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.75]]},
        "layers": [{"name": "g", "type": "gru", "units": 1, "return_sequences": true,
                    "kernel": [[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]], "recurrent_kernel": [[0.7, -0.8, 0.9]],
                    "bias": [[0.05, -0.15, 0.25], [0.35, 0.45, -0.55]]}],
        "target": [[0.3], [-0.2], [0.1]], "loss": "mse"})";
    const char* torch = R"({"title": "p", "framework": "pytorch", "input": {"values": [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.75]]},
        "layers": [{"name": "g", "type": "gru", "units": 1, "return_sequences": true,
                    "weight_ih": [[0.2, 0.5], [0.1, -0.4], [0.3, -0.6]], "weight_hh": [[-0.8], [0.7], [0.9]],
                    "bias_ih": [-0.15, 0.05, 0.25], "bias_hh": [0.45, 0.35, -0.55]}],
        "target": [[0.3], [-0.2], [0.1]], "loss": "mse"})";
    auto k = run_numeric(keras);
    auto p = run_numeric(torch);
    for (size_t t = 0; t < 3; ++t) CHECK_THAT(k.output("g")[t], WithinRel(p.output("g")[t], 1e-12));
    const size_t torch_row[3] = {1, 0, 2};  // Keras gate column → PyTorch row
    for (size_t gate = 0; gate < 3; ++gate) {
        for (size_t i = 0; i < 2; ++i)
            CHECK_THAT(k.param_grad("g", 0)[i * 3 + gate], WithinRel(p.param_grad("g", 0)[torch_row[gate] * 2 + i], 1e-12));
        CHECK_THAT(k.param_grad("g", 1)[gate], WithinRel(p.param_grad("g", 1)[torch_row[gate]], 1e-12));
        CHECK_THAT(k.param_grad("g", 2)[gate], WithinRel(p.param_grad("g", 2)[torch_row[gate]], 1e-12));      // input bias
        CHECK_THAT(k.param_grad("g", 2)[3 + gate], WithinRel(p.param_grad("g", 3)[torch_row[gate]], 1e-12));  // recurrent bias
    }
}
