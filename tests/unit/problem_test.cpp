// Parsing: names as the frameworks give them, errors with their JSON paths, the graph.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "problem/error.h"

using dlsolve::Dims;
using dlsolve::ProblemError;
using dlsolve::test::error_of;
using dlsolve::test::solve;
using dlsolve::test::solve_text;

namespace {
std::string problem_error(const std::string& text) { return dlsolve::test::error_of_text(text); }
}  // namespace

TEST_CASE("unnamed Keras layers are named per class as Keras does", "[problem][naming]") {
    auto s = solve("keras", "[8, 8, 3]", R"([
        {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"}, {"type": "activation", "activation": "relu"},
        {"name": "named", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
        {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"}, {"type": "maxpool2d"},
        {"type": "conv2d_transpose", "filters": 2, "kernel": 2}, {"type": "batchnorm"}, {"type": "leaky_relu"},
        {"type": "global_avgpool2d"}, {"type": "dense", "units": 3}, {"type": "relu"}])");
    std::vector<std::string> names;
    for (size_t i = 0; i < s.problem.graph.size(); ++i) names.push_back(s.problem.graph.layer(i).name);
    CHECK(names == std::vector<std::string>{"x", "conv2d", "activation", "named", "conv2d_1", "max_pooling2d",
                                            "conv2d_transpose", "batch_normalization", "leaky_re_lu",
                                            "global_average_pooling2d", "dense", "re_lu"});
}

TEST_CASE("unnamed PyTorch layers are named by position, as nn.Sequential does", "[problem][naming]") {
    auto s = solve_text(R"({"title": "t", "framework": "pytorch", "input": {"shape": [4]},
                            "layers": [{"type": "dense", "units": 3}, {"type": "relu"}, {"name": "out", "type": "dense", "units": 1}]})");
    CHECK(s.problem.graph.layer(0).name == "input");
    CHECK(s.problem.graph.layer(1).name == "0");
    CHECK(s.problem.graph.layer(2).name == "1");
    CHECK(s.problem.graph.layer(3).name == "out");
}

TEST_CASE("errors name the JSON path, what was expected and what was found", "[problem][errors]") {
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "filter": 4, "kernel": 3}])") ==
          "/layers/0/filter: unknown key \"filter\" (did you mean \"filters\"?)");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "kernel": 3}])") ==
          "/layers/0: missing required key \"filters\" (a positive integer)");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "filters": 4, "filter": 4, "kernel": 3}])") ==
          "/layers/0/filter: unknown key \"filter\" (did you mean \"filters\"?)");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv", "filters": 4, "kernel": 3}])") ==
          "/layers/0/type: unknown layer type \"conv\" (did you mean \"conv2d\"?); the known types: input, conv2d, "
          "conv1d, conv2d_transpose, maxpool2d, avgpool2d, global_avgpool2d, global_maxpool2d, adaptive_avgpool2d, maxpool1d, avgpool1d, global_maxpool1d, global_avgpool1d, upsampling2d, "
          "zeropadding2d, flatten, reshape, dense, batchnorm, layernorm, dropout, activation, relu, leaky_relu, sigmoid, tanh, "
          "softmax, linear, hard_threshold, embedding, simple_rnn, lstm, gru, concat, add, parameter, subtract, multiply, matmul, scale, "
          "attention, multi_head_attention, transformer_encoder, transformer_decoder, positional_encoding");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "filters": 4, "kernel": -3}])") ==
          "/layers/0/kernel: expected a positive integer or [h, w], found -3");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "filters": 2.5, "kernel": 3}])") ==
          "/layers/0/filters: expected a positive integer, found 2.5");
    CHECK(error_of("keras", "[8, 0, 3]", R"([{"type": "flatten"}])") ==
          "/input/shape: expected an array of positive integers, found [8,0,3]");
    CHECK(problem_error(R"({"title": "t", "input": {"shape": [3]}, "layers": [{"type": "flatten"}], "layers": []})") ==
          "/layers: duplicate key");
    CHECK(problem_error(R"({"title": "t", "input": {"shape": [3]}, "layers": [{"type": "flatten"}], "answer": 1})") ==
          "/answer: unknown key \"answer\"");
    CHECK(problem_error(R"({"title": "t", "input": {"shape": [3]}, "layers": [{"type": "flatten"}],)") ==
          "line 1, column 73: invalid JSON: unexpected end of input; expected string literal");
    CHECK(problem_error("  \n") == "line 1, column 1: invalid JSON: the file is empty");
    CHECK(problem_error(std::string(100000, '[')).rfind("/0/0/0", 0) == 0);
    CHECK(problem_error(R"({"title": "t", "framework": "tensorflow", "input": {"shape": [3]}, "layers": [{"type": "flatten"}]})") ==
          "/framework: expected \"keras\" or \"pytorch\", found \"tensorflow\"");
}

TEST_CASE("the graph: unknown inputs, cycles and dangling layers are errors", "[problem][graph]") {
    CHECK(error_of("keras", "[8]", R"([{"name": "a", "type": "dense", "units": 2}, {"name": "b", "type": "add", "inputs": ["a", "aa"]}])") ==
          "/layers/1/inputs/1: unknown layer \"aa\" (did you mean \"a\"?)");
    CHECK(error_of("keras", "[8]", R"([{"name": "a", "type": "dense", "units": 8, "inputs": ["b"]},
                                      {"name": "b", "type": "dense", "units": 8, "inputs": ["a"]},
                                      {"name": "c", "type": "add", "inputs": ["b", "x"]}])") ==
          "layer \"a\" (/layers/0): the layers form a cycle: b → a → b");
    CHECK(error_of("keras", "[8]", R"([{"name": "a", "type": "dense", "units": 8}, {"name": "b", "type": "dense", "units": 2, "inputs": ["x"]}])") ==
          "layer \"a\" (/layers/0): its output never reaches the model's output (the last layer, \"b\")");
    CHECK(error_of("keras", "[8]", R"([{"name": "a", "type": "dense", "units": 8}, {"name": "a", "type": "dense", "units": 2}])") ==
          "/layers/1/name: duplicate layer name \"a\" (also /layers/0)");
}

TEST_CASE("layers run in topological order, and a forward reference is allowed", "[problem][graph]") {
    auto s = solve("keras", "[8]", R"([
        {"name": "late", "type": "dense", "units": 4, "inputs": ["early"]},
        {"name": "early", "type": "dense", "units": 6, "inputs": ["x"]},
        {"name": "out", "type": "dense", "units": 1, "inputs": ["late"]}])");
    CHECK(s.shape("late") == Dims{4});
    CHECK(s.problem.graph.order() == std::vector<size_t>{0, 2, 1, 3});
}

TEST_CASE("sizes that overflow 64-bit integers are errors", "[problem][errors]") {
    CHECK(error_of("keras", "[4000000000, 4000000000, 4000000]", R"([{"type": "flatten"}])") ==
          "layer \"flatten\" (/layers/0): the output shape cannot be computed: 4000000000 × 4000000000 overflows 64-bit integers");
    CHECK(error_of("keras", "[3000000000]", R"([{"type": "dense", "units": 4000000000}])") ==
          "layer \"dense\" (/layers/0): the parameter count cannot be computed: 4000000000 × 3000000001 overflows 64-bit integers");
}

TEST_CASE("ask and expect are checked", "[problem]") {
    const std::string head = R"({"title": "t", "input": {"shape": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2}], )";
    CHECK(problem_error(head + R"("ask": ["params", {"shapes": "e"}]})") == "/ask/1/shapes: unknown layer \"e\" (did you mean \"d\"?)");
    CHECK(problem_error(head + R"("ask": ["loss"]})") ==
          "/ask/0: \"loss\" needs numbers: give the input's \"values\" and the layers' weights");
    CHECK(problem_error(head + R"("ask": ["shape"]})") == "/ask/0: unknown question \"shape\" (did you mean \"shapes\"?)");
    CHECK(problem_error(head + R"("ask": [{"flops": "d"}]})") == "/ask/0: \"flops\" is asked of the whole network: write \"flops\"");
    CHECK(problem_error(head + R"("expect": {"params.d": "8"}})") == "/expect/params.d: expected a number or an array of numbers, found \"8\"");
    auto s = solve_text(head + R"("batch": 16, "ask": [{"params": "d"}], "expect": {"params.d": 8}})");
    CHECK(s.problem.batch == 16);
    CHECK(s.problem.ask.size() == 1);
}
