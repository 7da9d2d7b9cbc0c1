// Scaled dot-product attention on Q, K, V given as numbers: exam 003 2d-i worked by
// hand, the soft variant from the same scores, masks, the errors, the cost, and the
// consistency checks of layer_checks.h on random values.
#include <catch2/catch.hpp>

#include <cmath>

#include "helpers.h"
#include "layer_checks.h"

using dlsolve::Dims;
using dlsolve::test::check_cases;
using dlsolve::test::check_values;
using dlsolve::test::error_of;
using dlsolve::test::run_numeric;
using dlsolve::test::solve;

namespace {

// Exam 003 2d-i: Q (3×2), K (2×2), V (2×4), given as numbers.
std::string exam_2d(const std::string& attention) {
    return R"({"title": "t", "framework": "pytorch", "input": {"name": "Q", "values": [[2, -3], [-4, 1], [5, -2]]},
        "layers": [{"name": "K", "type": "input", "values": [[1, 4], [0, -3]]},
                   {"name": "V", "type": "input", "values": [[2, 4, 3, -2], [-4, 3, 1, -5]]},
                   {"name": "att", "type": "attention", "inputs": ["Q", "K", "V"])" + attention + "}]}";
}

}  // namespace

TEST_CASE("exam 003 2d-i: hard attention takes each row's largest score", "[numeric][attention]") {
    // QKᵀ = [[2·1 − 3·4, 2·0 − 3·(−3)], [−4·1 + 1·4, −4·0 + 1·(−3)], [5·1 − 2·4, 5·0 − 2·(−3)]]
    //     = [[−10, 9], [0, −3], [−3, 6]]: the largest are keys 2, 1, 2 (scaling by 1/√2 keeps them),
    // so the rows of O are V2, V1, V2.
    auto n = run_numeric(exam_2d(R"(, "hard": true)"));
    check_values(n.output("att"), {-4, 3, 1, -5, 2, 4, 3, -2, -4, 3, 1, -5});
    const auto stages = n.engine->stages(n.pass, n.node("att"));
    REQUIRE(stages.size() == 2);
    const double r2 = std::sqrt(2.0);
    check_values(stages[0].values, {-10 / r2, 9 / r2, 0, -3 / r2, -3 / r2, 6 / r2});
    check_values(stages[1].values, {0, 1, 1, 0, 0, 1});
    CHECK(stages[0].elements[0].first == "S[1, 1]");
    CHECK(stages[0].elements[0].second.worked() == "(2 × 1 + (−3) × 4)/√2 = −7.071067812");
    CHECK(stages[0].elements[0].second.symbolic() == "(Q[1, 1] × K[1, 1] + Q[1, 2] × K[1, 2])/√d_k");
    CHECK(n.explain("att", 0).worked() == "0 × 2 + 1 × (−4) = −4");
}

TEST_CASE("exam 003 2d-i, soft: softmax of each row of S = QKᵀ/√2", "[numeric][attention]") {
    auto n = run_numeric(exam_2d(""));
    const double r2 = std::sqrt(2.0);
    const double scores[3][2] = {{-10 / r2, 9 / r2}, {0, -3 / r2}, {-3 / r2, 6 / r2}};
    const double v[2][4] = {{2, 4, 3, -2}, {-4, 3, 1, -5}};
    std::vector<double> expected;
    for (const auto& s : scores) {
        const double a1 = 1 / (1 + std::exp(s[1] - s[0])), a2 = 1 - a1;  // two-way softmax
        for (int c = 0; c < 4; ++c) expected.push_back(a1 * v[0][c] + a2 * v[1][c]);
    }
    check_values(n.output("att"), expected);
    CHECK(n.explain("att", 4).symbolic() == "A[2, 1] × V[1, 1] + A[2, 2] × V[2, 1]");
}

TEST_CASE("attention masks: causal, and a 0/1 matrix with 1 = may attend", "[numeric][attention]") {
    const auto run = [](const std::string& keys) {
        return run_numeric(R"({"title": "t", "input": {"name": "x", "values": [[1, 0], [0, 1], [1, 1]]},
            "layers": [{"name": "att", "type": "attention", "inputs": ["x", "x"], "scale": "none", )" + keys + "}]}");
    };
    // Causal: query 1 sees key 1 only, so its output is x1 = [1, 0]; query 2 sees keys 1
    // and 2 with scores 0 and 1: weights 1/(1 + e), e/(1 + e) on [1, 0] and [0, 1];
    // query 3 = [1, 1] scores 1, 1, 2: weights (e, e, e²)/(2e + e²), output (1 + e)/(2 + e) twice.
    auto causal = run(R"("mask": "causal")");
    const double e = std::exp(1.0);
    check_values(causal.output("att"), {1, 0, 1 / (1 + e), e / (1 + e), (1 + e) / (2 + e), (1 + e) / (2 + e)});
    // The matrix [[0, 1, 0], [1, 0, 0], [0, 0, 1]] picks one key per query: outputs x2, x1, x3.
    auto picked = run(R"("mask": [[0, 1, 0], [1, 0, 0], [0, 0, 1]])");
    check_values(picked.output("att"), {0, 1, 1, 0, 1, 1});
}

TEST_CASE("attention: shapes, the MACs of QKᵀ and AV, and what it rejects", "[layers][attention]") {
    const char* kv = R"([{"name": "k", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true},
                         {"name": "v", "type": "dense", "units": 4},)";
    auto s = solve("pytorch", "[3, 2]", std::string(kv) + R"({"name": "att", "type": "attention", "inputs": ["x", "k", "v"]}])");
    CHECK(s.shape("att") == Dims{3, 4});
    dlsolve::count_costs(s.problem, s.analysis);
    CHECK(s.layer("att").cost.macs.worked() == "3 × 2 × 2 + 3 × 2 × 4 = 36");  // T_q·T_k·d_k + T_q·T_k·d_v

    CHECK(error_of("pytorch", "[3, 2]", R"([{"name": "k", "type": "dense", "units": 3},
        {"name": "att", "type": "attention", "inputs": ["x", "k"]}])") ==
          "layer \"att\" (/layers/1): the query and the key need the same depth d_k for QKᵀ: \"x\" [3, 2] has 2 but \"k\" [3, 3] has 3");
    CHECK(error_of("pytorch", "[3, 2]", R"([{"name": "k", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true},
        {"name": "v", "type": "dense", "units": 4, "inputs": ["x"]}, {"name": "att", "type": "attention", "inputs": ["x", "k", "v"]}])") ==
          "layer \"att\" (/layers/2): the value needs one row per key: \"k\" [2, 2] has 2 keys but \"v\" [3, 4] has 3 rows");
    CHECK(error_of("pytorch", "[3, 2]", R"([{"name": "att", "type": "attention", "inputs": ["x", "x"], "mask": [[1, 0], [1, 1]]}])") ==
          "layer \"att\" (/layers/0): mask is 2 × 2 but the scores are T_q × T_k = 3 × 3 (a row per query, a column per key)");
    CHECK(error_of("pytorch", "[2, 2]", R"([{"name": "att", "type": "attention", "inputs": ["x", "x"], "mask": [[1, 0], [0, 0]]}])") ==
          "layer \"att\" (/layers/0): mask row 2 lets query 2 attend to no key: its softmax would divide by zero (PyTorch gives NaN, Keras a uniform row)");
    CHECK(error_of("pytorch", "[2, 2]", R"([{"name": "att", "type": "attention", "inputs": ["x", "x"], "mask": [[1, 2], [0, 1]]}])").find(
              "/layers/0/mask: expected \"causal\" or a T_q × T_k matrix of 0 and 1") == 0);
    CHECK(error_of("pytorch", "[4]", R"([{"name": "att", "type": "attention", "inputs": ["x", "x"]}])") ==
          "layer \"att\" (/layers/0): attention needs each input as [T, d] (positions × depth), but \"x\" is [4]");
    CHECK(error_of("pytorch", "[2, 2]", R"([{"name": "att", "type": "attention", "inputs": ["x", "x"], "scale": "sqrt"}])").find(
              "/layers/0/scale: expected \"sqrt_dk\"") == 0);
}

TEST_CASE("attention: explain, links and backward agree", "[numeric][attention][consistency]") {
    const std::string kv = R"([{"name": "k", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true},
                               {"name": "v", "type": "dense", "units": 4},)";
    check_cases({
        {"soft", "pytorch", "[3, 2]", R"([{"name": "k", "type": "dense", "units": 2}, {"name": "v", "type": "dense", "units": 3, "inputs": ["x"]},
            {"type": "attention", "inputs": ["x", "k", "v"]}])"},
        {"T_k ≠ T_q", "pytorch", "[3, 2]", R"([{"name": "k", "type": "matmul", "inputs": ["x", "x"], "transpose_a": true},
            {"name": "v", "type": "dense", "units": 4}, {"type": "attention", "inputs": ["x", "k", "v"]}])"},
        {"value = key, scale 0.3", "keras", "[3, 2]", R"([{"type": "attention", "inputs": ["x", "x"], "scale": 0.3}])"},
        {"no scale, causal", "keras", "[4, 3]", R"([{"name": "k", "type": "tanh"}, {"type": "attention", "inputs": ["x", "k", "x"],
            "scale": "none", "mask": "causal"}])"},
        {"mask matrix", "pytorch", "[3, 2]", R"([{"name": "k", "type": "dense", "units": 2},
            {"type": "attention", "inputs": ["x", "k"], "mask": [[1, 0, 1], [0, 1, 1], [1, 1, 1]]}])"},
        {"hard", "pytorch", "[3, 2]", R"([{"name": "k", "type": "dense", "units": 2}, {"name": "v", "type": "dense", "units": 3, "inputs": ["x"]},
            {"type": "attention", "inputs": ["x", "k", "v"], "hard": true}])"},
    });
}
