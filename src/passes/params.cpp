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

// A layer whose weights are another's (Layer::tied_to): the tensor must have the owner's
// shape, alike or transposed (Keras's Dense kernel is inputs × units, an Embedding's
// matrix vocabulary × width), it is given once, by its owner, and it counts once, there.
// The layer keeps the count of what it owns (a bias) and says what it borrows.
void tie(const Graph& graph, size_t i, const Convention& convention, std::vector<LayerResult>& layers) {
    const Layer& layer = graph.layer(i);
    const std::string where = layer.path + "/tied_to";
    size_t owner_index = graph.size();
    for (size_t j = 0; j < graph.size(); ++j)
        if (graph.layer(j).name == layer.tied_to) owner_index = j;
    if (owner_index == graph.size()) throw ProblemError(where, fmt::format("no layer is named \"{}\"", layer.tied_to));
    const Layer& owner = graph.layer(owner_index);
    const auto roles = layer.value_roles();
    const auto owner_roles = owner.value_roles();
    if (roles.empty()) throw ProblemError(where, fmt::format("a \"{}\" layer has no weights to tie", layer.type));
    if (owner_roles.empty()) throw ProblemError(where, fmt::format("\"{}\" (a \"{}\" layer) has no weights to share", owner.name, owner.type));
    if (!owner.tied_to.empty())
        throw ProblemError(where, fmt::format("\"{}\" is itself tied to \"{}\": name the layer that owns the weights", owner.name, owner.tied_to));
    const Dims mine = layer.value_shapes(layers[i].input_shapes, convention).at(0);
    const Dims theirs = owner.value_shapes(layers[owner_index].input_shapes, convention).at(0);
    if (mine != theirs && !(mine.size() == 2 && mine == Dims(theirs.rbegin(), theirs.rend())))
        throw ProblemError(where, fmt::format("\"{}\" needs {} of shape {}, but \"{}\"'s {} are {} (nor their transpose)", layer.name, roles[0],
                                              format_dims(mine), owner.name, owner_roles[0], format_dims(theirs)));
    for (const auto& v : layer.values)
        if (v.role == roles[0] && v.given)
            throw ProblemError(where, fmt::format("the {} are \"{}\"'s: give their values there, not here", roles[0], owner.name));
    ParamCount& count = layers[i].params;
    count.tied = element_count(mine, convention);
    // What the layer owns: its other tensors' elements, or the whole count less the tied part.
    const auto shapes = layer.value_shapes(layers[i].input_shapes, convention);
    std::vector<Expr> terms;
    for (size_t r = 1; r < roles.size() && r < shapes.size(); ++r) terms.push_back(element_count(shapes[r], convention));
    Expr owned = terms.empty() ? Expr() : terms.size() == 1 ? terms[0] : Expr::sum(terms);
    if (owned.value() != count.total.value() - count.tied.value()) owned = count.total - count.tied;
    Expr& part = layer.trainable && layer.value_trainable(roles[0]) ? count.trainable : count.non_trainable;
    part = part.value() == count.total.value() ? owned : part - count.tied;
    count.total = owned;
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
    for (size_t i : graph.order())
        if (!graph.layer(i).tied_to.empty()) tie(graph, i, *problem.convention, analysis.layers);
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
