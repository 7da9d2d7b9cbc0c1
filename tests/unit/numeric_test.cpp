// The numeric engine: losses, gradients and optimizer steps against values worked by
// hand (each case's arithmetic is in its comment), and its worked formulas.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "helpers.h"
#include "problem/error.h"
#include "report/numeric_reports.h"

using Catch::Matchers::WithinRel;
using dlsolve::Json;
using dlsolve::NumericOptions;
using dlsolve::test::solve_text;

namespace {

// One dense unit y = w·x (+ b) on x = 1, target 0, MSE: L = y², ∂L/∂w = 2y.
std::string single_weight(const std::string& optimizer, int steps = 1, bool bias = false) {
    return fmt::format(R"({{"title": "t", "framework": "pytorch", "input": {{"values": [1.0]}},
        "layers": [{{"name": "d", "type": "dense", "units": 1, "use_bias": {}, "weights": [[1.0]]{},
                     "symbols": {{"weights": "w"}}}}],
        "target": [0.0], "loss": "mse", "optimizer": {}, "steps": {}}})",
                       bias ? "true" : "false", bias ? R"(, "bias": [0.0])" : "", optimizer, steps);
}

Json train(const std::string& text) {
    auto s = solve_text(text);
    return dlsolve::train_worksheet(s.problem, s.analysis, {}).answers;
}

Json backward(const std::string& text) {
    auto s = solve_text(text);
    return dlsolve::backward_worksheet(s.problem, s.analysis, {}).answers;
}

double number(const Json& answers, const std::string& key) { return answers.at(key).get<double>(); }

}  // namespace

TEST_CASE("SGD, momentum, Nesterov and L2 weight decay follow torch.optim.SGD", "[numeric][optimizer]") {
    CHECK_THAT(number(train(single_weight(R"({"type": "sgd", "lr": 0.1})")), "update.w11"), WithinRel(0.8, 1e-12));
    // step 1: b = g = 2, w = 0.8; step 2: g = 1.6, b = 0.9·2 + 1.6 = 3.4, w = 0.8 − 0.34 = 0.46
    CHECK_THAT(number(train(single_weight(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9})", 2)), "update.w11"), WithinRel(0.46, 1e-12));
    // Nesterov: b = 2, step = g + μ·b = 3.8, w = 1 − 0.38
    CHECK_THAT(number(train(single_weight(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true})")), "update.w11"),
               WithinRel(0.62, 1e-12));
    // exam 001 2.4: θ ← (1 − αλ)θ − α∇L = 0.95 − 0.2 = 0.75
    CHECK_THAT(number(train(single_weight(R"({"type": "sgd", "lr": 0.1, "weight_decay": 0.5})")), "update.w11"), WithinRel(0.75, 1e-12));
}

TEST_CASE("RMSprop, Adam with bias correction, AdamW and Adagrad", "[numeric][optimizer]") {
    // s = 0.01·4 = 0.04, w = 1 − 0.1·2/(0.2 + 1e−8)
    CHECK_THAT(number(train(single_weight(R"({"type": "rmsprop", "lr": 0.1})")), "update.w11"),
               Catch::Matchers::WithinAbs(1 - 0.2 / (0.2 + 1e-8), 1e-15));  // ≈ 5e−8: absolute, after cancellation
    // m̂ = 0.2/0.1 = 2, v̂ = 0.004/0.001 = 4, w = 1 − 0.1·2/(2 + 1e−8)
    CHECK_THAT(number(train(single_weight(R"({"type": "adam", "lr": 0.1})")), "update.w11"), WithinRel(1 - 0.2 / (2 + 1e-8), 1e-12));
    // decoupled: w = 1·(1 − 0.1·0.01) = 0.999, then the same Adam step
    CHECK_THAT(number(train(single_weight(R"({"type": "adamw", "lr": 0.1})")), "update.w11"),
               WithinRel(0.999 - 0.2 / (2 + 1e-8), 1e-12));
    // G = 4, w = 1 − 0.1·2/(2 + 1e−10)
    CHECK_THAT(number(train(single_weight(R"({"type": "adagrad", "lr": 0.1})")), "update.w11"), WithinRel(1 - 0.2 / (2 + 1e-10), 1e-12));
    // per-step losses: L = y² before each step: 1, then 0.8² = 0.64
    const Json sgd = train(single_weight(R"({"type": "sgd", "lr": 0.1})", 2));
    CHECK_THAT(number(sgd, "step1.loss"), WithinRel(1.0, 1e-12));
    CHECK_THAT(number(sgd, "step2.loss"), WithinRel(0.64, 1e-12));
    CHECK_THAT(number(sgd, "final.loss"), WithinRel(0.64 * 0.64, 1e-12));
}

TEST_CASE("losses and their gradients with PyTorch's reductions", "[numeric][loss]") {
    const auto net = [](const char* activation, const char* loss, const char* target) {
        return fmt::format(R"({{"title": "t", "input": {{"values": [1.0]}},
            "layers": [{{"name": "d", "type": "dense", "units": {}, "weights": [{}], "bias": {},
                         "activation": "{}"}}], "target": {}, "loss": "{}"}})",
                           std::string(target).find('[') == 0 ? std::count(target, target + std::strlen(target), ',') + 1 : 4,
                           std::string(target).find('[') == 0 && std::count(target, target + std::strlen(target), ',') == 1 ? "[2.0, 0.0]"
                                                                                                                               : "[0.0, 0.0, 0.0, 0.0]",
                           std::string(target).find('[') == 0 && std::count(target, target + std::strlen(target), ',') == 1 ? "[0.0, 0.0]"
                                                                                                                               : "[0.0, 0.0, 0.0, 0.0]",
                           activation, target, loss);
    };
    // prediction (2, 0), target (1, 1)
    CHECK_THAT(number(backward(net("linear", "mse", "[1.0, 1.0]")), "loss"), WithinRel(1.0, 1e-12));
    CHECK_THAT(number(backward(net("linear", "sse", "[1.0, 1.0]")), "loss"), WithinRel(2.0, 1e-12));
    CHECK_THAT(number(backward(net("linear", "half_sse", "[1.0, 1.0]")), "loss"), WithinRel(1.0, 1e-12));
    const Json mae = backward(net("linear", "mae", "[1.0, 1.0]"));
    CHECK_THAT(number(mae, "loss"), WithinRel(1.0, 1e-12));
    CHECK(mae.at("grad.d.bias") == Json::array({0.5, -0.5}));
    // four zero logits, class 1: ln 4; ∂L/∂z = softmax − y = (¼, −¾, ¼, ¼)
    const Json ce = backward(net("linear", "cross_entropy_logits", R"({"class": 1})"));
    CHECK_THAT(number(ce, "loss"), WithinRel(std::log(4.0), 1e-12));
    CHECK(ce.at("grad.d.bias") == Json::array({0.25, -0.75, 0.25, 0.25}));
    // the same through a softmax layer and cross_entropy on probabilities
    const Json probs = backward(net("softmax", "cross_entropy", R"({"class": 1})"));
    CHECK_THAT(number(probs, "loss"), WithinRel(std::log(4.0), 1e-12));
    CHECK_THAT(probs.at("grad.d.bias")[1].get<double>(), WithinRel(-0.75, 1e-12));
}

TEST_CASE("binary cross-entropy on probabilities and on logits", "[numeric][loss]") {
    const auto net = [](const char* activation, const char* loss) {
        return fmt::format(R"({{"title": "t", "input": {{"values": [1.0]}},
            "layers": [{{"name": "d", "type": "dense", "units": 1, "weights": [[0.0]], "bias": [0.0], "activation": "{}"}}],
            "target": [1.0], "loss": "{}"}})", activation, loss);
    };
    // σ(0) = ½, L = −ln ½, ∂L/∂z = σ − y = −½
    for (const auto& answers : {backward(net("sigmoid", "bce")), backward(net("linear", "bce_logits"))}) {
        CHECK_THAT(number(answers, "loss"), WithinRel(std::log(2.0), 1e-12));
        CHECK_THAT(answers.at("grad.d.bias")[0].get<double>(), WithinRel(-0.5, 1e-12));
    }
}

TEST_CASE("worked steps: the formula is the arithmetic", "[numeric][worked]") {
    auto s = solve_text(single_weight(R"({"type": "adam", "lr": 0.1})"));
    const auto sheet = dlsolve::train_worksheet(s.problem, s.analysis, {});
    std::vector<std::string> formulas;
    for (const auto& step : sheet.steps) formulas.push_back(step.expr.worked());
    CHECK(std::find(formulas.begin(), formulas.end(), "1 − 0.1 × 2/(√4 + 1e-08) = 0.9000000005") != formulas.end());
    const auto forward = dlsolve::forward_worksheet(s.problem, s.analysis, {});
    CHECK(forward.steps.at(0).expr.worked() == "1 × 1 = 1");
    CHECK(forward.steps.back().expr.worked() == "(1 − 0)²/1 = 1");
}

TEST_CASE("numeric bad input: shapes, targets, symbols, learning rate", "[numeric][errors]") {
    const auto error = [](const std::string& text, const NumericOptions& options = {}) -> std::string {
        try {
            auto s = solve_text(text);
            dlsolve::train_worksheet(s.problem, s.analysis, options);
        } catch (const dlsolve::ProblemError& e) {
            return e.what();
        }
        return "";
    };
    CHECK(error(R"({"title": "t", "input": {"values": [1.0, 2.0]}, "layers": [{"type": "dense", "units": 1, "weights": [[1.0, 2.0]], "bias": [0.0]}],
                   "target": [0.0], "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/layers/0/weights: expected an array of shape [2, 1], found [1, 2], its transpose (give the values in the framework's own layout)");
    CHECK(error(R"({"title": "t", "input": {"values": [1.0]}, "layers": [{"type": "dense", "units": 1, "weights": [[1.0]], "bias": [0.0]}],
                   "target": [0.0, 1.0], "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/target: expected 1 values like the output [1, 1], found 2 [2]");
    CHECK(error(single_weight(R"({"type": "sgd"})")) == "/optimizer: missing required key \"lr\" (the learning rate, a number ≥ 0)");
    CHECK(error(single_weight(R"({"type": "sgd", "lr": 0.1})"), {.param = "v11"}) ==
          "--param: unknown symbol \"v11\" (did you mean \"w11\"?)");
    CHECK(error(single_weight(R"({"type": "sgd", "lr": 0.1})"), {.param = "q"}) == "--param: unknown symbol \"q\"");
    CHECK(error(R"({"title": "t", "input": {"values": [[1.0]]}, "layers": [{"type": "dense", "units": 1, "weights": [[1.0]]}],
                   "target": [0.0], "loss": "mse"})") ==
          "/layers/0: values are given for \"weights\" but not for \"bias\": give all of them or none");
}
