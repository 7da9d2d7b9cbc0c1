#include "numeric/engine.h"

#include <cmath>
#include <functional>

#include <fmt/format.h>

#include "problem/error.h"
#include "problem/values.h"

namespace dlsolve {
namespace {

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)}); }

std::vector<const Tensor*> pointers(const std::vector<Tensor>& tensors) {
    std::vector<const Tensor*> out;
    for (const auto& t : tensors) out.push_back(&t);
    return out;
}

// Runs one of a layer's rules, reporting its failures at the layer.
template <class Rule>
auto at_layer(const Layer& layer, Rule&& rule) -> decltype(rule()) {
    return with_place([&] { return describe_layer(layer); }, std::forward<Rule>(rule));
}

// A value that overflowed float64 (or 0 × ∞) would be printed as a number: refuse it
// where it first appears, by its exam name.
void require_finite(double value, const std::string& where, const std::string& name) {
    if (!std::isfinite(value))
        throw ProblemError(where, fmt::format("{} is {}: the values are beyond float64's range (about 1.8e308)", name,
                                              std::isnan(value) ? "not a number (NaN)" : "infinite"));
}

void require_finite(const Tensor& t, const std::string& where, const std::function<std::string(size_t)>& name) {
    for (size_t f = 0; f < t.size(); ++f)
        if (!std::isfinite(t[f])) require_finite(t[f], where, name(f));
}

// Before anything is allocated: the forward pass holds every layer's output for the
// largest batch and every parameter; their elements must fit the budget.
void check_budget(const Problem& problem, const Analysis& analysis) {
    const Graph& graph = problem.graph;
    int64_t batch = 1;
    for (const Batch& b : problem.numeric.batches) batch = std::max(batch, b.input.batch());
    const uint64_t budget = static_cast<uint64_t>(problem.numeric.max_elements);
    uint64_t total = 0;
    // `what` says whose elements they are, e.g. "its output [8, 8, 3] for a batch of 2".
    const auto add = [&](const Layer& layer, const auto& what, std::optional<size_t> elements) {
        const bool alone = !elements || *elements > budget;
        if (!alone && !__builtin_add_overflow(total, *elements, &total) && total <= budget) return;
        const std::string count = elements ? std::to_string(*elements) : "more than 2^63";
        throw ProblemError(describe_layer(layer),
                           fmt::format("{} {} elements{}, above the numeric engine's budget of {} tensor elements "
                                       "({} MiB as float64, about {} MiB with the worked steps; raise it with --max-elements)",
                                       what(), count, alone ? "" : ", which brings the forward pass to more than the budget",
                                       budget, budget * 8 / (1 << 20), budget * kBytesPerWorkedElement / (1 << 20)));
    };
    for (size_t i = 0; i < graph.size(); ++i) {
        const Layer& layer = graph.layer(i);
        const Dims& sample = analysis.layers[i].output.values();
        Dims shape = sample;
        shape.insert(shape.begin(), batch);
        add(layer, [&] { return fmt::format("its output {} for a batch of {} has", format_dims(sample), batch); }, checked_size(shape));
        const auto roles = layer.value_roles();
        const auto shapes = layer.value_shapes(analysis.layers[i].input_shapes, *problem.convention);
        for (size_t r = 0; r < roles.size() && r < shapes.size(); ++r)
            add(layer, [&] { return fmt::format("its {} {} have", roles[r], format_dims(shapes[r])); }, checked_size(shapes[r]));
    }
}

}  // namespace

Json tensor_json(const Tensor& t, bool keep_batch) {
    const Dims shape = keep_batch || t.shape.empty() ? t.shape : Dims(t.shape.begin() + 1, t.shape.end());
    const std::function<Json(size_t, size_t&)> nest = [&](size_t axis, size_t& at) -> Json {
        if (axis == shape.size()) return t[at++];
        Json a = Json::array();
        for (int64_t i = 0; i < shape[axis]; ++i) a.push_back(nest(axis + 1, at));
        return a;
    };
    size_t at = 0;
    return nest(0, at);
}

Engine::Engine(const Problem& problem, const Analysis& analysis) : problem_(problem), analysis_(analysis) {
    mode_.training = problem.numeric.training;
    const Graph& graph = problem.graph;
    if (!problem.numeric.has_values) throw ProblemError("/input", "missing required key \"values\" (the input's numbers)");
    check_budget(problem, analysis);
    for (size_t i = 0; i < graph.size(); ++i)
        if (!graph.layer(i).tied_to.empty())
            throw ProblemError(graph.layer(i).path + "/tied_to",
                               "tied weights are counted (params, summary, flops), but the numeric commands do not follow a tie: "
                               "give the layer its own weights to compute with it");
    params.resize(graph.size());
    for (size_t i = 0; i < graph.size(); ++i) {
        const Layer& layer = graph.layer(i);
        const auto roles = layer.value_roles();
        if (roles.empty()) continue;
        if (layer.values.empty()) {
            throw ProblemError(describe_layer(layer), fmt::format("the numeric engine needs its values: give \"{}\"",
                                                                  fmt::join(roles, "\", \"")));
        }
        const auto shapes = layer.value_shapes(analysis.layers[i].input_shapes, *problem.convention);
        for (size_t r = 0; r < layer.values.size(); ++r) {
            const auto& v = layer.values[r];
            if (!v.given) {
                params[i].emplace_back(shapes[r], *layer.value_default(v.role));
                continue;
            }
            Tensor t = v.value;
            params[i].push_back(std::move(t));
        }
    }
    initial_ = params;
    // Every batch's target against the output, before any step is taken.
    Dims output = analysis.layers[graph.output()].output.values();
    output.insert(output.begin(), 0);
    for (const Batch& b : problem.numeric.batches) {
        if (!b.has_target) continue;
        output[0] = b.input.batch();
        const Tensor prediction(output);
        target_like(problem.numeric.loss, b, prediction,
                    class_layout(problem.numeric.loss, prediction, problem.numeric.loss_options, *problem.convention));
    }
}

void Engine::use_batch(size_t index) {
    if (index >= problem_.numeric.batches.size()) throw std::logic_error("no such batch");
    batch_index_ = index;
}

std::string Engine::output_name(size_t node, size_t flat) const {
    const Layer& layer = problem_.graph.layer(node);
    const Dims& sample = analysis_.layers[node].output.values();
    size_t per_sample = 1;
    for (auto d : sample) per_sample *= static_cast<size_t>(d);
    const size_t n = flat / per_sample, i = flat % per_sample;
    std::string name;
    if (node == 0 && !problem_.numeric.input_symbols.empty()) name = problem_.numeric.input_symbols[i];
    else if (!layer.output_symbols.empty() && i < layer.output_symbols.size()) name = layer.output_symbols[i];
    else if (!layer.output_prefix.empty()) name = prefixed_names(layer.output_prefix, sample)[i];
    else name = element_name(layer.name, i, sample);
    const bool batched = batch().input.batch() > 1;
    return batched ? fmt::format("{}⁽{}⁾", name, n + 1) : name;
}

std::string Engine::param_name(size_t node, size_t role, size_t flat) const {
    const auto& v = problem_.graph.layer(node).values[role];
    if (!v.symbols.empty()) return v.symbols[flat];
    return element_name(problem_.graph.layer(node).name + "." + v.role, flat, v.value.shape);
}

Operand Engine::output_operand(const Pass& pass, size_t node) const {
    return {&pass.outputs[node], [this, node](size_t f) { return output_name(node, f); }};
}

Operand Engine::param_operand(size_t node, size_t role) const {
    return {&params[node][role], [this, node, role](size_t f) { return param_name(node, role, f); }};
}

Pass Engine::forward(bool worked) const {
    const Graph& graph = problem_.graph;
    Pass pass;
    pass.outputs.resize(graph.size());
    for (size_t i : graph.order()) {
        const Layer& layer = graph.layer(i);
        if (graph.is_input(i)) {
            const Tensor* given = problem_.numeric.given_input(i);
            pass.outputs[i] = given ? *given : batch().input;
            continue;
        }
        std::vector<const Tensor*> in;
        for (size_t s : graph.inputs_of(i)) in.push_back(&pass.outputs[s]);
        pass.outputs[i] = at_layer(layer, [&] { return layer.forward(in, pointers(params[i]), mode_, *problem_.convention); });
        require_finite(pass.outputs[i], describe_layer(layer), [&](size_t f) { return "its output " + output_name(i, f); });
    }
    if (!problem_.numeric.loss.empty()) {
        const size_t out = graph.output();
        // A loss over more elements than an exam writes out is given by value only.
        constexpr size_t kWorkedLossElements = 256;
        pass.loss = with_place("/loss", [&] {
            return compute_loss(problem_.numeric.loss, output_operand(pass, out), batch(), problem_.numeric.loss_options, *problem_.convention,
                                worked && pass.outputs[out].size() <= kWorkedLossElements);
        });
        require_finite(pass.loss->value.to_double(), "/loss", "the loss");
        require_finite(pass.loss->grad, "/loss", [&](size_t f) { return "∂L/∂" + output_name(out, f); });
    }
    return pass;
}

void Engine::backward(Pass& pass) const {
    const Graph& graph = problem_.graph;
    if (!pass.loss) throw ProblemError("/loss", "gradients need a loss: give \"loss\" and \"target\"");
    // As torch's backward() of a non-scalar without a gradient argument ("grad can be
    // implicitly created only for scalar outputs").
    if (problem_.numeric.loss_options.reduction == "none")
        throw ProblemError("/reduction", "expected a scalar loss for gradients (\"mean\" or \"sum\"), found \"none\": one loss per "
                                         "element or sample has no single gradient, as PyTorch's backward() refuses a non-scalar");
    pass.grads.assign(graph.size(), Tensor());
    pass.param_grads.assign(graph.size(), {});
    for (size_t i = 0; i < graph.size(); ++i) {
        pass.grads[i] = Tensor(pass.outputs[i].shape);
        for (const auto& p : params[i]) pass.param_grads[i].emplace_back(p.shape);
    }
    pass.grads[graph.output()] = pass.loss->grad;
    for (auto it = graph.order().rbegin(); it != graph.order().rend(); ++it) {
        const size_t i = *it;
        const auto& sources = graph.inputs_of(i);
        if (graph.is_input(i)) continue;
        std::vector<const Tensor*> in;
        std::vector<Tensor> grad_in;
        for (size_t s : sources) in.push_back(&pass.outputs[s]), grad_in.emplace_back(pass.outputs[s].shape);
        at_layer(graph.layer(i), [&] {
            graph.layer(i).backward(in, pointers(params[i]), pass.outputs[i], pass.grads[i], mode_, *problem_.convention, grad_in,
                                    pass.param_grads[i]);
        });
        const std::string where = describe_layer(graph.layer(i));
        for (size_t k = 0; k < sources.size(); ++k)
            require_finite(grad_in[k], where, [&](size_t f) { return "∂L/∂" + output_name(sources[k], f); });
        for (size_t r = 0; r < pass.param_grads[i].size(); ++r)
            require_finite(pass.param_grads[i][r], where, [&](size_t f) { return "∂L/∂" + param_name(i, r, f); });
        for (size_t k = 0; k < sources.size(); ++k)
            for (size_t e = 0; e < grad_in[k].size(); ++e) pass.grads[sources[k]][e] += grad_in[k][e];
    }
}

void Engine::update_state(const Pass& pass) {
    const Graph& graph = problem_.graph;
    for (size_t i : graph.order()) {
        std::vector<const Tensor*> in;
        for (size_t s : graph.inputs_of(i)) in.push_back(&pass.outputs[s]);
        graph.layer(i).update_state(in, params[i], mode_, *problem_.convention);
    }
}

std::optional<ScalarRef> Engine::find_symbol(const std::string& symbol) const {
    const Graph& graph = problem_.graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < params[i].size(); ++r)
            for (size_t f = 0; f < params[i][r].size(); ++f)
                if (param_name(i, r, f) == symbol) return ScalarRef{ScalarRef::Kind::Param, i, r, f};
    for (size_t i = 0; i < graph.size(); ++i) {
        const size_t total = batch().input.batch() * static_cast<size_t>(element_count(analysis_.layers[i].output.values(),
                                                                                                *problem_.convention).value());
        for (size_t f = 0; f < total; ++f)
            if (output_name(i, f) == symbol)
                return ScalarRef{i == 0 ? ScalarRef::Kind::Input : ScalarRef::Kind::Output, i, 0, f};
    }
    return std::nullopt;
}

std::vector<std::string> Engine::symbols() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < params.size(); ++i)
        for (size_t r = 0; r < params[i].size(); ++r)
            for (size_t f = 0; f < params[i][r].size(); ++f) out.push_back(param_name(i, r, f));
    return out;
}

Expr Engine::explain(const Pass& pass, size_t node, size_t flat) const {
    const Graph& graph = problem_.graph;
    std::vector<Operand> in, values;
    for (size_t s : graph.inputs_of(node)) in.push_back(output_operand(pass, s));
    for (size_t r = 0; r < params[node].size(); ++r) values.push_back(param_operand(node, r));
    const Expr e = at_layer(graph.layer(node), [&] {
        return graph.layer(node).explain(in, values, pass.outputs[node], flat, mode_, *problem_.convention);
    });
    if (!close(e.to_double(), pass.outputs[node][flat]))
        throw std::logic_error(fmt::format("worked value {} of {} differs from the computed {}", e.value_text(),
                                           output_name(node, flat), format_real(pass.outputs[node][flat])));
    return e;
}

std::vector<WorkedStage> Engine::stages(const Pass& pass, size_t node) const {
    const Graph& graph = problem_.graph;
    std::vector<Operand> in, values;
    for (size_t s : graph.inputs_of(node)) in.push_back(output_operand(pass, s));
    for (size_t r = 0; r < params[node].size(); ++r) values.push_back(param_operand(node, r));
    return at_layer(graph.layer(node), [&] { return graph.layer(node).stages(in, values, mode_, *problem_.convention); });
}

Expr Engine::chain_rule(const Pass& pass, const ScalarRef& scalar, size_t max_chars) const {
    const Graph& graph = problem_.graph;
    // Who consumes each element: (consumer node, its output element, ∂out/∂element).
    struct Use {
        size_t node;
        size_t flat;
        Expr derivative;
    };
    std::map<std::pair<size_t, size_t>, std::vector<Use>> uses;                // (node, flat) of an output
    std::map<std::tuple<size_t, size_t, size_t>, std::vector<Use>> param_uses; // (node, role, flat)
    for (size_t i : graph.order()) {
        const auto& sources = graph.inputs_of(i);
        if (graph.is_input(i)) continue;
        std::vector<Operand> in, values;
        for (size_t s : sources) in.push_back(output_operand(pass, s));
        for (size_t r = 0; r < params[i].size(); ++r) values.push_back(param_operand(i, r));
        const Operand own = output_operand(pass, i);
        for (size_t o = 0; o < pass.outputs[i].size(); ++o) {
            auto links = at_layer(graph.layer(i), [&] { return graph.layer(i).links(in, values, own, o, mode_, *problem_.convention); });
            for (auto& l : links) {
                if (l.source >= 0) uses[{sources[static_cast<size_t>(l.source)], l.flat}].push_back({i, o, l.derivative});
                else param_uses[{i, static_cast<size_t>(-1 - l.source), l.flat}].push_back({i, o, l.derivative});
            }
        }
    }
    std::map<std::pair<size_t, size_t>, Expr> memo;
    const std::function<Expr(size_t, size_t)> upstream = [&](size_t node, size_t flat) -> Expr {
        if (auto it = memo.find({node, flat}); it != memo.end()) return it->second;
        Expr d;
        if (node == graph.output()) {
            d = pass.loss->grad_exprs.empty() ? Expr::real("∂L/∂" + output_name(node, flat), pass.loss->grad[flat])
                                              : pass.loss->grad_exprs[flat];
        } else {
            std::vector<Expr> terms;
            for (const auto& u : uses[{node, flat}]) terms.push_back(upstream(u.node, u.flat) * u.derivative);
            d = terms.empty() ? Expr::real(0) : Expr::sum(terms);
        }
        if (d.formula().size() > max_chars) d = Expr::real("∂L/∂" + output_name(node, flat), d.to_double());
        return memo[{node, flat}] = d;
    };
    std::vector<Expr> terms;
    double expected = 0;
    if (scalar.kind == ScalarRef::Kind::Param) {
        for (const auto& u : param_uses[{scalar.node, scalar.role, scalar.flat}]) terms.push_back(upstream(u.node, u.flat) * u.derivative);
        expected = pass.param_grads[scalar.node][scalar.role][scalar.flat];
    } else {
        terms.push_back(upstream(scalar.node, scalar.flat));
        expected = pass.grads[scalar.node][scalar.flat];
    }
    const Expr result = terms.empty() ? Expr::real(0) : Expr::sum(terms);
    if (!close(result.to_double(), expected))
        throw std::logic_error(fmt::format("the chain rule gives {} but backpropagation {}", result.value_text(), format_real(expected)));
    return result;
}

std::vector<WorkedLine> Engine::worked_gradient(const Pass& pass, const ScalarRef& scalar) const {
    if (scalar.kind != ScalarRef::Kind::Param) return {};
    const Graph& graph = problem_.graph;
    const size_t node = scalar.node;
    std::vector<Operand> in, values;
    for (size_t s : graph.inputs_of(node)) in.push_back(output_operand(pass, s));
    for (size_t r = 0; r < params[node].size(); ++r) values.push_back(param_operand(node, r));
    const Operand grad_output{&pass.grads[node], [this, node](size_t f) { return "∂L/∂" + output_name(node, f); }};
    std::vector<WorkedLine> layer_lines = at_layer(graph.layer(node), [&] {
        return graph.layer(node).param_gradient(in, values, grad_output, scalar.role, scalar.flat, mode_, *problem_.convention);
    });
    if (layer_lines.empty()) return {};
    const double expected = pass.param_grads[node][scalar.role][scalar.flat];
    if (!close(layer_lines.back().expr.to_double(), expected))
        throw std::logic_error(fmt::format("the worked chain gives {} but backpropagation {}", layer_lines.back().expr.value_text(),
                                           format_real(expected)));
    // Where the layer's output gradients come from: the loss, or the layers after it.
    std::vector<WorkedLine> lines;
    for (size_t f = 0; f < pass.grads[node].size(); ++f)
        if (pass.grads[node][f] != 0.0)
            lines.push_back({"∂L/∂" + output_name(node, f), chain_rule(pass, {ScalarRef::Kind::Output, node, 0, f}), {}});
    for (auto& l : layer_lines) lines.push_back(std::move(l));
    return lines;
}

}  // namespace dlsolve
