// A parsed problem file: the network as a Graph, the framework convention, what is
// asked and the answer key.
#pragma once

#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check/tolerance.h"
#include "ir/convention.h"
#include "ir/graph.h"
#include "numeric/spec.h"
#include "problem/fields.h"
#include "problem/model_info.h"

namespace dlsolve {

namespace equations {
struct System;
}

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
    // A network written as equations: their symbolic shapes and counts. The graph holds
    // their lowering when every size has a value, and only the input otherwise.
    std::shared_ptr<const equations::System> equations;
    // A network of layers with sizes in symbols ("filters": "C", "dims": {"C": null}): the
    // file as written and the symbols; the graph holds the network at one sample of them.
    struct SizeSymbols {
        std::vector<std::string> names;
        Json document;
    };
    std::shared_ptr<const SizeSymbols> size_symbols;
    // How check compares: the file's "tolerance" (a number is `tolerance` above) and the
    // keys of "expect" written {"value": …, "tolerance": {…}}.
    Tolerance compare;
    std::map<std::string, Tolerance> key_tolerances;
    const Tolerance& tolerance_of(const std::string& key) const {
        auto it = key_tolerances.find(key);
        return it == key_tolerances.end() ? compare : it->second;
    }
    ModelInfo model{};

    // Throws unless the network has numbers: equations with a size that has no value
    // answer only in symbols (shapes and parameter counts).
    void require_numbers(const std::string& command) const;
};

// Parses the text of a problem file. Throws ProblemError with a JSON path or a layer.
Problem parse_problem(const std::string& text);
// A problem whose sizes in symbols take these values (a layer file with "dims").
Problem parse_problem_at(const Problem::SizeSymbols& symbols, const std::map<std::string, int64_t>& values);

// Reads a file, or `standard_input` for "-". Throws ProblemError when it cannot be read.
std::string read_problem_text(const std::string& path, std::istream& standard_input);

}  // namespace dlsolve
