#include "report/analysis_reports.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

std::string heading(const Problem& problem, const Analysis& analysis, size_t i) {
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

Json pair_answer(const Expr& h, const Expr& w) {
    if (same_value(h, w)) return answer_number(h);
    return Json::array({answer_number(h), answer_number(w)});
}

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
        std::vector<Cell> row{{heading(problem, analysis, i), {}}, {shape_text(problem, analysis.layers[i].output.values()), {}}};
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
            section.lines.push_back({"  " + heading(problem, analysis, i), {"r = 1, j = 1, start = 0", {}}});
        } else if (f.whole_input) {
            section.lines.push_back({"  " + heading(problem, analysis, i),
                                     {fmt::format("the whole input, {} pixels", pair_text(f.h.size, f.w.size)), {}}});
        } else if (carried_over(f)) {
            section.lines.push_back({"  " + heading(problem, analysis, i), {"unchanged", {}}});
        } else {
            section.lines.push_back({"  " + heading(problem, analysis, i), {"", recurrence_parts(f)}});
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
            section.lines.push_back({"  " + heading(problem, analysis, step.layer), {"", parts}});
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

Expr total_of(const Problem& problem, const Analysis& analysis, Expr Cost::*field) {
    std::vector<Expr> terms;
    for (size_t i : problem.graph.order()) {
        const Expr& e = analysis.layers[i].cost.*field;
        if (e.value() != 0) terms.push_back(Expr::sym(problem.graph.layer(i).name, e.value()));
    }
    return Expr::sum(terms);
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
        table.rows.push_back({{heading(problem, analysis, i), {}},
                              {shape_text(problem, analysis.layers[i].output.values()), {}},
                              {"", {{"", c.macs, false, true}}},
                              {"", {{"", c.flops, false, true}}},
                              std::move(formula)});
        const std::string& name = problem.graph.layer(i).name;
        if (c.macs.value() != 0) sheet.steps.push_back({"macs." + name, "MACs", c.macs});
        if (c.flops.value() != 0) sheet.steps.push_back({"flops." + name, "FLOPs", c.flops});
        add_cost_parts(problem, analysis, i, sheet, parts);
    }
    const Expr macs = total_of(problem, analysis, &Cost::macs), flops = total_of(problem, analysis, &Cost::flops);
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

namespace {

// Attention's score and weight matrices inside a layer, per batch: a line and an answer
// memory.LAYER.KEY each. Training keeps the weights A (autograd saves softmax's output for
// its backward and for AV's; the scores S are freed once the softmax has run), so A joins
// the activations that forward/backward doubles for the gradients; the inference pass
// counts S and A once, as it counts every layer's output once.
void add_inner_tensors(const Problem& problem, const Analysis& analysis, size_t i, const Expr& batch, const Expr& bytes, Worksheet& sheet,
                       std::vector<Line>& lines, std::vector<Expr>& activations, std::vector<Expr>& transient) {
    if (problem.graph.is_input(i)) return;
    const Layer& layer = problem.graph.layer(i);
    for (const auto& inner : layer.inner_tensors(analysis.layers[i].input_shapes, *problem.convention)) {
        const std::string key = layer.name + "." + inner.key;
        const Expr memory = with_place(describe_layer(layer), [&] { return batch * inner.elements * bytes; });
        lines.push_back({fmt::format("Inside {}: {} (bytes, {})", layer.name, inner.what,
                                     inner.saved ? "kept for backward: in training and inference" : "freed after the softmax: in inference only"),
                         {"", {{"", memory}}}});
        sheet.steps.push_back({"memory." + key, "activation bytes", memory});
        sheet.answers["memory." + key] = memory.value();
        (inner.saved ? activations : transient).push_back(Expr::sym(key, memory.value()));
    }
}

}  // namespace

Worksheet summary_worksheet(const Problem& problem, const Analysis& analysis, const DataType& dtype) {
    Worksheet sheet = titled(problem);
    const auto defined = fields_if_defined(problem, analysis);
    const bool image = defined.has_value();
    static const std::vector<ReceptiveField> none;
    const std::vector<ReceptiveField>& fields = image ? *defined : none;
    const Expr batch = Expr::sym("N", problem.batch.value_or(1));
    const Expr bytes = Expr::sym(dtype.name, dtype.bytes);

    Table table{{"Layer (type)", "Output Shape", "Param #", "RF", "MACs", "Activations (bytes)"},
                {false, false, true, true, true, true}, {}};
    if (!image) table.columns.erase(table.columns.begin() + 3), table.right_aligned.erase(table.right_aligned.begin() + 3);
    std::vector<Expr> activations, transient;  // layer outputs and what autograd saves inside; inside, forward only
    std::vector<Line> inner_lines;
    Json json_rows = Json::array();
    for (size_t i : problem.graph.order()) {
        const auto& r = analysis.layers[i];
        const Expr memory = with_place(describe_layer(problem.graph.layer(i)),
                                       [&] { return batch * element_count(r.output.values(), *problem.convention) * bytes; });
        const std::string& name = problem.graph.layer(i).name;
        if (!problem.graph.inputs_of(i).empty()) activations.push_back(Expr::sym(name, memory.value()));
        std::vector<Cell> row{{heading(problem, analysis, i), {}},
                              {shape_text(problem, r.output.values()), {}},
                              {"", {{"", r.params.total, false, true}}}};
        if (image) row.push_back({pair_text(fields[i].h.size, fields[i].w.size), {}});
        // MACs count what the memory counts: the batch when the problem has one.
        const Expr macs = problem.batch ? with_place(describe_layer(problem.graph.layer(i)), [&] { return batch * r.cost.macs; }) : r.cost.macs;
        row.push_back({"", {{"", macs, false, true}}});
        row.push_back({"", {{"", memory, false, true}}});
        table.rows.push_back(std::move(row));
        sheet.steps.push_back({"memory." + name, "activation bytes", memory});
        add_inner_tensors(problem, analysis, i, batch, bytes, sheet, inner_lines, activations, transient);
        // The table's row for scripts: --format json prints data["layers"].
        Json json_row = Json::object();
        json_row["name"] = name;
        json_row["class_name"] = r.class_name;
        Json dims = Json::array();  // as the shapes.* answers: the batch first when the problem has one
        if (problem.batch) dims.push_back(*problem.batch);
        for (auto d : r.output.values()) dims.push_back(d);
        json_row["output_shape"] = std::move(dims);
        json_row["params"] = r.params.total.value();
        if (image) json_row["receptive_field"] = pair_answer(fields[i].h.size, fields[i].w.size);
        json_row["macs"] = macs.value();
        json_row["activation_bytes"] = memory.value();
        json_rows.push_back(std::move(json_row));
    }
    // The memory in all grows with the batch: an overflow there is the batch's.
    const auto [input_bytes, forward_backward, params_bytes, total, forward_only, inference] = with_place("/batch", [&] {
        const Expr input = batch * element_count(analysis.layers[0].output.values(), *problem.convention) * bytes;
        const Expr once = activations.empty() ? Expr(0) : Expr::sum(activations);
        const Expr twice = Expr(2) * Expr::sym("activations", once.value());
        const Expr stored = Expr::sym("params", analysis.totals.total.value()) + Expr::sym("buffers", analysis.totals.buffers.value());
        const Expr params = stored * bytes;
        const Expr all = Expr::sym("input", input.value()) + Expr::sym("forward/backward", twice.value()) + Expr::sym("params", params.value());
        const Expr forward = transient.empty() ? once : Expr::sym("activations", once.value()) + Expr::sum(transient);
        const Expr served = Expr::sym("input", input.value()) + Expr::sym("forward", forward.value()) + Expr::sym("params", params.value());
        return std::array<Expr, 6>{input, twice, params, all, forward, served};
    });
    // One unit for the whole table: the batch (N = 1 when the problem gives none).
    const auto per_batch = [&](const Expr& count) { return problem.batch ? batch * count : count; };
    // Bytes in MiB as a worked real: 209732/1048576 = 0.2000160217.
    const Expr mib = divide(Expr::real(total.to_double()), Expr::real(1024.0 * 1024.0));
    sheet.sections.push_back(
        {problem.batch ? fmt::format("Summary, per batch of N = {}: MACs, FLOPs and memory count the whole batch", *problem.batch)
                       : std::string("Summary, per sample (the problem gives no batch: N = 1): MACs, FLOPs and memory count one sample"),
         {std::move(table)},
         {{"Total params", {"", {{"", analysis.totals.total, false, true}}}},
          {"Total MACs", {"", {{"", per_batch(total_of(problem, analysis, &Cost::macs)), false, true}}}},
          {"Total FLOPs", {"", {{"", per_batch(total_of(problem, analysis, &Cost::flops)), false, true}}}},
          {fmt::format("Input size (bytes, {}, batch {})", dtype.name, problem.batch.value_or(1)), {"", {{"", input_bytes}}}},
          {inner_lines.empty() ? "Forward/backward pass size (bytes: every layer's output and its gradient)"
                               : "Forward/backward pass size (bytes: every layer's output, the attention weights A saved for backward, "
                                 "and their gradients)",
           {"", {{"", forward_backward}}, }},
          {"Params size (bytes, parameters and buffers)", {"", {{"", params_bytes}}}},
          {"Estimated total size (bytes)", {"", {{"", total}}}},
          {"Estimated total size (MiB)", {"", {{"", mib}}}},
          {inner_lines.empty() ? "Inference, forward pass only (bytes: every layer's output once, no gradients)"
                               : "Inference, forward pass only (bytes: every layer's output once and the attention scores S and weights A, "
                                 "no gradients)",
           {"", {{"", forward_only}}}},
          {"Estimated inference size (bytes)", {"", {{"", inference}}}},
          {"Formulas", {"dlsolve params, rf and flops show every per-layer figure worked", {}}}}});
    auto& summary_lines = sheet.sections.back().lines;
    summary_lines.insert(summary_lines.begin() + 4, inner_lines.begin(), inner_lines.end());
    sheet.steps.push_back({"memory.input", "bytes", input_bytes});
    sheet.steps.push_back({"memory.forward_backward", "bytes", forward_backward});
    sheet.steps.push_back({"memory.params", "bytes", params_bytes});
    sheet.steps.push_back({"memory.total", "bytes", total});
    sheet.steps.push_back({"memory.inference_forward", "bytes", forward_only});
    sheet.steps.push_back({"memory.inference_total", "bytes", inference});
    sheet.answers["params.total"] = analysis.totals.total.value();
    add_analysis_answers(sheet.answers, problem, analysis, defined);
    sheet.answers["memory.input"] = input_bytes.value();
    sheet.answers["memory.forward_backward"] = forward_backward.value();
    sheet.answers["memory.params"] = params_bytes.value();
    sheet.answers["memory.total"] = total.value();
    sheet.answers["memory.inference_forward"] = forward_only.value();
    sheet.answers["memory.inference_total"] = inference.value();
    sheet.data["layers"] = std::move(json_rows);
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
    answers["macs.total"] = total_of(problem, analysis, &Cost::macs).value();
    answers["flops.total"] = total_of(problem, analysis, &Cost::flops).value();
}

}  // namespace dlsolve
