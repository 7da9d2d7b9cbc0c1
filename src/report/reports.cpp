#include "report/reports.h"

#include "equations/system.h"
#include "report/equation_reports.h"
#include "problem/error.h"
#include "report/symbolic_params.h"

#include <set>

#include <fmt/format.h>

#include "report/analysis_reports.h"
#include "report/gradient_flow_report.h"
#include "report/numeric_reports.h"

namespace dlsolve {
namespace {

Json shape_answer(const Problem& problem, const Dims& dims) {
    Json out = Json::array();
    if (problem.batch) out.push_back(*problem.batch);
    for (auto d : dims) out.push_back(d);
    return out;
}

// The dimensions a layer computed or set, H and W merged when worked alike:
// `H = W = ⌈128/2⌉ = 64`. A dimension passed through unchanged is left out.
std::vector<Part> shape_parts(const LayerResult& result) {
    const auto& out = result.output;
    const Dims* in = result.input_shapes.empty() ? nullptr : &result.input_shapes[0];
    std::vector<Part> parts;
    for (size_t d = 0; d < out.dims.size(); ++d) {
        const bool unchanged = in && in->size() == out.dims.size() && (*in)[d] == out.dims[d].value();
        const bool passed_through = out.dims[d].is_leaf() && out.dims[d].name() == out.labels[d] && unchanged;
        if (!in || passed_through) continue;
        if (!parts.empty() && !parts.back().expr.is_leaf() && parts.back().expr.formula() == out.dims[d].formula()) {
            parts.back().label += " = " + out.labels[d];
            continue;
        }
        parts.push_back({out.labels[d], out.dims[d]});
    }
    return parts;
}

// A dimension ⌊span/s⌋ + 1 (⌈span/s⌉ + 1 in PyTorch's ceil_mode) whose division is not
// exact: the windows do not tile the input. CS231n calls W = 10, F = 3, S = 2 invalid,
// (10 − 3)/2 + 1 = 4.5; the frameworks floor (or ceil) it; both are said.
struct Untiled {
    std::string label;   // H or W
    Expr exact;          // (10 − 3)/2 + 1 = 9/2
    Expr framework;      // ⌊(10 − 3)/2⌋ + 1 = 4
    int64_t left_over;   // input cells after the last window (floor)
    bool ceiled;
};

std::vector<Untiled> untiled_dims(const LayerResult& result) {
    std::vector<Untiled> out;
    for (size_t d = 0; d < result.output.dims.size(); ++d) {
        const Expr& e = result.output.dims[d];
        if (e.op() != Expr::Op::Add || e.children().size() != 2) continue;
        const Expr& division = e.children()[0];
        if (division.op() != Expr::Op::FloorDiv && division.op() != Expr::Op::CeilDiv) continue;
        const Expr& span = division.children()[0];
        const Expr& stride = division.children()[1];
        if (!span.is_integer() || !stride.is_integer() || span.value() < 0 || span.value() % stride.value() == 0) continue;
        out.push_back({result.output.labels[d], divide(span, stride) + e.children()[1], e, span.value() % stride.value(),
                       division.op() == Expr::Op::CeilDiv});
    }
    return out;
}

void add_tiling_lines(Section& section, const Problem& problem, const Analysis& analysis) {
    const std::string framework = problem.convention->pick<std::string>("Keras", "PyTorch");
    for (size_t i : problem.graph.order())
        for (const Untiled& u : untiled_dims(analysis.layers[i])) {
            const std::string label = fmt::format("{} {}: the windows do not tile the input ({} input cell{} past the last window {})",
                                                  problem.graph.layer(i).name, u.label, u.left_over, u.left_over == 1 ? "" : "s",
                                                  u.ceiled ? "start a partial window" : "unused");
            section.lines.push_back({label, {"", {{u.label, u.exact}, {fmt::format("not an integer; {} {} it: {}", framework,
                                                                                   u.ceiled ? "ceils" : "floors", u.label),
                                                                       u.framework}}}});
        }
}

void add_shape_steps(Worksheet& sheet, const std::string& key, const LayerResult& result) {
    for (size_t d = 0; d < result.output.dims.size(); ++d)
        if (!result.output.dims[d].is_leaf()) sheet.steps.push_back({key, result.output.labels[d], result.output.dims[d]});
}

// A layer's count worked, split into what trains and what does not, and the tied tensor
// it uses without owning (counted by its owner).
std::vector<Part> param_parts(const ParamCount& p, const Layer& layer) {
    const bool tied = p.tied.value() != 0;
    if (p.total.value() == 0 && !tied) return {};
    std::vector<Part> parts{{"", p.total}};
    if (p.non_trainable.value() != 0) {
        parts.push_back({"trainable", p.trainable});
        parts.push_back({"non-trainable", p.non_trainable});
    }
    if (tied) parts.push_back({fmt::format("tied to {}, counted there", layer.tied_to), p.tied});
    return parts;
}

bool any_buffers(const Analysis& analysis) { return analysis.totals.buffers.value() != 0; }

void add_shape_answers(Json& answers, const Problem& problem, const Analysis& analysis) {
    for (size_t i = 0; i < problem.graph.size(); ++i)
        append_answer(answers, "shapes." + problem.graph.layer(i).name, shape_answer(problem, analysis.layers[i].output.values()));
    for (size_t i = 0; i < problem.graph.size(); ++i)
        for (const Untiled& u : untiled_dims(analysis.layers[i]))
            append_answer(answers, fmt::format("exact.{}.{}", problem.graph.layer(i).name, u.label), u.exact.to_double());
}

void add_param_answers(Json& answers, const Problem& problem, const Analysis& analysis) {
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        const auto& name = problem.graph.layer(i).name;
        append_answer(answers, "params." + name, analysis.layers[i].params.total.value());
        if (analysis.layers[i].params.buffers.value() != 0) append_answer(answers, "buffers." + name, analysis.layers[i].params.buffers.value());
    }
    const auto& t = analysis.totals;
    answers["params.total"] = t.total.value();
    answers["params.trainable"] = t.trainable.value();
    answers["params.non_trainable"] = t.non_trainable.value();
    if (problem.convention->running_stats == RunningStats::Buffers) answers["buffers.total"] = t.buffers.value();
}

void add_param_steps(Worksheet& sheet, const Problem& problem, const Analysis& analysis) {
    for (size_t i : problem.graph.order()) {
        const auto& p = analysis.layers[i].params;
        const std::string& name = problem.graph.layer(i).name;
        if (p.total.value() != 0) sheet.steps.push_back({"params." + name, "params", p.total});
        if (p.buffers.value() != 0) sheet.steps.push_back({"buffers." + name, "buffers", p.buffers});
    }
    const auto& t = analysis.totals;
    sheet.steps.push_back({"params.total", "total", t.total});
    sheet.steps.push_back({"params.trainable", "trainable", t.trainable});
    sheet.steps.push_back({"params.non_trainable", "non-trainable", t.non_trainable});
    if (problem.convention->running_stats == RunningStats::Buffers) sheet.steps.push_back({"buffers.total", "buffers", t.buffers});
}

Section shapes_section(const Problem& problem, const Analysis& analysis) {
    Table table{{"Layer (type)", "Input Shape", "Output Shape", "Arithmetic"}, {false, false, false, false}, {}};
    for (size_t i : problem.graph.order()) {
        const auto& r = analysis.layers[i];
        std::vector<std::string> inputs;
        for (const auto& dims : r.input_shapes) inputs.push_back(shape_text(problem, dims));
        Cell arithmetic{r.input_shapes.empty() ? "given" : "", shape_parts(r)};
        if (arithmetic.parts.empty() && arithmetic.text.empty()) arithmetic.text = "unchanged";
        table.rows.push_back({{layer_heading(problem, i, analysis), {}},
                              {fmt::format("{}", fmt::join(inputs, " + ")), {}},
                              {shape_text(problem, r.output.values()), {}},
                              std::move(arithmetic)});
    }
    Section section{"Output shapes", {std::move(table)}, {}};
    add_tiling_lines(section, problem, analysis);
    return section;
}

Section params_section(const Problem& problem, const Analysis& analysis) {
    const bool dag = problem.graph.has_explicit_inputs();
    const bool buffers = any_buffers(analysis);
    Table table{{"Layer (type)", "Output Shape", "Param #"}, {false, false, true}, {}};
    if (buffers) table.columns.push_back("Buffers"), table.right_aligned.push_back(true);
    table.columns.push_back("Formula"), table.right_aligned.push_back(false);
    if (dag) table.columns.push_back("Connected to"), table.right_aligned.push_back(false);

    for (size_t i : problem.graph.order()) {
        const auto& r = analysis.layers[i];
        std::vector<Cell> row{{layer_heading(problem, i, analysis), {}},
                              {shape_text(problem, r.output.values()), {}},
                              {"", {{"", r.params.total, false, true}}}};
        if (buffers) {
            row.push_back(r.params.buffers.value() == 0 ? Cell{"", {}} : Cell{"", {{"", r.params.buffers, false, true}}});
        }
        Cell formula{"", param_parts(r.params, problem.graph.layer(i))};
        if (r.params.buffers.value() != 0) formula.parts.push_back({"buffers", r.params.buffers});
        if (!problem.graph.layer(i).trainable && r.params.total.value() != 0) formula.text = "frozen: ";
        row.push_back(std::move(formula));
        if (dag) {
            std::vector<std::string> sources;
            for (size_t src : problem.graph.inputs_of(i)) sources.push_back(problem.graph.layer(src).name);
            row.push_back({fmt::format("{}", fmt::join(sources, ", ")), {}});
        }
        table.rows.push_back(std::move(row));
    }
    const auto& t = analysis.totals;
    std::vector<Line> lines{{"Total params", {"", {{"", t.total, true, true}}}},
                            {"Trainable params", {"", {{"", t.trainable, true, true}}}},
                            {"Non-trainable params", {"", {{"", t.non_trainable, true, true}}}}};
    if (buffers) lines.push_back({"Buffers (running statistics, not parameters)", {"", {{"", t.buffers, true, true}}}});
    return {"Parameters", {std::move(table)}, std::move(lines)};
}

size_t layer_index(const Problem& problem, const std::string& name) {
    for (size_t i = 0; i < problem.graph.size(); ++i)
        if (problem.graph.layer(i).name == name) return i;
    return problem.graph.size();  // unreachable: ask names are checked when parsing
}

}  // namespace

Worksheet shapes_worksheet(const Problem& problem, const Analysis& analysis) {
    if (problem.equations) return equation_shapes_worksheet(problem);
    if (problem.size_symbols) return symbolic_shapes_worksheet(problem, analysis);
    Worksheet sheet = titled(problem);
    sheet.sections.push_back(shapes_section(problem, analysis));
    add_shape_answers(sheet.answers, problem, analysis);
    for (size_t i : problem.graph.order()) add_shape_steps(sheet, "shapes." + problem.graph.layer(i).name, analysis.layers[i]);
    return sheet;
}

Worksheet params_worksheet(const Problem& problem, const Analysis& analysis) {
    if (problem.equations) return equation_params_worksheet(problem);
    if (problem.size_symbols) return symbolic_params_worksheet(problem);
    Worksheet sheet = titled(problem);
    sheet.sections.push_back(params_section(problem, analysis));
    add_param_answers(sheet.answers, problem, analysis);
    add_param_steps(sheet, problem, analysis);
    return sheet;
}

Worksheet solve_worksheet(const Problem& problem, const Analysis& analysis) {
    std::vector<Question> questions = problem.ask;
    if (questions.empty()) questions = {{"shapes", ""}, {"params", ""}};
    Worksheet sheet = titled(problem);
    const auto append = [&sheet](Worksheet part) {
        for (auto& s : part.sections) sheet.sections.push_back(std::move(s));
        for (auto& [key, value] : part.answers.items()) sheet.answers[key] = value;
        for (auto& step : part.steps) sheet.steps.push_back(std::move(step));
        for (auto& [key, value] : part.data.items()) sheet.data[key] = value;
    };
    bool numeric_done = false;  // the numeric questions are answered together, each worksheet once
    std::set<std::string> done;  // each whole-network worksheet once ("params" and "buffers" share the parameter table)
    const auto first_time = [&done](const std::string& kind) { return done.insert(kind).second; };
    for (const auto& q : questions) {
        if (q.topic == "jacobian") {
            if (first_time("jacobian")) append(equation_backward_worksheet(problem));
            continue;
        }
        if (problem.size_symbols && (q.topic == "shapes" || q.topic == "params")) {
            // In symbols the whole network's table answers a question about one layer too.
            if (first_time(q.topic)) append(q.topic == "shapes" ? symbolic_shapes_worksheet(problem, analysis) : symbolic_params_worksheet(problem));
            continue;
        }
        if (q.topic != "params" && (q.topic != "shapes" || problem.size_symbols)) problem.require_numbers(fmt::format("\"{}\"", q.topic));
        if (q.topic == "receptive_field") {
            if (first_time("rf " + q.layer)) append(rf_worksheet(problem, analysis, q.layer));
            continue;
        }
        if (q.topic == "flops") {
            if (first_time("flops")) append(flops_worksheet(problem, analysis));
            continue;
        }
        if (q.topic == "gradient_flow") {
            Worksheet part;
            add_gradient_flow(part, problem, analysis, layer_index(problem, q.layer));
            append(std::move(part));
            continue;
        }
        if (q.topic == "memory") {
            if (first_time("memory")) append(summary_worksheet(problem, analysis, *data_type("float32")));
            continue;
        }
        if (q.topic == "forward" || q.topic == "loss" || q.topic == "gradients" || q.topic == "grad" || q.topic == "updates" ||
            q.topic == "update") {
            if (!numeric_done)
                for (auto& part : numeric_answers_to_ask(problem, analysis)) append(std::move(part));
            numeric_done = true;
            continue;
        }
        if (q.layer.empty()) {
            // The parameter table shows the buffers too.
            if (first_time(q.topic == "shapes" ? "shapes" : "params"))
                append(q.topic == "shapes" ? shapes_worksheet(problem, analysis) : params_worksheet(problem, analysis));
            continue;
        }
        const size_t i = layer_index(problem, q.layer);
        const auto& r = analysis.layers[i];
        const std::string key = q.topic + "." + q.layer;
        const char* heading = q.topic == "shapes" ? "Output shape" : q.topic == "params" ? "Parameters" : "Buffers";
        Section section{fmt::format("{} of {}", heading, q.layer), {}, {}};
        if (q.topic == "shapes") {
            section.lines.push_back({layer_heading(problem, i, analysis), {shape_text(problem, r.output.values()), shape_parts(r)}});
            sheet.answers[key] = shape_answer(problem, r.output.values());
            add_shape_steps(sheet, key, r);
        } else if (q.topic == "buffers") {
            section.lines.push_back({layer_heading(problem, i, analysis), {"", {{"", r.params.buffers}}}});
            sheet.answers[key] = r.params.buffers.value();
            sheet.steps.push_back({key, "buffers", r.params.buffers});
        } else {
            Cell cell{"", param_parts(r.params, problem.graph.layer(i))};
            if (cell.parts.empty()) cell.parts.push_back({"", r.params.total});
            section.lines.push_back({layer_heading(problem, i, analysis), cell});
            sheet.answers[key] = r.params.total.value();
            sheet.steps.push_back({key, "params", r.params.total});
        }
        sheet.sections.push_back(std::move(section));
    }
    return sheet;
}

Json all_answers(const Problem& problem, const Analysis& analysis, bool memory) {
    Json answers = Json::object();
    if (problem.size_symbols) {
        add_symbolic_shape_answers(answers, problem);
        // A count behind a floor is no polynomial: refused only when the key asks for counts.
        bool counts_asked = false;
        if (problem.expect.is_object())
            for (const auto& [key, value] : problem.expect.items()) counts_asked = counts_asked || key.rfind("params.", 0) == 0;
        try {
            add_symbolic_param_answers(answers, problem);
        } catch (const ProblemError&) {
            if (counts_asked || !problem.expect.is_object()) throw;
        }
        return answers;
    }
    if (problem.equations) {
        add_equation_answers(answers, problem);
        add_equation_derivative_answers(answers, problem);
        if (problem.equations->numeric() && problem.numeric.has_values) add_numeric_answers(answers, problem, analysis);
        return answers;
    }
    add_shape_answers(answers, problem, analysis);
    add_param_answers(answers, problem, analysis);
    add_analysis_answers(answers, problem, analysis);
    add_numeric_answers(answers, problem, analysis);
    for (const auto& q : problem.ask)
        if (q.topic == "gradient_flow") {
            Worksheet part;
            add_gradient_flow(part, problem, analysis, layer_index(problem, q.layer));
            for (const auto& [key, value] : part.answers.items()) answers[key] = value;
        }
    if (!memory) return answers;
    const Worksheet summary = summary_worksheet(problem, analysis, *data_type("float32"));
    for (const auto& [key, value] : summary.answers.items())
        if (key.rfind("memory.", 0) == 0) answers[key] = value;
    return answers;
}

}  // namespace dlsolve
