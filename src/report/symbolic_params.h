// Parameter counts of a network of layers whose sizes are symbols ("filters": "C"):
// each layer's count is worked in the layer's own formula with the symbols in place of
// their values (3 × 3 × C × C = 9C²) and the total simplified (27C²). dlsolve counts the
// network at a grid of values of the symbols and interpolates every figure of every
// formula; the polynomial is then checked at further values, and a count that is not a
// polynomial in the symbols (a spatial size behind a floor) is refused, not guessed.
#pragma once

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

Worksheet symbolic_params_worksheet(const Problem& problem);
// params.LAYER and params.total as polynomials ("9C²"), or numbers where constant.
void add_symbolic_param_answers(Json& answers, const Problem& problem);
// Output shapes in symbols (src/report/symbolic_shapes_report.cpp); `sample` is the
// analysis of the network at one sample of the sizes, for the class names.
Worksheet symbolic_shapes_worksheet(const Problem& problem, const Analysis& sample);
// shapes.LAYER as arrays of sizes ("H − 2", or numbers where constant), the batch first when given.
void add_symbolic_shape_answers(Json& answers, const Problem& problem);

}  // namespace dlsolve
