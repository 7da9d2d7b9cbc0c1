#include "report/equation_reports.h"

#include <algorithm>

#include <fmt/format.h>

#include "equations/matrix_form.h"
#include "equations/recurrence.h"
#include "equations/system.h"

namespace dlsolve {
namespace {

using Quantity = equations::Tensor;
using Role = equations::Tensor::Role;

std::string role_text(const Quantity& t) {
    switch (t.role) {
        case Role::Input: return "input";
        case Role::Target: return "target";
        case Role::Param: return "parameter";
        case Role::Defined: return "computed";
    }
    return "";
}

// D_a1 × D, then "= 4 × 3" when the sizes have numbers.
std::string shape_with_values(const equations::System& s, const std::vector<GiNaC::ex>& shape) {
    std::vector<GiNaC::ex> values;
    for (const auto& d : shape) values.push_back(s.evaluate(d));
    const std::string symbolic = equations::shape_text(shape), numeric = equations::shape_text(values);
    return symbolic == numeric ? symbolic : symbolic + " = " + numeric;
}

// Why each size is what it is: "given", or the equations that forced them.
std::string reason_text(const Quantity& t) {
    std::vector<std::string> seen;
    for (const auto& r : t.reasons)
        if (!r.empty() && std::find(seen.begin(), seen.end(), r) == seen.end()) seen.push_back(r);
    if (seen.empty()) return t.role == Role::Defined ? "given in \"shapes\"" : "given";
    return fmt::format("{}", fmt::join(seen, "; "));
}

Json size_answer(const equations::System& s, const GiNaC::ex& size) {
    const GiNaC::ex v = s.evaluate(size);
    if (GiNaC::is_a<GiNaC::numeric>(v)) return GiNaC::ex_to<GiNaC::numeric>(v).to_long();
    return equations::size_text(v);
}

// Inputs, targets and parameters as declared, then what the equations compute, in their order.
std::vector<const Quantity*> display_order(const equations::System& s) {
    std::vector<const Quantity*> out;
    for (const auto& t : s.tensors)
        if (t.role != Role::Defined && t.shape) out.push_back(&t);
    for (const auto& e : s.equations) out.push_back(s.find(e.target));
    return out;
}

bool uses(const equations::Node& n, const std::string& name) {
    if (n.kind == equations::Node::Kind::Name) return n.text == name;
    return std::any_of(n.args.begin(), n.args.end(), [&](const auto& a) { return uses(*a, name); });
}

GiNaC::ex count_of(const Quantity& t) {
    GiNaC::ex n = 1;
    for (const auto& d : *t.shape) n *= d;
    return n.expand();
}

Worksheet base(const Problem& problem) {
    Worksheet sheet;
    sheet.title = fmt::format("Equations: \"{}\"", problem.title);
    sheet.notes = problem.notes;
    return sheet;
}

// X: D × m for a column vector x: D × 1 when the file says examples stack as columns.
std::string vectorised(const equations::System& s, const Quantity& t) {
    if (s.examples.empty() || t.role == Role::Param || t.shape->size() != 2 || !(*t.shape)[1].is_equal(GiNaC::ex(1))) return "";
    return shape_with_values(s, {(*t.shape)[0], s.dims.at(s.examples)});
}

}  // namespace

void add_equation_answers(Json& answers, const Problem& problem) {
    const auto& s = *problem.equations;
    GiNaC::ex total = 0;
    for (const auto& t : s.tensors) {
        if (!t.shape) continue;
        Json shape = Json::array();
        for (const auto& d : *t.shape) shape.push_back(size_answer(s, d));
        answers["shapes." + t.name] = shape;
        if (!vectorised(s, t).empty()) answers["vectorised.shapes." + t.name] = Json::array({size_answer(s, (*t.shape)[0]), size_answer(s, s.dims.at(s.examples))});
        if (t.role != Role::Param) continue;
        answers["params." + t.name] = size_answer(s, count_of(t));
        total += count_of(t);
    }
    answers["params.total"] = size_answer(s, total);
}

Worksheet equation_shapes_worksheet(const Problem& problem) {
    const auto& s = *problem.equations;
    Worksheet sheet = base(problem);
    Section section{"Shapes", {}, {}};
    Table table{{"Tensor", "Role", "Shape", "Why"}, {false, false, false, false}, {}};
    const bool stacked = !s.examples.empty();
    if (stacked) table.columns.insert(table.columns.begin() + 3, "Over " + s.examples + " examples"), table.right_aligned.push_back(false);
    for (const Quantity* q : display_order(s)) {
        const Quantity& t = *q;
        std::vector<Cell> row{{t.name, {}}, {role_text(t), {}}, {shape_with_values(s, *t.shape), {}}};
        if (stacked) row.push_back({vectorised(s, t), {}});
        row.push_back({t.role == Role::Input || t.role == Role::Target ? "given" : reason_text(t), {}});
        table.rows.push_back(std::move(row));
    }
    section.tables.push_back(std::move(table));
    for (size_t k = 0; k < s.equations.size(); ++k) section.lines.push_back({fmt::format("({})", k + 1), {s.equations[k].text, {}}});
    sheet.sections.push_back(std::move(section));
    add_equation_answers(sheet.answers, problem);
    return sheet;
}

Worksheet equation_params_worksheet(const Problem& problem) {
    const auto& s = *problem.equations;
    Worksheet sheet = base(problem);
    Section section{"Parameters", {}, {}};
    Table table{{"Parameter", "Shape", "Count", "Used by"}, {false, false, true, false}, {}};
    std::vector<std::string> names, products;
    GiNaC::ex total = 0;
    for (const auto& t : s.tensors) {
        if (t.role != Role::Param) continue;
        const GiNaC::ex n = count_of(t);
        total += n;
        std::vector<std::string> users;
        for (const auto& e : s.equations)
            if (uses(*e.value, t.name)) users.push_back(e.target);
        // D_a1 × D stays as it is; 1 × D_a1 = D_a1 and (n + 1) × n = n² + n simplify.
        const bool simplifies = GiNaC::is_a<GiNaC::add>(n) || std::any_of(t.shape->begin(), t.shape->end(), [](const GiNaC::ex& d) {
            return GiNaC::is_a<GiNaC::numeric>(d) || GiNaC::is_a<GiNaC::add>(d.expand());
        });
        const std::string worked = !simplifies ? equations::shape_text(*t.shape)
                                               : equations::shape_text(*t.shape) + " = " + equations::size_text(n);
        const GiNaC::ex value = s.evaluate(n);
        const std::string with_value = value.is_equal(n) ? worked : worked + " = " + equations::size_text(value);
        table.rows.push_back({{t.name, {}}, {shape_with_values(s, *t.shape), {}}, {with_value, {}}, {fmt::format("{}", fmt::join(users, ", ")), {}}});
        names.push_back(t.name);
        products.push_back(simplifies ? (GiNaC::is_a<GiNaC::add>(n) ? fmt::format("({})", equations::size_text(n)) : equations::size_text(n))
                                      : equations::shape_text(*t.shape));
    }
    section.tables.push_back(std::move(table));
    std::string line = fmt::format("{} = {}", fmt::join(names, " + "), fmt::join(products, " + "));
    const std::string simplified = equations::size_text(total);
    if (fmt::format("{}", fmt::join(products, " + ")) != simplified) line += " = " + simplified;
    const GiNaC::ex value = s.evaluate(total);
    if (!value.is_equal(total.expand())) line += " = " + equations::size_text(value);
    section.lines.push_back({"Total params", {line, {}}});
    sheet.sections.push_back(std::move(section));
    add_equation_answers(sheet.answers, problem);
    return sheet;
}

namespace {

std::vector<std::pair<std::string, std::string>> asked_jacobians(const Problem& problem) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& q : problem.ask)
        if (q.topic == "jacobian") {
            const size_t slash = q.layer.find('/');
            out.emplace_back(q.layer.substr(0, slash), q.layer.substr(slash + 1));
        }
    return out;
}

}  // namespace

void add_equation_derivative_answers(Json& answers, const Problem& problem) {
    const auto& s = *problem.equations;
    if (!problem.numeric.loss.empty() || !s.upstream.empty())
        for (const auto& g : equations::gradients(s, problem.numeric.loss)) {
            if (!g.simplified.empty()) answers["delta." + g.tensor] = g.simplified;
            answers["gradient." + g.tensor] = g.formula.substr(g.formula.find(" = ") + 3);
            Json shape = Json::array();
            for (const auto& d : g.shape) shape.push_back(size_answer(s, d));
            answers["gradient_shapes." + g.tensor] = shape;
        }
    for (const auto& j : local_jacobians(s))
        if (!j.matrix.empty()) answers["jacobian." + j.of + "." + j.wrt] = j.matrix;
    for (const auto& [of, wrt] : asked_jacobians(problem)) {
        const auto j = equations::jacobian(s, of, wrt, "/ask");
        if (!j.matrix.empty()) answers["jacobian." + of + "." + wrt] = j.matrix;
    }
    for (const auto& line : equations::bptt(s))
        if (!line.key.empty()) answers[line.key] = line.answer.is_null() ? Json(line.text) : line.answer;
}

Worksheet equation_backward_worksheet(const Problem& problem) {
    const auto& s = *problem.equations;
    Worksheet sheet = base(problem);
    if (!problem.numeric.loss.empty() || !s.upstream.empty()) {
        Section section{s.upstream.empty() ? fmt::format("Gradients of the loss ({}), in matrix form", problem.numeric.loss)
                                           : fmt::format("Gradients from the upstream {} = \u2202L/\u2202{}, in matrix form", s.upstream, s.output),
                        {}, {}};
        for (const auto& g : equations::gradients(s, problem.numeric.loss)) {
            const size_t equals = g.formula.find(" = ");
            std::string text = g.formula.substr(equals + 3);
            if (!g.simplified.empty()) text += " = " + g.simplified;
            section.lines.push_back({fmt::format("{} ({})", g.formula.substr(0, equals), shape_with_values(s, g.shape)), {text, {}}, " = "});
        }
        sheet.sections.push_back(std::move(section));
    }
    if (!s.recurrences.empty()) {
        Section section{"Backpropagation through time", {}, {}};
        for (const auto& line : equations::bptt(s)) section.lines.push_back({line.label, {line.text, {}}});
        sheet.sections.push_back(std::move(section));
    }
    Section local{"Local Jacobians of each equation", {}, {}};
    // Between column vectors only: ∂Y/∂W of a matrix Y is not a matrix (see ∂L/∂W above).
    for (const auto& j : local_jacobians(s))
        if (!j.matrix.empty()) local.lines.push_back({fmt::format("\u2202{}/\u2202{}", j.of, j.wrt), {j.matrix, {}}});
    for (const auto& [of, wrt] : asked_jacobians(problem)) {
        const auto j = equations::jacobian(s, of, wrt, "/ask");
        local.lines.push_back({fmt::format("\u2202{}/\u2202{} (every path)", of, wrt), {j.matrix.empty() ? "not a Jacobian between vectors" : j.matrix, {}}});
    }
    if (!local.lines.empty()) sheet.sections.push_back(std::move(local));
    add_equation_derivative_answers(sheet.answers, problem);
    return sheet;
}

}  // namespace dlsolve
