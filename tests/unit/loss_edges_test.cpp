// Losses at their edges (probabilities of exactly 0 and 1) and the margin losses,
// against PyTorch's and Keras's definitions; each value in a comment is worked by hand
// (and was checked in float64 PyTorch where PyTorch has the loss).
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>

#include "helpers.h"
#include "problem/error.h"
#include "report/numeric_reports.h"

using Catch::Matchers::WithinRel;
using dlsolve::Json;
using dlsolve::test::solve_text;

namespace {

// The input is the network's output: a linear layer named `out` on `values`.
std::string given_output(const std::string& framework, const std::string& values, const std::string& target, const std::string& loss,
                         int batch) {
    return fmt::format(R"({{"title": "t", "framework": "{}", "batch": {}, "input": {{"name": "p", "values": {}}},
        "layers": [{{"name": "out", "type": "linear", "symbols": {{"output": "o"}}}}], "target": {}, "loss": "{}"}})",
                       framework, batch, values, target, loss);
}

dlsolve::Worksheet backward(const std::string& text) {
    auto s = solve_text(text);
    return dlsolve::backward_worksheet(s.problem, s.analysis, {});
}

std::string error(const std::string& text) {
    try {
        backward(text);
    } catch (const dlsolve::ProblemError& e) {
        return e.what();
    }
    return "";
}

std::string loss_formula(const dlsolve::Worksheet& sheet) {
    for (const auto& step : sheet.steps)
        if (step.key == "loss") return step.expr.worked();
    return "";
}

// The loss formula in names: (y1 − t1)² + …
std::string loss_names(const dlsolve::Worksheet& sheet) {
    for (const auto& step : sheet.steps)
        if (step.key == "loss") return step.expr.symbolic();
    return "";
}

std::vector<double> input_grad(const dlsolve::Worksheet& sheet) {
    std::vector<double> out;
    for (const auto& row : sheet.answers.at("grad.p"))
        for (const auto& v : row) out.push_back(v.get<double>());
    return out;
}

}  // namespace

TEST_CASE("cross-entropy: a probability of 0 in a class that is not the target adds nothing", "[numeric][loss][edges]") {
    // Keras's CategoricalCrossentropy example: (−log 0.95 − log 0.1)/2 = 1.1769391937
    const std::string probs = "[[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]";
    for (const char* framework : {"keras", "pytorch"}) {
        const auto sheet = backward(given_output(framework, probs, R"({"classes": [1, 2]})", "cross_entropy", 2));
        CHECK_THAT(sheet.answers.at("loss").get<double>(), WithinRel(1.176939193690798, 1e-12));
        // ∂L/∂ŷ = −y/(ŷ·N): −1/(0.95·2) and −1/(0.1·2); 0 where y = 0 (PyTorch's autograd: NaN at ŷ = 0)
        const auto g = input_grad(sheet);
        REQUIRE(g.size() == 6);
        CHECK(g[2] == 0.0);
        CHECK(g[0] == 0.0);
        CHECK_THAT(g[1], WithinRel(-1 / 1.9, 1e-12));
        CHECK_THAT(g[5], WithinRel(-5.0, 1e-12));
    }
}

TEST_CASE("cross-entropy: log 0 at the target is an error in PyTorch and clipped in Keras", "[numeric][loss][edges]") {
    const std::string probs = "[[1.0, 0.0]]";
    CHECK(error(given_output("pytorch", probs, R"({"class": 1})", "cross_entropy", 1)).find("log 0 = −∞") != std::string::npos);
    // Keras clips ŷ to [1e-7, 1 − 1e-7]: −log(1e-7) = 16.118095651
    const auto sheet = backward(given_output("keras", probs, R"({"class": 1})", "cross_entropy", 1));
    CHECK_THAT(sheet.answers.at("loss").get<double>(), WithinRel(-std::log(1e-7), 1e-12));
    CHECK(loss_formula(sheet).find("log(1e-07)") != std::string::npos);
    CHECK(input_grad(sheet) == std::vector<double>{0.0, 0.0});  // a clipped value passes no gradient (tf.clip_by_value)
}

TEST_CASE("binary cross-entropy: predictions of exactly 0 and 1 that equal the target", "[numeric][loss][edges]") {
    // PyTorch: F.binary_cross_entropy([0, 1, 1, 0], [0, 1, 1, 0]) = 0, gradient 0 (it divides by max(ŷ(1 − ŷ), 1e-12))
    const auto sheet = backward(given_output("pytorch", "[[0.0, 1.0, 1.0, 0.0]]", "[[0.0, 1.0, 1.0, 0.0]]", "bce", 1));
    CHECK(sheet.answers.at("loss").get<double>() == 0.0);
    CHECK(input_grad(sheet) == std::vector<double>{0.0, 0.0, 0.0, 0.0});
    // wrong and certain: log clamped at −100, gradient (ŷ − y)/(ε·n) = ∓5e11 with PyTorch's ε,
    // the float 1e-12 (PyTorch float64: ∓500000001997.9014)
    const auto wrong = backward(given_output("pytorch", "[[0.0, 1.0]]", "[[1.0, 0.0]]", "bce", 1));
    CHECK_THAT(wrong.answers.at("loss").get<double>(), WithinRel(100.0, 1e-12));
    CHECK_THAT(input_grad(wrong)[0], WithinRel(-500000001997.9014, 1e-12));
    CHECK_THAT(input_grad(wrong)[1], WithinRel(500000001997.9014, 1e-12));
}

TEST_CASE("hinge is CS231n's multiclass SVM loss and multi_margin PyTorch's MultiMarginLoss", "[numeric][loss][margin]") {
    // cat, car, frog scores of CS231n's three images: 2.9, 0 and 12.9, mean 5.2667 (PyTorch's MultiMarginLoss: /3 = 1.7556)
    const std::string scores = "[[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]";
    const auto svm = backward(given_output("pytorch", scores, R"({"classes": [0, 1, 2]})", "hinge", 3));
    CHECK_THAT(svm.answers.at("loss").get<double>(), WithinRel(15.8 / 3, 1e-12));
    CHECK(loss_formula(svm).find("max(0, 5.1 − 3.2 + 1)") != std::string::npos);
    // ∂L/∂s: image 1 (cat): car's margin 2.9 > 0, frog's −3.9: (−1, 1, 0)/3; image 2: 0; image 3: (1, 1, −2)/3
    const std::vector<double> expected{-1.0 / 3, 1.0 / 3, 0, 0, 0, 0, 1.0 / 3, 1.0 / 3, -2.0 / 3};
    const auto g = input_grad(svm);
    REQUIRE(g.size() == expected.size());
    for (size_t i = 0; i < g.size(); ++i) CHECK(g[i] == Approx(expected[i]).epsilon(1e-12));
    const auto torch = backward(given_output("pytorch", scores, R"({"classes": [0, 1, 2]})", "multi_margin", 3));
    CHECK_THAT(torch.answers.at("loss").get<double>(), WithinRel(15.8 / 9, 1e-12));
    CHECK_THAT(input_grad(torch)[8], WithinRel(-2.0 / 9, 1e-12));
    // a margin of exactly 0 passes no gradient (PyTorch adds only where the margin is > 0): s = (1, 0), class 0
    const auto edge = backward(given_output("pytorch", "[[1.0, 0.0]]", R"({"class": 0})", "hinge", 1));
    CHECK(edge.answers.at("loss").get<double>() == 0.0);
    CHECK(input_grad(edge) == std::vector<double>{0.0, 0.0});
    // one-hot rows work as targets; other values do not
    CHECK_THAT(backward(given_output("pytorch", "[[3.2, 5.1, -1.7]]", "[[1, 0, 0]]", "hinge", 1)).answers.at("loss").get<double>(),
               WithinRel(2.9, 1e-12));
    CHECK(error(given_output("pytorch", "[[3.2, 5.1, -1.7]]", "[[0.5, 0.5, 0]]", "hinge", 1)).find("not one-hot") != std::string::npos);
}

TEST_CASE("the target is not written with the output's letter", "[numeric][loss][names]") {
    // a layer named y: its outputs are y…, the targets t1, t2
    const std::string text = R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "values": [1.0, 2.0]},
        "layers": [{"name": "y", "type": "dense", "units": 2, "weights": [[1, 0], [0, 1]], "bias": [0, 0]}],
        "target": [0.0, 0.0], "loss": "mse"})";
    CHECK(loss_names(backward(text)) == "((y[1] − t1)² + (y[2] − t2)²)/n");
}

TEST_CASE("class targets: 0-based class, 1-based label, and the loss line says which output", "[numeric][loss][targets]") {
    const std::string scores = "[[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]";
    // the exam's labels 1, 2, 3 are the classes 0, 1, 2: the same 15.8/3
    const auto labels = backward(given_output("pytorch", scores, R"({"labels": [1, 2, 3]})", "hinge", 3));
    CHECK_THAT(labels.answers.at("loss").get<double>(), WithinRel(15.8 / 3, 1e-12));
    const auto one = backward(given_output("pytorch", "[[3.2, 5.1, -1.7]]", R"({"label": 2})", "hinge", 1));
    CHECK_THAT(one.answers.at("loss").get<double>(), WithinRel(0.0 + std::max(0.0, 3.2 - 5.1 + 1) + std::max(0.0, -1.7 - 5.1 + 1), 1e-12));
    CHECK(error(given_output("pytorch", "[[3.2, 5.1, -1.7]]", R"({"labels": [0]})", "hinge", 1)).find("a label ≥ 1") != std::string::npos);
    // the loss line names the class and the output it picks
    auto s = solve_text(given_output("pytorch", "[[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]", R"({"classes": [1, 2]})", "cross_entropy", 2));
    const auto sheet = dlsolve::forward_worksheet(s.problem, s.analysis, {});
    std::string text;
    for (const auto& section : sheet.sections)
        for (const auto& line : section.lines) text += line.label + ": " + line.cell.text + "\n";
    CHECK(text.find("the target classes 1, 2 (\"class\" counts from 0: class 1 is y2 of its sample; as the 1-based \"labels\": 2, 3)") != std::string::npos);
}
