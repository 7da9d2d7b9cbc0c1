// Equations as a problem file writes them: `z1 = W1 @ x + b1`, `a = relu(z1) - a2`,
// `y_hat = sigmoid(W2 @ a + b2)`. The grammar (README, "Networks as equations"):
//
//   equation := NAME "=" sum
//   sum      := product (("+" | "-" | "−") product)*
//   product  := unary (("@" | "·" | "*" | "⊙" | "/") unary)*      @ and · are matrix products
//   unary    := ("-" | "−") unary | postfix
//   postfix  := primary ("ᵀ" | ".T" | "^T")*                         transpose
//   primary  := NUMBER | NAME index? | NAME "(" sum ")" | "(" sum ")"
//   index    := "[" "t" (("-" | "−") NUMBER)? "]"                       a time step of a recurrence
//
// Names are letters, digits, "_" and "'" (x', W1, D_a1), starting with a letter;
// letters outside ASCII (ŷ, α) are allowed. Functions: the activations relu, sigmoid,
// tanh, softmax, linear, and the generic functions a file declares in "functions" (φ: its
// derivative is written φ′, and it has no numbers).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlsolve::equations {

struct Node {
    enum class Kind { Name, Number, MatMul, Add, Sub, Mul, Div, Neg, Transpose, Call };
    Kind kind;
    std::string text;  // the name, the function, or the number as written
    double number = 0;
    size_t column = 0;  // 1-based, in code points, where the node starts
    std::optional<int> lag;  // a Name at step t − lag of a recurrence: h[t] has 0, h[t-1] has 1
    std::vector<std::shared_ptr<const Node>> args;
};
using NodePtr = std::shared_ptr<const Node>;

struct Equation {
    std::string target;  // left-hand side
    bool recurrent = false;  // target[t] = …: one equation per time step
    NodePtr value;
    std::string text;    // as written
};

// Parses one equation; throws ProblemError at `path` naming the column of the error.
// `generic` are element-wise functions the file declares without a formula (φ).
Equation parse_equation(const std::string& text, const std::string& path, const std::vector<std::string>& generic = {});

// The functions the grammar knows, for messages.
const std::vector<std::string>& known_functions();

// The node written back in the grammar's notation: W1 @ x + b1, relu(z1), Wᵀ.
std::string to_text(const Node& node);

}  // namespace dlsolve::equations
