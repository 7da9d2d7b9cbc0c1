// Worksheets for each command, built from the passes' results.
#pragma once

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

Worksheet shapes_worksheet(const Problem& problem, const Analysis& analysis);
Worksheet params_worksheet(const Problem& problem, const Analysis& analysis);
// What the problem's "ask" lists (shapes and params when it lists nothing).
Worksheet solve_worksheet(const Problem& problem, const Analysis& analysis);
// Every answer dlsolve computes for this problem, by dotted key (for check).
// `memory`: also the activation memory answers (memory.*), which build the whole summary
// table (`check` asks for them only when the answer key has one).
Json all_answers(const Problem& problem, const Analysis& analysis, bool memory = true);

}  // namespace dlsolve
