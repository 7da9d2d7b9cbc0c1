#include "report/numeric_reports.h"

#include "equations/system.h"
#include "report/equation_reports.h"

#include <set>

#include <fmt/format.h>

#include "numeric/engine.h"
#include "problem/error.h"
#include "report/numeric_common.h"

namespace dlsolve {

Cell tensor_cell(const Tensor& t, bool keep_batch_axis) {
    Dims shape = keep_batch_axis ? t.shape : Dims(t.shape.begin() + 1, t.shape.end());
    if (shape.empty()) return {format_real(t[0]), {}};
    return {"", {}, {t.data, static_cast<size_t>(shape.back())}};
}

namespace {

bool keep_batch(const Problem& problem) { return problem.batch.has_value(); }

std::vector<ScalarRef> named_params(const Engine& engine) {
    std::vector<ScalarRef> out;
    const auto& graph = engine.problem().graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r)
            for (size_t f = 0; f < engine.params[i][r].size(); ++f)
                if (!graph.layer(i).values[r].symbols.empty()) out.push_back({ScalarRef::Kind::Param, i, r, f});
    return out;
}

size_t parameter_elements(const Engine& engine) {
    size_t n = 0;
    for (const auto& node : engine.params)
        for (const auto& p : node) n += p.size();
    return n;
}

ScalarRef require_symbol(const Engine& engine, const std::string& symbol, const std::string& where) {
    if (auto ref = engine.find_symbol(symbol)) return *ref;
    const std::string hint = closest(symbol, engine.symbols());
    throw ProblemError(where, hint.empty() ? fmt::format("unknown symbol \"{}\"", symbol)
                                           : fmt::format("unknown symbol \"{}\" (did you mean \"{}\"?)", symbol, hint));
}

}  // namespace

std::vector<ScalarRef> shown_scalars(const Engine& engine, const NumericOptions& options) {
    if (!options.param.empty()) return {require_symbol(engine, options.param, options.param_where)};
    auto named = named_params(engine);
    if (!named.empty()) return named;
    std::vector<ScalarRef> all;
    if (parameter_elements(engine) > kShownElements && !options.all) return all;
    for (size_t i = 0; i < engine.params.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r)
            for (size_t f = 0; f < engine.params[i][r].size(); ++f) all.push_back({ScalarRef::Kind::Param, i, r, f});
    return all;
}

namespace {

// "loss": the number; with reduction='none' the list of per-element or per-sample losses,
// and each as "loss.K" (1-based).
void loss_answers(Json& answers, const LossResult& loss) {
    if (loss.per_term.empty()) {
        answers["loss"] = loss.value.to_double();
        return;
    }
    Json all = Json::array();
    for (const Expr& e : loss.per_term) all.push_back(e.to_double());
    answers["loss"] = all;
    for (size_t k = 0; k < loss.per_term.size(); ++k) answers[fmt::format("loss.{}", k + 1)] = loss.per_term[k].to_double();
}

void add_loss(Worksheet& sheet, const Pass& pass, Section& section) {
    if (!pass.loss) return;
    section.lines.push_back({"Loss", {pass.loss->convention, {}}});
    const auto& per_term = pass.loss->per_term;
    if (!per_term.empty()) {  // reduction='none': each element's or sample's loss is an answer
        const size_t shown = std::min(per_term.size(), kShownElements);
        for (size_t k = 0; k < shown; ++k) {
            const std::string label = fmt::format("L{}", k + 1);
            section.lines.push_back({label, {"", {{"", per_term[k]}}}});
            sheet.steps.push_back({fmt::format("loss.{}", k + 1), label, per_term[k]});
        }
        if (shown < per_term.size()) section.lines.push_back({"…", {fmt::format("{} more losses (in the JSON answers)", per_term.size() - shown), {}}});
        return;
    }
    // Too many terms to write: the Σ form first, then its terms.
    section.lines.push_back({"L", {"", {{"", pass.loss->value, true, false, pass.loss->summarized}}}});
    sheet.steps.push_back({"loss", "L", pass.loss->value});
}

Section forward_section(const Engine& engine, const Pass& pass, Worksheet& sheet, const NumericOptions& options) {
    const auto& problem = engine.problem();
    const auto& graph = problem.graph;
    Section section{"Forward pass", {}, {}};
    for (size_t i : graph.order()) {
        const Layer& layer = graph.layer(i);
        const Tensor& out = pass.outputs[i];
        const std::string heading = fmt::format("{} ({})", layer.name, layer.type);
        section.lines.push_back({heading, tensor_cell(out, keep_batch(problem))});
        if (graph.is_input(i) || layer.type == "parameter") continue;  // given values, nothing to work out
        for (const WorkedStage& stage : engine.stages(pass, i)) {
            section.lines.push_back({"  " + stage.title, tensor_cell(stage.values, keep_batch(problem))});
            const size_t listed = options.all ? stage.elements.size() : std::min(stage.elements.size(), kShownElements);
            for (size_t f = 0; f < listed; ++f) {
                section.lines.push_back({"    " + stage.elements[f].first, {"", {{"", stage.elements[f].second}}}});
                sheet.steps.push_back({fmt::format("forward.{}.{}", layer.name, stage.key), stage.elements[f].first, stage.elements[f].second});
            }
            if (listed < stage.elements.size())
                section.lines.push_back({"    …", {fmt::format("{} more elements (--all shows every one)", stage.elements.size() - listed), {}}});
        }
        const size_t shown = options.all ? out.size() : std::min(out.size(), kShownElements);
        for (size_t f = 0; f < shown; ++f) {
            const Expr e = engine.explain(pass, i, f);
            section.lines.push_back({"  " + engine.output_name(i, f), {"", {{"", e}}}});
            sheet.steps.push_back({"forward." + layer.name, engine.output_name(i, f), e});
        }
        if (shown < out.size())
            section.lines.push_back({"  …", {fmt::format("{} more elements (--all shows every one)", out.size() - shown), {}}});
    }
    add_loss(sheet, pass, section);
    return section;
}

void forward_answers(Json& answers, const Engine& engine, const Pass& pass) {
    const auto& problem = engine.problem();
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        const Layer& layer = problem.graph.layer(i);
        answers["forward." + layer.name] = tensor_json(pass.outputs[i], keep_batch(problem));
        if (!problem.graph.inputs_of(i).empty())
            for (const WorkedStage& stage : engine.stages(pass, i))
                answers[fmt::format("forward.{}.{}", layer.name, stage.key)] = tensor_json(stage.values, keep_batch(problem));
        if (i == 0 || (layer.output_symbols.empty() && layer.output_prefix.empty())) continue;
        for (size_t f = 0; f < pass.outputs[i].size(); ++f) answers["forward." + engine.output_name(i, f)] = pass.outputs[i][f];
    }
    if (pass.loss) loss_answers(answers, *pass.loss);
}

}  // namespace

void gradient_answers(Json& answers, const Engine& engine, const Pass& pass) {
    const auto& problem = engine.problem();
    const auto& graph = problem.graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r) {
            const auto& v = graph.layer(i).values[r];
            answers[fmt::format("grad.{}.{}", graph.layer(i).name, v.role)] = tensor_json(pass.param_grads[i][r], true);
            if (!v.symbols.empty())
                for (size_t f = 0; f < v.symbols.size(); ++f) answers["grad." + v.symbols[f]] = pass.param_grads[i][r][f];
        }
    answers["grad." + graph.layer(0).name] = tensor_json(pass.grads[0], keep_batch(problem));
    if (!problem.numeric.input_symbols.empty() && pass.grads[0].batch() == 1)
        for (size_t f = 0; f < problem.numeric.input_symbols.size(); ++f) answers["grad." + problem.numeric.input_symbols[f]] = pass.grads[0][f];
    // Inputs among the layers with their own values (Q, K, V): their gradients too.
    for (const auto& [node, values] : problem.numeric.given_inputs) {
        const Layer& layer = graph.layer(node);
        answers["grad." + layer.name] = tensor_json(pass.grads[node], keep_batch(problem));
        if (pass.grads[node].batch() == 1)
            for (size_t f = 0; f < layer.output_symbols.size(); ++f) answers["grad." + layer.output_symbols[f]] = pass.grads[node][f];
    }
}

void update_answers(Json& answers, const Engine& engine) {
    const auto& graph = engine.problem().graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r) {
            const auto& v = graph.layer(i).values[r];
            answers[fmt::format("update.{}.{}", graph.layer(i).name, v.role)] = tensor_json(engine.params[i][r], true);
            for (size_t f = 0; f < v.symbols.size(); ++f) answers["update." + v.symbols[f]] = engine.params[i][r][f];
        }
}

namespace {

// Layers whose derivative is zero almost everywhere stop the gradient: say what that means.
std::vector<Line> training_remarks(const Problem& problem) {
    std::vector<Line> out;
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        const Layer& layer = problem.graph.layer(i);
        if (layer.type == "hard_threshold")
            out.push_back({fmt::format("Note on {}", layer.name),
                           {"a hard threshold is flat except at its jump, so its derivative is 0 almost everywhere: no gradient "
                            "reaches the layers before it, and gradient descent cannot change their weights",
                            {}}});
    }
    return out;
}

}  // namespace

Worksheet forward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    const Engine engine(problem, analysis);
    const Pass pass = engine.forward(true);
    Worksheet sheet = titled(problem);
    sheet.sections.push_back(forward_section(engine, pass, sheet, options));
    forward_answers(sheet.answers, engine, pass);
    return sheet;
}

// The element-wise gradients of the engine, every path of the chain rule written out.
Worksheet element_backward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options);

Worksheet backward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    if (problem.equations) {
        Worksheet sheet = equation_backward_worksheet(problem);
        if (!problem.equations->numeric() || !problem.numeric.has_values) return sheet;
        Worksheet numbers = element_backward_worksheet(problem, analysis, options);
        for (auto& section : numbers.sections) sheet.sections.push_back(std::move(section));
        for (auto& [key, value] : numbers.answers.items()) sheet.answers[key] = value;
        for (auto& step : numbers.steps) sheet.steps.push_back(std::move(step));
        return sheet;
    }
    return element_backward_worksheet(problem, analysis, options);
}

Worksheet element_backward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    const Engine engine(problem, analysis);
    Pass pass = engine.forward(true);
    engine.backward(pass);
    Worksheet sheet = titled(problem);
    Section section{"Backward pass (∂L/∂ by the chain rule, summed over every path)", {}, {}};
    add_loss(sheet, pass, section);
    const auto& graph = problem.graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r)
            section.lines.push_back({fmt::format("∂L/∂{}.{}", graph.layer(i).name, graph.layer(i).values[r].role),
                                     tensor_cell(pass.param_grads[i][r], true)});
    section.lines.push_back({fmt::format("∂L/∂{}", graph.layer(0).name), tensor_cell(pass.grads[0], keep_batch(problem))});
    for (const auto& s : shown_scalars(engine, options)) {
        const std::string name = s.kind == ScalarRef::Kind::Param ? engine.param_name(s.node, s.role, s.flat) : engine.output_name(s.node, s.flat);
        // Asked for by name: through the layer's own quantities where it has them (BPTT).
        const std::vector<WorkedLine> worked = options.param.empty() ? std::vector<WorkedLine>{} : engine.worked_gradient(pass, s);
        if (!worked.empty()) {
            for (const WorkedLine& l : worked) {
                if (!l.text.empty()) {
                    section.lines.push_back({l.label, {l.text, {}}});
                    continue;
                }
                section.lines.push_back({l.label, {"", {{"", l.expr, true, false, true}}}});
                sheet.steps.push_back({"grad." + name, l.label, l.expr});
            }
            sheet.answers["grad." + name] = worked.back().expr.to_double();
            continue;
        }
        Expr chain;
        try {
            chain = engine.chain_rule(pass, s);
        } catch (const ProblemError& e) {
            if (!options.param.empty()) throw;  // asked for by name: say why it cannot be worked
            section.lines.push_back({"Chain rule", {fmt::format("not written out: {}", e.what()), {}}});
            break;
        }
        section.lines.push_back({"∂L/∂" + name, {"", {{"", chain, true, false, true}}}});
        sheet.steps.push_back({"grad." + name, "∂L/∂" + name, chain});
        sheet.answers["grad." + name] = chain.to_double();
    }
    for (auto& l : training_remarks(problem)) section.lines.push_back(std::move(l));
    sheet.sections.push_back(std::move(section));
    if (pass.loss) loss_answers(sheet.answers, *pass.loss);
    gradient_answers(sheet.answers, engine, pass);
    return sheet;
}


std::vector<Worksheet> numeric_answers_to_ask(const Problem& problem, const Analysis& analysis) {
    bool values = false, gradients = false, updates = false;
    std::set<std::string> grad_symbols, update_symbols;
    std::optional<Engine> engine;
    for (size_t n = 0; n < problem.ask.size(); ++n) {
        const Question& q = problem.ask[n];
        values = values || q.topic == "forward" || q.topic == "loss";
        gradients = gradients || q.topic == "gradients" || q.topic == "grad";
        updates = updates || q.topic == "updates" || q.topic == "update";
        if ((q.topic == "grad" || q.topic == "update") && !q.layer.empty()) {
            if (!engine) engine.emplace(problem, analysis);
            require_symbol(*engine, q.layer, fmt::format("/ask/{}/{}", n, q.topic));
            (q.topic == "grad" ? grad_symbols : update_symbols).insert(q.layer);
        }
    }
    const auto single = [](const std::set<std::string>& s) { return s.size() == 1 ? *s.begin() : std::string(); };
    std::vector<Worksheet> sheets;
    if (values) sheets.push_back(forward_worksheet(problem, analysis, {}));
    if (gradients) sheets.push_back(backward_worksheet(problem, analysis, {single(grad_symbols), "/ask", 0, false}));
    if (updates) sheets.push_back(train_worksheet(problem, analysis, {single(update_symbols), "/ask", 0, false}));
    return sheets;
}

void add_numeric_answers(Json& answers, const Problem& problem, const Analysis& analysis) {
    if (!problem.numeric.has_values) return;
    // What "ask" names must be answerable: its symbols exist, and a topic this function
    // does not work below (gradients without a loss, updates without an optimizer) is
    // worked as solve would, to refuse it the same way. Building every asked worksheet
    // only to check this was a quarter of `dlsolve check`'s time.
    bool asks_gradients = false, asks_updates = false;
    std::optional<Engine> engine;
    for (size_t n = 0; n < problem.ask.size(); ++n) {
        const Question& q = problem.ask[n];
        asks_gradients = asks_gradients || q.topic == "gradients" || q.topic == "grad";
        asks_updates = asks_updates || q.topic == "updates" || q.topic == "update";
        if ((q.topic == "grad" || q.topic == "update") && !q.layer.empty()) {
            if (!engine) engine.emplace(problem, analysis);
            require_symbol(*engine, q.layer, fmt::format("/ask/{}/{}", n, q.topic));
        }
    }
    engine.reset();
    const bool trains = problem.numeric.rule || (!problem.numeric.loss.empty() && problem.numeric.optimizer);
    if ((asks_gradients && (problem.numeric.rule || problem.numeric.loss.empty())) || (asks_updates && !trains))
        numeric_answers_to_ask(problem, analysis);
    NumericOptions none;
    none.states = false;  // answers only
    const Worksheet values = forward_worksheet(problem, analysis, none);
    for (const auto& [k, v] : values.answers.items()) answers[k] = v;
    const auto training_key = [](const std::string& k) {
        return k.rfind("update.", 0) == 0 || k.rfind("step", 0) == 0 || k.rfind("epoch", 0) == 0 || k == "final.loss";
    };
    if (problem.numeric.rule) {
        const Worksheet training = train_worksheet(problem, analysis, none);
        for (const auto& [k, v] : training.answers.items())
            if (training_key(k)) answers[k] = v;
        return;
    }
    if (problem.numeric.loss.empty()) return;
    const Worksheet gradients = backward_worksheet(problem, analysis, none);
    for (const auto& [k, v] : gradients.answers.items()) answers[k] = v;
    if (!problem.numeric.optimizer) return;
    const Worksheet training = train_worksheet(problem, analysis, none);
    for (const auto& [k, v] : training.answers.items())
        if (training_key(k)) answers[k] = v;
}

}  // namespace dlsolve
