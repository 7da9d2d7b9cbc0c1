#include "expr/expr.h"

#include <fmt/format.h>

namespace dlsolve {

struct Expr::Node {
    Op op = Op::Leaf;
    int64_t value = 0;
    std::string name;
    bool tight = false;  // Mul written as 2·p rather than 2 × p
    std::vector<Expr> children;
};

const Notation& Notation::unicode() {
    static const Notation n{" × ", "·", " − ", " + ", "/", "⌊", "⌋", "⌈", "⌉", "(", ")", "max", " = ", "−", ","};
    return n;
}

const Notation& Notation::latex() {
    static const Notation n{" \\times ", " \\cdot ", " - ", " + ", "/", "\\lfloor ", " \\rfloor",
                            "\\lceil ", " \\rceil", "(", ")", "\\max", " = ", "-", "{,}"};
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

// Binding strength when rendering; higher binds tighter.
int precedence(Expr::Op op) {
    switch (op) {
        case Expr::Op::Add:
        case Expr::Op::Sub: return 1;
        case Expr::Op::Mul:
        case Expr::Op::ExactDiv: return 2;
        default: return 3;  // leaves and bracketed forms
    }
}

std::string literal(int64_t v, const Notation& n) {
    if (v >= 0) return std::to_string(v);
    std::string digits = std::to_string(v);  // "-123"
    return n.negative + digits.substr(1);
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

int64_t Expr::value() const { return node_->value; }
Expr::Op Expr::op() const { return node_->op; }
bool Expr::is_leaf() const { return node_->op == Op::Leaf; }
const std::string& Expr::name() const { return node_->name; }
const std::vector<Expr>& Expr::children() const { return node_->children; }
bool Expr::tight() const { return node_->tight; }

Expr Expr::make(Op op, std::vector<Expr> children, bool tight) {
    auto node = std::make_shared<Node>();
    node->op = op;
    node->tight = tight;
    const int64_t a = children.at(0).value();
    const int64_t b = children.size() > 1 ? children[1].value() : 0;
    switch (op) {
        case Op::Add: {
            int64_t total = 0;
            for (const auto& c : children) total = checked_add(total, c.value());
            node->value = total;
            break;
        }
        case Op::Sub: node->value = checked_sub(a, b); break;
        case Op::Mul: node->value = checked_mul(a, b); break;
        case Op::FloorDiv: node->value = floor_divide(a, b); break;
        case Op::CeilDiv: node->value = ceil_divide(a, b); break;
        case Op::ExactDiv:
            check_divisor(a, b);
            if (a % b != 0) throw ArithmeticError(fmt::format("{} is not divisible by {}", a, b));
            node->value = a / b;
            break;
        case Op::Max: node->value = a > b ? a : b; break;
        case Op::Leaf: throw std::logic_error("Expr::make with Op::Leaf");
    }
    node->children = std::move(children);
    return Expr(std::shared_ptr<const Node>(std::move(node)));
}

Expr Expr::tight_product(const Expr& coefficient, const Expr& factor) { return make(Op::Mul, {coefficient, factor}, true); }

Expr Expr::sum(const std::vector<Expr>& terms) {
    if (terms.empty()) return Expr(int64_t{0});
    if (terms.size() == 1) return terms.front();
    return make(Op::Add, terms);
}

Expr operator+(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Add, {a, b}); }
Expr operator-(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Sub, {a, b}); }
Expr operator*(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Mul, {a, b}); }
Expr floor_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::FloorDiv, {a, b}); }
Expr ceil_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::CeilDiv, {a, b}); }
Expr exact_div(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::ExactDiv, {a, b}); }
Expr max(const Expr& a, const Expr& b) { return Expr::make(Expr::Op::Max, {a, b}); }

namespace {

struct Renderer {
    const Notation& n;
    bool symbolic;

    std::string leaf(const Expr& e) const {
        if (symbolic && !e.name().empty()) return e.name();
        return literal(e.value(), n);
    }

    // Render `child` as an operand of an operator of precedence `parent`; `strict`
    // brackets equal precedence too (the right side of − and /).
    std::string operand(const Expr& child, int parent, bool strict) const {
        std::string text = render(child);
        const bool negative_leaf = child.is_leaf() && !(symbolic && !child.name().empty()) && child.value() < 0;
        const int p = precedence(child.op());
        if (negative_leaf || p < parent || (strict && p == parent))
            return fmt::format("{}{}{}", n.paren_open, text, n.paren_close);
        return text;
    }

    std::string render(const Expr& e) const;
};

std::string Renderer::render(const Expr& e) const {
    if (e.is_leaf()) return leaf(e);
    const auto& kids = e.children();
    switch (e.op()) {
        case Expr::Op::Add: {
            std::string out = operand(kids[0], 1, false);
            for (size_t i = 1; i < kids.size(); ++i) out += n.plus + operand(kids[i], 1, false);
            return out;
        }
        case Expr::Op::Sub: return operand(kids[0], 1, false) + n.minus + operand(kids[1], 1, true);
        case Expr::Op::Mul:
            return operand(kids[0], 2, false) + (e.tight() ? n.tight_times : n.times) + operand(kids[1], 2, false);
        case Expr::Op::ExactDiv: return operand(kids[0], 2, false) + n.divide + operand(kids[1], 2, true);
        case Expr::Op::FloorDiv:
        case Expr::Op::CeilDiv: {
            const bool floor = e.op() == Expr::Op::FloorDiv;
            return fmt::format("{}{}{}{}{}", floor ? n.floor_open : n.ceil_open, operand(kids[0], 2, false), n.divide,
                               operand(kids[1], 2, true), floor ? n.floor_close : n.ceil_close);
        }
        case Expr::Op::Max:
            return fmt::format("{}{}{}, {}{}", n.max_name, n.paren_open, render(kids[0]), render(kids[1]), n.paren_close);
        case Expr::Op::Leaf: break;
    }
    return leaf(e);
}

}  // namespace

std::string Expr::formula(const Notation& notation) const { return Renderer{notation, false}.render(*this); }

std::string Expr::symbolic(const Notation& notation) const { return Renderer{notation, true}.render(*this); }

std::string Expr::worked(const Notation& notation, bool group_result) const {
    const std::string result = group_result ? group_digits(value(), notation.thousands) : literal(value(), notation);
    if (is_leaf()) return result;
    return formula(notation) + notation.equals + result;
}

}  // namespace dlsolve
