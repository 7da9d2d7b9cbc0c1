// The comparison of two networks side by side: parameters, costs, receptive field and
// memory of A and B, their difference and ratio, and which is smaller.
#include <optional>

#include <fmt/format.h>

#include "report/analysis_reports.h"

namespace dlsolve {

Worksheet compare_worksheet(const Problem& a, const Analysis& analysis_a, const Problem& b, const Analysis& analysis_b,
                            const DataType& dtype) {
    const Worksheet sa = summary_worksheet(a, analysis_a, dtype), sb = summary_worksheet(b, analysis_b, dtype);
    Worksheet sheet;
    sheet.title = fmt::format("Comparison: A = \"{}\", B = \"{}\"", a.title, b.title);
    Table table{{"", "A", "B", "B − A", "B / A"}, {false, true, true, true, true}, {}};
    const auto last_field = [](const Problem& p, const Analysis& an) -> std::optional<ReceptiveField> {
        const auto defined = fields_if_defined(p, an);
        if (!defined) return std::nullopt;
        const auto& fields = *defined;
        // The last layer that still has a spatial map: the features the head sees.
        for (auto it = p.graph.order().rbegin(); it != p.graph.order().rend(); ++it)
            if (!fields[*it].whole_input) return fields[*it];
        return std::nullopt;
    };
    // A head on features that are still single pixels (a flatten of the input, then
    // dense) sees the whole input: say so rather than a field of 1.
    const auto whole_input_head = [](const Problem& p, const Analysis& an, const std::optional<ReceptiveField>& f) {
        const auto defined = fields_if_defined(p, an);
        const bool pixels = !f || (f->h.size.to_double() == 1 && f->w.size.to_double() == 1);
        return defined && (*defined)[p.graph.output()].whole_input && pixels;
    };
    struct Metric {
        std::string key;
        std::string label;
        std::optional<Expr> a, b;
        std::string a_text = "—", b_text = "—";  // shown when a or b has no value
    };
    const auto field_a = last_field(a, analysis_a), field_b = last_field(b, analysis_b);
    const auto rf = [](const std::optional<ReceptiveField>& f) -> std::optional<Expr> {
        if (!f || !same_value(f->h.size, f->w.size)) return std::nullopt;
        return f->h.size;
    };
    std::vector<Metric> metrics{
        {"params.total", "Parameters", analysis_a.totals.total, analysis_b.totals.total},
        {"params.trainable", "Trainable parameters", analysis_a.totals.trainable, analysis_b.totals.trainable},
        {"macs.total", "MACs", Expr(sa.answers["macs.total"].get<int64_t>()), Expr(sb.answers["macs.total"].get<int64_t>())},
        {"flops.total", "FLOPs", Expr(sa.answers["flops.total"].get<int64_t>()), Expr(sb.answers["flops.total"].get<int64_t>())},
        {"receptive_field.features", "Receptive field of the last spatial layer",
         whole_input_head(a, analysis_a, field_a) ? std::nullopt : rf(field_a), whole_input_head(b, analysis_b, field_b) ? std::nullopt : rf(field_b),
         whole_input_head(a, analysis_a, field_a) ? "the whole input" : "—", whole_input_head(b, analysis_b, field_b) ? "the whole input" : "—"},
        {"memory.forward_backward", fmt::format("Forward/backward activations (bytes, {})", dtype.name),
         Expr(sa.answers["memory.forward_backward"].get<int64_t>()), Expr(sb.answers["memory.forward_backward"].get<int64_t>())},
        {"layers", "Layers", Expr(static_cast<int64_t>(a.graph.size() - 1)), Expr(static_cast<int64_t>(b.graph.size() - 1))},
    };
    for (const auto& m : metrics) {
        if (!m.a || !m.b) {
            table.rows.push_back({{m.label, {}}, {m.a ? m.a->value_text() : m.a_text, {}}, {m.b ? m.b->value_text() : m.b_text, {}}, {"", {}}, {"", {}}});
            continue;
        }
        const Expr va = Expr::named("A", *m.a), vb = Expr::named("B", *m.b);
        const Expr delta = vb - va;
        std::vector<Cell> row{{m.label, {}}, {"", {{"", *m.a, false, m.a->is_integer()}}}, {"", {{"", *m.b, false, m.b->is_integer()}}},
                              {"", {{"", delta}}}};
        // The ratio as a worked real: 16976/153632 = 0.1104978129.
        const Expr ratio = divide(Expr::real(vb.to_double()), Expr::real(va.to_double()));
        row.push_back(va.to_double() == 0 ? Cell{"—", {}} : Cell{"", {{"", ratio}}});
        table.rows.push_back(std::move(row));
        sheet.answers["a." + m.key] = answer_number(*m.a);
        sheet.answers["b." + m.key] = answer_number(*m.b);
        sheet.answers["delta." + m.key] = answer_number(delta);
        sheet.steps.push_back({"delta." + m.key, m.label, delta});
    }
    std::vector<Line> verdicts;
    const auto fewer = [&](const char* what, const std::optional<Expr>& x, const std::optional<Expr>& y) {
        if (!x || !y || same_value(*x, *y)) return;
        verdicts.push_back({what, {x->to_double() < y->to_double() ? "A" : "B", {}}});
    };
    fewer("Fewer parameters", metrics[0].a, metrics[0].b);
    fewer("Fewer MACs", metrics[2].a, metrics[2].b);
    if (metrics[4].a && metrics[4].b)
        verdicts.push_back({"Receptive field",
                            {same_value(*metrics[4].a, *metrics[4].b) ? "the same" : metrics[4].a->to_double() > metrics[4].b->to_double() ? "larger in A" : "larger in B", {}}});
    sheet.sections.push_back({"A against B", {std::move(table)}, std::move(verdicts)});
    return sheet;
}

}  // namespace dlsolve
