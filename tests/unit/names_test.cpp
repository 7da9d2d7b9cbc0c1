// The names in a worked chain: every derivative is written in the symbols of the layer
// it belongs to (σ′ of a layer named a is a·(1 − a), never another layer's a1), and the
// output is never written with the target's letter.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "helpers.h"
#include "report/numeric_reports.h"

using dlsolve::test::solve_text;

namespace {

// ∂L/∂symbol as the chain rule writes it in names (the symbolic form).
std::string chain(const std::string& text, const std::string& symbol) {
    auto s = solve_text(text);
    dlsolve::NumericOptions options;
    options.param = symbol;
    const auto sheet = dlsolve::backward_worksheet(s.problem, s.analysis, options);
    for (const auto& step : sheet.steps)
        if (step.key == "grad." + symbol) return step.expr.symbolic();
    return "";
}

}  // namespace

TEST_CASE("a 3-layer sigmoid network: each sigma' in its own layer's names", "[numeric][names]") {
    const std::string net = R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "values": [1.0, 2.0], "symbols": "x"},
        "layers": [
          {"name": "h1", "type": "dense", "units": 2, "activation": "sigmoid", "weights": [[0.1, 0.2], [0.3, 0.4]], "bias": [0, 0],
           "symbols": {"weights": "u", "output": "p"}},
          {"name": "h2", "type": "dense", "units": 1, "activation": "sigmoid", "weights": [[0.5], [0.7]], "bias": [0],
           "symbols": {"weights": "v", "output": "q"}},
          {"name": "out", "type": "dense", "units": 1, "activation": "sigmoid", "weights": [[2.0]], "bias": [0],
           "symbols": {"weights": "w", "output": ["ŷ"]}}],
        "target": [1.0], "loss": "mse"})";
    // ∂L/∂u11 = 2(ŷ − y)/n · ŷ(1 − ŷ) · w · q(1 − q) · v11 · p1(1 − p1) · x1
    CHECK(chain(net, "u11") == "2 × (ŷ − y1)/n × ŷ × (1 − ŷ) × w11 × q1 × (1 − q1) × v11 × p1 × (1 − p1) × x1");
    CHECK(chain(net, "w11") == "2 × (ŷ − y1)/n × ŷ × (1 − ŷ) × q1");
}

TEST_CASE("layers named y and a: the output beside the target t, each derivative in its own names", "[numeric][names]") {
    const std::string net = R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "values": [1.0, 2.0], "symbols": "x"},
        "layers": [
          {"name": "z", "type": "dense", "units": 2, "weights": [[0.5, 0.6], [0.7, 0.8]], "bias": [0, 0], "symbols": {"weights": "v"}},
          {"name": "a", "type": "sigmoid"},
          {"name": "h", "type": "tanh"},
          {"name": "y", "type": "dense", "units": 1, "weights": [[1.0], [-1.0]], "bias": [0], "symbols": {"weights": "w"}}],
        "target": [0.5], "loss": "mse"})";
    // tanh′ of h is 1 − h², σ′ of a is a(1 − a); the target is t1 beside the output y[1]
    CHECK(chain(net, "v11") ==
          "2 × (y[1] − t1)/n × w11 × (1 − h[1]²) × a[1] × (1 − a[1]) × x1");
    CHECK(chain(net, "w21") == "2 × (y[1] − t1)/n × h[2]");
}
