// The answer to {"gradient_flow": "LAYER"}: see passes/gradient_flow.h.
#pragma once

#include "passes/analysis.h"
#include "report/worksheet.h"

namespace dlsolve {

void add_gradient_flow(Worksheet& sheet, const Problem& problem, const Analysis& analysis, size_t layer);

}  // namespace dlsolve
