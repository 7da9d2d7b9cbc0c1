#include <fmt/format.h>

#include "expr/expr.h"
#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// A total as the sum of the layers' figures: a lone term keeps its own formula
// (2·128 = 256), several are summed by value and named by layer for the symbolic form.
Expr total_of(const Graph& graph, const std::vector<LayerResult>& layers, Expr ParamCount::*field) {
    std::vector<Expr> terms;
    std::vector<size_t> owners;
    for (size_t i : graph.order()) {
        const Expr& figure = layers[i].params.*field;
        if (figure.value() == 0) continue;
        terms.push_back(figure);
        owners.push_back(i);
    }
    if (terms.size() == 1) return terms.front();
    for (size_t t = 0; t < terms.size(); ++t) terms[t] = Expr::sym(graph.layer(owners[t]).name, terms[t].value());
    return Expr::sum(terms);
}

}  // namespace

void count_params(const Problem& problem, Analysis& analysis) {
    const Graph& graph = problem.graph;
    for (size_t i : graph.order()) {
        const Layer& layer = graph.layer(i);
        LayerResult& result = analysis.layers[i];
        try {
            result.params = layer.params(result.input_shapes, *problem.convention);
        } catch (const LayerError& e) {
            throw ProblemError(describe_layer(layer), e.what());
        } catch (const ArithmeticError& e) {
            throw ProblemError(describe_layer(layer), fmt::format("the parameter count cannot be computed: {}", e.what()));
        }
        if (!layer.trainable) {  // a frozen layer: every parameter is non-trainable
            result.params.trainable = Expr();
            result.params.non_trainable = result.params.total;
        }
    }
    try {
        analysis.totals = {total_of(graph, analysis.layers, &ParamCount::total),
                           total_of(graph, analysis.layers, &ParamCount::trainable),
                           total_of(graph, analysis.layers, &ParamCount::non_trainable),
                           total_of(graph, analysis.layers, &ParamCount::buffers)};
    } catch (const ArithmeticError& e) {
        throw ProblemError("/layers", fmt::format("the total parameter count cannot be computed: {}", e.what()));
    }
}

}  // namespace dlsolve
