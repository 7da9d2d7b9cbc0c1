// Errors in a problem file: where (a JSON pointer such as /layers/3/kernel, or a layer)
// and what was expected against what was found. The CLI prefixes the file name and
// prints the whole thing as one line on stderr with exit status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace dlsolve {

class ProblemError : public std::runtime_error {
public:
    ProblemError(std::string where, const std::string& what)
        : std::runtime_error(where.empty() ? what : where + ": " + what), where_(std::move(where)) {}
    const std::string& where() const { return where_; }

private:
    std::string where_;
};

// Raised by a layer about itself; the graph walk adds the layer's name and path.
class LayerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace dlsolve
