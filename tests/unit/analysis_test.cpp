// Receptive fields and costs: each layer kind's rule, worked by hand from the
// recurrence r ← r + (k − 1)·j, j ← j·s, start ← start + ((k − 1)/2 − p)·j, and from
// torch-scan's counts.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "passes/analysis.h"
#include "problem/error.h"

using dlsolve::Expr;
using dlsolve::ReceptiveField;
using dlsolve::test::Solved;
using dlsolve::test::solve;

namespace {

struct Fields {
    Solved solved;
    std::vector<ReceptiveField> fields;

    const ReceptiveField& of(const std::string& name) const {
        for (size_t i = 0; i < solved.problem.graph.size(); ++i)
            if (solved.problem.graph.layer(i).name == name) return fields[i];
        throw std::out_of_range(name);
    }
};

Fields rf(const std::string& framework, const std::string& input, const std::string& layers) {
    Solved s = solve(framework, input, layers);
    dlsolve::count_costs(s.problem, s.analysis);
    auto fields = dlsolve::receptive_fields(s.problem, s.analysis);
    return {std::move(s), std::move(fields)};
}

std::string text(const Expr& e) { return e.value_text(); }

}  // namespace

TEST_CASE("receptive field through convolutions and pooling (exam 004, 11×11 network)", "[rf]") {
    auto f = rf("keras", "[64, 64, 3]", R"([
        {"name": "conv1", "type": "conv2d", "filters": 64, "kernel": 11, "padding": "same"},
        {"name": "pool1", "type": "maxpool2d"},
        {"name": "conv2", "type": "conv2d", "filters": 128, "kernel": 5, "padding": "same"}])");
    CHECK(f.of("conv1").h.size.value() == 11);
    CHECK(f.of("pool1").h.size.value() == 12);
    CHECK(f.of("conv2").h.size.value() == 20);
    CHECK(f.of("conv2").h.jump.value() == 2);
    CHECK(f.of("conv1").h.size.worked() == "1 + (11 − 1) × 1 = 11");
    // Keras 'same' pads ⌊(k − 1)/2⌋ = 5 before: the first unit is centred on pixel 0.
    CHECK(text(f.of("conv1").h.start) == "0");
    CHECK(text(f.of("conv1").h.effective_padding()) == "5");
    CHECK(text(f.of("pool1").h.start) == "1/2");
}

TEST_CASE("h ≠ w, dilation, stride ≠ pool size, explicit padding", "[rf]") {
    auto f = rf("pytorch", "[3, 64, 64]", R"([
        {"name": "rect", "type": "conv2d", "filters": 4, "kernel": [3, 5], "padding": [1, 2]},
        {"name": "dil", "type": "conv2d", "filters": 4, "kernel": 3, "dilation": 2, "padding": 2},
        {"name": "pool", "type": "maxpool2d", "pool": 3, "stride": 2, "padding": 1}])");
    CHECK(f.of("rect").h.size.value() == 3);
    CHECK(f.of("rect").w.size.value() == 5);
    CHECK(f.of("dil").h.size.value() == 3 + 4);  // k_eff = 2·(3 − 1) + 1 = 5
    CHECK(f.of("dil").w.size.value() == 5 + 4);
    CHECK(f.of("pool").h.size.value() == 7 + 2);
    CHECK(f.of("pool").h.jump.value() == 2);
    CHECK(text(f.of("pool").h.start) == "0");  // padding 1 re-centres the 3-window on pixel 0
}

TEST_CASE("a DAG: merged paths take the union of their fields, and a misalignment is reported", "[rf]") {
    auto aligned = rf("keras", "[32, 32, 3]", R"([
        {"name": "a", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
        {"name": "b", "type": "conv2d", "filters": 4, "kernel": 5, "padding": "same", "inputs": ["x"]},
        {"name": "b2", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
        {"name": "cat", "type": "concat", "inputs": ["a", "b2"]}])");
    CHECK(aligned.of("cat").h.size.value() == 7);
    CHECK(aligned.of("cat").misaligned.empty());
    auto misaligned = rf("pytorch", "[3, 32, 32]", R"([
        {"name": "a", "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1},
        {"name": "b", "type": "conv2d", "filters": 4, "kernel": 3, "inputs": ["x"]},
        {"name": "bp", "type": "zeropadding2d", "padding": [2, 0, 2, 0]},
        {"name": "sum", "type": "add", "inputs": ["a", "bp"]}])");
    // a: first unit centred on pixel 0, window [−1, 1]. b (valid): centred on 1; the zero
    // padding of 2 before moves bp's first unit to −1, window [−2, 0]. Union [−2, 1]: 4 pixels.
    CHECK(misaligned.of("sum").h.size.value() == 4);
    CHECK(text(misaligned.of("sum").h.start) == "−1/2");
    CHECK(misaligned.of("sum").misaligned ==
          "the merged paths are not aligned, the field is the union of theirs: H (a: jump 1, start 0; bp: jump 1, start −1); "
          "W (a: jump 1, start 0; bp: jump 1, start −1)");
}

TEST_CASE("whole-input layers and a non-image input", "[rf]") {
    auto f = rf("pytorch", "[2, 28, 28]", R"([
        {"name": "conv", "type": "conv2d", "filters": 8, "kernel": 5, "padding": 2},
        {"name": "pool", "type": "maxpool2d", "pool": 2},
        {"name": "flat", "type": "flatten"}, {"name": "fc", "type": "dense", "units": 19}])");
    CHECK(f.of("pool").h.size.value() == 6);  // exam 001 4.7
    CHECK(!f.of("flat").whole_input);          // a flattened value keeps the field of its map position
    CHECK(f.of("flat").h.size.value() == 6);
    CHECK(f.of("fc").whole_input);             // exam 001 4.8: the whole 28 × 28 input
    CHECK(f.of("fc").h.size.value() == 28);
    auto mlp = solve("keras", "[10]", R"([{"type": "dense", "units": 2}])");
    CHECK_THROWS_AS(dlsolve::receptive_fields(mlp.problem, mlp.analysis), dlsolve::ProblemError);
}

TEST_CASE("transposed convolutions and upsampling divide the jump", "[rf]") {
    auto f = rf("keras", "[8, 8, 3]", R"([
        {"name": "down", "type": "conv2d", "filters": 4, "kernel": 2, "stride": 2},
        {"name": "up", "type": "conv2d_transpose", "filters": 4, "kernel": 2, "stride": 2},
        {"name": "nn", "type": "upsampling2d"}])");
    CHECK(f.of("down").h.jump.value() == 2);
    CHECK(f.of("up").h.jump.value() == 1);
    CHECK(f.of("up").h.size.value() == 3);  // 2 + (2 − 1) × 1
    CHECK(text(f.of("nn").h.jump) == "1/2");
    CHECK(f.of("nn").h.size.value() == 3);
}

TEST_CASE("the backward walk agrees with the forward recurrence", "[rf]") {
    auto f = rf("keras", "[128, 256, 3]", R"([
        {"name": "conv1", "type": "conv2d", "filters": 16, "kernel": 5, "padding": "same"},
        {"name": "mp1", "type": "maxpool2d"},
        {"name": "conv2", "type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"},
        {"name": "mp2", "type": "maxpool2d", "pool": 3, "stride": 2},
        {"name": "bn", "type": "batchnorm"}])");
    const auto walk = dlsolve::backward_walk(f.solved.problem, f.solved.analysis, 5);
    REQUIRE(walk);
    REQUIRE(walk->size() == 4);
    CHECK(walk->back().h.value() == f.of("bn").h.size.value());
    CHECK((*walk)[0].h.worked() == "(1 − 1) × 2 + 3 = 3");  // mp2: a 3-window with stride 2
    CHECK((*walk)[2].h.worked() == "5 × 2 = 10");           // mp1: window equal to its stride
}

TEST_CASE("MACs and FLOPs per layer kind (torch-scan's counts)", "[cost]") {
    auto s = solve("pytorch", "[3, 32, 32]", R"([
        {"name": "conv", "type": "conv2d", "filters": 16, "kernel": 3, "padding": 1},
        {"name": "nobias", "type": "conv2d", "filters": 16, "kernel": 1, "use_bias": false, "groups": 4},
        {"name": "bn", "type": "batchnorm"}, {"name": "relu", "type": "relu"},
        {"name": "mp", "type": "maxpool2d", "pool": 2}, {"name": "ap", "type": "avgpool2d", "pool": 2},
        {"name": "up", "type": "conv2d_transpose", "filters": 8, "kernel": 2, "stride": 2},
        {"name": "gap", "type": "global_avgpool2d"}, {"name": "flat", "type": "flatten"},
        {"name": "fc", "type": "dense", "units": 10}, {"name": "sm", "type": "softmax"}])");
    dlsolve::count_costs(s.problem, s.analysis);
    const auto macs = [&](const char* n) { return s.layer(n).cost.macs.value(); };
    const auto flops = [&](const char* n) { return s.layer(n).cost.flops.value(); };
    CHECK(macs("conv") == 3 * 3 * 3 * 16 * 32 * 32);
    CHECK(flops("conv") == 2 * macs("conv"));
    CHECK(s.layer("conv").cost.macs.worked() == "3 × 3 × 3 × 16 × 32 × 32 = 442368");
    CHECK(macs("nobias") == 1 * 1 * 4 * 16 * 32 * 32);
    CHECK(flops("nobias") == 2 * macs("nobias") - 16 * 32 * 32);
    CHECK(flops("bn") == 4 * 16 * 32 * 32 + 2 * 16);
    CHECK(flops("relu") == 16 * 32 * 32);
    CHECK(flops("mp") == 16 * 16 * 16 * 3);
    CHECK(flops("ap") == 16 * 8 * 8 * 4);
    CHECK(macs("up") == 2 * 2 * 16 * 8 * 8 * 8);  // every input value meets k·k·C_out weights
    CHECK(flops("gap") == 8 * 16 * 16);
    CHECK(macs("flat") == 0);
    CHECK(macs("fc") == 8 * 10);
    CHECK(flops("fc") == 2 * 8 * 10);
    CHECK(flops("sm") == 3 * 10);
}

TEST_CASE("fused activations add their FLOPs", "[cost]") {
    auto s = solve("keras", "[4]", R"([{"name": "d", "type": "dense", "units": 3, "activation": "sigmoid"}])");
    dlsolve::count_costs(s.problem, s.analysis);
    CHECK(s.layer("d").cost.macs.value() == 12);
    CHECK(s.layer("d").cost.flops.value() == 24 + 4 * 3);
}
