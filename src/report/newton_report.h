// A Newton's-method problem answered: the derivatives as formulas, each step worked, the
// answers keyed newton.PARAM.K (the parameter after step K) and newton.verdict.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "equations/newton.h"
#include "render/render.h"
#include "report/worksheet.h"

namespace dlsolve {

Worksheet newton_worksheet(const NewtonProblem& problem, const NewtonSolution& solution);
Json newton_answers(const NewtonProblem& problem, const NewtonSolution& solution);

// The CLI's hook: when one of `files` is a Newton's-method problem, answers it (solve)
// or refuses in one line (any other command, or beside other files) and returns the exit
// status; nullopt for other problems. Standard input read here is left in `stdin_text`.
std::optional<int> answer_newton(const std::vector<std::string>& files, const std::string& command, Format format, bool standalone,
                                 bool quiet, std::istream& in, std::ostream& out, std::ostream& err, std::optional<std::string>& stdin_text);

}  // namespace dlsolve
