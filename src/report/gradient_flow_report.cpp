// The gradient-flow question of a recurrent layer as a worksheet: W_h, the Jacobian,
// singular values, eigenvalues, spectral radius, and the verdict with its reason.
#include <fmt/format.h>

#include "passes/gradient_flow.h"
#include "report/gradient_flow_report.h"

namespace dlsolve {
namespace {

Matrix matrix_of(const std::vector<std::vector<double>>& rows) {
    Matrix m{{}, rows.empty() ? 0 : rows[0].size(), true};
    for (const auto& row : rows) m.values.insert(m.values.end(), row.begin(), row.end());
    return m;
}

std::string eigenvalue_text(double re, double im) {
    if (im == 0) return format_real(re);
    return fmt::format("{} {} {}i", format_real(re), im < 0 ? "−" : "+", format_real(std::abs(im)));
}

Json eigenvalue_answer(const GradientFlow& g) {
    bool real = true;
    for (double im : g.eigen_imag) real = real && im == 0;
    Json out = Json::array();
    for (size_t i = 0; i < g.eigen_real.size(); ++i)
        out.push_back(real ? Json(g.eigen_real[i]) : Json::array({g.eigen_real[i], g.eigen_imag[i]}));
    return out;
}

}  // namespace

void add_gradient_flow(Worksheet& sheet, const Problem& problem, const Analysis& analysis, size_t layer) {
    const GradientFlow g = gradient_flow(problem, analysis, layer);
    const std::string key = "gradient_flow." + g.layer;
    Section section{fmt::format("Gradient flow through {} ({} steps)", g.layer, g.steps), {}, {}};
    section.lines.push_back({"W_h", {"", {}, matrix_of(g.w_h)}});
    const bool identity = g.activation == "linear";
    section.lines.push_back({"∂h_t/∂h_{t−1}", {identity ? "diag(f′(a_t))·W_h = W_h (f is the identity)"
                                                        : fmt::format("diag(f′(a_t))·W_h, f = {}", g.activation), {}}});
    Cell singular{"", {}};
    for (size_t i = 0; i < g.singular_values.size(); ++i) singular.parts.push_back({fmt::format("σ{}", i + 1), g.singular_values[i]});
    section.lines.push_back({"Singular values of W_h", singular});
    std::vector<std::string> eigen;
    for (size_t i = 0; i < g.eigen_real.size(); ++i) eigen.push_back(fmt::format("λ{} = {}", i + 1, eigenvalue_text(g.eigen_real[i], g.eigen_imag[i])));
    section.lines.push_back({"Eigenvalues of W_h", {fmt::format("{}", fmt::join(eigen, ", ")), {}}});
    section.lines.push_back({"Spectral radius", {"", {{"ρ(W_h)", g.spectral_radius}}}});
    section.lines.push_back({"Largest slope of f", {"", {{"max f′", g.max_slope}}}});
    if (identity) section.lines.push_back({fmt::format("Product of the {} Jacobians", g.steps), {"", {{fmt::format("‖W_h^{}‖₂", g.steps), g.product_norm, false}}}});
    else section.lines.push_back({"Bound on each factor", {"", {{"max f′ · σ_max", g.bound}}}});
    if (g.threshold) section.lines.push_back({"Threshold on |w|", {"", {{"1/max f′", *g.threshold}}}});
    const auto steps = static_cast<int64_t>(g.slopes.size());
    if (steps > 0)
        section.lines.push_back({"Along the given sequence (sample 1)",
                                 {fmt::format("∂h{}/∂h_t = ∏_{{k=t+1..{}}} diag(f′(a_k))·W_h, f′(a_k) from the states h_k", steps, steps), {}}});
    for (int64_t k = 1; k <= steps; ++k) {
        Cell cell{"", {}};
        const auto& slopes = g.slopes[static_cast<size_t>(k - 1)];
        for (size_t j = 0; j < slopes.size(); ++j)
            cell.parts.push_back({slopes.size() == 1 ? fmt::format("f′(a{})", k) : fmt::format("f′(a{}[{}])", k, j + 1), slopes[j]});
        section.lines.push_back({fmt::format("Step {}", k), cell});
    }
    for (int64_t t = steps - 1; t >= 0; --t) {
        Cell cell{"", {}};
        const auto& s = g.sequence_singular_values[static_cast<size_t>(t)];
        cell.parts.push_back({fmt::format("‖∂h{}/∂h{}‖₂", steps, t), Expr::real(s.front())});
        for (size_t i = 1; i < s.size(); ++i) cell.parts.push_back({fmt::format("σ{}", i + 1), Expr::real(s[i])});
        section.lines.push_back({fmt::format("∂h{}/∂h{}", steps, t), cell});
    }
    section.lines.push_back({"Verdict", {fmt::format("{}: {}", g.verdict, g.reason), {}}});
    sheet.sections.push_back(std::move(section));

    Json singular_values = Json::array();
    for (const auto& s : g.singular_values) singular_values.push_back(s.to_double());
    sheet.answers[key + ".singular_values"] = singular_values;
    sheet.answers[key + ".eigenvalues"] = eigenvalue_answer(g);
    sheet.answers[key + ".spectral_radius"] = g.spectral_radius.to_double();
    sheet.answers[key + ".max_slope"] = g.max_slope.to_double();
    if (g.threshold) sheet.answers[key + ".threshold"] = g.threshold->to_double();
    sheet.answers[key + ".verdict"] = g.verdict;
    if (!g.sequence_singular_values.empty()) {
        Json norms = Json::array(), all = Json::array();
        for (const auto& s : g.sequence_singular_values) norms.push_back(s.front()), all.push_back(s);
        sheet.answers[key + ".sequence_jacobian_norms"] = norms;  // ‖∂h_T/∂h_t‖₂, t = 0 … T − 1
        sheet.answers[key + ".sequence_jacobian_singular_values"] = all;
    }
    for (size_t i = 0; i < g.singular_values.size(); ++i) sheet.steps.push_back({key + ".singular_values", fmt::format("σ{}", i + 1), g.singular_values[i]});
    sheet.steps.push_back({key + ".spectral_radius", "ρ(W_h)", g.spectral_radius});
    sheet.steps.push_back({key + ".max_slope", "max f′", g.max_slope});
    if (g.threshold) sheet.steps.push_back({key + ".threshold", "1/max f′", *g.threshold});
}

}  // namespace dlsolve
