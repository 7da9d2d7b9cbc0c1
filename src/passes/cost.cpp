#include <fmt/format.h>

#include "expr/expr.h"
#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {

Analysis analyse(const Problem& problem, bool with_costs) {
    Analysis analysis = infer_shapes(problem);
    check_given_values(problem, analysis);
    count_params(problem, analysis);
    if (with_costs) count_costs(problem, analysis);
    return analysis;
}

void count_costs(const Problem& problem, Analysis& analysis) {
    const Graph& graph = problem.graph;
    for (size_t i : graph.order()) {
        LayerResult& result = analysis.layers[i];
        try {
            result.cost = graph.layer(i).cost(result.input_shapes, result.output.values(), *problem.convention);
        } catch (const ArithmeticError& e) {
            throw ProblemError(describe_layer(graph.layer(i)), fmt::format("the cost cannot be computed: {}", e.what()));
        }
    }
}

}  // namespace dlsolve
