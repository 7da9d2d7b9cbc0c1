// Consistency checks shared by the layer tests: explain() against forward(), links()
// against backward(), and backward() against central differences.
#include "layer_checks.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <catch2/catch.hpp>
#include <fmt/format.h>

using Catch::Matchers::WithinAbs;
using dlsolve::Dims;
using dlsolve::Expr;
using dlsolve::Layer;
using dlsolve::Link;
using dlsolve::NumericMode;
using dlsolve::Operand;
using dlsolve::Tensor;

namespace dlsolve::test {

double relative(double a, double b) { return std::fabs(a - b) / std::max({1.0, std::fabs(a), std::fabs(b)}); }

// A layer fed random inputs (batch `batch`) and random values: L = Σ g·y for a
// random g, so ∂L/∂y = g.
Discrepancy check_layer(const Layer& layer, const std::vector<Dims>& input_shapes, const dlsolve::Convention& convention,
                        bool training, int64_t batch, unsigned seed) {
    const NumericMode mode{training};
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> uniform(-2.0, 2.0), positive(0.5, 2.0);

    std::vector<Tensor> inputs, params;
    for (const Dims& sample : input_shapes) {
        Dims shape = sample;
        shape.insert(shape.begin(), batch);
        Tensor t(shape);
        for (auto& v : t.data) v = uniform(rng);
        inputs.push_back(std::move(t));
    }
    const auto roles = layer.value_roles();
    const auto shapes = layer.value_shapes(input_shapes, convention);
    for (size_t r = 0; r < roles.size(); ++r) {
        Tensor t(shapes[r]);
        for (auto& v : t.data) v = roles[r] == "moving_variance" ? positive(rng) : uniform(rng);
        params.push_back(std::move(t));
    }
    const auto pointers = [](const std::vector<Tensor>& ts) {
        std::vector<const Tensor*> out;
        for (const auto& t : ts) out.push_back(&t);
        return out;
    };
    std::vector<Operand> in_ops, param_ops;
    for (size_t k = 0; k < inputs.size(); ++k) in_ops.push_back({&inputs[k], [k](size_t f) { return fmt::format("x{}_{}", k, f); }});
    for (size_t r = 0; r < params.size(); ++r) param_ops.push_back({&params[r], [r](size_t f) { return fmt::format("p{}_{}", r, f); }});

    const Tensor y = layer.forward(pointers(inputs), pointers(params), mode, convention);
    Tensor g(y.shape);
    for (auto& v : g.data) v = uniform(rng);

    Discrepancy d;
    d.outputs = y.size();
    // (a) every element's worked formula has the computed value.
    for (size_t o = 0; o < y.size(); ++o)
        d.explain = std::max(d.explain, relative(layer.explain(in_ops, param_ops, y, o, mode, convention).to_double(), y[o]));

    std::vector<Tensor> grad_in, grad_p;
    for (const auto& t : inputs) grad_in.emplace_back(t.shape);
    for (const auto& t : params) grad_p.emplace_back(t.shape);
    layer.backward(pointers(inputs), pointers(params), y, g, mode, convention, grad_in, grad_p);

    // (b) Σ over outputs of g·∂y/∂source, from the local derivatives.
    std::vector<Tensor> chain_in, chain_p;
    const Operand out_op{&y, [](size_t i) { return fmt::format("y{}", i + 1); }};
    for (const auto& t : inputs) chain_in.emplace_back(t.shape);
    for (const auto& t : params) chain_p.emplace_back(t.shape);
    for (size_t o = 0; o < y.size(); ++o)
        for (const Link& l : layer.links(in_ops, param_ops, out_op, o, mode, convention)) {
            Tensor& target = l.source >= 0 ? chain_in[static_cast<size_t>(l.source)] : chain_p[static_cast<size_t>(-1 - l.source)];
            target[l.flat] += g[o] * l.derivative.to_double();
        }
    for (size_t k = 0; k < inputs.size(); ++k)
        for (size_t f = 0; f < inputs[k].size(); ++f) d.links = std::max(d.links, relative(chain_in[k][f], grad_in[k][f]));
    for (size_t r = 0; r < params.size(); ++r)
        for (size_t f = 0; f < params[r].size(); ++f) d.links = std::max(d.links, relative(chain_p[r][f], grad_p[r][f]));

    // (c) central differences of L = Σ g·y; moving statistics are constants (no gradient).
    const auto loss = [&] {
        const Tensor out = layer.forward(pointers(inputs), pointers(params), mode, convention);
        double total = 0;
        for (size_t o = 0; o < out.size(); ++o) total += g[o] * out[o];
        return total;
    };
    const double h = 1e-6;
    const auto differentiate = [&](double& value, double analytic) {
        const double keep = value;
        value = keep + h;
        const double up = loss();
        value = keep - h;
        const double down = loss();
        value = keep;
        d.difference = std::max(d.difference, relative((up - down) / (2 * h), analytic));
    };
    for (size_t k = 0; k < inputs.size(); ++k)
        for (size_t f = 0; f < inputs[k].size(); ++f) differentiate(inputs[k][f], grad_in[k][f]);
    for (size_t r = 0; r < params.size(); ++r)
        if (layer.value_trainable(roles[r]))
            for (size_t f = 0; f < params[r].size(); ++f) differentiate(params[r][f], grad_p[r][f]);
    return d;
}

// The last layer of a problem.
Discrepancy check_rules(const std::string& framework, const std::string& input_shape, const std::string& layers,
                        bool training, int64_t batch, unsigned seed) {
    const auto solved = dlsolve::test::solve(framework, input_shape, layers);
    const size_t node = solved.problem.graph.output();
    return check_layer(solved.problem.graph.layer(node), solved.analysis.layers[node].input_shapes, *solved.problem.convention,
                       training, batch, seed);
}


void check_cases(const std::vector<Case>& cases) {
    for (const auto& c : cases) {
        INFO(c.label << " (" << c.framework << ")");
        const Discrepancy d = check_rules(c.framework, c.input_shape, c.layers, c.training);
        CHECK(d.outputs > 0);
        CHECK(d.explain < 1e-12);
        CHECK(d.links < 1e-10);
        CHECK(d.difference < 1e-6);
    }
}

void check_values(const Tensor& t, const std::vector<double>& expected) {
    REQUIRE(t.size() == expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        INFO("element " << i);
        CHECK_THAT(t[i], WithinAbs(expected[i], 1e-12));
    }
}

std::string problem(const std::string& framework, const std::string& input_values, const std::string& layers,
                    const std::string& extra) {
    return fmt::format(R"({{"title": "t", "framework": "{}", "input": {{"name": "x", "values": {}}}, "layers": {}{}}})", framework,
                       input_values, layers, extra);
}

}  // namespace dlsolve::test
