#include "expr/expr.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "expr/latex_symbols.h"

namespace dlsolve {

namespace {
int real_digits = 10;
}

void set_real_precision(int digits) { real_digits = digits < 1 ? 1 : digits > 17 ? 17 : digits; }

std::string format_real(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    if (value == 0) return "0";  // also −0
    std::string text = fmt::format("{:.{}g}", value, real_digits);
    const auto e = text.find('e');
    std::string mantissa = text.substr(0, e), exponent = e == std::string::npos ? "" : text.substr(e);
    if (mantissa.find('.') != std::string::npos) {
        while (mantissa.back() == '0') mantissa.pop_back();
        if (mantissa.back() == '.') mantissa.pop_back();
    }
    return mantissa + exponent;
}

struct Expr::Node {
    Op op = Op::Leaf;
    int64_t value = 0;  // numerator
    int64_t den = 1;    // denominator, > 0, in lowest terms
    bool real = false;  // a double in `x` rather than the exact num/den
    double x = 0;
    std::string name;   // leaves: the symbol; Func: the function
    bool tight = false;  // Mul written as 2·p rather than 2 × p
    std::vector<Expr> children;
    int64_t elided = 0;       // a series: terms not written, before the last child
    std::string sigma_latex;  // a series: its Σ form in LaTeX (name holds the Unicode one)
};

namespace {

std::string unicode_function(const std::string& name) { return name == "sigmoid" ? "σ" : name; }

std::string latex_function(const std::string& name) {
    if (name == "sigmoid") return "\\sigma";
    if (name == "exp" || name == "log" || name == "tanh" || name == "sin" || name == "cos") return "\\" + name;
    return "\\mathrm{" + name + "}";
}

}  // namespace

const Notation& Notation::unicode() {
    static const Notation n{" × ", "·", " − ", " + ", "/", "⌊", "⌋", "⌈", "⌉", "(", ")", "max", " = ", "−", ",", "√", "²",
                            nullptr, false, "min", unicode_function};
    return n;
}

const Notation& Notation::latex() {
    static const Notation n{" \\times ", " \\cdot ", " - ", " + ", "/", "\\lfloor ", " \\rfloor",
                            "\\lceil ", " \\rceil", "(", ")", "\\max", " = ", "-", "{,}", "\\sqrt", "^{2}",
                            latex_math, true, "\\min", latex_function};
    return n;
}

namespace {

int64_t checked_add(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) throw ArithmeticError(fmt::format("{} + {} overflows 64-bit integers", a, b));
    return r;
}
int64_t checked_sub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) throw ArithmeticError(fmt::format("{} − {} overflows 64-bit integers", a, b));
    return r;
}
int64_t checked_mul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) throw ArithmeticError(fmt::format("{} × {} overflows 64-bit integers", a, b));
    return r;
}
void check_divisor(int64_t a, int64_t b) {
    if (b == 0) throw ArithmeticError(fmt::format("division of {} by zero", a));
    if (a == INT64_MIN && b == -1) throw ArithmeticError("division overflows 64-bit integers");
}
int64_t floor_divide(int64_t a, int64_t b) {
    check_divisor(a, b);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
int64_t ceil_divide(int64_t a, int64_t b) {
    check_divisor(a, b);
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) == (b < 0))) ++q;
    return q;
}

int64_t gcd(int64_t a, int64_t b) {
    a = a < 0 ? -a : a;
    while (b != 0) {
        const int64_t t = a % b;
        a = b;
        b = t < 0 ? -t : t;
    }
    return a;
}

// An exact fraction with checked arithmetic.
struct Fraction {
    int64_t num;
    int64_t den;

    static Fraction make(int64_t num, int64_t den) {
        if (den == 0) throw ArithmeticError(fmt::format("division of {} by zero", num));
        if (den < 0) num = checked_sub(0, num), den = checked_sub(0, den);
        const int64_t g = gcd(num, den);
        return g > 1 ? Fraction{num / g, den / g} : Fraction{num, den};
    }
    friend Fraction operator+(Fraction a, Fraction b) {
        if (a.den == 1 && b.den == 1) return {checked_add(a.num, b.num), 1};
        return make(checked_add(checked_mul(a.num, b.den), checked_mul(b.num, a.den)), checked_mul(a.den, b.den));
    }
    friend Fraction operator-(Fraction a, Fraction b) { return a + Fraction{checked_sub(0, b.num), b.den}; }
    friend Fraction operator*(Fraction a, Fraction b) {
        if (a.den == 1 && b.den == 1) return {checked_mul(a.num, b.num), 1};
        return make(checked_mul(a.num, b.num), checked_mul(a.den, b.den));
    }
    friend Fraction operator/(Fraction a, Fraction b) {
        if (b.num == 0) throw ArithmeticError("division by zero");
        return make(checked_mul(a.num, b.den), checked_mul(a.den, b.num));
    }
    bool operator<(Fraction b) const { return (*this - b).num < 0; }
};

// Binding strength when rendering; higher binds tighter.
int precedence(Expr::Op op) {
    switch (op) {
        case Expr::Op::Add:
        case Expr::Op::Sub:
        case Expr::Op::Neg: return 1;
        case Expr::Op::Mul:
        case Expr::Op::ExactDiv:
        case Expr::Op::Divide: return 2;
        case Expr::Op::Square: return 4;
        default: return 5;  // leaves and bracketed forms
    }
}

std::string literal(int64_t v, const Notation& n) {
    if (v >= 0) return std::to_string(v);
    std::string digits = std::to_string(v);  // "-123"
    return n.negative + digits.substr(1);
}

std::string literal(int64_t num, int64_t den, const Notation& n) {
    if (den == 1) return literal(num, n);
    if (n.braces) return (num < 0 ? n.negative : "") + fmt::format("\\frac{{{}}}{{{}}}", num < 0 ? std::to_string(num).substr(1) : std::to_string(num), den);
    return literal(num, n) + n.divide + std::to_string(den);
}

}  // namespace

std::string group_digits(int64_t value, const char* separator) {
    std::string digits = std::to_string(value);
    if (value < 0) digits.erase(0, 1);
    std::string out;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (count > 0 && count % 3 == 0) out.insert(0, separator);
        out.insert(out.begin(), *it);
        ++count;
    }
    return value < 0 ? "-" + out : out;
}

Expr::Expr() : Expr(int64_t{0}) {}

Expr::Expr(int64_t literal_value) {
    // Nodes are immutable: the small literals every formula has (0, 1, 2) share one each.
    constexpr int64_t kLow = -8, kHigh = 64;
    if (literal_value >= kLow && literal_value <= kHigh) {
        static const auto shared = [] {
            std::array<std::shared_ptr<const Node>, kHigh - kLow + 1> nodes;
            for (int64_t v = kLow; v <= kHigh; ++v) {
                auto node = std::make_shared<Node>();
                node->value = v;
                nodes[static_cast<size_t>(v - kLow)] = std::move(node);
            }
            return nodes;
        }();
        node_ = shared[static_cast<size_t>(literal_value - kLow)];
        return;
    }
    auto node = std::make_shared<Node>();
    node->value = literal_value;
    node_ = std::move(node);
}

Expr::Expr(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

Expr Expr::sym(std::string name, int64_t value) {
    auto node = std::make_shared<Node>();
    node->value = value;
    node->name = std::move(name);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

Expr Expr::named(std::string name, const Expr& value) {
    auto node = std::make_shared<Node>();
    node->value = value.node_->value;
    node->den = value.node_->den;
    node->real = value.node_->real;
    node->x = value.node_->x;
    node->name = std::move(name);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

Expr Expr::real(double value) { return real("", value); }

Expr Expr::real(std::string name, double value) {
    auto node = std::make_shared<Node>();
    node->real = true;
    node->x = value;
    node->name = std::move(name);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

int64_t Expr::value() const {
    if (node_->real || node_->den != 1) throw std::logic_error("Expr::value() of the non-integer " + value_text());
    return node_->value;
}
bool Expr::is_integer() const { return !node_->real && node_->den == 1; }
bool Expr::is_real() const { return node_->real; }
int64_t Expr::numerator() const {
    if (node_->real) throw std::logic_error("Expr::numerator() of a real");
    return node_->value;
}
int64_t Expr::denominator() const {
    if (node_->real) throw std::logic_error("Expr::denominator() of a real");
    return node_->den;
}
double Expr::to_double() const {
    return node_->real ? node_->x : static_cast<double>(node_->value) / static_cast<double>(node_->den);
}
std::string Expr::value_text(const Notation& notation) const {
    if (!node_->real) return literal(node_->value, node_->den, notation);
    const std::string text = format_real(node_->x);
    return text[0] == '-' ? notation.negative + text.substr(1) : text;
}
Expr::Op Expr::op() const { return node_->op; }
bool Expr::is_leaf() const { return node_->op == Op::Leaf; }
const std::string& Expr::name() const { return node_->name; }
const std::vector<Expr>& Expr::children() const { return node_->children; }
bool Expr::tight() const { return node_->tight; }
int64_t Expr::elided() const { return node_->elided; }
const std::string& Expr::sigma_latex() const { return node_->sigma_latex; }

namespace {

// Reals follow IEEE arithmetic; a non-finite result is an error, never a printed number.
double real_result(Expr::Op op, const std::vector<Expr>& children, const std::string& function) {
    const double a = children.at(0).to_double();
    const double b = children.size() > 1 ? children[1].to_double() : 0.0;
    double r = 0;
    switch (op) {
        case Expr::Op::Add:
            for (const auto& c : children) r += c.to_double();
            break;
        case Expr::Op::Sub: r = a - b; break;
        case Expr::Op::Mul: r = a * b; break;
        case Expr::Op::Divide:
            if (b == 0) throw ArithmeticError(fmt::format("division of {} by zero", format_real(a)));
            r = a / b;
            break;
        case Expr::Op::Max:
            r = a;
            for (const auto& c : children) r = r < c.to_double() ? c.to_double() : r;
            break;
        case Expr::Op::Min: r = b < a ? b : a; break;
        case Expr::Op::Neg: r = -a; break;
        case Expr::Op::Square: r = a * a; break;
        case Expr::Op::Func:
            if (function == "exp") r = std::exp(a);
            else if (function == "log") {
                if (a <= 0) throw ArithmeticError(fmt::format("log of {} (not positive)", format_real(a)));
                r = std::log(a);
            } else if (function == "sqrt") {
                if (a < 0) throw ArithmeticError(fmt::format("square root of {}", format_real(a)));
                r = std::sqrt(a);
            } else if (function == "sigmoid") r = 1.0 / (1.0 + std::exp(-a));
            else if (function == "tanh") r = std::tanh(a);
            else if (function == "step") r = a >= 0 ? 1.0 : 0.0;  // the exams' hard threshold: 1 from 0 on
            else if (function == "sin") r = std::sin(a);  // sinusoidal positional encodings
            else if (function == "cos") r = std::cos(a);
            else throw std::logic_error("unknown function " + function);
            break;
        default: throw std::logic_error("integer operation on a real");
    }
    if (!std::isfinite(r)) {
        // Name the operation and its operands, so the message points at the number that grew too large.
        std::string what;
        switch (op) {
            case Expr::Op::Add: what = fmt::format("the sum of {} terms", children.size()); break;
            case Expr::Op::Sub: what = fmt::format("{} − {}", format_real(a), format_real(b)); break;
            case Expr::Op::Mul: what = fmt::format("{} × {}", format_real(a), format_real(b)); break;
            case Expr::Op::Divide: what = fmt::format("{}/{}", format_real(a), format_real(b)); break;
            case Expr::Op::Square: what = fmt::format("({})²", format_real(a)); break;
            case Expr::Op::Func: what = fmt::format("{}({})", function, format_real(a)); break;
            default: what = "the result"; break;
        }
        throw ArithmeticError(what + (std::isnan(r) ? " is not a number (NaN)" : " is beyond float64's range (about 1.8e308)"));
    }
    return r;
}

}  // namespace

Expr Expr::make(Op op, std::vector<Expr> children, bool tight) {
    auto node = std::make_shared<Node>();
    node->op = op;
    node->tight = tight;
    const bool any_real = op == Op::Func || std::any_of(children.begin(), children.end(), [](const Expr& c) { return c.is_real(); });
    if (any_real) {
        node->real = true;
        node->x = real_result(op, children, node->name);
        node->children = std::move(children);
        return Expr(std::shared_ptr<const Node>(std::move(node)));
    }
    const auto fraction = [](const Expr& e) { return Fraction{e.node_->value, e.node_->den}; };
    const Fraction a = fraction(children.at(0));
    const Fraction b = children.size() > 1 ? fraction(children[1]) : Fraction{0, 1};
    const auto integer = [&](Fraction f) {
        if (f.den != 1) throw std::logic_error("integer division of a fraction");
        return f.num;
    };
    Fraction result{0, 1};
    switch (op) {
        case Op::Add:
            for (const auto& c : children) result = result + fraction(c);
            break;
        case Op::Sub: result = a - b; break;
        case Op::Mul: result = a * b; break;
        case Op::Divide: result = a / b; break;
        case Op::FloorDiv: result = {floor_divide(integer(a), integer(b)), 1}; break;
        case Op::CeilDiv: result = {ceil_divide(integer(a), integer(b)), 1}; break;
        case Op::ExactDiv:
            check_divisor(integer(a), integer(b));
            if (a.num % b.num != 0) throw ArithmeticError(fmt::format("{} is not divisible by {}", a.num, b.num));
            result = {a.num / b.num, 1};
            break;
        case Op::Max:
            result = a;
            for (const auto& c : children) result = result < fraction(c) ? fraction(c) : result;
            break;
        case Op::Min: result = b < a ? b : a; break;
        case Op::Neg: result = Fraction{0, 1} - a; break;
        case Op::Square: result = a * a; break;
        case Op::Func:
        case Op::Leaf: throw std::logic_error("Expr::make with Op::Leaf");
    }
    node->value = result.num;
    node->den = result.den;
    node->children = std::move(children);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

Expr Expr::tight_product(const Expr& coefficient, const Expr& factor) { return make(Op::Mul, {coefficient, factor}, true); }

Expr Expr::sum(const std::vector<Expr>& terms) {
    if (terms.empty()) return Expr(int64_t{0});
    if (terms.size() == 1) return terms.front();
    return make(Op::Add, terms);
}

Expr Expr::series(std::vector<Expr> shown, int64_t elided, double value, std::string sigma, std::string sigma_latex) {
    if (shown.empty()) throw std::logic_error("Expr::series of no terms");
    auto node = std::make_shared<Node>();
    node->op = Op::Add;
    node->real = true;
    node->x = value;
    node->name = std::move(sigma);
    node->sigma_latex = std::move(sigma_latex);
    node->elided = shown.size() > 1 ? elided : 0;
    node->children = std::move(shown);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

Expr Expr::maximum(const std::vector<Expr>& terms) {
    if (terms.empty()) throw std::logic_error("Expr::maximum of no terms");
    if (terms.size() == 1) return terms.front();
    return make(Op::Max, terms);
}

Expr operator+(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Add, {a, b}); }
Expr operator-(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Sub, {a, b}); }
Expr operator*(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Mul, {a, b}); }
Expr floor_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::FloorDiv, {a, b}); }
Expr ceil_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::CeilDiv, {a, b}); }
Expr exact_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::ExactDiv, {a, b}); }
Expr divide(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Divide, {a, b}); }
Expr max(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Max, {a, b}); }
Expr min(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Min, {a, b}); }
Expr operator-(const Expr& a) { return Expr::make(Expr::Op::Neg, {a}); }
Expr square(const Expr& a) { return Expr::make(Expr::Op::Square, {a}); }

Expr apply(const std::string& function, const Expr& a) {
    auto node = std::make_shared<Expr::Node>();
    node->op = Expr::Op::Func;
    node->name = function;
    node->real = true;
    node->x = real_result(Expr::Op::Func, {a}, function);
    node->children = {a};
    return Expr(std::shared_ptr<const Expr::Node>(std::move(node)));
}

namespace {

struct Renderer {
    const Notation& n;
    bool symbolic;
    const std::function<std::optional<std::string>(size_t)>* replace = nullptr;
    mutable size_t leaves_seen = 0;

    std::string leaf(const Expr& e) const {
        if (replace)
            if (auto text = (*replace)(leaves_seen++)) return n.symbol ? n.symbol(*text) : *text;
        if (symbolic && !e.name().empty()) return n.symbol ? n.symbol(e.name()) : e.name();
        return e.value_text(n);
    }

    static bool negative(const Expr& e) { return e.to_double() < 0; }
    static bool fraction(const Expr& e) { return !e.is_real() && !e.is_integer(); }

    // Render `child` as an operand of an operator of precedence `parent`; `strict`
    // brackets equal precedence too (the right side of − and /). A negative value is
    // bracketed unless it leads a sum; a fraction is bracketed inside products.
    std::string operand(const Expr& child, int parent, bool strict, bool leads = false) const {
        std::string text = render(child);
        const bool shows_value = child.is_leaf() && !(symbolic && !child.name().empty());
        bool bracket = precedence(child.op()) < parent || (strict && precedence(child.op()) == parent);
        if (shows_value && negative(child)) bracket = !(leads && parent == 1);
        else if (shows_value && fraction(child)) bracket = parent >= 2 && !n.braces;
        return bracket ? fmt::format("{}{}{}", n.paren_open, text, n.paren_close) : text;
    }

    std::string render(const Expr& e) const;
};

std::string Renderer::render(const Expr& e) const {
    if (e.is_leaf()) return leaf(e);
    const auto& kids = e.children();
    switch (e.op()) {
        case Expr::Op::Add: {
            const bool series = !e.name().empty();
            if (series && symbolic) return n.braces ? e.sigma_latex() : e.name();
            std::string out = operand(kids[0], 1, false, true);
            // A difference after a plus keeps its brackets, as exams write r + (k − 1).
            for (size_t i = 1; i < kids.size(); ++i) {
                if (series && i + 1 == kids.size() && e.elided() > 0)
                    out += n.braces ? fmt::format(" + \\cdots \\text{{({} more)}} \\cdots", e.elided())
                                    : fmt::format(" + … ({} more) …", e.elided());
                out += n.plus + operand(kids[i], 1, kids[i].op() == Expr::Op::Sub || kids[i].op() == Expr::Op::Neg);
            }
            return out;
        }
        // Operands are rendered left to right, one statement each: formula_with numbers the
        // leaves in that order (the operands of + are evaluated in no fixed order).
        case Expr::Op::Sub: {
            const std::string a = operand(kids[0], 1, false, true);
            return a + n.minus + operand(kids[1], 1, true);
        }
        case Expr::Op::Mul: {
            const std::string a = operand(kids[0], 2, false);
            return a + (e.tight() ? n.tight_times : n.times) + operand(kids[1], 2, false);
        }
        case Expr::Op::Divide:
            if (n.braces) {
                const std::string a = render(kids[0]);
                return fmt::format("\\frac{{{}}}{{{}}}", a, render(kids[1]));
            }
            [[fallthrough]];
        case Expr::Op::ExactDiv: {
            const std::string a = operand(kids[0], 2, false);
            return a + n.divide + operand(kids[1], 2, true);
        }
        case Expr::Op::FloorDiv:
        case Expr::Op::CeilDiv: {
            const bool floor = e.op() == Expr::Op::FloorDiv;
            const std::string a = operand(kids[0], 2, false);
            const std::string b = operand(kids[1], 2, true);
            return fmt::format("{}{}{}{}{}", floor ? n.floor_open : n.ceil_open, a, n.divide, b, floor ? n.floor_close : n.ceil_close);
        }
        case Expr::Op::Max: {
            std::vector<std::string> parts;
            for (const auto& k : kids) parts.push_back(render(k));
            return fmt::format("{}{}{}{}", n.max_name, n.paren_open, fmt::join(parts, ", "), n.paren_close);
        }
        case Expr::Op::Min: {
            const std::string a = render(kids[0]);
            const std::string b = render(kids[1]);
            return fmt::format("{}{}{}, {}{}", n.min_name, n.paren_open, a, b, n.paren_close);
        }
        case Expr::Op::Neg: return n.negative + operand(kids[0], 3, false);  // −x, −(a × b)
        case Expr::Op::Square: return operand(kids[0], 4, false) + n.squared;
        case Expr::Op::Func: {
            if (e.name() == "sqrt") return n.braces ? fmt::format("{}{{{}}}", n.sqrt_name, render(kids[0])) : n.sqrt_name + operand(kids[0], 4, false);
            const std::string shown = n.function ? n.function(e.name()) : e.name();
            return fmt::format("{}{}{}{}", shown, n.paren_open, render(kids[0]), n.paren_close);
        }
        case Expr::Op::Leaf: break;
    }
    return leaf(e);
}

}  // namespace

std::string Expr::formula(const Notation& notation) const { return Renderer{notation, false}.render(*this); }

std::string Expr::symbolic(const Notation& notation) const { return Renderer{notation, true}.render(*this); }

std::string Expr::formula_with(const std::function<std::optional<std::string>(size_t)>& leaf, const Notation& notation) const {
    return Renderer{notation, false, &leaf}.render(*this);
}

std::vector<Expr> Expr::leaves() const {
    std::vector<Expr> out;
    std::vector<const Expr*> stack{this};
    while (!stack.empty()) {
        const Expr* e = stack.back();
        stack.pop_back();
        if (e->is_leaf()) {
            out.push_back(*e);
            continue;
        }
        const auto& kids = e->children();
        for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(&*it);
    }
    return out;
}

std::string Expr::worked(const Notation& notation, bool group_result) const {
    if (is_real()) return is_leaf() ? value_text(notation) : formula(notation) + notation.equals + value_text(notation);
    const std::string result = group_result && is_integer() ? group_digits(value(), notation.thousands) : value_text(notation);
    if (is_leaf()) return result;
    return formula(notation) + notation.equals + result;
}

}  // namespace dlsolve
