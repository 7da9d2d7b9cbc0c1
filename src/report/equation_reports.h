// Worksheets of a network written as equations: every tensor's shape with the
// equation that forced it, and the parameter count as a polynomial in the sizes.
#pragma once

#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

Worksheet equation_shapes_worksheet(const Problem& problem);
Worksheet equation_params_worksheet(const Problem& problem);
// The gradients of the loss in matrix form and the local Jacobians, in symbols; the
// element-wise numbers follow when the sizes and values are given.
Worksheet equation_backward_worksheet(const Problem& problem);
// jacobian.OF.WRT for each {"jacobian": "OF/WRT"} asked, delta.NAME where a rule simplifies.
void add_equation_derivative_answers(Json& answers, const Problem& problem);

// shape.NAME and params.NAME, params: in symbols, or numbers when the sizes have values.
void add_equation_answers(Json& answers, const Problem& problem);

}  // namespace dlsolve
