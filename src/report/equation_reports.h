// Worksheets of a network written as equations: every tensor's shape with the
// equation that forced it, and the parameter count as a polynomial in the sizes.
#pragma once

#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

Worksheet equation_shapes_worksheet(const Problem& problem);
Worksheet equation_params_worksheet(const Problem& problem);
// shape.NAME and params.NAME, params: in symbols, or numbers when the sizes have values.
void add_equation_answers(Json& answers, const Problem& problem);

}  // namespace dlsolve
