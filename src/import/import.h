// Reads a model listing written in Python (Keras Sequential or functional, PyTorch
// nn.Sequential or a straight-line nn.Module) and builds the JSON problem a user would
// write for it, so every command reads it through the normal parse_problem path.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "import/lexer.h"
#include "problem/fields.h"
#include "problem/problem.h"

namespace dlsolve {

struct ReadOptions {
    std::string from;                    // "python" or "json"; empty: by the file's extension
    std::string framework;               // "keras", "pytorch" or empty (from the code)
    std::vector<int64_t> input;          // --input C,H,W (PyTorch)
};

namespace code {
// The JSON problem the listing builds; `title` names it. Throws ProblemError (CodeError
// with "LINE:COL") on what it cannot read.
// `places` receives the line of each layer in "layers".
Json read_python(const std::string& source, const ReadOptions& options, const std::string& title, std::vector<Place>* places = nullptr);
}  // namespace code

// Whether `file` is read as Python: --from python, or a name ending in .py.
bool is_python(const std::string& file, const ReadOptions& options);

// The problem document's text: the file itself for JSON, the document read from the
// code for Python (pretty-printed).
std::string problem_document(const std::string& file, std::istream& in, const ReadOptions& options);

// Reads and parses a problem from JSON or Python. A JSON-path error in a document read
// from code is reported at the line of the layer it concerns.
Problem load_problem(const std::string& file, std::istream& in, const ReadOptions& options);

// The one-line message for an error in `file`: "FILE:LINE:COL: …" for code, "FILE: …" else.
std::string error_line(const std::string& shown_file, const ProblemError& e);

}  // namespace dlsolve
