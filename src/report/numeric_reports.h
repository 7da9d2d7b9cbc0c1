// Worksheets of the numeric commands: forward values, gradients by the chain rule,
// and optimizer steps.
#pragma once

#include <functional>
#include <string>

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

struct NumericOptions {
    std::string param = "";  // backward --param / train --param: one symbol worked in full
    std::string param_where = "--param";  // where the symbol came from, for messages (/ask/2/grad)
    int64_t steps = 0;   // train --steps (0: the problem's "steps")
    bool all = false;    // print every element of large tensors, and every training step
    int64_t epochs = 0;  // train --epochs (0: the problem's "epochs")
    bool states = true;  // train: every element's per-step state as data["training"] (--format json prints it)
    // train: called after each step with the steps done and the total (0 when not known
    // in advance), so a long run can show progress; may be empty.
    std::function<void(int64_t done, int64_t total)> progress = nullptr;
};

Worksheet forward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options);
Worksheet backward_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options);
Worksheet train_worksheet(const Problem& problem, const Analysis& analysis, const NumericOptions& options);

// Every numeric answer of a problem with values, for check and solve.
void add_numeric_answers(Json& answers, const Problem& problem, const Analysis& analysis);

// The numeric questions of "ask", each worksheet once: forward (with the loss), the
// gradients, the updates. A symbol named by {"grad": …} or {"update": …} must exist;
// when only one is named, it is the one worked in full.
std::vector<Worksheet> numeric_answers_to_ask(const Problem& problem, const Analysis& analysis);

}  // namespace dlsolve
