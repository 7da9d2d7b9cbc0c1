// Building a problem from JSON text in a test.
#pragma once

#include <string>

#include "passes/analysis.h"
#include "problem/problem.h"

namespace dlsolve::test {

struct Solved {
    Problem problem;
    Analysis analysis;

    const LayerResult& layer(const std::string& name) const;
    Dims shape(const std::string& name) const { return layer(name).output.values(); }
    int64_t params(const std::string& name) const { return layer(name).params.total.value(); }
};

// `layers` is the JSON array text; input shape and framework as given.
Solved solve(const std::string& framework, const std::string& input_shape, const std::string& layers);
Solved solve_text(const std::string& problem_json);
// The message a bad problem raises ("" when it parses and solves).
std::string error_of(const std::string& framework, const std::string& input_shape, const std::string& layers);

}  // namespace dlsolve::test
