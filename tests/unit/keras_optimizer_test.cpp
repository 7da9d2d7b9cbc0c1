// keras.optimizers' rules and defaults under "framework": "keras", and lr = 0, against
// values worked by hand from Keras's source (keras/src/optimizers/*.py): one weight
// w = 1 on x = 1, target 0, MSE, so L = w² and g = 2w.
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>

#include "helpers.h"
#include "report/numeric_reports.h"

using Catch::Matchers::WithinRel;
using dlsolve::Json;
using dlsolve::test::solve_text;

namespace {

std::string keras_weight(const std::string& optimizer, int steps = 1) {
    return fmt::format(R"({{"title": "t", "framework": "keras", "input": {{"values": [1.0]}},
        "layers": [{{"name": "d", "type": "dense", "units": 1, "use_bias": false, "weights": [[1.0]],
                     "symbols": {{"weights": "w"}}}}],
        "target": [0.0], "loss": "mse", "optimizer": {}, "steps": {}}})",
                       optimizer, steps);
}

dlsolve::Worksheet trained(const std::string& text) {
    auto s = solve_text(text);
    return dlsolve::train_worksheet(s.problem, s.analysis, {});
}

double updated(const std::string& text) { return trained(text).answers.at("update.w11").get<double>(); }

std::vector<std::string> formulas(const dlsolve::Worksheet& sheet) {
    std::vector<std::string> out;
    for (const auto& step : sheet.steps) out.push_back(step.expr.worked());
    return out;
}

std::string text_of(const dlsolve::Worksheet& sheet) {
    std::string out;
    for (const auto& section : sheet.sections) out += section.heading + "\n";
    return out;
}

}  // namespace

TEST_CASE("Keras SGD keeps the velocity v = mu v - lr g", "[numeric][optimizer][keras]") {
    // step 1: v = −0.1·2 = −0.2, w = 0.8; step 2: g = 1.6, v = 0.9·(−0.2) − 0.16 = −0.34, w = 0.46
    CHECK_THAT(updated(keras_weight(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9})", 2)), WithinRel(0.46, 1e-12));
    // Nesterov: v = −0.2, w = 1 + 0.9·(−0.2) − 0.2 = 0.62
    CHECK_THAT(updated(keras_weight(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true})")), WithinRel(0.62, 1e-12));
    const auto sheet = trained(keras_weight(R"({"type": "sgd", "lr": 0.1, "momentum": 0.9})"));
    const auto f = formulas(sheet);
    CHECK(std::find(f.begin(), f.end(), "1 + (−0.2) = 0.8") != f.end());
    CHECK(text_of(sheet).find("keras.optimizers.SGD") != std::string::npos);
    // decoupled weight decay before the step: w = 1 − 0.1·0.5·1 = 0.95, then 0.95 − 0.1·2 = 0.75
    CHECK_THAT(updated(keras_weight(R"({"type": "sgd", "lr": 0.1, "weight_decay": 0.5})")), WithinRel(0.75, 1e-12));
}

TEST_CASE("Keras RMSprop: rho 0.9 and epsilon inside the square root", "[numeric][optimizer][keras]") {
    // s = 0.1·4 = 0.4, w = 1 − 0.1·2/√(0.4 + 1e−7)
    CHECK_THAT(updated(keras_weight(R"({"type": "rmsprop", "lr": 0.1})")), WithinRel(1 - 0.2 / std::sqrt(0.4 + 1e-7), 1e-12));
    // momentum: b = 0.1·2/√(0.4 + 1e−7), w = 1 − b
    CHECK_THAT(updated(keras_weight(R"({"type": "rmsprop", "lr": 0.1, "momentum": 0.5})")),
               WithinRel(1 - 0.2 / std::sqrt(0.4 + 1e-7), 1e-12));
}

TEST_CASE("Keras Adam: alpha_t and epsilon-hat added before the bias correction", "[numeric][optimizer][keras]") {
    // m = 0.2, v = 0.004, α_t = 0.1·√0.001/0.1, w = 1 − α_t·0.2/(√0.004 + 1e−7)
    const double alpha_t = 0.1 * std::sqrt(0.001) / 0.1;
    const double adam = 1 - alpha_t * 0.2 / (std::sqrt(0.004) + 1e-7);
    CHECK_THAT(updated(keras_weight(R"({"type": "adam", "lr": 0.1})")), WithinRel(adam, 1e-12));
    const auto sheet = trained(keras_weight(R"({"type": "adam", "lr": 0.1})"));
    CHECK(sheet.answers.at("update.w11").get<double>() != 1 - 0.2 / (2 + 1e-8));  // not torch.optim's
    const auto f = formulas(sheet);
    CHECK(std::find(f.begin(), f.end(), "1 − 0.0316227766 × 0.2/(√0.004 + 1e-07) = 0.9000001581") != f.end());
    CHECK(text_of(sheet).find("keras.optimizers.Adam") != std::string::npos);
    // AdamW: w = 1 − 0.1·0.004·1 = 0.9996 first, then the same step
    CHECK_THAT(updated(keras_weight(R"({"type": "adamw", "lr": 0.1})")), WithinRel(0.9996 - alpha_t * 0.2 / (std::sqrt(0.004) + 1e-7), 1e-12));
    // a Keras file may ask for torch.optim's rule: m̂ = 2, v̂ = 4, w = 1 − 0.1·2/(2 + 1e−8)
    CHECK_THAT(updated(keras_weight(R"({"type": "adam", "lr": 0.1, "framework": "pytorch"})")), WithinRel(1 - 0.2 / (2 + 1e-8), 1e-12));
}

TEST_CASE("Keras Adagrad: the accumulator starts at 0.1", "[numeric][optimizer][keras]") {
    // s = 0.1 + 4 = 4.1, w = 1 − 0.1·2/√(4.1 + 1e−7)
    CHECK_THAT(updated(keras_weight(R"({"type": "adagrad", "lr": 0.1})")), WithinRel(1 - 0.2 / std::sqrt(4.1 + 1e-7), 1e-12));
    // torch.optim.Adagrad with initial_accumulator_value = 1: s = 5, w = 1 − 0.2/(√5 + 1e−10)
    CHECK_THAT(updated(keras_weight(R"({"type": "adagrad", "lr": 0.1, "framework": "pytorch", "initial_accumulator": 1})")),
               WithinRel(1 - 0.2 / (std::sqrt(5.0) + 1e-10), 1e-12));
}

TEST_CASE("a learning rate of 0 is worked and changes nothing", "[numeric][optimizer]") {
    for (const char* optimizer : {R"({"type": "sgd", "lr": 0})", R"({"type": "adam", "lr": 0, "framework": "pytorch"})"}) {
        const auto sheet = trained(keras_weight(optimizer, 2));
        CHECK(sheet.answers.at("update.w11").get<double>() == 1.0);
        CHECK(sheet.answers.at("final.loss").get<double>() == 1.0);
    }
    const auto f = formulas(trained(keras_weight(R"({"type": "sgd", "lr": 0})")));
    CHECK(std::find(f.begin(), f.end(), "1 − 0 × 2 = 1") != f.end());
}
