// The "expect" object of a problem file: its answer keys and their own tolerances.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "check/tolerance.h"

namespace dlsolve {

// Each key's expected value, unwrapped from {"value": v, "tolerance": {…}} (that key's
// own comparison, put in `key_tolerances`). `accept(key, value)` throws ProblemError for
// a value this kind of file cannot expect. Throws ProblemError for a malformed object.
Json read_expect(const Json& expect, std::map<std::string, Tolerance>& key_tolerances,
                 const std::function<void(const std::string& key, const Json& value)>& accept);

}  // namespace dlsolve
