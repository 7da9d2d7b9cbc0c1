// The numeric rules of each layer kind: forward values worked by hand (the arithmetic
// is in each comment), and for every kind three consistency checks on random values:
// (a) explain() gives forward()'s value for every element, (b) the gradient assembled
// from links() by the chain rule equals backward() for the inputs and the parameters,
// (c) backward() equals a central finite difference of forward().
// The PyTorch semantics were checked against torch 1.13 (float64) and the Keras ones
// against TensorFlow's documented rules (tf.nn padding, tf.image.resize).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <fmt/format.h>

#include "helpers.h"
#include "layer_checks.h"
#include "numeric/optimizer.h"
#include "problem/error.h"

using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using dlsolve::Dims;
using dlsolve::Expr;
using dlsolve::Layer;
using dlsolve::Link;
using dlsolve::NumericMode;
using dlsolve::Operand;
using dlsolve::Tensor;
using dlsolve::test::check_cases;
using dlsolve::test::check_layer;
using dlsolve::test::check_rules;
using dlsolve::test::check_values;
using dlsolve::test::Discrepancy;
using dlsolve::test::problem;
using dlsolve::test::run_numeric;

namespace {

// y = 2x with a wrong backward (3·g) or wrong links (∂y/∂x = 1): the checks must see it.
class Broken : public Layer {
public:
    bool wrong_backward = false;
    std::string class_name(const dlsolve::Convention&, const std::vector<Dims>&) const override { return "Broken"; }
    dlsolve::ShapeExpr output_shape(const std::vector<Dims>& in, const dlsolve::Convention& c) const override {
        return dlsolve::same_shape(in[0], c);
    }
    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const dlsolve::Convention&) const override {
        Tensor y = *in[0];
        for (auto& v : y.data) v *= 2;
        return y;
    }
    void backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const Tensor&, const Tensor& g,
                  const NumericMode&, const dlsolve::Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        for (size_t i = 0; i < g.size(); ++i) grad_in[0][i] = (wrong_backward ? 3 : 2) * g[i];
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const dlsolve::Convention&) const override {
        return Expr(2) * in[0].at(flat);
    }
    std::vector<Link> links(const std::vector<Operand>&, const std::vector<Operand>&, const Operand&, size_t flat, const NumericMode&,
                            const dlsolve::Convention&) const override {
        return {{0, flat, Expr(wrong_backward ? 2 : 1)}};
    }
};


const char* kImage3x3 = "[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]";  // PyTorch [1, 3, 3]

}  // namespace

// ---------------------------------------------------------------- conv2d

TEST_CASE("conv2d forward by hand: a 3×3 input and a 2×2 kernel", "[numeric][conv2d]") {
    // y11 = 1·1 + 2·2 + 3·4 + 4·5 = 37, y12 = 1·2 + 2·3 + 3·5 + 4·6 = 47,
    // y21 = 1·4 + 2·5 + 3·7 + 4·8 = 67, y22 = 1·5 + 2·6 + 3·8 + 4·9 = 77; + b = 0.5
    auto n = run_numeric(problem("pytorch", kImage3x3,
                                 R"([{"name": "c", "type": "conv2d", "filters": 1, "kernel": 2,
                                      "weights": [[[[1, 2], [3, 4]]]], "bias": [0.5]}])"));
    check_values(n.output("c"), {37.5, 47.5, 67.5, 77.5});
    CHECK(n.explain("c", 0).worked() == "1 × 1 + 2 × 2 + 3 × 4 + 4 × 5 + 0.5 = 37.5");
    CHECK(n.explain("c", 0).symbolic() == "c.weights[1, 1, 1, 1] × x[1, 1, 1] + c.weights[1, 1, 1, 2] × x[1, 1, 2] + "
                                          "c.weights[1, 1, 2, 1] × x[1, 2, 1] + c.weights[1, 1, 2, 2] × x[1, 2, 2] + c.bias[1]");

    // The same kernel in Keras's layout [k_h][k_w][in][out] on the [3, 3, 1] image.
    auto k = run_numeric(problem("keras", "[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]",
                                 R"([{"name": "c", "type": "conv2d", "filters": 1, "kernel": 2,
                                      "weights": [[[[1]], [[2]]], [[[3]], [[4]]]], "bias": [0.5]}])"));
    check_values(k.output("c"), {37.5, 47.5, 67.5, 77.5});
    CHECK(k.explain("c", 0).formula() == "1 × 1 + 2 × 2 + 3 × 4 + 4 × 5 + 0.5");
}

TEST_CASE("conv2d padding: Keras 'same' pads the extra row after, PyTorch pixels on both sides", "[numeric][conv2d]") {
    // x = 1 … 16 on 4×4, a 3×3 kernel of ones, stride 2, 'same': out 2×2, total padding
    // (2 − 1)·2 + 3 − 4 = 1, all of it after (⌊1/2⌋ = 0 before), as TensorFlow.
    // y11 = rows 1–3 × cols 1–3 = 1+2+3+5+6+7+9+10+11 = 54; y12 = cols 3–4: 3+4+7+8+11+12 = 45;
    // y21 = rows 3–4: 9+10+11+13+14+15 = 72; y22 = 11+12+15+16 = 54.
    std::string ones = "[[[[1]],[[1]],[[1]]],[[[1]],[[1]],[[1]]],[[[1]],[[1]],[[1]]]]";
    auto k = run_numeric(problem("keras", "[[[1],[2],[3],[4]],[[5],[6],[7],[8]],[[9],[10],[11],[12]],[[13],[14],[15],[16]]]",
                                 fmt::format(R"([{{"name": "c", "type": "conv2d", "filters": 1, "kernel": 3, "stride": 2,
                                                 "padding": "same", "use_bias": false, "weights": {}}}])", ones)));
    check_values(k.output("c"), {54, 45, 72, 54});
    // PyTorch padding=1 pads one row and column on each side: y11 = 1+2+5+6 = 14,
    // y12 = 2+3+4+6+7+8 = 30, y21 = 5+6+9+10+13+14 = 57, y22 = 6+7+8+10+11+12+14+15+16 = 99.
    auto p = run_numeric(problem("pytorch", "[[[1,2,3,4],[5,6,7,8],[9,10,11,12],[13,14,15,16]]]",
                                 R"([{"name": "c", "type": "conv2d", "filters": 1, "kernel": 3, "stride": 2, "padding": 1,
                                      "use_bias": false, "weights": [[[[1,1,1],[1,1,1],[1,1,1]]]]}])"));
    check_values(p.output("c"), {14, 30, 57, 99});
    // Padding cells contribute no term to the worked formula: y11 = 1·1 + 1·2 + 1·5 + 1·6.
    CHECK(p.explain("c", 0).formula() == "1 × 1 + 1 × 2 + 1 × 5 + 1 × 6");
}

TEST_CASE("conv2d dilation, groups and a fused activation", "[numeric][conv2d]") {
    // 5×5 input x = 1 … 25, a 2×2 kernel [[1, 0], [0, −1]] with dilation 2: y11 = x11 − x33 = 1 − 13.
    auto d = run_numeric(problem("pytorch", "[[[1,2,3,4,5],[6,7,8,9,10],[11,12,13,14,15],[16,17,18,19,20],[21,22,23,24,25]]]",
                                 R"([{"name": "c", "type": "conv2d", "filters": 1, "kernel": 2, "dilation": 2, "use_bias": false,
                                      "weights": [[[[1, 0], [0, -1]]]]}])"));
    check_values(d.output("c"), std::vector<double>(9, -12.0));
    // groups = 2 with 1×1 kernels: filter 1 sees channel 1 only, filter 2 channel 2:
    // y = (2·x1, −3·x2) and the relu clips the second.
    auto g = run_numeric(problem("pytorch", "[[[1]], [[2]]]",
                                 R"([{"name": "c", "type": "conv2d", "filters": 2, "kernel": 1, "groups": 2, "activation": "relu",
                                      "weights": [[[[2]]], [[[-3]]]], "bias": [0, 0]}])"));
    check_values(g.output("c"), {2, 0});
    CHECK(g.explain("c", 1).formula() == "max(0, (−3) × 2 + 0)");
}

// The message of the ProblemError a numeric problem raises, or "" when it runs.
static std::string numeric_error(const std::string& text) {
    try {
        run_numeric(text);
    } catch (const dlsolve::ProblemError& e) {
        return e.what();
    }
    return "";
}

TEST_CASE("conv2d values must have the framework's kernel shape", "[numeric][conv2d][errors]") {
    CHECK(numeric_error(problem("keras", "[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]",
                        R"([{"type": "conv2d", "filters": 8, "kernel": 3, "weights": [[[1]]], "bias": [0,0,0,0,0,0,0,0]}])")) ==
          "/layers/0/weights: expected an array of shape [3, 3, 1, 8], found [1, 1, 1]");
    CHECK(numeric_error(problem("pytorch", kImage3x3,
                        R"([{"type": "conv2d", "filters": 2, "kernel": 3, "weights": [[[1]]], "bias": [0, 0]}])")) ==
          "/layers/0/weights: expected an array of shape [2, 1, 3, 3], found [1, 1, 1]");
    CHECK(numeric_error(problem("pytorch", kImage3x3,
                        R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 2, "weights": [[[1]]], "bias": [0, 0]}])")) ==
          "/layers/0/weights: expected an array of shape [1, 2, 2, 2], found [1, 1, 1]");
    CHECK(numeric_error(problem("keras", "[[[1], [2]], [[3], [4]]]",
                        R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 2, "weights": [[[1]]], "bias": [0, 0]}])")) ==
          "/layers/0/weights: expected an array of shape [2, 2, 2, 1], found [1, 1, 1]");
    CHECK(numeric_error(problem("keras", "[[[1, 2]]]", R"([{"type": "batchnorm", "gamma": [1], "beta": [0, 0], "moving_mean": [0, 0],
                                                    "moving_variance": [1, 1]}])")) ==
          "/layers/0/gamma: expected an array of shape [2], found [1]");
}

TEST_CASE("conv2d: explain, links and backward agree", "[numeric][conv2d][consistency]") {
    check_cases({
        {"k3 s2 p1 groups 2 relu", "pytorch", "[4, 5, 5]",
         R"([{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "padding": 1, "groups": 2, "activation": "relu"}])"},
        {"k[2,3] s[1,2] p[0,1] d[2,1] no bias", "pytorch", "[2, 6, 7]",
         R"([{"type": "conv2d", "filters": 3, "kernel": [2, 3], "stride": [1, 2], "padding": [0, 1], "dilation": [2, 1], "use_bias": false}])"},
        {"same, even kernel", "pytorch", "[2, 4, 5]", R"([{"type": "conv2d", "filters": 2, "kernel": 2, "padding": "same"}])"},
        {"same s2 tanh", "keras", "[5, 5, 2]",
         R"([{"type": "conv2d", "filters": 3, "kernel": 3, "stride": 2, "padding": "same", "activation": "tanh"}])"},
        {"valid d2 sigmoid groups", "keras", "[6, 6, 4]",
         R"([{"type": "conv2d", "filters": 2, "kernel": 2, "dilation": 2, "groups": 2, "activation": "sigmoid"}])"},
        {"leaky relu", "keras", "[4, 4, 1]", R"([{"type": "conv2d", "filters": 2, "kernel": 2, "activation": "leaky_relu"}])"},
    });
}

TEST_CASE("conv2d with a fused softmax: worked values", "[numeric][conv2d]") {
    // 1×1 kernels: z = (x, 2x, 0) at each position; softmax over the 3 channels.
    auto n = run_numeric(problem("pytorch", "[[[0.5]]]",
                                 R"([{"name": "c", "type": "conv2d", "filters": 3, "kernel": 1, "activation": "softmax",
                                      "weights": [[[[1]]], [[[2]]], [[[0]]]], "bias": [0, 0, 0]}])"));
    const double e1 = std::exp(0.5), e2 = std::exp(1.0), e3 = 1.0, total = e1 + e2 + e3;
    check_values(n.output("c"), {e1 / total, e2 / total, e3 / total});
    CHECK_THAT(n.explain("c", 1).to_double(), WithinRel(e2 / total, 1e-12));
}

// ---------------------------------------------------------------- conv2d_transpose

TEST_CASE("conv2d_transpose forward by hand", "[numeric][conv2d_transpose]") {
    // x = [[1, 2], [3, 4]], a 2×2 kernel of ones, stride 1: each input adds itself to a
    // 2×2 block: [[1, 3, 2], [4, 10, 6], [3, 7, 4]].
    auto s1 = run_numeric(problem("pytorch", "[[[1, 2], [3, 4]]]",
                                  R"([{"name": "t", "type": "conv2d_transpose", "filters": 1, "kernel": 2, "use_bias": false,
                                       "weights": [[[[1, 1], [1, 1]]]]}])"));
    check_values(s1.output("t"), {1, 3, 2, 4, 10, 6, 3, 7, 4});
    CHECK(s1.explain("t", 4).formula() == "1 × 1 + 1 × 2 + 1 × 3 + 1 × 4");
    // Stride 2: the blocks do not overlap; kernel [[1, 2], [3, 4]] scaled by each input.
    auto s2 = run_numeric(problem("pytorch", "[[[1, 2], [3, 4]]]",
                                  R"([{"name": "t", "type": "conv2d_transpose", "filters": 1, "kernel": 2, "stride": 2,
                                       "weights": [[[[1, 2], [3, 4]]]], "bias": [1]}])"));
    check_values(s2.output("t"), {2, 3, 3, 5, 4, 5, 7, 9, 4, 7, 5, 9, 10, 13, 13, 17});
    // PyTorch padding crops p rows from each side of the full (n − 1)·s + k output:
    // kernel 3, stride 2, padding 1, output_padding 1 on x = [[1]] → full 3×3 = the
    // kernel; out 2×2 = full[1:3, 1:3] (the extra row of output_padding exists only if
    // the full output reaches it) = [[5, 6], [8, 9]].
    auto p = run_numeric(problem("pytorch", "[[[1]]]",
                                 R"([{"name": "t", "type": "conv2d_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": 1,
                                      "output_padding": 1, "use_bias": false, "weights": [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]}])"));
    check_values(p.output("t"), {5, 6, 8, 9});
    // Keras 'same', kernel 3, stride 2, on x = [[1]]: out 2×2, cropping
    // ⌊max((1 − 1)·2 + 3 − 2, 0)/2⌋ = 0 rows before (TensorFlow's conv2d_transpose):
    // [[1, 2], [4, 5]]. The kernel [k_h][k_w][out][in].
    auto k = run_numeric(problem("keras", "[[[1]]]",
                                 R"([{"name": "t", "type": "conv2d_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": "same",
                                      "use_bias": false,
                                      "weights": [[[[1]], [[2]], [[3]]], [[[4]], [[5]], [[6]]], [[[7]], [[8]], [[9]]]]}])"));
    check_values(k.output("t"), {1, 2, 4, 5});
}

TEST_CASE("conv2d_transpose: explain, links and backward agree", "[numeric][conv2d_transpose][consistency]") {
    check_cases({
        {"k3 s2 p1 output_padding 1 groups 2", "pytorch", "[4, 3, 3]",
         R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "groups": 2}])"},
        {"k[2,3] s[3,2] d[1,2] p[0,1]", "pytorch", "[2, 3, 4]",
         R"([{"type": "conv2d_transpose", "filters": 3, "kernel": [2, 3], "stride": [3, 2], "padding": [0, 1], "dilation": [1, 2]}])"},
        {"same s2 k3 relu", "keras", "[2, 3, 2]",
         R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": "same", "activation": "relu"}])"},
        {"valid s3 k2 (gaps)", "keras", "[2, 2, 1]", R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 2, "stride": 3}])"},
        {"same with output_padding", "keras", "[3, 3, 2]",
         R"([{"type": "conv2d_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": "same", "output_padding": 0}])"},
    });
}

// ---------------------------------------------------------------- pooling

TEST_CASE("maxpool2d routes the gradient to each window's maximum (exam 001 1.7)", "[numeric][maxpool2d]") {
    // A 2×2 pool on distinct values passes ∂L/∂y to one input of each window: 12 of the
    // 16 derivatives (75 %) are zero. half_sse with target 0: ∂L/∂y = y.
    auto n = run_numeric(problem("pytorch", "[[[1, 5, 2, 0], [3, 4, 8, 6], [9, 7, 1, 2], [0, 3, 4, 5]]]",
                                 R"([{"name": "p", "type": "maxpool2d", "pool": 2}])",
                                 R"(, "target": [[[0, 0], [0, 0]]], "loss": "half_sse")"));
    check_values(n.output("p"), {5, 8, 9, 5});
    check_values(n.grad("x"), {0, 5, 0, 0, 0, 0, 8, 0, 9, 0, 0, 0, 0, 0, 0, 5});
    size_t zeros = 0;
    for (double g : n.grad("x").data) zeros += g == 0;
    CHECK(zeros == 12);
    CHECK(n.explain("p", 0).formula() == "max(1, 5, 3, 4)");
    // Ties: the first maximum in row-major order takes the gradient, as PyTorch.
    auto t = run_numeric(problem("pytorch", "[[[1, 3], [3, 2]]]", R"([{"name": "p", "type": "maxpool2d", "pool": 2}])",
                                 R"(, "target": [[[0]]], "loss": "half_sse")"));
    check_values(t.grad("x"), {0, 3, 0, 0});
}

TEST_CASE("maxpool2d padding never wins, and Keras 'same' pads after", "[numeric][maxpool2d]") {
    // PyTorch padding 1 on negative values: padded cells are −∞, not 0.
    auto p = run_numeric(problem("pytorch", "[[[-1, -2], [-3, -4]]]",
                                 R"([{"name": "p", "type": "maxpool2d", "pool": 2, "stride": 1, "padding": 1}])"));
    check_values(p.output("p"), {-1, -1, -2, -1, -1, -2, -3, -3, -4});
    // Keras 'same' 2×2 on 3×3: windows rows {1, 2}, {3}; the last holds x33 only.
    auto k = run_numeric(problem("keras", "[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [-9]]]",
                                 R"([{"name": "p", "type": "maxpool2d", "pool": 2, "padding": "same"}])"));
    check_values(k.output("p"), {5, 6, 8, -9});
}

TEST_CASE("avgpool2d divisors: count_include_pad in PyTorch, valid cells in Keras 'same'", "[numeric][avgpool2d]") {
    // PyTorch padding 1, pool 2, stride 2 on 2×2: each window holds one input cell and
    // three padded zeros, divided by 4 (count_include_pad=True).
    auto p = run_numeric(problem("pytorch", "[[[4, 8], [12, 16]]]", R"([{"name": "a", "type": "avgpool2d", "pool": 2, "padding": 1}])"));
    check_values(p.output("a"), {1, 2, 3, 4});
    CHECK(p.explain("a", 0).formula() == "4/4");
    // ceil_mode without padding: the last window is clipped to the input, divided by 1.
    auto c = run_numeric(problem("pytorch", kImage3x3, R"([{"name": "a", "type": "avgpool2d", "pool": 2, "ceil_mode": true}])"));
    check_values(c.output("a"), {3, 4.5, 7.5, 9});
    // Keras 'same' on 3×3: the windows hold 4, 2, 2 and 1 input cells, each averaged alone.
    auto k = run_numeric(problem("keras", "[[[1], [2], [3]], [[4], [5], [6]], [[7], [8], [9]]]",
                                 R"([{"name": "a", "type": "avgpool2d", "pool": 2, "padding": "same"}])"));
    check_values(k.output("a"), {3, 4.5, 7.5, 9});
    CHECK(k.explain("a", 1).formula() == "(3 + 6)/2");
}

TEST_CASE("global and adaptive pooling by hand", "[numeric][pooling]") {
    // Keras: [N, C]; channel 1 = 1, 2, 3, 4 and channel 2 = 10, 20, 30, 40.
    auto g = run_numeric(problem("keras", "[[[1, 10], [2, 20]], [[3, 30], [4, 40]]]", R"([{"name": "g", "type": "global_avgpool2d"}])"));
    CHECK(g.output("g").shape == Dims{1, 2});
    check_values(g.output("g"), {2.5, 25});
    auto m = run_numeric(problem("pytorch", "[[[1, 7], [3, 4]], [[5, 2], [8, 0]]]", R"([{"name": "g", "type": "global_maxpool2d"}])"));
    CHECK(m.output("g").shape == Dims{1, 2, 1, 1});
    check_values(m.output("g"), {7, 8});
    CHECK(m.explain("g", 1).formula() == "max(5, 2, 8, 0)");
    // AdaptiveAvgPool2d(2) on 3×3: cells ⌊i·3/2⌋ … ⌈(i + 1)·3/2⌉ − 1, rows {1, 2} and {2, 3}.
    auto a = run_numeric(problem("pytorch", kImage3x3, R"([{"name": "a", "type": "adaptive_avgpool2d", "output": 2}])"));
    check_values(a.output("a"), {3, 4, 6, 7});
}

TEST_CASE("pooling: explain, links and backward agree", "[numeric][pooling][consistency]") {
    check_cases({
        {"max 3 s2 p1 dilation 2", "pytorch", "[2, 7, 7]", R"([{"type": "maxpool2d", "pool": 3, "stride": 2, "padding": 1, "dilation": 2}])"},
        {"max ceil_mode", "pytorch", "[1, 6, 6]", R"([{"type": "maxpool2d", "pool": 3, "stride": 2, "padding": 1, "ceil_mode": true}])"},
        {"max same", "keras", "[5, 5, 2]", R"([{"type": "maxpool2d", "pool": 2, "padding": "same"}])"},
        {"avg [2,3] s[1,2] p[1,1]", "pytorch", "[1, 4, 6]", R"([{"type": "avgpool2d", "pool": [2, 3], "stride": [1, 2], "padding": [1, 1]}])"},
        {"avg ceil_mode", "pytorch", "[1, 6, 6]", R"([{"type": "avgpool2d", "pool": 3, "stride": 2, "padding": 1, "ceil_mode": true}])"},
        {"avg same", "keras", "[4, 4, 1]", R"([{"type": "avgpool2d", "pool": 3, "stride": 1, "padding": "same"}])"},
        {"global avg", "keras", "[3, 4, 3]", R"([{"type": "global_avgpool2d"}])"},
        {"global avg", "pytorch", "[3, 3, 4]", R"([{"type": "global_avgpool2d"}])"},
        {"global max", "keras", "[3, 4, 3]", R"([{"type": "global_maxpool2d"}])"},
        {"global max", "pytorch", "[3, 3, 4]", R"([{"type": "global_maxpool2d"}])"},
        {"adaptive 5×7 → 3×4", "pytorch", "[2, 5, 7]", R"([{"type": "adaptive_avgpool2d", "output": [3, 4]}])"},
    });
}

// ---------------------------------------------------------------- normalisation

TEST_CASE("batchnorm: training uses the batch statistics, inference the moving ones", "[numeric][batchnorm]") {
    // Four samples of one feature, x = 1, 2, 3, 4: μ = 2.5, σ² = (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25
    // (biased); y = γ·(x − μ)/√(σ² + ε) + β with γ = 2, β = 1, ε = 1e-5 (PyTorch).
    const std::string layers = R"([{"name": "bn", "type": "batchnorm", "gamma": [2], "beta": [1], "moving_mean": [1],
                                    "moving_variance": [4]}])";
    auto train = run_numeric(problem("pytorch", "[[1], [2], [3], [4]]", layers, R"(, "batch": 4, "training": true)"));
    const double s = std::sqrt(1.25 + 1e-5);
    check_values(train.output("bn"), {2 * -1.5 / s + 1, 2 * -0.5 / s + 1, 2 * 0.5 / s + 1, 2 * 1.5 / s + 1});
    CHECK(train.explain("bn", 0).formula() == "2 × (1 − 2.5)/√(1.25 + 1e-05) + 1");
    CHECK(train.explain("bn", 0).symbolic() == "bn.gamma[1] × (x[1]⁽1⁾ − μ[1])/√(σ²[1] + ε) + bn.beta[1]");
    // Inference: y = 2·(x − 1)/√(4 + 1e-5) + 1.
    auto infer = run_numeric(problem("pytorch", "[[1], [2], [3], [4]]", layers, R"(, "batch": 4)"));
    const double v = std::sqrt(4 + 1e-5);
    check_values(infer.output("bn"), {1, 2 * 1 / v + 1, 2 * 2 / v + 1, 2 * 3 / v + 1});
    CHECK(infer.explain("bn", 1).formula() == "2 × (2 − 1)/√(4 + 1e-05) + 1");
    // Keras's default ε is 1e-3; "epsilon" overrides it.
    auto keras = run_numeric(problem("keras", "[[1], [2], [3], [4]]", layers, R"(, "batch": 4)"));
    CHECK_THAT(keras.output("bn")[1], WithinRel(2 / std::sqrt(4 + 1e-3) + 1, 1e-12));
    auto eps = run_numeric(problem("keras", "[[1], [2], [3], [4]]",
                                   R"([{"name": "bn", "type": "batchnorm", "epsilon": 0, "gamma": [2], "beta": [1],
                                        "moving_mean": [1], "moving_variance": [4]}])",
                                   R"(, "batch": 4)"));
    check_values(eps.output("bn"), {1, 2, 3, 4});
}

TEST_CASE("batchnorm statistics are per channel over the batch and the positions", "[numeric][batchnorm]") {
    // PyTorch [N = 2, C = 2, 1, 2]: channel 1 holds 1, 3, 5, 7 (μ = 4, σ² = 5), channel 2
    // holds 2, 2, 2, 2 (σ² = 0, so y = β).
    const std::string values = "[[[[1, 3]], [[2, 2]]], [[[5, 7]], [[2, 2]]]]";
    auto n = run_numeric(problem("pytorch", values,
                                 R"([{"name": "bn", "type": "batchnorm", "gamma": [1, 1], "beta": [0, 0.5],
                                      "moving_mean": [0, 0], "moving_variance": [1, 1]}])",
                                 R"(, "batch": 2, "training": true)"));
    const double s = std::sqrt(5.0 + 1e-5);
    check_values(n.output("bn"), {-3 / s, -1 / s, 0.5, 0.5, 1 / s, 3 / s, 0.5, 0.5});
    // With ε = 0 the constant channel divides by zero: an error, not a NaN.
    try {
        run_numeric(problem("pytorch", values,
                            R"([{"name": "bn", "type": "batchnorm", "epsilon": 0, "gamma": [1, 1], "beta": [0, 0.5],
                                 "moving_mean": [0, 0], "moving_variance": [1, 1]}])",
                            R"(, "batch": 2, "training": true)"));
        FAIL("no error");
    } catch (const dlsolve::ProblemError& e) {
        CHECK(std::string(e.what()) ==
              "layer \"bn\" (/layers/0): the variance is 0 and epsilon is 0: y = (x − μ)/√(σ² + ε) divides by zero");
    }
}

TEST_CASE("batchnorm moving statistics are not trained", "[numeric][batchnorm][optimizer]") {
    auto n = run_numeric(problem("keras", "[[1, 2], [3, 5]]",
                                 R"([{"name": "bn", "type": "batchnorm", "gamma": [1, 1], "beta": [0, 0], "moving_mean": [0.5, 0.5],
                                      "moving_variance": [2, 2]}])",
                                 R"(, "batch": 2, "target": [[1, 1], [0, 0]], "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1})"));
    const size_t bn = n.node("bn");
    const auto& values = n.solved->problem.graph.layer(bn).values;
    CHECK(values[0].trainable);
    CHECK(values[1].trainable);
    CHECK_FALSE(values[2].trainable);
    CHECK_FALSE(values[3].trainable);
    dlsolve::OptimizerState state;
    dlsolve::optimizer_step(*n.solved->problem.numeric.optimizer, *n.engine, n.pass, state, {});
    CHECK(n.engine->params[bn][0][0] != 1.0);  // γ moved
    CHECK(n.engine->params[bn][2].data == std::vector<double>{0.5, 0.5});
    CHECK(n.engine->params[bn][3].data == std::vector<double>{2, 2});
}

TEST_CASE("normalisation values left out start where the frameworks initialise them", "[numeric][batchnorm][layernorm]") {
    // Only γ and β given: moving mean 0 and moving variance 1, so inference computes
    // y = 2·(x − 0)/√(1 + ε) + 1 (PyTorch ε = 1e-5).
    auto some = run_numeric(problem("pytorch", "[[1], [3]]", R"([{"name": "bn", "type": "batchnorm", "gamma": [2], "beta": [1]}])",
                                    R"(, "batch": 2)"));
    const double v = std::sqrt(1 + 1e-5);
    check_values(some.output("bn"), {2 * 1 / v + 1, 2 * 3 / v + 1});
    CHECK(some.explain("bn", 1).formula() == "2 × (3 − 0)/√(1 + 1e-05) + 1");
    // Nothing given, training: γ = 1, β = 0 normalise the batch, μ = 2, σ² = 1.
    auto none = run_numeric(problem("pytorch", "[[1], [3]]", R"([{"name": "bn", "type": "batchnorm"}])",
                                    R"(, "batch": 2, "training": true)"));
    const double s = std::sqrt(1 + 1e-5);
    check_values(none.output("bn"), {-1 / s, 1 / s});
    auto ln = run_numeric(problem("keras", "[1, 2, 3]", R"([{"name": "ln", "type": "layernorm", "beta": [0, 1, 0]}])"));
    const double l = std::sqrt(2.0 / 3 + 1e-3);
    check_values(ln.output("ln"), {-1 / l, 1, 1 / l});
    // A name for values that are not given has nothing to name.
    CHECK(numeric_error(problem("pytorch", "[[1], [3]]",
                                R"([{"type": "batchnorm", "gamma": [2], "symbols": {"beta": "b"}}])", R"(, "batch": 2)")) ==
          "/layers/0/symbols/beta: names values that are not given: give \"beta\" too");
}

TEST_CASE("layernorm normalises each sample over its trailing axes", "[numeric][layernorm]") {
    // x = 1, 2, 3: μ = 2, σ² = 2/3; y = γ·(x − 2)/√(2/3 + ε) + β, ε = 1e-5 (PyTorch).
    auto n = run_numeric(problem("pytorch", "[1, 2, 3]",
                                 R"([{"name": "ln", "type": "layernorm", "gamma": [1, 2, 3], "beta": [0, 0, 1]}])"));
    const double s = std::sqrt(2.0 / 3 + 1e-5);
    check_values(n.output("ln"), {-1 / s, 0, 3 / s + 1});
}

TEST_CASE("normalisation: explain, links and backward agree", "[numeric][normalization][consistency]") {
    check_cases({
        {"bn inference on images", "pytorch", "[3, 2, 2]", R"([{"type": "batchnorm"}])"},
        {"bn training on images", "pytorch", "[3, 2, 2]", R"([{"type": "batchnorm"}])", true},
        {"bn training on [C, L]", "pytorch", "[3, 4]", R"([{"type": "batchnorm", "epsilon": 0.01}])", true},
        {"bn training on images", "keras", "[2, 2, 3]", R"([{"type": "batchnorm"}])", true},
        {"bn inference on vectors", "keras", "[4]", R"([{"type": "batchnorm"}])"},
        {"ln last axis", "keras", "[3, 4]", R"([{"type": "layernorm"}])"},
        {"ln [3, 4]", "pytorch", "[2, 3, 4]", R"([{"type": "layernorm", "normalized_shape": [3, 4]}])"},
    });
}

// ---------------------------------------------------------------- shape-only kinds

TEST_CASE("reshape, zeropadding2d and upsampling2d by hand", "[numeric][reshape][zeropadding2d][upsampling2d]") {
    auto r = run_numeric(problem("keras", "[1, 2, 3, 4, 5, 6]", R"([{"name": "r", "type": "reshape", "target_shape": [3, -1]}])"));
    CHECK(r.output("r").shape == Dims{1, 3, 2});
    check_values(r.output("r"), {1, 2, 3, 4, 5, 6});
    // ZeroPad2d: 1 row on top, 1 column on the right.
    auto z = run_numeric(problem("pytorch", "[[[1, 2], [3, 4]]]",
                                 R"([{"name": "z", "type": "zeropadding2d", "padding": [1, 0, 0, 1]}])"));
    check_values(z.output("z"), {0, 0, 0, 1, 2, 0, 3, 4, 0});
    auto u = run_numeric(problem("pytorch", "[[[1, 2], [3, 4]]]", R"([{"name": "u", "type": "upsampling2d"}])"));
    check_values(u.output("u"), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
    // Bilinear with half-pixel centres (align_corners=False; tf.image.resize): row 1
    // reads source −0.25 → 0 (clamped), row 2 source 0.25: 0.75·x1 + 0.25·x2.
    auto b = run_numeric(problem("pytorch", "[[[1, 2], [3, 4]]]",
                                 R"([{"name": "u", "type": "upsampling2d", "interpolation": "bilinear"}])"));
    check_values(b.output("u"), {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
    CHECK(b.explain("u", 1).formula() == "0.75 × 1 + 0.25 × 2");
}

TEST_CASE("shape-only and elementwise kinds: explain, links and backward agree", "[numeric][consistency]") {
    check_cases({
        {"reshape", "keras", "[2, 6]", R"([{"type": "reshape", "target_shape": [3, 4]}])"},
        {"zeropadding2d", "keras", "[2, 3, 2]", R"([{"type": "zeropadding2d", "padding": [1, 2, 0, 1]}])"},
        {"upsampling2d nearest", "pytorch", "[2, 2, 3]", R"([{"type": "upsampling2d", "size": [2, 3]}])"},
        {"upsampling2d bilinear", "keras", "[3, 2, 2]", R"([{"type": "upsampling2d", "size": 3, "interpolation": "bilinear"}])"},
        {"flatten", "pytorch", "[2, 2, 3]", R"([{"type": "flatten"}])"},
        {"dense relu", "pytorch", "[5]", R"([{"type": "dense", "units": 3, "activation": "relu"}])"},
        {"dense on images", "keras", "[2, 2, 3]", R"([{"type": "dense", "units": 2, "activation": "tanh"}])"},
        {"dropout inference", "keras", "[4]", R"([{"type": "dropout", "rate": 0.5}])"},
        {"dropout training", "keras", "[4]", R"([{"type": "dropout", "rate": 0.25, "mask": [1, 0, 1, 1]}])", true},
        {"softmax", "pytorch", "[3, 2, 2]", R"([{"type": "softmax"}])"},
        {"leaky_relu", "keras", "[6]", R"([{"type": "leaky_relu"}])"},
        {"sigmoid", "pytorch", "[6]", R"([{"type": "sigmoid"}])"},
        {"add", "keras", "[2, 3]", R"([{"name": "a", "type": "relu"}, {"name": "b", "type": "tanh", "inputs": ["x"]},
                                      {"type": "add", "inputs": ["a", "b", "x"]}])"},
        {"concat", "pytorch", "[2, 2, 2]", R"([{"name": "a", "type": "relu"}, {"type": "concat", "inputs": ["a", "x"]}])"},
    });
}

TEST_CASE("the consistency checks can fail", "[numeric][consistency]") {
    Broken wrong_links;  // links say 1, backward and forward 2
    const auto a = check_layer(wrong_links, {{3}}, dlsolve::Convention::keras(), false, 2, 1);
    CHECK(a.explain < 1e-12);
    CHECK(a.links > 0.1);
    CHECK(a.difference < 1e-6);
    Broken wrong_backward;  // backward 3, links 2 (backward is compared with both)
    wrong_backward.wrong_backward = true;
    const auto b = check_layer(wrong_backward, {{3}}, dlsolve::Convention::keras(), false, 2, 1);
    CHECK(b.links > 0.1);
    CHECK(b.difference > 0.1);
}
