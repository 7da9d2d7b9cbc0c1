// Newton's method on a function of a few parameters ("newton": {"function": …}): the
// gradient and Hessian by GiNaC's exact differentiation, each step w − f'(w)/f''(w)
// (one parameter) or w − H⁻¹∇f (several). A problem file of its own kind, answered by
// `dlsolve solve` and checked by `dlsolve check` (src/report/newton_report.cpp).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "check/tolerance.h"
#include "problem/fields.h"

namespace dlsolve {

struct NewtonProblem {
    std::string title;
    std::string source;
    std::vector<std::string> notes;
    std::string function;                                   // as written: "w^4 - 3*w^2 + x*w"
    std::vector<std::pair<std::string, double>> params;     // stepped, in the file's order
    std::vector<std::pair<std::string, double>> constants;  // held fixed
    int64_t steps = 1;
    Json expect;  // null when absent
    Tolerance compare;
    std::map<std::string, Tolerance> key_tolerances;
    const Tolerance& tolerance_of(const std::string& key) const {
        auto it = key_tolerances.find(key);
        return it == key_tolerances.end() ? compare : it->second;
    }
};

struct NewtonStep {
    std::vector<double> w;        // w_k
    double f = 0;                 // f(w_k)
    std::vector<double> gradient; // ∇f(w_k)
    std::vector<double> hessian;  // H(w_k), row-major n × n
    std::vector<double> delta;    // H⁻¹∇f (one parameter: f'/f'')
    std::vector<double> next;     // w_{k+1} = w_k − delta
};

struct NewtonSolution {
    std::string function;                // GiNaC's printing of f
    std::vector<std::string> gradient;   // ∂f/∂w_i as formulas
    std::vector<std::string> hessian;    // ∂²f/∂w_i∂w_j, row-major
    bool undefined = false;              // f'' (or det H) is 0 for every w: no step exists
    std::string determinant;             // det H as a formula (several parameters)
    std::vector<NewtonStep> steps;
    std::vector<double> last;            // w after the last step
    double f_last = 0;
};

// Whether the text is a JSON object with a top-level "newton".
bool is_newton_document(const std::string& text);
// Reads the file; throws ProblemError with a JSON path.
NewtonProblem read_newton(const std::string& text);
// Takes the steps. Throws ProblemError naming the step and the parameter when f''(w_k) = 0
// or H(w_k) is singular at an iterate (but not for every w: that is `undefined`).
// Takes equations::symbolic_lock() (GiNaC is not thread-safe).
NewtonSolution solve_newton(const NewtonProblem& problem);

}  // namespace dlsolve
