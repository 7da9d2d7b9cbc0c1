// What the file gives beside the network — value tensors and the exam's names for
// their elements — checked against the graph for every command, so that `params` refuses
// a file that `forward` would refuse.
#include <map>

#include <fmt/format.h>

#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/values.h"

namespace dlsolve {

void check_given_values(const Problem& problem, const Analysis& analysis) {
    const Graph& graph = problem.graph;
    // Every exam name and where the file gave it: a name that means two numbers would
    // make a worked chain and an answer key silently pick one of them.
    std::map<std::string, std::string> given_at;
    const auto claim = [&](const std::vector<std::string>& names, const std::string& where) {
        for (const auto& name : names) {
            auto [it, fresh] = given_at.emplace(name, where);
            if (!fresh)
                throw ProblemError(where, fmt::format("the symbol \"{}\" also names an element at {}: each name must mean "
                                                      "one number, so give these elements other names",
                                                      name, it->second));
        }
    };
    claim(problem.numeric.input_symbols, "/input/symbols");
    for (size_t i = 0; i < graph.size(); ++i) {
        const Layer& layer = graph.layer(i);
        const auto shapes = layer.value_shapes(analysis.layers[i].input_shapes, *problem.convention);
        for (size_t r = 0; r < layer.values.size() && r < shapes.size(); ++r) {
            const auto& v = layer.values[r];
            if (!v.given) continue;
            if (v.value.shape != shapes[r])
                throw ProblemError(layer.path + "/" + v.role, fmt::format("expected an array of shape {}, found {}",
                                                                          format_dims(shapes[r]), format_dims(v.value.shape)));
            claim(v.symbols, layer.path + "/symbols/" + v.role);
        }
        claim(layer.output_symbols, layer.path + "/symbols/output");
        if (!layer.output_prefix.empty()) {
            // Only an output the numeric engine could hold has names worth checking.
            const auto size = checked_size(analysis.layers[i].output.values());
            if (size && *size <= static_cast<size_t>(problem.numeric.max_elements))
                claim(prefixed_names(layer.output_prefix, analysis.layers[i].output.values()), layer.path + "/symbols/output");
        }
    }
}

}  // namespace dlsolve
