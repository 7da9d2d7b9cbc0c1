// Errors in a problem file: where (a JSON pointer such as /layers/3/kernel, or a layer)
// and what was expected against what was found. The CLI prefixes the file name and
// prints the whole thing as one line on stderr with exit status 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "expr/expr.h"

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

// Runs `rule` so that a complaint (LayerError) or arithmetic that cannot be carried out
// (an overflow, a log of 0) is reported at `where`: a layer, "/loss", "/optimizer".
// `where` is a string, or a function that makes it only when an error needs it.
template <class Where, class Rule>
auto with_place(const Where& where, Rule&& rule) -> decltype(rule()) {
    const auto place = [&]() -> std::string {
        if constexpr (std::is_invocable_v<Where>) return where();
        else return std::string(where);
    };
    try {
        return rule();
    } catch (const LayerError& e) {
        throw ProblemError(place(), e.what());
    } catch (const ArithmeticError& e) {
        throw ProblemError(place(), std::string("the arithmetic cannot be carried out: ") + e.what());
    }
}

// A message as one line a person can read: line breaks become spaces, and characters
// that print as nothing or look like a space (controls, zero-width and format
// characters, no-break spaces) or are not UTF-8 are shown escaped: "con\u{200B}v2d".
std::string printable_line(std::string_view text);

}  // namespace dlsolve
