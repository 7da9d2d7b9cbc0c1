// `dlsolve graph`: the network as a picture of what the passes found.
#pragma once

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

// Every node of the graph (inputs, parameters of a network written as equations, layers)
// with its type, parameter counts and output shape, and every input edge in order.
Worksheet graph_worksheet(const Problem& problem, const Analysis& analysis);

}  // namespace dlsolve
