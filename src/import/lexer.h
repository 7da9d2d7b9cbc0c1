// Tokens of the Python subset that exam listings use (see src/import/parser.h).
#pragma once

#include <string>
#include <vector>

#include "problem/error.h"

namespace dlsolve::code {

struct Place {
    int line = 1;
    int column = 1;
};

// An error in the source: "LINE:COL: the construct: what is supported instead".
class CodeError : public ProblemError {
public:
    CodeError(Place at, const std::string& what)
        : ProblemError(std::to_string(at.line) + ":" + std::to_string(at.column), what) {}
};

enum class Tok { Name, Int, Float, String, Op, Newline, Indent, Dedent, End };

struct Token {
    Tok kind;
    std::string text;  // a name, the digits of a number, a string's value, an operator
    Place at;
};

// Splits source into tokens the way Python's tokenizer does for this subset: comments are
// dropped, a backslash at a line's end and open brackets continue the logical line, and
// indentation becomes Indent/Dedent tokens. Throws CodeError on what it cannot read.
std::vector<Token> tokenize(const std::string& source);

}  // namespace dlsolve::code
