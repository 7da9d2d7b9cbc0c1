// Expr: an exact number that knows how it was made.
//
// The worked answer is the arithmetic itself: `sym("F", 16) * (sym("k", 5) * sym("k", 5)
// * sym("C", 3) + 1)` evaluates to 1216 and renders as `16 × (5 × 5 × 3 + 1) = 1216`,
// or symbolically as `F × (k × k × C + 1)`. Every operation is checked: overflow of
// 64-bit integers and division by zero throw ArithmeticError instead of printing a
// wrong number. Values are integers, or exact fractions where a receptive field's
// jump is divided by an upsampling factor (1/2), or reals (doubles) for forward
// values, losses and gradients, printed without float noise: 0.1 × 1.5 = 0.15.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlsolve {

class ArithmeticError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// How operators are written; text and Markdown use Unicode, LaTeX its own commands.
struct Notation {
    const char* times;        // between factors: " × "
    const char* tight_times;  // coefficient products such as 2·p: "·"
    const char* minus;        // " − "
    const char* plus;         // " + "
    const char* divide;       // "/"
    const char* floor_open;
    const char* floor_close;
    const char* ceil_open;
    const char* ceil_close;
    const char* paren_open;
    const char* paren_close;
    const char* max_name;     // "max"
    const char* equals;       // " = "
    const char* negative;     // sign of a negative literal: "−"
    const char* thousands;    // digit group separator for results shown Keras-style: ","
    const char* sqrt_name;    // "√"
    const char* squared;      // "²"
    // LaTeX sets these: symbol names in math mode (w11 → w_{11}, ŷ1 → \hat{y}_{1});
    // divisions and fraction values as \frac{a}{b}, roots as \sqrt{x}; functions as commands.
    std::string (*symbol)(const std::string&) = nullptr;  // nullptr: names as written
    bool braces = false;
    const char* min_name = "min";
    std::string (*function)(const std::string&) = nullptr;  // "sigmoid" → "σ"

    static const Notation& unicode();
    static const Notation& latex();
};

class Expr {
public:
    enum class Op { Leaf, Add, Sub, Mul, FloorDiv, CeilDiv, ExactDiv, Divide, Max, Min, Neg, Square, Func };

    Expr();  // the literal 0
    Expr(int64_t literal);  // NOLINT(google-explicit-constructor): literals read naturally in formulas

    // A named quantity: renders as its value in worked form, as its name symbolically.
    static Expr sym(std::string name, int64_t value);
    // A real number (forward values, weights, learning rates), named or not.
    static Expr real(double value);
    static Expr real(std::string name, double value);
    // A named quantity holding another Expr's value (which may be a fraction), so a
    // recurrence shows `r + (k − 1)·j` with values, not the whole history of r.
    static Expr named(std::string name, const Expr& value);
    // A literal rendered as a tight coefficient product, as in 2·p.
    static Expr tight_product(const Expr& coefficient, const Expr& factor);
    // Sum of many terms as one node (no deep recursion for 10,000-layer totals).
    static Expr sum(const std::vector<Expr>& terms);
    // A sum with too many terms to write (a loss over 1000 elements): `shown` are the first
    // terms and the last, `elided` how many stand between them, `value` the whole sum. Its
    // formula is `t1 + t2 + t3 + … (994 more) … + t1000`; symbolically it is `sigma`
    // (Σ_n log ŷ_n[c_n]; `sigma_latex` in LaTeX).
    static Expr series(std::vector<Expr> shown, int64_t elided, double value, std::string sigma, std::string sigma_latex);
    // The largest of many terms as one node: max(1, 3, 2, 4) (a pooling window).
    static Expr maximum(const std::vector<Expr>& terms);

    // The integer value; a logic error for a fraction (ask is_integer() first).
    int64_t value() const;
    bool is_integer() const;
    bool is_real() const;  // a double rather than an exact number
    int64_t numerator() const;
    int64_t denominator() const;  // > 0, in lowest terms
    double to_double() const;
    std::string value_text(const Notation& notation = Notation::unicode()) const;  // "12", "3/2"
    Op op() const;
    bool is_leaf() const;
    const std::string& name() const;  // empty for literals and operations
    const std::vector<Expr>& children() const;
    bool tight() const;  // a product written 2·p
    int64_t elided() const;  // a series: how many terms its formula leaves out
    const std::string& sigma_latex() const;  // a series: its Σ form in LaTeX

    // `16 × (5 × 5 × 3 + 1)` with values substituted.
    std::string formula(const Notation& notation = Notation::unicode()) const;
    // `F × (k × k × C + 1)`; leaves without a name show their value.
    std::string symbolic(const Notation& notation = Notation::unicode()) const;
    // `formula` with some leaves written otherwise: `leaf(i)` gives the text of the i-th
    // leaf as leaves() lists them (nullopt: its value), e.g. a size in symbols.
    std::string formula_with(const std::function<std::optional<std::string>(size_t)>& leaf,
                             const Notation& notation = Notation::unicode()) const;
    // Every leaf occurrence, left to right, as formula() writes them.
    std::vector<Expr> leaves() const;
    // `16 × (5 × 5 × 3 + 1) = 1216`, or just `1216` when there is nothing to show.
    std::string worked(const Notation& notation = Notation::unicode(), bool group_result = false) const;

    friend Expr operator+(const Expr& a, const Expr& b);
    friend Expr operator-(const Expr& a, const Expr& b);
    friend Expr operator*(const Expr& a, const Expr& b);
    friend Expr floor_div(const Expr& a, const Expr& b);
    friend Expr ceil_div(const Expr& a, const Expr& b);
    // a / b where b divides a exactly (channels per group); throws otherwise.
    friend Expr exact_div(const Expr& a, const Expr& b);
    // a / b as an exact fraction (or a real when either side is real).
    friend Expr divide(const Expr& a, const Expr& b);
    friend Expr max(const Expr& a, const Expr& b);
    friend Expr min(const Expr& a, const Expr& b);
    friend Expr operator-(const Expr& a);
    friend Expr square(const Expr& a);
    // exp, log, sqrt, sigmoid, tanh, step, sin, cos: real-valued, rendered exp(x), log(x), √x, σ(x),
    // tanh(x), step(x) (1 for x ≥ 0, else 0).
    friend Expr apply(const std::string& function, const Expr& a);

    struct Node;

private:
    explicit Expr(std::shared_ptr<const Node> node);
    static Expr make(Op op, std::vector<Expr> children, bool tight = false);
    std::shared_ptr<const Node> node_;
};

// Significant digits of printed reals (default 10): 0.1 × 1.5 prints 0.15.
void set_real_precision(int digits);
// A real without float noise: 0.15000000000000002 → "0.15", 2.0 → "2", 1e-08 → "1e-08".
std::string format_real(double value);

// 52163 → "52,163" (Keras prints counts this way).
std::string group_digits(int64_t value, const char* separator = ",");

}  // namespace dlsolve
