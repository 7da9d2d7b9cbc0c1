#include <fmt/format.h>

#include "expr/expr.h"
#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {

Analysis infer_shapes(const Problem& problem) {
    const Graph& graph = problem.graph;
    const Convention& convention = *problem.convention;
    Analysis analysis;
    analysis.layers.resize(graph.size());
    for (size_t i : graph.order()) {
        const Layer& layer = graph.layer(i);
        LayerResult& result = analysis.layers[i];
        for (size_t src : graph.inputs_of(i)) result.input_shapes.push_back(analysis.layers[src].output.values());
        try {
            result.class_name = layer.class_name(convention, result.input_shapes);
            result.output = layer.output_shape(result.input_shapes, convention);
        } catch (const LayerError& e) {
            throw ProblemError(describe_layer(layer), e.what());
        } catch (const ArithmeticError& e) {
            throw ProblemError(describe_layer(layer), fmt::format("the output shape cannot be computed: {}", e.what()));
        }
        for (const auto& dim : result.output.dims)
            if (dim.value() < 1)
                throw ProblemError(describe_layer(layer),
                                   fmt::format("the output shape {} has a size below 1", format_dims(result.output.values())));
    }
    return analysis;
}

}  // namespace dlsolve
