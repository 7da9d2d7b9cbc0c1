#include "report/newton_report.h"

#include <istream>
#include <iterator>
#include <ostream>

#include <fmt/format.h>

#include "import/import.h"
#include "problem/error.h"
#include "problem/problem.h"

namespace dlsolve {
namespace {

Line text_line(std::string label, std::string text) {
    Line line;
    line.label = std::move(label);
    line.cell.text = std::move(text);
    return line;
}

Line value_line(std::string label, Expr expr, bool worked) {
    Line line;
    line.label = std::move(label);
    line.cell.parts.push_back(Part{"", std::move(expr), worked, false, worked});
    return line;
}

Line matrix_line(std::string label, std::vector<double> values, size_t columns) {
    Line line;
    line.label = std::move(label);
    line.cell.matrix = Matrix{std::move(values), columns, true};
    return line;
}

std::string iterate(const std::string& name, size_t k) { return fmt::format("{}_{}", name, k); }

}  // namespace

Json newton_answers(const NewtonProblem& p, const NewtonSolution& s) {
    Json answers = Json::object();
    answers["newton.verdict"] = s.undefined ? "undefined" : "defined";
    for (size_t k = 0; k < s.steps.size(); ++k)
        for (size_t i = 0; i < p.params.size(); ++i) answers[fmt::format("newton.{}.{}", p.params[i].first, k + 1)] = s.steps[k].next[i];
    return answers;
}

Worksheet newton_worksheet(const NewtonProblem& p, const NewtonSolution& s) {
    Worksheet sheet;
    sheet.title = p.title;
    sheet.notes = p.notes;
    const size_t n = p.params.size();
    const bool one = n == 1;
    const std::string& w = p.params[0].first;
    std::vector<std::string> names;
    for (const auto& [name, v] : p.params) names.push_back(name);
    const std::string args = fmt::format("{}", fmt::join(names, ", "));

    Section def;
    def.heading = "Newton's method";
    def.lines.push_back(text_line(fmt::format("f({})", args), s.function));
    for (const auto& [name, v] : p.constants) def.lines.push_back(value_line(name, Expr::real(v), false));
    if (one) {
        def.lines.push_back(text_line(fmt::format("f'({0}) = ∂f/∂{0}", w), s.gradient[0]));
        def.lines.push_back(text_line(fmt::format("f''({0}) = ∂²f/∂{0}²", w), s.hessian[0]));
        def.lines.push_back(text_line("Update", fmt::format("{0}_{{k+1}} = {0}_k − f'({0}_k)/f''({0}_k)", w)));
    } else {
        for (size_t i = 0; i < n; ++i) def.lines.push_back(text_line(fmt::format("∂f/∂{}", names[i]), s.gradient[i]));
        for (size_t i = 0; i < n; ++i)
            for (size_t j = i; j < n; ++j)
                def.lines.push_back(text_line(i == j ? fmt::format("∂²f/∂{}²", names[i]) : fmt::format("∂²f/∂{}∂{}", names[i], names[j]),
                                              s.hessian[i * n + j]));
        def.lines.push_back(text_line("det H", s.determinant));
        def.lines.push_back(text_line("Update", fmt::format("w_{{k+1}} = w_k − H(w_k)⁻¹ ∇f(w_k), w = ({})", args)));
    }
    sheet.sections.push_back(std::move(def));

    if (s.undefined) {
        Section verdict;
        verdict.heading = "Verdict";
        verdict.lines.push_back(text_line(
            "Verdict", one ? fmt::format("undefined: f''({0}) = 0 for every {0}, so {0}_{{k+1}} = {0}_k − f'({0}_k)/f''({0}_k) divides by 0 "
                                         "(f is linear in {0}: its tangent has no zero to step to unless f' = 0)",
                                         w)
                           : "undefined: det H = 0 for every w, so H⁻¹ does not exist and w_{k+1} = w_k − H(w_k)⁻¹∇f(w_k) cannot be taken"));
        sheet.sections.push_back(std::move(verdict));
    }

    Json steps = Json::array();
    for (size_t k = 0; k < s.steps.size(); ++k) {
        const NewtonStep& step = s.steps[k];
        Section sec;
        sec.heading = fmt::format("Step {}", k + 1);
        std::vector<std::string> at;
        for (size_t i = 0; i < n; ++i) at.push_back(iterate(names[i], k));
        const std::string point = fmt::format("{}", fmt::join(at, ", "));
        sec.lines.push_back(value_line(fmt::format("f({})", point), Expr::real(step.f), false));
        if (one) {
            const std::string wk = iterate(w, k), wn = iterate(w, k + 1);
            sec.lines.push_back(value_line(fmt::format("f'({})", wk), Expr::real(step.gradient[0]), false));
            sec.lines.push_back(value_line(fmt::format("f''({})", wk), Expr::real(step.hessian[0]), false));
            const Expr e = Expr::real(wk, step.w[0]) -
                           divide(Expr::real(fmt::format("f'({})", wk), step.gradient[0]), Expr::real(fmt::format("f''({})", wk), step.hessian[0]));
            sec.lines.push_back(value_line(wn, e, true));
            sheet.steps.push_back(Step{fmt::format("newton.{}.{}", w, k + 1), wn, e});
        } else {
            sec.lines.push_back(matrix_line(fmt::format("∇f({})", point), step.gradient, n));
            sec.lines.push_back(matrix_line(fmt::format("H({})", point), step.hessian, n));
            sec.lines.push_back(matrix_line("d = H⁻¹∇f (solved)", step.delta, n));
            for (size_t i = 0; i < n; ++i) {
                const Expr e = Expr::real(iterate(names[i], k), step.w[i]) - Expr::real(fmt::format("d{}", i + 1), step.delta[i]);
                sec.lines.push_back(value_line(iterate(names[i], k + 1), e, true));
                sheet.steps.push_back(Step{fmt::format("newton.{}.{}", names[i], k + 1), iterate(names[i], k + 1), e});
            }
        }
        Json hessian = Json::array();
        for (size_t i = 0; i < n; ++i) hessian.push_back(Json(std::vector<double>(step.hessian.begin() + i * n, step.hessian.begin() + (i + 1) * n)));
        steps.push_back(Json{{"w", step.w}, {"f", step.f}, {"gradient", step.gradient}, {"hessian", hessian}, {"delta", step.delta}, {"next", step.next}});
        sheet.sections.push_back(std::move(sec));
    }
    if (!s.undefined) {
        std::vector<std::string> at;
        for (size_t i = 0; i < n; ++i) at.push_back(iterate(names[i], s.steps.size()));
        sheet.sections.back().lines.push_back(value_line(fmt::format("f({})", fmt::join(at, ", ")), Expr::real(s.f_last), false));
    }
    sheet.answers = newton_answers(p, s);
    sheet.data["newton"] = Json{{"params", names}, {"steps", steps}, {"undefined", s.undefined}};
    return sheet;
}

std::optional<int> answer_newton(const std::vector<std::string>& files, const std::string& command, Format format, bool standalone,
                                 bool quiet, std::istream& in, std::ostream& out, std::ostream& err, std::optional<std::string>& stdin_text) {
    std::optional<size_t> found;
    std::string text;
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string& file = files[i];
        if (file.ends_with(".py")) continue;
        std::string t;
        if (file == "-") {
            if (!stdin_text) stdin_text = std::string(std::istreambuf_iterator<char>(in), {});
            t = *stdin_text;
        } else {
            try {
                t = read_problem_text(file, in);
            } catch (const ProblemError&) {
                continue;  // the usual path says why
            }
        }
        if (!is_newton_document(t)) continue;
        if (!found) found = i, text = t;
    }
    if (!found) return std::nullopt;
    const std::string shown = files[*found] == "-" ? "<stdin>" : files[*found];
    try {
        if (files.size() > 1) throw ProblemError("", "a Newton's-method problem (\"newton\") is answered on its own: give it as the only file");
        if (command != "solve")
            throw ProblemError("", fmt::format("a Newton's-method problem (\"newton\") is answered by `dlsolve solve`, not `dlsolve {}`", command));
        const NewtonProblem problem = read_newton(text);
        Worksheet sheet = newton_worksheet(problem, solve_newton(problem));
        if (quiet) sheet.notes.clear();
        out << render(sheet, format, standalone);
        return 0;
    } catch (const ProblemError& e) {
        err << printable_line(error_line(shown, e)) << "\n";
        return 2;
    }
}

}  // namespace dlsolve
