// The train command's worksheets: optimizer steps on one batch or a list of batches, and
// the learning rules (Hebbian, perceptron), every step worked up to a limit.
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "numeric/engine.h"
#include "numeric/learning_rule.h"
#include "numeric/optimizer.h"
#include "problem/error.h"
#include "report/numeric_common.h"
#include "report/numeric_reports.h"

namespace dlsolve {
namespace {

constexpr int64_t kShownSteps = 25;     // longer training shows this many steps and the last unless --all

// Whether training step k of `last` (0: not known yet) is worked out in the output.
bool step_shown(int64_t k, int64_t last, const NumericOptions& options) { return options.all || k <= kShownSteps || k == last; }

// Where steps were left out, say which and how to see them.
Section steps_left_out(int64_t first, int64_t last) {
    return {fmt::format("Steps {} to {} are not shown (--all shows every step; their answers are in --format json's \"answers\")",
                        first, last),
            {},
            {}};
}

// Passes over the batches (rules: over the samples): --epochs, the problem's "epochs",
// else 1 (100 at most for a perceptron trained until it converges).
int64_t epochs_of(const Problem& problem, const NumericOptions& options) {
    if (options.epochs > 0) return options.epochs;
    if (problem.numeric.epochs) return *problem.numeric.epochs;
    return problem.numeric.rule && problem.numeric.rule->until_converged ? 100 : 1;
}

std::string vector_text(const std::vector<double>& values) {
    std::vector<std::string> cells;
    for (double v : values) cells.push_back(format_real(v));
    return fmt::format("[{}]", fmt::join(cells, ", "));
}

Part number(double value) { return {"", Expr::real(value), false}; }

// "fc.weights[1, 2]" → the tensor and the 1-based position, for the JSON states.
Json element_json(const Engine& engine, const ScalarRef& ref) {
    const Layer& layer = engine.problem().graph.layer(ref.node);
    Json e = Json::object();
    e["tensor"] = layer.name + "." + layer.values[ref.role].role;
    Json index = Json::array();
    for (auto i : unravel(ref.flat, engine.params[ref.node][ref.role].shape)) index.push_back(i + 1);
    e["index"] = std::move(index);
    return e;
}

// The table of every trainable element at one step, its first kShownElements rows
// unless --all; `row` gives the cells after the name.
void add_state_table(Section& section, const std::vector<std::string>& columns, size_t count, const NumericOptions& options,
                     const std::function<std::vector<Cell>(size_t)>& row) {
    Table table{columns, std::vector<bool>(columns.size(), true), {}};
    table.right_aligned[0] = false;
    const size_t shown = options.all ? count : std::min(count, kShownElements);
    for (size_t i = 0; i < shown; ++i) table.rows.push_back(row(i));
    section.tables.push_back(std::move(table));
    if (shown < count) section.lines.push_back({"…", {fmt::format("{} more parameters (--all shows every one)", count - shown), {}}});
}

void add_tensor_lines(Section& section, const Engine& engine, const std::string& suffix) {
    const auto& graph = engine.problem().graph;
    for (size_t i = 0; i < graph.size(); ++i)
        for (size_t r = 0; r < engine.params[i].size(); ++r)
            section.lines.push_back({fmt::format("{}.{}{}", graph.layer(i).name, graph.layer(i).values[r].role, suffix),
                                     tensor_cell(engine.params[i][r], true)});
}

std::string optimizer_name(const OptimizerSpec& spec) {
    if (spec.type == "sgd") return "SGD";
    if (spec.type == "rmsprop") return "RMSprop";
    if (spec.type == "adam") return "Adam";
    if (spec.type == "adamw") return "AdamW";
    return "Adagrad";
}

// Gradient descent: `steps` steps on one batch, or `epochs` passes over the list of
// batches, one step per batch in order.
Worksheet optimizer_training(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    const NumericSpec& numeric = problem.numeric;
    if (options.steps > 0 && numeric.batch_list)
        throw ProblemError("--steps", "expected --epochs for a problem with \"batches\" (one step per batch), found --steps");
    Engine engine(problem, analysis);
    const OptimizerSpec& spec = *numeric.optimizer;
    const int64_t batches = static_cast<int64_t>(numeric.batches.size());
    const int64_t steps = numeric.batch_list     ? epochs_of(problem, options) * batches
                          : options.steps > 0    ? options.steps
                          : options.epochs > 0   ? options.epochs
                          : numeric.epochs       ? *numeric.epochs
                                                 : numeric.steps;
    Worksheet sheet = titled(problem);
    OptimizerState state;
    const auto shown = shown_scalars(engine, options);
    const auto state_names = optimizer_state_names(spec);
    std::vector<std::string> state_labels;
    for (const auto& [label, key] : state_names) state_labels.push_back(label);
    std::vector<std::string> columns{"Parameter", "Before", "∂L/∂w"};
    columns.insert(columns.end(), state_labels.begin(), state_labels.end());
    columns.push_back("After");
    Json training = Json::array();
    size_t b = 0;
    for (int64_t k = 1; k <= steps; ++k) {
        b = static_cast<size_t>((k - 1) % batches);
        const int64_t epoch = (k - 1) / batches + 1;
        engine.use_batch(b);
        const bool shown_step = step_shown(k, steps, options);
        if (!shown_step && step_shown(k - 1, steps, options)) sheet.sections.push_back(steps_left_out(k, steps - 1));
        Pass pass = engine.forward(shown_step);
        engine.backward(pass);
        engine.update_state(pass);
        Section section{numeric.batch_list ? fmt::format("Step {} of {} (epoch {}, batch {} of {}): {}", k, steps, epoch, b + 1, batches,
                                                         describe_optimizer(spec))
                                           : fmt::format("Step {} of {}: {}", k, steps, describe_optimizer(spec)),
                        {},
                        {}};
        const std::string loss_label = numeric.batch_list ? fmt::format("Loss on batch {} before the step", b + 1) : "Loss before the step";
        section.lines.push_back({loss_label, {"", {{"", pass.loss->value, true, false, pass.loss->summarized}}}});
        const double loss = pass.loss->value.to_double();
        append_answer(sheet.answers, fmt::format("step{}.loss", k), loss);  // a new key: no search
        if (k == 1) {
            sheet.answers["loss"] = loss;
            gradient_answers(sheet.answers, engine, pass);
        }
        std::vector<ElementState> states;
        const size_t kept = options.states || options.all ? SIZE_MAX : kShownElements;  // the text table's rows
        auto updates = with_place("/optimizer", [&] { return optimizer_step(spec, engine, pass, state, shown, &states, kept); });
        if (options.progress) options.progress(k, steps);
        if (!shown_step) continue;
        for (auto& update : updates) {
            std::vector<Part> parts;
            for (auto& [label, expr] : update.steps) parts.push_back({label, expr});
            section.lines.push_back({update.symbol, {"", std::move(parts)}});
            sheet.steps.push_back({"update." + update.symbol, fmt::format("step {}", k), update.steps.back().second});
        }
        sheet.sections.push_back(std::move(section));

        Section table{state_names.empty() ? fmt::format("Step {}: every parameter and its gradient", k)
                                          : fmt::format("Step {}: every parameter, its gradient and the {} state after the step ({})", k,
                                                        optimizer_name(spec), fmt::join(state_labels, ", ")),
                      {},
                      {}};
        add_state_table(table, columns, trainable_elements(engine), options, [&](size_t i) {
            const ElementState& e = states[i];
            std::vector<Cell> cells{{engine.param_name(e.ref.node, e.ref.role, e.ref.flat), {}}, {"", {number(e.before)}}, {"", {number(e.grad)}}};
            for (double v : e.state) cells.push_back({"", {number(v)}});
            cells.push_back({"", {number(e.after)}});
            return cells;
        });
        add_tensor_lines(table, engine, fmt::format(" after step {}", k));
        sheet.sections.push_back(std::move(table));

        if (!options.states) continue;
        Json entry = Json::object();
        entry["step"] = k;
        entry["epoch"] = epoch;
        entry["batch"] = b + 1;
        entry["loss"] = loss;
        Json params = Json::object();
        for (const ElementState& e : states) {
            Json element = element_json(engine, e.ref);
            element["before"] = e.before;
            element["grad"] = e.grad;
            for (size_t s = 0; s < state_names.size(); ++s) element[state_names[s].second] = e.state[s];
            element["after"] = e.after;
            append_answer(params, engine.param_name(e.ref.node, e.ref.role, e.ref.flat), std::move(element));
        }
        entry["params"] = std::move(params);
        training.push_back(std::move(entry));
    }
    const Pass final_pass = engine.forward(true);
    if (final_pass.loss) {
        sheet.sections.back().lines.push_back({numeric.batch_list ? fmt::format("Loss on batch {} after the last step", b + 1)
                                                                  : std::string("Loss after the last step"),
                                               {"", {{"", final_pass.loss->value}}}});
        sheet.answers["final.loss"] = final_pass.loss->value.to_double();
    }
    update_answers(sheet.answers, engine);
    if (options.states) sheet.data["training"] = std::move(training);
    return sheet;
}

// A learning rule: every sample of every batch in order, one step each, `epochs` times
// (a perceptron trained until it converges stops after an epoch without a change).
Worksheet rule_training(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    const NumericSpec& numeric = problem.numeric;
    const RuleSpec& rule = *numeric.rule;
    if (options.steps > 0)
        throw ProblemError("--steps", fmt::format("expected --epochs with the {} rule (one step per sample), found --steps", rule.type));
    Engine engine(problem, analysis);
    const bool perceptron = rule.type == "perceptron";
    const int64_t epochs = epochs_of(problem, options);
    int64_t samples = 0;
    for (const Batch& b : numeric.batches) samples += b.input.batch();
    const auto shown = shown_scalars(engine, options);
    const size_t node = problem.graph.output();
    const std::vector<std::string> columns{"Parameter", "Before", "x", perceptron ? "t − y" : "t", "Δ", "After"};
    Worksheet sheet = titled(problem);
    Json training = Json::array();
    int64_t k = 0, epochs_run = 0;
    bool converged = false;
    const int64_t last = rule.until_converged ? 0 : epochs * samples;  // the last step, when known in advance
    std::optional<size_t> left_out;  // the section that says which steps are not shown
    for (int64_t epoch = 1; epoch <= epochs && !converged; ++epoch) {
        int64_t changed = 0, position = 0;
        for (size_t b = 0; b < numeric.batches.size(); ++b) {
            engine.use_batch(b);
            const size_t units = static_cast<size_t>(analysis.layers[node].output.values().back());
            for (int64_t n = 0; n < engine.batch().input.batch(); ++n) {
                ++k, ++position;
                const Pass pass = engine.forward(false);
                if (!step_shown(k, last, options)) {  // computed and answered, not worked out
                    if (step_shown(k - 1, last, options)) left_out = sheet.sections.size(), sheet.sections.emplace_back();
                    const RuleStep step = with_place("/rule", [&] { return rule_step(rule, engine, pass, static_cast<size_t>(n), {}); });
                    append_answer(sheet.answers, fmt::format("step{}.output", k), step.output);  // a new key: no search
                    changed += step.changed;
                    if (options.progress) options.progress(k, last);
                    continue;
                }
                Section section{rule.until_converged ? fmt::format("Step {} (epoch {}, sample {} of {}): {}", k, epoch, position, samples,
                                                                   describe_rule(rule))
                                                     : fmt::format("Step {} of {} (epoch {}, sample {} of {}): {}", k, epochs * samples, epoch,
                                                                   position, samples, describe_rule(rule)),
                                {},
                                {}};
                // The output's formulas read the weights before the update.
                std::vector<Line> outputs;
                const size_t shown_units = options.all ? units : std::min(units, kShownElements);
                for (size_t j = 0; j < shown_units; ++j) {
                    const size_t flat = static_cast<size_t>(n) * units + j;
                    const Expr y = engine.explain(pass, node, flat);
                    outputs.push_back({engine.output_name(node, flat), {"", {{"", y}}}});
                    sheet.steps.push_back({fmt::format("step{}.output", k), engine.output_name(node, flat), y});
                }
                const RuleStep step = with_place("/rule", [&] { return rule_step(rule, engine, pass, static_cast<size_t>(n), shown); });
                const Tensor& x = pass.outputs[0];
                std::vector<double> sample(x.data.begin() + n * static_cast<int64_t>(x.sample_size()),
                                           x.data.begin() + (n + 1) * static_cast<int64_t>(x.sample_size()));
                section.lines.push_back({"Sample", {fmt::format("x = {}, t = {}", vector_text(sample), vector_text(step.target)), {}}});
                for (auto& l : outputs) section.lines.push_back(std::move(l));
                if (shown_units < units)
                    section.lines.push_back({"  …", {fmt::format("{} more outputs (--all shows every one)", units - shown_units), {}}});
                // A correctly classified sample changes nothing: the textbook says so and moves on.
                const bool quiet = perceptron && !step.changed;
                if (quiet) section.lines.push_back({"y = t", {"the sample is classified correctly: no weight changes", {}}});
                for (const auto& e : step.elements) {
                    if (!e.worked || quiet) continue;
                    const std::string name = engine.param_name(node, e.role, e.flat);
                    section.lines.push_back({name, {"", {{"", *e.worked}}}, " ← "});
                    sheet.steps.push_back({"update." + name, fmt::format("step {}", k), *e.worked});
                }
                sheet.sections.push_back(std::move(section));

                if (!quiet) {
                    Section table{fmt::format("Step {}: every weight, Δ = {}", k, perceptron ? "η·x·(t − y)" : "η·x·t"), {}, {}};
                    add_state_table(table, columns, step.elements.size(), options, [&](size_t i) {
                        const RuleElement& e = step.elements[i];
                        return std::vector<Cell>{{engine.param_name(node, e.role, e.flat), {}}, {"", {number(e.before)}}, {"", {number(e.input)}},
                                                 {"", {number(e.signal)}},                      {"", {number(e.delta)}},  {"", {number(e.after)}}};
                    });
                    sheet.sections.push_back(std::move(table));
                }

                append_answer(sheet.answers, fmt::format("step{}.output", k), step.output);  // a new key: no search
                changed += step.changed;
                if (options.progress) options.progress(k, last);
                if (!options.states) continue;
                Json entry = Json::object();
                entry["step"] = k;
                entry["epoch"] = epoch;
                entry["batch"] = b + 1;
                entry["sample"] = position;
                entry["output"] = step.output;
                entry["target"] = step.target;
                Json params = Json::object();
                for (const RuleElement& e : step.elements) {
                    Json element = element_json(engine, {ScalarRef::Kind::Param, node, e.role, e.flat});
                    element["before"] = e.before;
                    element["input"] = e.input;
                    element[perceptron ? "t_minus_y" : "t"] = e.signal;
                    element["delta"] = e.delta;
                    element["after"] = e.after;
                    append_answer(params, engine.param_name(node, e.role, e.flat), std::move(element));
                }
                entry["params"] = std::move(params);
                training.push_back(std::move(entry));
            }
        }
        epochs_run = epoch;
        Section summary{fmt::format("After epoch {}", epoch), {}, {}};
        if (perceptron) {
            summary.lines.push_back({"Misclassified samples (the weights changed)", {fmt::format("{} of {}", changed, samples), {}}});
            append_answer(sheet.answers, fmt::format("epoch{}.errors", epoch), changed);  // a new key: no search
        }
        add_tensor_lines(summary, engine, "");
        converged = rule.until_converged && changed == 0;
        if (converged) summary.lines.push_back({"Converged", {fmt::format("no sample changed the weights in epoch {}", epoch), {}}});
        else if (rule.until_converged && epoch == epochs)
            summary.lines.push_back({"Not converged", {fmt::format("samples were still misclassified after {} epochs (the limit)", epochs), {}}});
        // An epoch whose steps are all left out is summed up only when it is the last.
        if (step_shown((epoch - 1) * samples + 1, 0, options) || converged || epoch == epochs) sheet.sections.push_back(std::move(summary));
    }
    if (left_out) sheet.sections[*left_out] = steps_left_out(kShownSteps + 1, last ? last - 1 : k);
    sheet.answers["epochs"] = epochs_run;
    update_answers(sheet.answers, engine);
    if (options.states) sheet.data["training"] = std::move(training);
    return sheet;
}

}  // namespace

Worksheet train_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options) {
    if (problem.numeric.rule) return rule_training(problem, analysis, options);
    if (!problem.numeric.optimizer)
        throw ProblemError("/", "missing required key \"optimizer\" (for example {\"type\": \"sgd\", \"lr\": 0.1}) or a learning \"rule\"");
    return optimizer_training(problem, analysis, options);
}

}  // namespace dlsolve
