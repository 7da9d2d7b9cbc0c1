// Networks written as equations: the grammar, shape inference by unification, sizes in
// symbols, derivatives in matrix form, and answer keys compared after simplification.
#include <catch2/catch.hpp>

#include <random>

#include <fmt/format.h>

#include "equations/matrix_form.h"
#include "equations/system.h"
#include "helpers.h"
#include "problem/error.h"
#include "report/reports.h"

using namespace dlsolve;
using dlsolve::test::error_of_text;
using dlsolve::test::solve_text;

namespace {

std::string parse_error(const std::string& equation) {
    try {
        equations::parse_equation(equation, "/equations/0");
    } catch (const ProblemError& e) {
        return e.what();
    }
    return "";
}


const char* kSiamese = R"J({"title": "siamese", "dims": {"D": null, "D_a1": null, "m": null}, "examples": "m",
    "inputs": {"x": {"shape": ["D", 1]}, "x'": {"shape": ["D", 1]}}, "targets": {"y": {"shape": [1, 1]}},
    "params": {"W1": {}, "b1": {}, "W2": {}, "b2": {}}, "shapes": {"z1": ["D_a1", 1], "y_hat": [1, 1]},
    "equations": ["z1 = W1 @ x + b1", "a1 = relu(z1)", "z2 = W1 @ x' + b1", "a2 = relu(z2)", "a = a1 - a2",
                  "z3 = W2 @ a + b2", "y_hat = sigmoid(z3)"], "loss": "bce"})J";

std::string shape_of(const Problem& p, const std::string& name) { return equations::shape_text(*p.equations->find(name)->shape); }

}  // namespace

TEST_CASE("the grammar: precedence, transposes, Unicode operators and names", "[equations][syntax]") {
    using equations::parse_equation;
    using equations::to_text;
    CHECK(to_text(*parse_equation("z = W @ x + b", "").value) == "W @ x + b");
    CHECK(to_text(*parse_equation("z = W @ (x + b)", "").value) == "W @ (x + b)");
    CHECK(to_text(*parse_equation("z = a − b − c", "").value) == "a − b − c");
    CHECK(to_text(*parse_equation("z = a - (b - c)", "").value) == "a − (b − c)");
    CHECK(to_text(*parse_equation("z = X.T @ dout", "").value) == "Xᵀ @ dout");
    CHECK(to_text(*parse_equation("z = Wᵀ · δ ⊙ a", "").value) == "Wᵀ @ δ ⊙ a");
    CHECK(to_text(*parse_equation("ŷ = sigmoid(W2 @ a + b2) / 2", "").value) == "sigmoid(W2 @ a + b2) / 2");
    CHECK(parse_equation("x' = -x", "").target == "x'");
}

TEST_CASE("grammar errors name the column", "[equations][syntax]") {
    CHECK(parse_error("z = W @ @ x") == "/equations/0: column 9: expected a name, a number or \"(\", found \"@\"");
    CHECK(parse_error("z = relu(x") == "/equations/0: column 11: expected \")\" closing relu(, found the end of the equation");
    CHECK(parse_error("z W @ x") == "/equations/0: column 3: expected \"=\" after the name being defined, found \"W\"");
    CHECK(parse_error("z = ŷ ^ 2").find("column 7: unexpected character '^'") != std::string::npos);  // columns count code points
    CHECK(parse_error("relu = x").find("is a function") != std::string::npos);
    CHECK(parse_error("z = x y").find("column 7: unexpected \"y\" after a complete equation") != std::string::npos);
}

TEST_CASE("the Siamese network of exam 003 1h: shapes by unification, shared W1 counted once", "[equations][shapes]") {
    const auto s = solve_text(kSiamese);
    const Problem& p = s.problem;
    CHECK(shape_of(p, "W1") == "D_a1 × D");
    CHECK(shape_of(p, "b1") == "D_a1 × 1");
    CHECK(shape_of(p, "W2") == "1 × D_a1");
    CHECK(shape_of(p, "b2") == "1 × 1");
    CHECK(shape_of(p, "a") == "D_a1 × 1");
    const Json answers = all_answers(p, s.analysis);
    CHECK(answers["params.total"] == "D·D_a1 + 2·D_a1 + 1");
    CHECK(answers["vectorised.shapes.x'"] == Json::array({"D", "m"}));
    // The reason kept for W1's rows is the equation whose declared shape forced them.
    CHECK(p.equations->find("W2")->reasons[0] == "y_hat = sigmoid(z3)");
}

TEST_CASE("derivatives in matrix form: δ1, δ2 and δ3 of exam 003 1h", "[equations][gradients]") {
    const auto s = solve_text(kSiamese);
    const auto& system = *s.problem.equations;
    CHECK(equations::jacobian(system, "z3", "a", "").matrix == "W2");
    CHECK(equations::jacobian(system, "a", "z2", "").matrix == "−diag(1[z2 > 0])");
    CHECK(equations::jacobian(system, "a", "x'", "").matrix == "−diag(1[z2 > 0]) W1");
    CHECK(equations::jacobian(system, "z3", "z1", "").matrix == "W2 diag(1[z1 > 0])");
    // Both twins: x feeds z3 through a1 only, W1 collects both uses.
    const auto grads = equations::gradients(system, "bce");
    std::map<std::string, equations::Gradient> by_name;
    for (const auto& g : grads) by_name[g.tensor] = g;
    CHECK(by_name["z3"].simplified == "(y_hat − y)/m");
    CHECK(by_name["a"].formula == "∂L/∂a = W2ᵀ @ ∂L/∂z3");
    CHECK(by_name["a2"].formula == "∂L/∂a2 = −∂L/∂a");
    CHECK(by_name["W1"].formula.find("∂L/∂z2 @ x'ᵀ + ∂L/∂z1 @ xᵀ") != std::string::npos);
    CHECK(by_name["b1"].formula.find("∂L/∂z2 + ∂L/∂z1") != std::string::npos);
}

TEST_CASE("a bias added to a batch of rows broadcasts: b is 1 × M, ∂L/∂b sums over N", "[equations][shapes]") {
    const auto s = solve_text(R"J({"title": "fc", "dims": {"N": null, "D": null, "M": null}, "batch_dims": ["N"], "upstream": "dout",
        "inputs": {"X": {"shape": ["N", "D"]}}, "params": {"W": {"shape": ["D", "M"]}, "b": {}}, "equations": ["Y = X @ W + b"]})J");
    CHECK(shape_of(s.problem, "b") == "1 × M");
    const Json answers = all_answers(s.problem, s.analysis);
    CHECK(answers["gradient.X"] == "dout @ Wᵀ");
    CHECK(answers["gradient.W"] == "Xᵀ @ dout");
    CHECK(answers["gradient.b"] == "Σ_N dout");
    CHECK(answers["gradient_shapes.X"] == Json::array({"N", "D"}));
}

TEST_CASE("shapes that cannot unify name the equation and both sizes", "[equations][errors]") {
    const std::string e = error_of_text(R"J({"title": "t", "dims": {"D": null, "H": null}, "inputs": {"x": {"shape": ["D", 1]}},
        "params": {"W": {"shape": ["H", "D"]}, "V": {"shape": ["H", "H"]}}, "equations": ["z = W @ x", "u = V @ z", "w = V @ x"]})J");
    CHECK(e == "/equations/2: V @ x: the columns of V (H) must equal the rows of x (D) (in w = V @ x)");
    const std::string given = error_of_text(R"J({"title": "t", "dims": {"D": null, "H": null}, "inputs": {"x": {"shape": ["D", 1]}},
        "params": {"W": {"shape": ["H", "D"]}}, "shapes": {"z": ["D", 1]}, "equations": ["z = W @ x"]})J");
    CHECK(given == "/equations/0: \"z\" is given D × 1 but the right-hand side is H × 1 (in z = W @ x)");
}

TEST_CASE("sizes print as the exams write polynomials", "[equations][sizes]") {
    GiNaC::symbol C("C"), n("n"), m("m"), D("D_a1");
    CHECK(equations::size_text(3 * (3 * 3 * C * C)) == "27C²");
    CHECK(equations::size_text(7 * 7 * C * C) == "49C²");
    CHECK(equations::size_text(4 * (n * (n + m) + n)) == "4n² + 4m·n + 4n");
    CHECK(equations::size_text(2 * D + 1) == "2·D_a1 + 1");
    CHECK(equations::size_text(GiNaC::ex(0) - C) == "−C");
}

TEST_CASE("answer keys in symbols compare after simplification, not as text", "[equations][check]") {
    using equations::same_symbolic;
    CHECK(same_symbolic("27*C^2", "27C²"));
    CHECK(same_symbolic("3*(3*3*C*C)", "27C²"));
    CHECK_FALSE(same_symbolic("49*C^2", "27C²"));
    CHECK(same_symbolic("D_a1 × D", Json::array({"D_a1", "D"})));
    CHECK_FALSE(same_symbolic("D × D_a1", Json::array({"D_a1", "D"})));
    CHECK(same_symbolic("H × 1", Json::array({4, 1}), {{"H", 4}}));
    CHECK_FALSE(same_symbolic("H × 1", Json::array({4, 1}), {{"H", 5}}));
    CHECK(same_symbolic("D*D_a1 + 2*D_a1 + 1", "D·D_a1 + 2·D_a1 + 1"));
    CHECK_FALSE(same_symbolic("−diag(1[z2 > 0])", "diag(1[z2 > 0])J"));  // not arithmetic: as written
}

TEST_CASE("a count in symbols equals the count computed with numbers, over 500 random sizes", "[equations][property]") {
    // The same two-layer network with symbolic sizes and with numbers: the polynomial,
    // with the numbers substituted, must equal the count of the network lowered onto
    // the layer graph (counted there by the parameter layers, not by GiNaC).
    const auto symbolic = solve_text(R"J({"title": "t", "dims": {"D": null, "H": null, "K": null},
        "inputs": {"x": {"shape": ["D", 1]}}, "params": {"W1": {"shape": ["H", "D"]}, "b1": {}, "W2": {"shape": ["K", "H"]}, "b2": {}},
        "equations": ["h = tanh(W1 @ x + b1)", "y = W2 @ h + b2"]})J");
    const std::string total = all_answers(symbolic.problem, symbolic.analysis)["params.total"];
    std::mt19937 rng(7);
    std::uniform_int_distribution<int64_t> size(1, 60);
    for (int draw = 0; draw < 500; ++draw) {
        const int64_t d = size(rng), h = size(rng), k = size(rng);
        const auto numeric = solve_text(fmt::format(R"J({{"title": "t", "dims": {{"D": {}, "H": {}, "K": {}}},
            "inputs": {{"x": {{"shape": ["D", 1]}}}}, "params": {{"W1": {{"shape": ["H", "D"]}}, "b1": {{}}, "W2": {{"shape": ["K", "H"]}}, "b2": {{}}}},
            "equations": ["h = tanh(W1 @ x + b1)", "y = W2 @ h + b2"]}})J", d, h, k));
        INFO("D = " << d << ", H = " << h << ", K = " << k);
        REQUIRE(numeric.analysis.totals.total.value() == h * d + h + k * h + k);
        REQUIRE(equations::same_symbolic(total, numeric.analysis.totals.total.value(), {{"D", d}, {"H", h}, {"K", k}}));
    }
}

TEST_CASE("layers with sizes in symbols: counts as polynomials equal to the counts with numbers", "[equations][symbolic-layers]") {
    // Keras LSTM(n) on m features: 4 × (n × (m + n) + n), as the issue's example writes it.
    const auto lstm = solve_text(R"J({"title": "t", "dims": {"n": null, "m": null}, "input": {"shape": [5, "m"]},
        "layers": [{"name": "lstm", "type": "lstm", "units": "n"}]})J");
    const Json answers = all_answers(lstm.problem, lstm.analysis);
    CHECK(answers["params.lstm"] == "4n² + 4m·n + 4n");
    std::mt19937 rng(11);
    std::uniform_int_distribution<int64_t> size(1, 300);
    for (int draw = 0; draw < 500; ++draw) {
        const int64_t n = size(rng), m = size(rng);
        const auto numeric = solve_text(fmt::format(R"J({{"title": "t", "input": {{"shape": [5, {}]}},
            "layers": [{{"name": "lstm", "type": "lstm", "units": {}}}]}})J", m, n));
        INFO("n = " << n << ", m = " << m);
        REQUIRE(numeric.params("lstm") == 4 * (n * (m + n) + n));
        REQUIRE(equations::same_symbolic(answers["params.lstm"], numeric.params("lstm"), {{"n", n}, {"m", m}}));
    }
    // A count behind a floor is no polynomial: it is written in the floored size, the
    // dense layer's 2 × (⌊H/2⌋·⌊H/2⌋·3 + 1) by hand.
    const auto pooled = solve_text(R"J({"title": "t", "dims": {"H": null}, "input": {"shape": ["H", "H", 3]},
        "layers": [{"type": "maxpool2d", "pool": 2}, {"type": "flatten"}, {"name": "d", "type": "dense", "units": 2}]})J");
    const Json floored = all_answers(pooled.problem, pooled.analysis);
    CHECK(floored["params.d"] == "6·⌊H/2⌋² + 2");
    for (int64_t h = 2; h <= 300; ++h) {
        INFO("H = " << h);
        REQUIRE(equations::same_symbolic(floored["params.d"], 2 * ((h / 2) * (h / 2) * 3 + 1), {{"H", h}}));
    }
}

TEST_CASE("a signed number or a product of numbers scales a tensor: −0.5 * z, 3 / 2 * z, z * (2 * 4)", "[equations][lower]") {
    // −0.5 parses as −(0.5): it is still the number −0.5, not a tensor of its own.
    const auto n = dlsolve::test::run_numeric(R"J({"title": "t", "dims": {"D": 2},
        "inputs": {"x": {"shape": ["D", 1], "values": [[1.0], [-2.0]]}},
        "equations": ["a = -0.5 * x", "b = 3 / 2 * a", "c = b * (2 * 4)", "d = c / -4"]})J");
    CHECK(n.output("a").data == std::vector<double>{-0.5, 1.0});
    CHECK(n.output("b").data == std::vector<double>{-0.75, 1.5});
    CHECK(n.output("c").data == std::vector<double>{-6.0, 12.0});
    CHECK(n.output("d").data == std::vector<double>{1.5, -3.0});
}
