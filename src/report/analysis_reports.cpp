#include "report/analysis_reports.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

std::string layer_heading(const Problem& problem, size_t i, const Analysis& analysis) {
    return fmt::format("{} ({})", problem.graph.layer(i).name, analysis.layers[i].class_name);
}

std::string shape_text(const Problem& problem, const Dims& dims) {
    return format_shape(dims, *problem.convention, problem.batch ? &*problem.batch : nullptr);
}

Worksheet titled(const Problem& problem) {
    Worksheet sheet;
    sheet.title = fmt::format("{}: \"{}\" ({})", problem.convention->table_title, problem.title, problem.convention->name);
    sheet.notes = problem.notes;
    return sheet;
}

// One number for square fields, "h × w" otherwise.
std::string pair_text(const Expr& h, const Expr& w) {
    return same_value(h, w) ? h.value_text() : fmt::format("{} × {}", h.value_text(), w.value_text());
}

Expr cost_total(const Problem& problem, const Analysis& analysis, Expr Cost::*field) {
    std::vector<Expr> terms;
    for (size_t i : problem.graph.order()) {
        const Expr& e = analysis.layers[i].cost.*field;
        if (e.value() != 0) terms.push_back(Expr::sym(problem.graph.layer(i).name, e.value()));
    }
    return Expr::sum(terms);
}

Json pair_answer(const Expr& h, const Expr& w) {
    if (same_value(h, w)) return answer_number(h);
    return Json::array({answer_number(h), answer_number(w)});
}

namespace {

// Nothing was computed at this layer: every figure is carried over.
bool carried_over(const ReceptiveField& f) {
    return f.h.size.is_leaf() && f.h.jump.is_leaf() && f.h.start.is_leaf() && f.w.size.is_leaf() && f.w.jump.is_leaf() &&
           f.w.start.is_leaf();
}

std::vector<Part> recurrence_parts(const ReceptiveField& f) {
    std::vector<Part> parts{{"r_h", f.h.size}, {"j_h", f.h.jump}, {"start_h", f.h.start}};
    const bool same = f.h.size.formula() == f.w.size.formula() && f.h.jump.formula() == f.w.jump.formula() &&
                      f.h.start.formula() == f.w.start.formula();
    if (same) {
        for (auto& p : parts) p.label = p.label.substr(0, p.label.size() - 2);
        return parts;
    }
    for (Part p : std::vector<Part>{{"r_w", f.w.size}, {"j_w", f.w.jump}, {"start_w", f.w.start}}) parts.push_back(p);
    return parts;
}

size_t find_layer(const Problem& problem, const std::string& name) {
    for (size_t i = 0; i < problem.graph.size(); ++i)
        if (problem.graph.layer(i).name == name) return i;
    std::vector<std::string> names;
    for (size_t i = 0; i < problem.graph.size(); ++i) names.push_back(problem.graph.layer(i).name);
    const std::string hint = closest(name, names);
    throw ProblemError("--layer", hint.empty() ? fmt::format("unknown layer \"{}\"", name)
                                               : fmt::format("unknown layer \"{}\" (did you mean \"{}\"?)", name, hint));
}

std::vector<bool> ancestors_of(const Graph& graph, size_t target) {
    std::vector<bool> keep(graph.size(), false);
    keep[target] = true;
    for (auto it = graph.order().rbegin(); it != graph.order().rend(); ++it)
        if (keep[*it])
            for (size_t s : graph.inputs_of(*it)) keep[s] = true;
    return keep;
}

void add_rf_answers(Json& answers, const Problem& problem, const std::vector<ReceptiveField>& fields) {
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        const auto& name = problem.graph.layer(i).name;
        const auto& f = fields[i];
        append_answer(answers, "receptive_field." + name, pair_answer(f.h.size, f.w.size));
        if (f.whole_input) continue;
        append_answer(answers, "effective_stride." + name, pair_answer(f.h.jump, f.w.jump));
        append_answer(answers, "effective_padding." + name, pair_answer(f.h.effective_padding(), f.w.effective_padding()));
    }
}

Section rf_table(const Problem& problem, const Analysis& analysis, const std::vector<ReceptiveField>& fields) {
    Table table{{"Layer (type)", "Output Shape", "RF", "Jump", "Start", "Eff. padding", "Recurrence"},
                {false, false, true, true, true, true, false}, {}};
    std::vector<Line> notes;
    for (size_t i : problem.graph.order()) {
        const auto& f = fields[i];
        std::vector<Cell> row{{layer_heading(problem, i, analysis), {}}, {shape_text(problem, analysis.layers[i].output.values()), {}}};
        if (f.whole_input) {
            row.push_back({pair_text(f.h.size, f.w.size), {}});
            for (int c = 0; c < 3; ++c) row.push_back({"", {}});
            row.push_back({"every unit sees the whole input", {}});
        } else {
            row.push_back({pair_text(f.h.size, f.w.size), {}});
            row.push_back({pair_text(f.h.jump, f.w.jump), {}});
            row.push_back({pair_text(f.h.start, f.w.start), {}});
            row.push_back({pair_text(f.h.effective_padding(), f.w.effective_padding()), {}});
            if (problem.graph.inputs_of(i).empty()) row.push_back({"", {}});
            else if (carried_over(f)) row.push_back({"unchanged: each output position sees its own input position", {}});
            else row.push_back({"", recurrence_parts(f)});
        }
        if (!f.misaligned.empty()) notes.push_back({problem.graph.layer(i).name, {f.misaligned, {}}});
        table.rows.push_back(std::move(row));
    }
    return {"Receptive fields (input pixels; jump = effective stride; start = centre of the first unit)", {std::move(table)},
            std::move(notes)};
}

Section rf_layer(const Problem& problem, const Analysis& analysis, const std::vector<ReceptiveField>& fields, size_t target) {
    Section section{fmt::format("Receptive field of a unit of {}", problem.graph.layer(target).name), {}, {}};
    const auto keep = ancestors_of(problem.graph, target);
    section.lines.push_back({"Forward, from the input (r ← r + (k − 1)·j, j ← j·s, start ← start + ((k − 1)/2 − p)·j)", {}});
    for (size_t i : problem.graph.order()) {
        if (!keep[i]) continue;
        const auto& f = fields[i];
        if (problem.graph.inputs_of(i).empty()) {
            section.lines.push_back({"  " + layer_heading(problem, i, analysis), {"r = 1, j = 1, start = 0", {}}});
        } else if (f.whole_input) {
            section.lines.push_back({"  " + layer_heading(problem, i, analysis),
                                     {fmt::format("the whole input, {} pixels", pair_text(f.h.size, f.w.size)), {}}});
        } else if (carried_over(f)) {
            section.lines.push_back({"  " + layer_heading(problem, i, analysis), {"unchanged", {}}});
        } else {
            section.lines.push_back({"  " + layer_heading(problem, i, analysis), {"", recurrence_parts(f)}});
        }
        if (!f.misaligned.empty()) section.lines.push_back({"  note", {f.misaligned, {}}});
    }
    if (const auto walk = backward_walk(problem, analysis, target); walk && !fields[target].whole_input) {
        section.lines.push_back({"Backward, from the end (r ← r + (k − 1) for stride 1, r·s for a window equal to its stride, (r − 1)·s + k otherwise)", {}});
        // The walk's first step is the target's own window: the start is one of its output units.
        section.lines.push_back({"  one output unit of " + problem.graph.layer(target).name, {"r = 1", {}}});
        for (const auto& step : *walk) {
            std::vector<Part> parts{{"r_h", step.h}};
            if (step.h.formula() != step.w.formula()) parts.push_back({"r_w", step.w});
            else parts[0].label = "r";
            section.lines.push_back({"  " + layer_heading(problem, step.layer, analysis), {"", parts}});
        }
    }
    const auto& f = fields[target];
    std::string result = fmt::format("{} input pixels", pair_text(f.h.size, f.w.size));
    if (!f.whole_input)
        result += fmt::format("; effective stride {}; start {}; effective padding {}", pair_text(f.h.jump, f.w.jump),
                              pair_text(f.h.start, f.w.start), pair_text(f.h.effective_padding(), f.w.effective_padding()));
    else
        result += " (the whole input)";
    section.lines.push_back({"Receptive field", {result, {}}});
    return section;
}

constexpr const char* kCostConvention =
    "Costs of one forward pass (inference) of one sample. MACs are the multiply-accumulates of convolution and dense "
    "weights, k_h·k_w·(C_in/g)·C_out·H_out·W_out for a convolution, as torch-scan (frgfm/torch-scan) and torchvision's "
    "published GFLOPS count them; FLOPs count every operation, 2 per MAC with the bias add (FLOPs = 2·MACs for a "
    "convolution or dense layer with a bias), and torch-scan's counts for ReLU, leaky ReLU, sigmoid, tanh, max pooling "
    "and batch norm. dlsolve differs from torch-scan for average pooling (k_h·k_w per output), dropout (0 at "
    "inference) and transposed convolutions (k_h·k_w·C_in·(C_out/g)·H_in·W_in MACs, each input meeting each weight once).";

}  // namespace

bool same_value(const Expr& a, const Expr& b) {
    return a.numerator() == b.numerator() && a.denominator() == b.denominator();
}

Json answer_number(const Expr& e) { return e.is_integer() ? Json(e.value()) : Json(e.to_double()); }

std::optional<std::vector<ReceptiveField>> fields_if_defined(const Problem& problem, const Analysis& analysis) {
    if (analysis.layers[0].output.values().size() != 3) return std::nullopt;
    try {
        return receptive_fields(problem, analysis);
    } catch (const ProblemError&) {
        return std::nullopt;
    }
}

std::optional<DataType> data_type(const std::string& name) {
    static const DataType kTypes[] = {{"float32", 4}, {"float16", 2}, {"bfloat16", 2}, {"float64", 8}, {"int8", 1}};
    for (const auto& t : kTypes)
        if (t.name == name) return t;
    return std::nullopt;
}

Worksheet rf_worksheet(const Problem& problem, const Analysis& analysis, const std::string& layer) {
    const auto fields = receptive_fields(problem, analysis);
    Worksheet sheet = titled(problem);
    if (layer.empty()) {
        sheet.sections.push_back(rf_table(problem, analysis, fields));
        add_rf_answers(sheet.answers, problem, fields);
    } else {
        const size_t target = find_layer(problem, layer);
        sheet.sections.push_back(rf_layer(problem, analysis, fields, target));
        Json all = Json::object();
        add_rf_answers(all, problem, fields);
        for (const char* key : {"receptive_field.", "effective_stride.", "effective_padding."})
            if (all.contains(key + layer)) sheet.answers[key + layer] = all[key + layer];
    }
    for (size_t i : problem.graph.order()) {
        const auto& f = fields[i];
        if (f.whole_input || problem.graph.inputs_of(i).empty()) continue;
        const std::string key = "receptive_field." + problem.graph.layer(i).name;
        sheet.steps.push_back({key, "r_h", f.h.size});
        sheet.steps.push_back({key, "r_w", f.w.size});
        sheet.steps.push_back({key, "j_h", f.h.jump});
        sheet.steps.push_back({key, "j_w", f.w.jump});
        sheet.steps.push_back({key, "start_h", f.h.start});
        sheet.steps.push_back({key, "start_w", f.w.start});
    }
    return sheet;
}

namespace {

// "MACs of mha.scores: num_heads × T × T × head_dim = …" per part of a layer made of
// several products, answered as macs.LAYER.PART; the parts add up to the layer's MACs.
void add_cost_parts(const Problem& problem, const Analysis& analysis, size_t i, Worksheet& sheet, std::vector<Line>& lines) {
    const Layer& layer = problem.graph.layer(i);
    if (problem.graph.is_input(i)) return;
    const auto parts = layer.cost_parts(analysis.layers[i].input_shapes, *problem.convention);
    int64_t total = 0;
    for (const auto& part : parts) {
        const std::string key = layer.name + "." + part.key;
        lines.push_back({"MACs of " + key, {"", {{"", part.macs, true, true}}}});
        sheet.steps.push_back({"macs." + key, "MACs", part.macs});
        sheet.answers["macs." + key] = part.macs.value();
        total += part.macs.value();
    }
    if (!parts.empty() && total != analysis.layers[i].cost.macs.value())
        throw std::logic_error(fmt::format("the MACs of {} by part add up to {}, not {}", layer.name, total,
                                           analysis.layers[i].cost.macs.value()));
}

}  // namespace

Worksheet flops_worksheet(const Problem& problem, const Analysis& analysis) {
    Worksheet sheet = titled(problem);
    Table table{{"Layer (type)", "Output Shape", "MACs", "FLOPs", "Formula"}, {false, false, true, true, false}, {}};
    std::vector<std::pair<std::string, std::vector<std::string>>> rules;  // rule → layers, in order of appearance
    std::vector<Line> parts;
    for (size_t i : problem.graph.order()) {
        const Cost& c = analysis.layers[i].cost;
        Cell formula{"", {}};
        if (c.macs.value() != 0) formula.parts.push_back({"MACs", c.macs});
        if (c.flops.value() != 0) formula.parts.push_back({"FLOPs", c.flops});
        if (!c.rule.empty() && c.flops.value() != 0) {
            auto it = std::find_if(rules.begin(), rules.end(), [&](const auto& r) { return r.first == c.rule; });
            if (it == rules.end()) it = rules.insert(rules.end(), {c.rule, {}});
            it->second.push_back(problem.graph.layer(i).name);
        }
        table.rows.push_back({{layer_heading(problem, i, analysis), {}},
                              {shape_text(problem, analysis.layers[i].output.values()), {}},
                              {"", {{"", c.macs, false, true}}},
                              {"", {{"", c.flops, false, true}}},
                              std::move(formula)});
        const std::string& name = problem.graph.layer(i).name;
        if (c.macs.value() != 0) sheet.steps.push_back({"macs." + name, "MACs", c.macs});
        if (c.flops.value() != 0) sheet.steps.push_back({"flops." + name, "FLOPs", c.flops});
        add_cost_parts(problem, analysis, i, sheet, parts);
    }
    const Expr macs = cost_total(problem, analysis, &Cost::macs), flops = cost_total(problem, analysis, &Cost::flops);
    std::vector<Line> lines{{"Total MACs", {"", {{"", macs, true, true}}}}, {"Total FLOPs", {"", {{"", flops, true, true}}}}};
    for (auto& line : parts) lines.push_back(std::move(line));
    for (const auto& [rule, layers] : rules) lines.push_back({fmt::format("FLOPs of {}", fmt::join(layers, ", ")), {rule, {}}});
    lines.push_back({"Convention", {kCostConvention, {}}});
    sheet.sections.push_back({"Cost", {std::move(table)}, std::move(lines)});
    sheet.steps.push_back({"macs.total", "MACs", macs});
    sheet.steps.push_back({"flops.total", "FLOPs", flops});
    add_analysis_answers(sheet.answers, problem, analysis);
    for (auto it = sheet.answers.begin(); it != sheet.answers.end();) {
        const std::string& key = it.key();
        if (key.rfind("macs.", 0) == 0 || key.rfind("flops.", 0) == 0) ++it;
        else it = sheet.answers.erase(it);
    }
    return sheet;
}

void add_analysis_answers(Json& answers, const Problem& problem, const Analysis& analysis) {
    add_analysis_answers(answers, problem, analysis, fields_if_defined(problem, analysis));
}

void add_analysis_answers(Json& answers, const Problem& problem, const Analysis& analysis,
                          const std::optional<std::vector<ReceptiveField>>& fields) {
    if (fields) add_rf_answers(answers, problem, *fields);
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        const auto& name = problem.graph.layer(i).name;
        append_answer(answers, "macs." + name, analysis.layers[i].cost.macs.value());
        append_answer(answers, "flops." + name, analysis.layers[i].cost.flops.value());
    }
    answers["macs.total"] = cost_total(problem, analysis, &Cost::macs).value();
    answers["flops.total"] = cost_total(problem, analysis, &Cost::flops).value();
}

}  // namespace dlsolve
