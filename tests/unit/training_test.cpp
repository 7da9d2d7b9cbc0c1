// Training beyond one batch: lists of batches and epochs, the per-step table of every
// parameter with its optimizer state, and the Hebbian and perceptron learning rules,
// against values worked by hand (each case's arithmetic is in its comment).
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>

#include "helpers.h"
#include "problem/error.h"
#include "render/render.h"
#include "report/numeric_reports.h"

using Catch::Matchers::WithinRel;
using dlsolve::Json;
using dlsolve::NumericOptions;
using dlsolve::test::solve_text;

namespace {

dlsolve::Worksheet train_sheet(const std::string& text, const NumericOptions& options = {}) {
    auto s = solve_text(text);
    return dlsolve::train_worksheet(s.problem, s.analysis, options);
}

std::string train_error(const std::string& text, const NumericOptions& options = {}) {
    try {
        train_sheet(text, options);
    } catch (const dlsolve::ProblemError& e) {
        return e.what();
    }
    return "";
}

double number(const Json& answers, const std::string& key) { return answers.at(key).get<double>(); }

// The worked update of `key` (update.w1) at step k, as text.
std::string worked(const dlsolve::Worksheet& sheet, const std::string& key, int k) {
    for (const auto& step : sheet.steps)
        if (step.key == key && step.label == fmt::format("step {}", k)) return step.expr.worked();
    return "";
}

// y = w·x, MSE against 0 (L = y², ∂L/∂w = 2·y·x) on the batches x = 1 and x = 2.
std::string two_batches(const std::string& optimizer, const std::string& extra = "") {
    return fmt::format(R"({{"title": "t", "framework": "pytorch", "input": {{"shape": [1]}},
        "batches": [{{"values": [1.0], "target": [0.0]}}, {{"values": [2.0], "target": [0.0]}}],
        "layers": [{{"name": "d", "type": "dense", "units": 1, "use_bias": false, "weights": [[1.0]],
                     "symbols": {{"weights": ["w"]}}}}],
        "loss": "mse", "optimizer": {}{}}})",
                       optimizer, extra);
}

// 004's rule Δw_i = η·x_i·t on ŷ = w1·x1 + w2·x2 + w3·x3 (no bias), η = 0.1, w = (0.5, −0.2, 0.1),
// one sample per batch.
const std::string kHebbian = R"({"title": "t", "input": {"shape": [3]},
    "batches": [{"values": [1, 0, 1], "target": [1]}, {"values": [0, 1, 1], "target": [-1]}, {"values": [1, 1, 0], "target": [1]}],
    "layers": [{"name": "n", "type": "dense", "units": 1, "use_bias": false, "weights": [[0.5], [-0.2], [0.1]],
                "symbols": {"weights": ["w1", "w2", "w3"]}}],
    "rule": {"type": "hebbian", "lr": 0.1})";

// Logical OR with a perceptron (one batch of the four samples in order), η = 0.5, weights 0,
// y = step(w·x + b) = 1 for w·x + b ≥ 0: Cornell CS472's worked example (its bias input is
// −1, so its w3 is −b here).
const std::string kPerceptronOr = R"({"title": "t", "input": {"shape": [2]}, "batch": 4,
    "batches": [{"values": [[0, 0], [0, 1], [1, 0], [1, 1]], "target": [[0], [1], [1], [1]]}],
    "layers": [{"name": "p", "type": "dense", "units": 1, "activation": "hard_threshold", "weights": [[0], [0]], "bias": [0],
                "symbols": {"weights": ["w1", "w2"], "bias": ["b"], "output": ["y"]}}],
    "rule": {"type": "perceptron", "lr": 0.5)";

}  // namespace

TEST_CASE("a list of batches: one optimizer step per batch, in order, epoch after epoch", "[numeric][training]") {
    // step 1 on x = 1: y = 1, L = 1, g = 2, w = 1 − 0.2 = 0.8; step 2 on x = 2: y = 1.6, L = 2.56,
    // g = 2·1.6·2 = 6.4, w = 0.8 − 0.64 = 0.16; after it on x = 2: y = 0.32, L = 0.1024
    const Json one = train_sheet(two_batches(R"({"type": "sgd", "lr": 0.1})")).answers;
    CHECK_THAT(number(one, "step1.loss"), WithinRel(1.0, 1e-12));
    CHECK_THAT(number(one, "step2.loss"), WithinRel(2.56, 1e-12));
    CHECK_THAT(number(one, "update.w"), WithinRel(0.16, 1e-12));
    CHECK_THAT(number(one, "final.loss"), WithinRel(0.1024, 1e-12));
    CHECK_THAT(number(one, "loss"), WithinRel(1.0, 1e-12));     // batch 1, before any step
    CHECK_THAT(number(one, "grad.w"), WithinRel(2.0, 1e-12));   // batch 1's gradient
    CHECK_FALSE(one.contains("step3.loss"));
    // two epochs: step 3 on x = 1: y = 0.16, L = 0.0256, g = 0.32, w = 0.128; step 4 on x = 2:
    // y = 0.256, L = 0.065536, g = 1.024, w = 0.0256; after it on x = 2: (0.0512)² = 0.00262144
    const Json two = train_sheet(two_batches(R"({"type": "sgd", "lr": 0.1})", R"(, "epochs": 2)")).answers;
    CHECK_THAT(number(two, "step3.loss"), WithinRel(0.0256, 1e-12));
    CHECK_THAT(number(two, "step4.loss"), WithinRel(0.065536, 1e-12));
    CHECK_THAT(number(two, "update.w"), WithinRel(0.0256, 1e-12));
    CHECK_THAT(number(two, "final.loss"), WithinRel(0.00262144, 1e-12));
    // --epochs overrides the file
    CHECK_THAT(number(train_sheet(two_batches(R"({"type": "sgd", "lr": 0.1})"), {.epochs = 2}).answers, "update.w"),
               WithinRel(0.0256, 1e-12));
    // on one batch, epochs are steps: 2 steps on x = 1 with target 0: w = 0.8, then 0.64
    const Json single = train_sheet(R"({"title": "t", "input": {"values": [1.0]}, "target": [0.0], "epochs": 2,
        "layers": [{"type": "dense", "units": 1, "use_bias": false, "weights": [[1.0]], "symbols": {"weights": ["w"]}}],
        "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})")
                            .answers;
    CHECK_THAT(number(single, "update.w"), WithinRel(0.64, 1e-12));
    CHECK(train_error(two_batches(R"({"type": "sgd", "lr": 0.1})"), {.steps = 3}) ==
          "--steps: expected --epochs for a problem with \"batches\" (one step per batch), found --steps");
}

TEST_CASE("the per-step table: every parameter, its gradient and the optimizer's state", "[numeric][training]") {
    // SGD with momentum 0.9: step 1 b = g = 2, w = 0.8; step 2 g = 6.4, b = 0.9·2 + 6.4 = 8.2,
    // w = 0.8 − 0.82 = −0.02
    const auto sgd = train_sheet(two_batches(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9})"));
    const Json& training = sgd.data.at("training");
    REQUIRE(training.size() == 2);
    CHECK(training[1]["batch"] == 2);
    CHECK(training[1]["epoch"] == 1);
    CHECK_THAT(training[1]["loss"].get<double>(), WithinRel(2.56, 1e-12));
    const Json& w = training[1]["params"]["w"];
    CHECK(w["tensor"] == "d.weights");
    CHECK(w["index"] == Json::array({1, 1}));
    CHECK_THAT(w["before"].get<double>(), WithinRel(0.8, 1e-12));
    CHECK_THAT(w["grad"].get<double>(), WithinRel(6.4, 1e-12));
    CHECK_THAT(w["b"].get<double>(), WithinRel(8.2, 1e-12));
    CHECK_THAT(w["after"].get<double>(), WithinRel(-0.02, 1e-12));
    const std::string text = dlsolve::render_text(sgd);
    CHECK(text.find("Step 2 of 2 (epoch 1, batch 2 of 2): SGD (lr α = 0.1, momentum μ = 0.9), as torch.optim.SGD") != std::string::npos);
    CHECK(text.find("Loss on batch 2 before the step: (1.6 − 0)²/1 = 2.56") != std::string::npos);
    CHECK(text.find("Parameter  Before  ∂L/∂w    b  After\n") != std::string::npos);
    CHECK(text.find("w             0.8    6.4  8.2  −0.02\n") != std::string::npos);
    CHECK(text.find("Loss on batch 2 after the last step: (−0.04 − 0)²/1 = 0.0016") != std::string::npos);  // y = 2·(−0.02)
    // Adam, step 1 with g = 2: m = 0.2, v = 0.004, m̂ = 2, v̂ = 4; the table's columns and JSON keys
    const auto adam = train_sheet(two_batches(R"({"type": "adam", "lr": 0.1})"));
    const Json& first = adam.data.at("training")[0]["params"]["w"];
    CHECK_THAT(first["m"].get<double>(), WithinRel(0.2, 1e-12));
    CHECK_THAT(first["v"].get<double>(), WithinRel(0.004, 1e-12));
    CHECK_THAT(first["m_hat"].get<double>(), WithinRel(2.0, 1e-12));
    CHECK_THAT(first["v_hat"].get<double>(), WithinRel(4.0, 1e-12));
    CHECK(dlsolve::render_text(adam).find("Parameter  Before  ∂L/∂w    m      v  m̂  v̂         After\n") != std::string::npos);
    // Adagrad's sum is s; weight decay adds a g column: g = 2 + 0.5·1 = 2.5, s = 6.25
    const auto adagrad = train_sheet(two_batches(R"({"type": "adagrad", "lr": 0.1, "weight_decay": 0.5})"));
    const Json& a = adagrad.data.at("training")[0]["params"]["w"];
    CHECK_THAT(a["g"].get<double>(), WithinRel(2.5, 1e-12));
    CHECK_THAT(a["s"].get<double>(), WithinRel(6.25, 1e-12));
    CHECK(worked(adagrad, "update.w", 1) == "1 − 0.1 × (2 + 0.5 × 1)/(√6.25 + 1e-10) = 0.9");
}

TEST_CASE("large tensors: the first 32 rows of the table unless --all", "[numeric][training]") {
    // 6 × 6 weights and 6 biases: 42 parameters
    std::string weights = "[";
    for (int i = 0; i < 6; ++i) weights += std::string(i ? ", " : "") + "[0.1, 0.1, 0.1, 0.1, 0.1, 0.1]";
    weights += "]";
    const std::string text = fmt::format(R"({{"title": "t", "input": {{"values": [1, 1, 1, 1, 1, 1]}}, "target": [0, 0, 0, 0, 0, 0],
        "layers": [{{"name": "d", "type": "dense", "units": 6, "weights": {}, "bias": [0, 0, 0, 0, 0, 0]}}],
        "loss": "mse", "optimizer": {{"type": "sgd", "lr": 0.1}}}})",
                                         weights);
    const std::string shown = dlsolve::render_text(train_sheet(text));
    CHECK(shown.find("d.weights[6, 2]") != std::string::npos);  // row 32
    CHECK(shown.find("d.weights[6, 3]") == std::string::npos);
    CHECK(shown.find("…: 10 more parameters (--all shows every one)") != std::string::npos);
    const std::string all = dlsolve::render_text(train_sheet(text, {.all = true}));
    CHECK(all.find("d.bias[6]") != std::string::npos);
    CHECK(all.find("more parameters") == std::string::npos);
    CHECK(train_sheet(text).data.at("training")[0]["params"].size() == 42);  // JSON: every one
}

TEST_CASE("the Hebbian rule: w ← w + η·x·t, sample by sample", "[numeric][rule]") {
    // w = (0.5, −0.2, 0.1); x = (1, 0, 1), t = 1: Δ = (0.1, 0, 0.1) → (0.6, −0.2, 0.2);
    // x = (0, 1, 1), t = −1: Δ = (0, −0.1, −0.1) → (0.6, −0.3, 0.1); x = (1, 1, 0), t = 1:
    // Δ = (0.1, 0.1, 0) → (0.7, −0.2, 0.1)
    const auto sheet = train_sheet(kHebbian + "}");
    CHECK_THAT(number(sheet.answers, "update.w1"), WithinRel(0.7, 1e-12));
    CHECK_THAT(number(sheet.answers, "update.w2"), WithinRel(-0.2, 1e-12));
    CHECK_THAT(number(sheet.answers, "update.w3"), WithinRel(0.1, 1e-12));
    CHECK(worked(sheet, "update.w1", 1) == "0.5 + 0.1 × 1 × 1 = 0.6");
    CHECK(worked(sheet, "update.w2", 2) == "−0.2 + 0.1 × 1 × (−1) = −0.3");
    CHECK(worked(sheet, "update.w3", 3) == "0.1 + 0.1 × 0 × 1 = 0.1");
    // the output is shown, not used: y = 0.5·1 + 0.1·1 = 0.6 at step 1
    CHECK_THAT(sheet.answers.at("step1.output")[0].get<double>(), WithinRel(0.6, 1e-12));
    CHECK(sheet.answers.at("epochs") == 1);
    CHECK_FALSE(sheet.answers.contains("epoch1.errors"));  // a perceptron's count only
    // two epochs: the same Δ again, (0.9, −0.2, 0.1)
    const Json two = train_sheet(kHebbian + R"(, "epochs": 2})").answers;
    CHECK_THAT(number(two, "update.w1"), WithinRel(0.9, 1e-12));
    CHECK(two.contains("step6.output"));
    CHECK_FALSE(two.contains("step7.output"));
    // the bias learns as a weight on a constant input 1: the bipolar AND from zero with η = 1
    // (Δ = t·(x1, x2, 1)): (1, 1, 1) − (−1, 1, 1)… sums to w = (2, 2), b = −2
    const Json bipolar = train_sheet(R"({"title": "t", "input": {"shape": [2]}, "batch": 4,
        "batches": [{"values": [[1, 1], [1, -1], [-1, 1], [-1, -1]], "target": [[1], [-1], [-1], [-1]]}],
        "layers": [{"name": "h", "type": "dense", "units": 1, "weights": [[0], [0]], "bias": [0]}],
        "rule": {"type": "hebbian", "lr": 1}})")
                             .answers;
    CHECK(bipolar.at("update.h.weights") == Json::parse("[[2.0], [2.0]]"));
    CHECK(bipolar.at("update.h.bias") == Json::parse("[-2.0]"));
}

TEST_CASE("the perceptron rule: w ← w + η·x·(t − y), y = step(w·x + b)", "[numeric][rule]") {
    // Cornell's OR, epoch 1: (0,0) z = 0 → y = 1, t = 0: b = −0.5; (0,1) z = −0.5 → 0, t = 1:
    // w2 = 0.5, b = 0; (1,0) z = 0 → 1 = t; (1,1) z = 0.5 → 1 = t
    const auto epoch = train_sheet(kPerceptronOr + "}}");
    CHECK(epoch.answers.at("update.p.weights") == Json::parse("[[0.0], [0.5]]"));
    CHECK(epoch.answers.at("update.b") == 0.0);
    CHECK(epoch.answers.at("epoch1.errors") == 2);
    CHECK(epoch.answers.at("step1.output") == Json::parse("[1.0]"));
    CHECK(epoch.answers.at("step2.output") == Json::parse("[0.0]"));
    CHECK(worked(epoch, "update.b", 1) == "0 + 0.5 × (0 − 1) = −0.5");
    CHECK(worked(epoch, "update.w2", 2) == "0 + 0.5 × 1 × (1 − 0) = 0.5");
    // a correctly classified sample: said in words, no zero updates written out; the JSON still has them
    CHECK(worked(epoch, "update.w1", 3).empty());
    CHECK(epoch.data.at("training")[2]["params"]["w1"]["delta"] == 0.0);
    CHECK(epoch.data.at("training")[2]["params"]["w1"]["t_minus_y"] == 0.0);
    const std::string text = dlsolve::render_text(epoch);
    CHECK(text.find("y⁽2⁾: step(0 × 0 + 0 × 1 + (−0.5)) = 0\n") != std::string::npos);
    CHECK(text.find("b ← 0 + 0.5 × (0 − 1) = −0.5\n") != std::string::npos);
    CHECK(text.find("Misclassified samples (the weights changed): 2 of 4") != std::string::npos);
    CHECK(text.find("y⁽3⁾: step(0 × 1 + 0.5 × 0 + 0) = 1\ny = t: the sample is classified correctly: no weight changes\n\nStep 4") !=
          std::string::npos);
    // until it converges, by hand: epoch 2: (0,0) z = 0 → 1, t = 0: b = −0.5; (0,1) z = 0 → 1 = t;
    // (1,0) z = −0.5 → 0, t = 1: w1 = 0.5, b = 0; (1,1) right; epoch 3: (0,0) z = 0 → 1: b = −0.5,
    // the rest right; epoch 4: no error
    const auto converged = train_sheet(kPerceptronOr + R"(, "until_converged": true}})");
    CHECK(converged.answers.at("update.p.weights") == Json::parse("[[0.5], [0.5]]"));
    CHECK(converged.answers.at("update.b") == -0.5);
    CHECK(converged.answers.at("epoch2.errors") == 2);
    CHECK(converged.answers.at("epoch3.errors") == 1);
    CHECK(converged.answers.at("epoch4.errors") == 0);
    CHECK(converged.answers.at("epochs") == 4);
    CHECK_FALSE(converged.answers.contains("epoch5.errors"));
    CHECK(dlsolve::render_text(converged).find("Converged: no sample changed the weights in epoch 4") != std::string::npos);
    // a limit it cannot reach: stops after "epochs" and says so
    const auto limited = train_sheet(kPerceptronOr + R"(, "until_converged": true}, "epochs": 2})");
    CHECK(limited.answers.at("epochs") == 2);
    CHECK(dlsolve::render_text(limited).find("Not converged: samples were still misclassified after 2 epochs (the limit)") !=
          std::string::npos);
}

TEST_CASE("a perceptron with two units learns AND and OR side by side", "[numeric][rule]") {
    // η = 1 from zero. AND by hand: epochs end at w = (1, 1) b = 0; (2, 1) b = −1; (2, 1) b = −2;
    // (2, 2) b = −2; (2, 1) b = −3; then no error. OR: Cornell's run doubled (η = 1): w = (1, 1),
    // b = −1 from epoch 3 on. Misclassified samples (either unit): 3, 4, 4, 2, 1, 0.
    const Json answers = train_sheet(R"({"title": "t", "input": {"shape": [2]}, "batch": 4,
        "batches": [{"values": [[0, 0], [0, 1], [1, 0], [1, 1]], "target": [[0, 0], [0, 1], [0, 1], [1, 1]]}],
        "layers": [{"name": "p", "type": "dense", "units": 2, "activation": "hard_threshold", "weights": [[0, 0], [0, 0]], "bias": [0, 0]}],
        "rule": {"type": "perceptron", "lr": 1, "until_converged": true}})")
                             .answers;
    CHECK(answers.at("update.p.weights") == Json::parse("[[2.0, 1.0], [1.0, 1.0]]"));
    CHECK(answers.at("update.p.bias") == Json::parse("[-3.0, -1.0]"));
    for (auto [epoch, errors] : std::vector<std::pair<int, int>>{{1, 3}, {2, 4}, {3, 4}, {4, 2}, {5, 1}, {6, 0}})
        CHECK(answers.at(fmt::format("epoch{}.errors", epoch)) == errors);
    CHECK(answers.at("epochs") == 6);
}

TEST_CASE("training bad input: batches, epochs, steps and rules", "[numeric][training][errors]") {
    const auto parse_error = [](const std::string& text) -> std::string {
        try {
            solve_text(text);
        } catch (const dlsolve::ProblemError& e) {
            return e.what();
        }
        return "";
    };
    const std::string dense = R"("layers": [{"type": "dense", "units": 1, "weights": [[1], [1]], "bias": [0]}])";
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2], "values": [1, 2]}, "batches": [{"values": [1, 2], "target": [1]}], )" +
                      dense + R"(, "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/batches: expected the samples either in \"batches\" or in \"input.values\" and \"target\", found both");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2, 3], "target": [1]}], )" + dense +
                      R"(, "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/batches/0/values: expected samples of the input's shape [2], found [3]");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2], "target": [1]}], "steps": 2, )" + dense +
                      R"(, "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/steps: expected \"epochs\" with \"batches\" (one step per batch, in order), found \"steps\"");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2], "target": [1]}], )" + dense +
                      R"(, "loss": "mse", "rule": {"type": "hebbian", "lr": 0.1}})") ==
          "/loss: expected no loss with the hebbian rule (it learns from the target directly, not from a gradient), found \"mse\"");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2], "target": [1]}], )" + dense +
                      R"(, "rule": {"type": "perceptron", "lr": 1}})") ==
          "/layers/0/activation: expected \"hard_threshold\" for the perceptron rule (y = step(w·x + b)), found \"linear\"");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2], "target": [1]}],
        "layers": [{"type": "dense", "units": 1, "weights": [[1], [1]], "bias": [0]}, {"type": "sigmoid"}],
        "rule": {"type": "hebbian", "lr": 1}})") ==
          "/layers/1: expected no layer after \"dense\" (the hebbian rule trains a single dense layer), found \"activation\" (sigmoid)");
    CHECK(parse_error(R"({"title": "t", "input": {"shape": [4, 4, 1]}, "batches": [{"values": [[[1], [1], [1], [1]], [[1], [1], [1], [1]], [[1], [1], [1], [1]], [[1], [1], [1], [1]]], "target": [1]}],
        "layers": [{"type": "flatten"}], "rule": {"type": "hebbian", "lr": 1}})") ==
          "/layers/0/type: expected \"dense\" (the hebbian rule trains one dense layer), found \"flatten\"");
    // the targets of every batch are checked against the output before any step
    CHECK(train_error(R"({"title": "t", "input": {"shape": [2]}, "batches": [{"values": [1, 2], "target": [1]}, {"values": [1, 2], "target": [1, 2]}], )" +
                      dense + R"(, "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}})") ==
          "/batches/1/target: expected 1 values like the output [1, 1], found 2 [2]");
    CHECK(train_error(kHebbian + "}", {.steps = 2}) ==
          "--steps: expected --epochs with the hebbian rule (one step per sample), found --steps");
}

TEST_CASE("long training works out the first 25 steps and the last, answers every step and reports progress", "[numeric][train]") {
    // w = 1, x = 1, t = 0, MSE, SGD lr 0.1: ∂L/∂w = 2w, so w ← 0.8·w and the loss before step k is (0.8^(k−1))².
    const std::string text = R"({"title": "t", "framework": "pytorch", "input": {"values": [1.0]},
        "layers": [{"name": "d", "type": "dense", "units": 1, "use_bias": false, "weights": [[1.0]], "symbols": {"weights": "w"}}],
        "target": [0.0], "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}, "steps": 30})";
    std::vector<std::pair<int64_t, int64_t>> calls;
    NumericOptions options;
    options.progress = [&](int64_t done, int64_t total) { calls.emplace_back(done, total); };
    const auto sheet = train_sheet(text, options);
    const std::string shown = dlsolve::render_text(sheet);
    CHECK(shown.find("Step 25 of 30") != std::string::npos);
    CHECK(shown.find("Step 26 of 30") == std::string::npos);
    CHECK(shown.find("Steps 26 to 29 are not shown (--all shows every step") != std::string::npos);
    CHECK(shown.find("Step 30 of 30") != std::string::npos);
    CHECK_THAT(number(sheet.answers, "step27.loss"), WithinRel(std::pow(0.8, 52), 1e-12));
    CHECK_THAT(number(sheet.answers, "update.w11"), WithinRel(std::pow(0.8, 30), 1e-12));
    REQUIRE(calls.size() == 30);
    CHECK(calls.front() == std::pair<int64_t, int64_t>{1, 30});
    CHECK(calls.back() == std::pair<int64_t, int64_t>{30, 30});

    options.all = true;
    const std::string every = dlsolve::render_text(train_sheet(text, options));
    CHECK(every.find("Step 27 of 30") != std::string::npos);
    CHECK(every.find("not shown") == std::string::npos);
}
