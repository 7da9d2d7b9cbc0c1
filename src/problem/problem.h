// A parsed problem file: the network as a Graph, the framework convention, what is
// asked and the answer key.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "ir/convention.h"
#include "ir/graph.h"
#include "numeric/spec.h"
#include "problem/fields.h"

namespace dlsolve {

struct Question {
    std::string topic;   // "shapes", "params", "buffers", "receptive_field", "flops", "memory"
    std::string layer;   // empty: every layer
};

struct Problem {
    std::string title;
    std::string source;
    std::vector<std::string> notes;
    const Convention* convention = &Convention::keras();
    std::optional<int64_t> batch;
    Graph graph;
    std::vector<Question> ask;
    Json expect;  // object: answer key → value; null when absent
    double tolerance = 1e-6;
    NumericSpec numeric;
};

// Parses the text of a problem file. Throws ProblemError with a JSON path or a layer.
Problem parse_problem(const std::string& text);

// Reads a file, or `standard_input` for "-". Throws ProblemError when it cannot be read.
std::string read_problem_text(const std::string& path, std::istream& standard_input);

}  // namespace dlsolve
