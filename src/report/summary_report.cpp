// The summary worksheet: every layer's shape, count, receptive field, MACs and activation
// memory in one table, and the memory of training and of inference.
#include <fmt/format.h>

#include "problem/error.h"
#include "report/analysis_reports.h"

namespace dlsolve {

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
        std::vector<Cell> row{{layer_heading(problem, i, analysis), {}},
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
          {"Total MACs", {"", {{"", per_batch(cost_total(problem, analysis, &Cost::macs)), false, true}}}},
          {"Total FLOPs", {"", {{"", per_batch(cost_total(problem, analysis, &Cost::flops)), false, true}}}},
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

}  // namespace dlsolve
