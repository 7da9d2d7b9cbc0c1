// A problem file's text and its JSON, with errors that say where (line and column, or
// the JSON path) and what was found.
#pragma once

#include <iosfwd>
#include <string>

#include "problem/fields.h"

namespace dlsolve {

// Parses JSON, refusing duplicate keys, nesting deeper than 32, numbers beyond float64
// and files in UTF-16 or UTF-32. Throws ProblemError.
Json parse_json(const std::string& text);

}  // namespace dlsolve
