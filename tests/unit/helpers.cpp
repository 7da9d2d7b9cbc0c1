#include "helpers.h"

#include <stdexcept>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve::test {

const LayerResult& Solved::layer(const std::string& name) const {
    for (size_t i = 0; i < problem.graph.size(); ++i)
        if (problem.graph.layer(i).name == name) return analysis.layers[i];
    throw std::out_of_range("no layer named " + name);
}

Solved solve_text(const std::string& problem_json) {
    Problem problem = parse_problem(problem_json);
    Analysis analysis = analyse(problem, false);
    return {std::move(problem), std::move(analysis)};
}

Solved solve(const std::string& framework, const std::string& input_shape, const std::string& layers) {
    return solve_text(fmt::format(R"({{"title": "t", "framework": "{}", "input": {{"name": "x", "shape": {}}}, "layers": {}}})",
                                  framework, input_shape, layers));
}

std::string error_of(const std::string& framework, const std::string& input_shape, const std::string& layers) {
    try {
        solve(framework, input_shape, layers);
    } catch (const ProblemError& e) {
        return e.what();
    }
    return "";
}

std::string error_of_text(const std::string& problem_json) {
    try {
        solve_text(problem_json);
    } catch (const ProblemError& e) {
        return e.what();
    }
    return "";
}

size_t Numeric::node(const std::string& name) const {
    const Graph& graph = solved->problem.graph;
    for (size_t i = 0; i < graph.size(); ++i)
        if (graph.layer(i).name == name) return i;
    throw std::out_of_range("no layer named " + name);
}

Numeric run_numeric(const std::string& problem_json) {
    Numeric n;
    n.solved = std::make_unique<Solved>(solve_text(problem_json));
    n.engine = std::make_unique<Engine>(n.solved->problem, n.solved->analysis);
    n.pass = n.engine->forward(false);
    if (n.pass.loss) n.engine->backward(n.pass);
    return n;
}

}  // namespace dlsolve::test
