// Building a problem from JSON text in a test.
#pragma once

#include <memory>
#include <string>

#include "numeric/engine.h"
#include "passes/analysis.h"
#include "problem/problem.h"

namespace dlsolve::test {

struct Solved {
    Problem problem;
    Analysis analysis;

    const LayerResult& layer(const std::string& name) const;
    Dims shape(const std::string& name) const { return layer(name).output.values(); }
    int64_t params(const std::string& name) const { return layer(name).params.total.value(); }
};

// `layers` is the JSON array text; input shape and framework as given.
Solved solve(const std::string& framework, const std::string& input_shape, const std::string& layers);
Solved solve_text(const std::string& problem_json);
// The message a bad problem raises ("" when it parses and solves).
std::string error_of(const std::string& framework, const std::string& input_shape, const std::string& layers);
// The same for a whole problem file's text.
std::string error_of_text(const std::string& problem_json);

// The numeric engine over a problem with values: the forward pass, and the backward
// pass when the problem has a loss.
struct Numeric {
    std::unique_ptr<Solved> solved;  // the engine keeps references into it
    std::unique_ptr<Engine> engine;
    Pass pass;

    size_t node(const std::string& name) const;  // a layer, or the input by its name
    const Tensor& output(const std::string& name) const { return pass.outputs[node(name)]; }
    const Tensor& grad(const std::string& name) const { return pass.grads[node(name)]; }  // ∂L/∂output
    const Tensor& param_grad(const std::string& name, size_t role) const { return pass.param_grads[node(name)][role]; }
    Expr explain(const std::string& name, size_t flat) const { return engine->explain(pass, node(name), flat); }
};
Numeric run_numeric(const std::string& problem_json);

}  // namespace dlsolve::test
