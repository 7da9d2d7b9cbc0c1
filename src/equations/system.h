// A network written as equations over named tensors, with sizes that may be symbols
// (N, D, D_a1). Shapes are inferred by unification, equation by equation: each
// dimension a file leaves out is bound by the first equation that forces it, and that
// equation is kept as the reason. Sizes are GiNaC expressions, so a parameter count is
// a polynomial (D_a1·D + 2·D_a1 + 1) that takes numbers when the symbols have values.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ginac/ginac.h>

#include "equations/sizes.h"
#include "equations/syntax.h"
#include "problem/fields.h"

namespace dlsolve::equations {

struct Tensor {
    enum class Role { Input, Target, Param, Defined };  // a target is compared with the output, not computed with
    std::string name;
    Role role = Role::Defined;
    std::string path;                    // where the file declares it (/inputs/x), or its equation
    std::optional<std::vector<GiNaC::ex>> shape;  // unknown rank until an equation fixes it
    std::vector<std::string> reasons;    // per dimension: why it has this size
    int defined_by = -1;                 // equation index, for Defined
    int first_use = -1;                  // the first equation that reads it
    const Json* declaration = nullptr;   // the file's object for inputs and params (values, symbols)
};

struct System {
    std::vector<std::string> dim_names;          // in the file's order
    std::map<std::string, GiNaC::symbol> dims;   // size symbols
    std::map<std::string, int64_t> dim_values;   // those with values
    std::vector<std::string> batch_dims;         // sizes a parameter never has (it broadcasts along them)
    std::string examples;                        // per-example column vectors stack along this size (m)
    std::string upstream;                        // the name of ∂L/∂output when no loss is given (dout)
    std::vector<std::string> functions;          // generic element-wise functions (φ), symbols only
    std::vector<Equation> equations;
    std::vector<std::string> equation_paths;     // /equations/k
    std::vector<Tensor> tensors;                 // inputs, params, then defined, in order of appearance
    std::string output;                          // the last equation's target
    // Recurrences h[t] = f(…h[t−1]…, x[t]) for t = 1…T as written; `equations` holds them
    // unrolled (h1, h2, …, with the parameters shared) when T has a value, else one step.
    std::vector<Equation> recurrences;
    std::vector<std::string> recurrence_paths;
    GiNaC::ex time;                              // T
    std::deque<Json> owned;                      // declarations made by unrolling (x1, x2, … from x)

    const Tensor* find(const std::string& name) const;
    // A size with every symbol that has a value substituted.
    GiNaC::ex evaluate(const GiNaC::ex& size) const;
    // Whether every size is a number and every function has a formula: the network can
    // then be lowered for numbers.
    bool numeric() const;
    // The symbols without a value, for messages.
    std::vector<std::string> free_dims() const;
    // Why there are no numbers: "the sizes D, H have no value", "the function phi has no formula".
    std::string why_symbolic() const;
};

// Reads "dims", "inputs", "params", "shapes", "batch_dims", "examples" and
// "equations" and infers every shape. Throws ProblemError naming the equation.
System read_system(Fields& top);

}  // namespace dlsolve::equations
