// Derivatives of a network written as equations, in matrix notation and in symbols:
// the local Jacobians (∂z3/∂a = W2, ∂a/∂z2 = −diag(1[z2 > 0])) and the gradient of the
// loss with respect to every tensor, written backwards from the loss the way a student
// derives it (∂J/∂a = W2ᵀ @ ∂J/∂z3; a shared W1 collects both uses). These are texts of
// the derivation; the numbers, when sizes and values are given, come from the one
// element-wise engine over the lowered graph.
#pragma once

#include <string>
#include <vector>

#include "equations/system.h"

namespace dlsolve::equations {

struct Gradient {
    std::string tensor;
    std::string formula;     // ∂J/∂a = W2ᵀ @ ∂J/∂z3
    std::string simplified;  // (y_hat − y)/m where a known rule gives it, else empty
    std::vector<GiNaC::ex> shape;
};

struct Jacobian {
    std::string of, wrt;
    std::string matrix;  // W2, −diag(1[z2 > 0]); empty: not a matrix (wrt a weight)
};

// ∂J/∂t for every tensor, from the output back, for `loss` (the problem's loss word)
// averaged over the size `examples` (empty: one example); or, when the system names an
// `upstream` gradient (dout = ∂L/∂Y), from that name with the loss left open.
std::vector<Gradient> gradients(const System& system, const std::string& loss);

// ∂t/∂s of every equation's target t for each tensor s its right-hand side reads.
std::vector<Jacobian> local_jacobians(const System& system);
// ∂of/∂wrt over every path between them; throws ProblemError at `path` for unknown names.
Jacobian jacobian(const System& system, const std::string& of, const std::string& wrt, const std::string& path);

}  // namespace dlsolve::equations
