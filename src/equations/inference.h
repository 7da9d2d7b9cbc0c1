// Shape inference by unification over a network of equations: each equation, in order,
// binds the sizes it forces (W1 @ x: W1's columns are x's rows; + broadcasts as NumPy),
// keeping the equation as the reason; a contradiction names the equation and both sizes.
#pragma once

#include "equations/system.h"

namespace dlsolve::equations {

// Completes every tensor's shape (and its reasons) in `s`; throws ProblemError.
void infer_shapes(System& s);

}  // namespace dlsolve::equations
