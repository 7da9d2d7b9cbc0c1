// What the numeric worksheets share: how much they work out, tensors as text,
// the scalars worked in full, and the gradient and update answers.
#pragma once

#include <string>
#include <vector>

#include "numeric/engine.h"
#include "report/analysis_reports.h"  // titled()
#include "report/numeric_reports.h"

namespace dlsolve {

inline constexpr size_t kShownElements = 32;  // larger tensors show this many worked elements unless --all

// A tensor's values as a cell: a scalar as text, else a matrix of rows (the last axis).
Cell tensor_cell(const Tensor& t, bool keep_batch_axis);
// The scalars whose chain rule or update is worked: --param, else every named
// parameter, else every parameter of a small network.
std::vector<ScalarRef> shown_scalars(const Engine& engine, const NumericOptions& options);
void gradient_answers(Json& answers, const Engine& engine, const Pass& pass);
void update_answers(Json& answers, const Engine& engine);

}  // namespace dlsolve
