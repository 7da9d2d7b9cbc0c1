// The "vary" object of a problem file (docs/problem-format.md, "Variants"):
//   "vary": {"values": {"/input/values/0": {"min": -2, "max": 2, "step": 0.5},
//                       "/layers/0/filters": {"choices": [8, 16, 32]}},
//            "keep": ["sizes_integer", {"positive": "loss"}, {"nonzero": "grad.w11"}]}
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "problem/fields.h"
#include "vary/prng.h"

namespace dlsolve {

struct VaryValue {
    std::string pointer;     // JSON pointer into the problem file
    Json choices;            // an array, or null for a range
    double min = 0, max = 0, step = 0;  // step 0: integers from min to max
    int decimals = 0;        // the step's decimals: values are rounded to them
    Json draw(SplitMix64& random) const;
};

struct VaryRule {
    std::string kind;  // "sizes_integer", "positive", "nonzero"
    std::string key;   // the answer key (positive, nonzero)
};

struct VarySpec {
    std::vector<VaryValue> values;
    std::vector<VaryRule> keep;
};

// Throws ProblemError with the path of what is wrong; `document` is the whole file,
// whose pointers must exist and hold numbers.
VarySpec read_vary(const Json& document);

// Whether the answers keep every rule; `why` says which one failed.
bool keeps(const std::vector<VaryRule>& rules, const Json& answers, std::string& why);

}  // namespace dlsolve
