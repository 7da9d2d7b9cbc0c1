// subtract, multiply, matmul and scale: shapes and costs, forward values worked by hand
// (the arithmetic is in each comment), the broadcasting and inner-dimension errors, and
// the three consistency checks of layer_checks.h on random values; and inputs among the
// layers that carry their own values.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "layer_checks.h"

using dlsolve::Dims;
using dlsolve::test::check_cases;
using dlsolve::test::check_values;
using dlsolve::test::error_of;
using dlsolve::test::problem;
using dlsolve::test::run_numeric;
using dlsolve::test::solve;

TEST_CASE("combining layers: shapes broadcast as NumPy's rule says", "[layers][combine]") {
    // A squeeze-and-excitation product: [4, 4, 8] × [8] and × [1, 1, 8] scale each channel.
    auto s = solve("keras", "[4, 4, 8]", R"([
        {"name": "g", "type": "global_avgpool2d"},
        {"name": "se", "type": "multiply", "inputs": ["x", "g"]},
        {"name": "g3", "type": "reshape", "target_shape": [1, 1, 8], "inputs": ["g"]},
        {"name": "se3", "type": "multiply", "inputs": ["g3", "x"]},
        {"name": "d", "type": "subtract", "inputs": ["se", "se3"]},
        {"name": "half", "type": "scale", "factor": 0.5}])");
    CHECK(s.shape("se") == Dims{4, 4, 8});
    CHECK(s.shape("se3") == Dims{4, 4, 8});
    CHECK(s.shape("half") == Dims{4, 4, 8});
    CHECK(s.layer("se").class_name == "Multiply");
    CHECK(s.layer("d").class_name == "Subtract");
    CHECK(s.params("se") == 0);
    dlsolve::count_costs(s.problem, s.analysis);
    CHECK(s.layer("se").cost.flops.value() == 4 * 4 * 8);
    CHECK(s.layer("d").cost.flops.value() == 4 * 4 * 8);
    CHECK(s.layer("half").cost.flops.value() == 4 * 4 * 8);
    CHECK(s.layer("se").cost.macs.value() == 0);
}

TEST_CASE("matmul: shapes with transposes, leading axes and vectors, and n·k·p MACs", "[layers][matmul]") {
    const auto last = [](const std::string& layers) {
        auto s = solve("pytorch", "[2, 5, 3]", layers);
        dlsolve::count_costs(s.problem, s.analysis);
        return s;
    };
    const auto xxT = last(R"([{"name": "m", "type": "matmul", "inputs": ["x", "x"], "transpose_b": true}])");
    CHECK(xxT.shape("m") == Dims{2, 5, 5});
    CHECK(xxT.layer("m").class_name == "matmul");
    CHECK(xxT.layer("m").cost.macs.worked() == "2 × 5 × 3 × 5 = 150");
    CHECK(xxT.layer("m").cost.flops.value() == 2 * 150 - 2 * 5 * 5);
    CHECK(last(R"([{"name": "m", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true}])").shape("m") == Dims{2, 3, 3});
    // W = [3, 4] repeats over x's leading axis; a vector v = [3] is a column on the right
    // (then dropped) and a row on the left.
    const char* weights = R"([{"name": "f", "type": "flatten"}, {"name": "w", "type": "dense", "units": 12},
                              {"name": "W", "type": "reshape", "target_shape": [3, 4]},)";
    const auto xW = last(std::string(weights) + R"({"name": "m", "type": "matmul", "inputs": ["x", "W"]}])");
    CHECK(xW.shape("m") == Dims{2, 5, 4});
    CHECK(xW.layer("m").cost.macs.value() == 2 * 5 * 3 * 4);
    const char* vector = R"([{"name": "f", "type": "flatten"}, {"name": "v", "type": "dense", "units": 3},)";
    CHECK(last(std::string(vector) + R"({"name": "m", "type": "matmul", "inputs": ["x", "v"]}])").shape("m") == Dims{2, 5});
    const auto vW = last(std::string(vector) + R"({"name": "w", "type": "dense", "units": 12, "inputs": ["f"]},
        {"name": "W", "type": "reshape", "target_shape": [3, 4]}, {"name": "m", "type": "matmul", "inputs": ["v", "W"]}])");
    CHECK(vW.shape("m") == Dims{4});
    CHECK(vW.layer("m").cost.macs.value() == 3 * 4);
}

TEST_CASE("combining layers reject what cannot be combined, and say the rule", "[layers][combine][errors]") {
    CHECK(error_of("keras", "[4, 4, 3]", R"([{"name": "d", "type": "dense", "units": 2},
                                             {"name": "m", "type": "multiply", "inputs": ["x", "d"]}])") ==
          "layer \"m\" (/layers/1): cannot multiply shapes that do not broadcast (\"x\" [4, 4, 3], \"d\" [4, 4, 2]): "
          "aligned on the last axis, each pair of sizes must be equal or one of them 1");
    CHECK(error_of("keras", "[2, 3]", R"([{"name": "m", "type": "matmul", "inputs": ["x", "x"]}])") ==
          "layer \"m\" (/layers/0): matmul needs the inner dimensions equal: \"x\" [2, 3] is 2 × 3 and \"x\" [2, 3] is 2 × 3 (3 ≠ 2)");
    CHECK(error_of("keras", "[2, 3]", R"([{"name": "m", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true, "transpose_b": true}])") ==
          "layer \"m\" (/layers/0): matmul needs the inner dimensions equal: \"x\" [2, 3] transposed is 3 × 2 and \"x\" [2, 3] transposed is 3 × 2 (2 ≠ 3)");
    CHECK(error_of("keras", "[3]", R"([{"name": "m", "type": "matmul", "inputs": ["x", "x"]}])").find("is a dot product") !=
          std::string::npos);
    CHECK(error_of("keras", "[3]", R"([{"type": "scale"}])") ==
          "/layers/0: missing required key \"factor\" (a number, the constant every element is multiplied by)");
    CHECK(error_of("keras", "[3]", R"j([{"type": "scale", "factor": "1/sqrt(2)"}])j") ==
          "/layers/0/factor: expected a finite number, found \"1/sqrt(2)\"");
    CHECK(error_of("keras", "[3]", R"([{"name": "r", "type": "relu"}, {"type": "subtract", "inputs": ["x", "r", "x"]}])") != "");
}

TEST_CASE("combining layers forward by hand", "[numeric][combine]") {
    // x = [1, 2, 3]: 2x − x = [1, 2, 3]; (2x) ⊙ (2x − x) = [2, 8, 18].
    auto a = run_numeric(problem("keras", "[1, 2, 3]", R"([{"name": "two", "type": "scale", "factor": 2},
        {"name": "d", "type": "subtract", "inputs": ["two", "x"]},
        {"name": "m", "type": "multiply", "inputs": ["two", "d"]}])"));
    check_values(a.output("two"), {2, 4, 6});
    check_values(a.output("d"), {1, 2, 3});
    check_values(a.output("m"), {2, 8, 18});
    CHECK(a.explain("two", 2).worked() == "2 × 3 = 6");
    CHECK(a.explain("d", 1).worked() == "4 − 2 = 2");
    CHECK(a.explain("m", 2).worked() == "6 × 3 = 18");

    // Squeeze and excitation on a Keras [2, 2, 2] image: channel means 4 (of 1, 3, 5, 7)
    // and 5 (of 2, 4, 6, 8) multiply their channel.
    auto se = run_numeric(problem("keras", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", R"([{"name": "g", "type": "global_avgpool2d"},
        {"name": "m", "type": "multiply", "inputs": ["x", "g"]}])"));
    check_values(se.output("m"), {4, 10, 12, 20, 20, 30, 28, 40});

    // x = [[1, 2, 3], [4, 5, 6]]: x·xᵀ = [[1+4+9, 4+10+18], [·, 16+25+36]] = [[14, 32], [32, 77]];
    // xᵀ·x = [[1+16, 2+20, 3+24], [·, 4+25, 6+30], [·, ·, 9+36]].
    const std::string x = "[[1, 2, 3], [4, 5, 6]]";
    auto m = run_numeric(problem("pytorch", x, R"([{"name": "xxT", "type": "matmul", "inputs": ["x", "x"], "transpose_b": true}])"));
    check_values(m.output("xxT"), {14, 32, 32, 77});
    auto t = run_numeric(problem("pytorch", x, R"([{"name": "xTx", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true}])"));
    check_values(t.output("xTx"), {17, 22, 27, 22, 29, 36, 27, 36, 45});
    CHECK(m.explain("xxT", 1).worked() == "1 × 4 + 2 × 5 + 3 × 6 = 32");
}

TEST_CASE("combining layers: explain, links and backward agree", "[numeric][combine][consistency]") {
    check_cases({
        {"subtract", "keras", "[2, 3]", R"([{"name": "a", "type": "tanh"}, {"type": "subtract", "inputs": ["x", "a"]}])"},
        {"subtract broadcast", "pytorch", "[2, 3]", R"([{"name": "f", "type": "flatten", "inputs": ["x"]}, {"name": "w", "type": "dense", "units": 3},
            {"type": "subtract", "inputs": ["x", "w"]}])"},
        {"multiply three", "keras", "[2, 3]", R"([{"name": "a", "type": "tanh"}, {"name": "b", "type": "sigmoid", "inputs": ["x"]},
            {"type": "multiply", "inputs": ["a", "x", "b"]}])"},
        {"multiply squeeze-excitation", "keras", "[3, 2, 4]", R"([{"name": "g", "type": "global_avgpool2d"},
            {"name": "s", "type": "sigmoid"}, {"type": "multiply", "inputs": ["x", "s"]}])"},
        {"multiply [1, 1, C]", "pytorch", "[4, 2, 3]", R"([{"name": "g", "type": "global_avgpool2d"},
            {"name": "r", "type": "reshape", "target_shape": [4, 1, 1]}, {"type": "multiply", "inputs": ["r", "x"]}])"},
        {"scale", "pytorch", "[2, 3]", R"([{"type": "scale", "factor": -0.35}])"},
        {"matmul", "keras", "[2, 3]", R"([{"type": "matmul", "inputs": ["x", "x"], "transpose_b": true}])"},
        {"matmul transpose_a", "keras", "[2, 3]", R"([{"name": "d", "type": "dense", "units": 4},
            {"type": "matmul", "inputs": ["x", "d"], "transpose_a": true}])"},
        {"matmul both transposed", "pytorch", "[3, 2]", R"([{"name": "d", "type": "dense", "units": 3},
            {"type": "matmul", "inputs": ["x", "d"], "transpose_a": true, "transpose_b": true}])"},
        {"matmul leading axes broadcast", "pytorch", "[2, 2, 3]", R"([{"name": "f", "type": "flatten"},
            {"name": "w", "type": "dense", "units": 12}, {"name": "W", "type": "reshape", "target_shape": [3, 4]},
            {"type": "matmul", "inputs": ["x", "W"]}])"},
        {"matmul matrix × vector", "keras", "[3]", R"([{"name": "d", "type": "dense", "units": 6},
            {"name": "r", "type": "reshape", "target_shape": [2, 3]}, {"type": "matmul", "inputs": ["r", "x"]}])"},
        {"matmul vector × matrix", "keras", "[3]", R"([{"name": "d", "type": "dense", "units": 6},
            {"name": "r", "type": "reshape", "target_shape": [3, 2]}, {"type": "matmul", "inputs": ["x", "r"]}])"},
    });
}

TEST_CASE("inputs among the layers carry their own values, symbols and gradients", "[numeric][inputs]") {
    auto n = run_numeric(R"({"title": "t", "input": {"name": "x", "values": [1, 2]},
        "layers": [{"name": "w", "type": "input", "values": [3, 5], "symbols": ["w1", "w2"]},
                   {"name": "p", "type": "multiply", "inputs": ["x", "w"]}],
        "loss": "sse", "target": [0, 0]})");
    check_values(n.output("w"), {3, 5});
    check_values(n.output("p"), {3, 10});
    CHECK(n.explain("p", 1).worked() == "2 × 5 = 10");
    check_values(n.grad("w"), {2 * 3 * 1, 2 * 10 * 2});  // ∂(Σ p²)/∂w_i = 2·p_i·x_i
    CHECK(error_of("keras", "[2]", R"([{"name": "w", "type": "input", "shape": [3], "values": [1, 2]},
        {"type": "multiply", "inputs": ["x", "w"]}])") == "/layers/0/values: expected values of shape [3] (\"shape\"), found [2]");
}
