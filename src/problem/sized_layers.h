// Layer files whose sizes are symbols ("dims": {"C": null}, "filters": "C"): the document
// is parsed at a sample of the symbols and kept as written, so params can count the
// network at other values (report/symbolic_params.cpp). Also what an answer key may hold.
#pragma once

#include <optional>

#include "problem/problem.h"

namespace dlsolve {

// The problem of a layer file with "dims" (and no "equations"), or nullopt for any other file.
std::optional<Problem> parse_sized_layers(const Json& root);

// An answer key's value: numbers (or arrays of them), or counts in symbols ("27*C^2").
bool is_answer_value(const Json& v);
bool is_symbolic_answer(const Json& v);

}  // namespace dlsolve
