// A recursive-descent parser for the Python subset of exam model listings: imports,
// assignments, expression statements, class and def blocks with return. Anything else
// (a loop, a conditional, a with block, a lambda, a comparison) is refused where it
// stands, with the construct's name, so the reader never guesses a network.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "import/lexer.h"

namespace dlsolve::code {

struct Node;
using NodePtr = std::shared_ptr<const Node>;

enum class Kind {
    // expressions
    Name, Int, Float, String, Constant /* True False None */, Tuple, List, Attribute, Subscript, Call, Binary, Unary, Slice, Starred,
    // statements
    Import, From, Assign, AugAssign, ExprStatement, ClassDef, FunctionDef, Return, Pass,
};

struct Keyword {
    std::string name;
    NodePtr value;
};

struct Node {
    Kind kind;
    Place at;
    std::string text;             // name, literal, operator, attribute, import path
    std::vector<NodePtr> items;   // operands, elements, call arguments, targets, body
    std::vector<Keyword> keywords;  // call keywords; import names (name = imported, value text = alias)
    NodePtr target;               // the called / subscripted / attribute object, the assigned value
    std::vector<std::string> names;  // def parameters, class bases (dotted), import aliases
};

// Parses a whole module; throws CodeError at the first construct outside the subset.
std::vector<NodePtr> parse_module(const std::string& source);

}  // namespace dlsolve::code
