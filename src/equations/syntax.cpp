#include "equations/syntax.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve::equations {
namespace {

// Multi-byte operators, as UTF-8.
constexpr std::string_view kMinus = "\u2212", kDot = "\u00B7", kHadamard = "\u2299", kTransposed = "\u1D40",
                           kTimes = "\u00D7";

struct Token {
    enum class Kind { Name, Number, Op, End } kind;
    std::string text;
    size_t column;  // 1-based, in code points
};

class Lexer {
public:
    Lexer(const std::string& text, std::string path) : text_(text), path_(std::move(path)) {}

    std::vector<Token> tokens() {
        std::vector<Token> out;
        while (true) {
            skip_space();
            const size_t column = column_;
            if (at_ >= text_.size()) {
                out.push_back({Token::Kind::End, "", column});
                return out;
            }
            const unsigned char c = static_cast<unsigned char>(text_[at_]);
            if (std::isdigit(c) || (c == '.' && at_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_ + 1])))) {
                const char* begin = text_.c_str() + at_;
                char* end = nullptr;
                std::strtod(begin, &end);
                const size_t length = static_cast<size_t>(end - begin);
                out.push_back({Token::Kind::Number, text_.substr(at_, length), column});
                advance(length);
                continue;
            }
            bool matched = false;
            for (std::string_view op : {kMinus, kDot, kHadamard, kTransposed, kTimes, std::string_view(".T"), std::string_view("^T")}) {
                if (text_.compare(at_, op.size(), op) == 0) {
                    if (op == kTimes) fail(column, "\"×\" is ambiguous: write @ for a matrix product or * for an element-wise one");
                    out.push_back({Token::Kind::Op, normal(op), column});
                    advance(op.size(), op.front() & 0x80 ? 1 : op.size());
                    matched = true;
                    break;
                }
            }
            if (matched) continue;
            if (std::string_view("=+-*/@(),[]").find(static_cast<char>(c)) != std::string_view::npos) {
                out.push_back({Token::Kind::Op, std::string(1, static_cast<char>(c)), column});
                advance(1);
                continue;
            }
            if (std::isalpha(c) || c >= 0x80) {
                const size_t start = at_;
                size_t points = 0;
                while (at_ < text_.size()) {
                    const unsigned char d = static_cast<unsigned char>(text_[at_]);
                    if (d >= 0x80) {
                        if (starts_operator()) break;
                        size_t length = 1;
                        while (at_ + length < text_.size() && (static_cast<unsigned char>(text_[at_ + length]) & 0xC0) == 0x80) ++length;
                        at_ += length;
                    } else if (std::isalnum(d) || d == '_' || d == '\'') {
                        ++at_;
                    } else {
                        break;
                    }
                    ++points;
                }
                column_ += points;
                out.push_back({Token::Kind::Name, text_.substr(start, at_ - start), column});
                continue;
            }
            fail(column, fmt::format("unexpected character '{}'", static_cast<char>(c)));
        }
    }

private:
    const std::string& text_;
    std::string path_;
    size_t at_ = 0, column_ = 1;

    bool starts_operator() const {
        for (std::string_view op : {kMinus, kDot, kHadamard, kTransposed, kTimes})
            if (text_.compare(at_, op.size(), op) == 0) return true;
        return false;
    }
    static std::string normal(std::string_view op) {
        if (op == kMinus) return "-";
        if (op == kDot) return "@";
        if (op == kHadamard) return "*";
        if (op == kTransposed || op == ".T" || op == "^T") return "T";
        return std::string(op);
    }
    void advance(size_t bytes, size_t points = 0) {
        at_ += bytes;
        column_ += points ? points : bytes;
    }
    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t')) advance(1);
    }
    [[noreturn]] void fail(size_t column, const std::string& what) const {
        throw ProblemError(path_, fmt::format("column {}: {}", column, what));
    }
};

class Parser {
public:
    Parser(std::vector<Token> tokens, std::string path, const std::vector<std::string>& generic)
        : tokens_(std::move(tokens)), path_(std::move(path)), generic_(generic) {}

    Equation equation() {
        const Token& target = next();
        if (target.kind != Token::Kind::Name) fail(target, "expected the name being defined, as in \"z1 = W1 @ x + b1\"");
        if (known(target.text)) fail(target, fmt::format("\"{}\" is a function and cannot be defined", target.text));
        const auto lag = index();
        if (lag && *lag != 0) fail(tokens_[at_ - 2], "expected the step being defined to be t, as in h[t] = …");
        expect("=", "\"=\" after the name being defined");
        Equation e{target.text, lag.has_value(), sum(), ""};
        if (peek().kind != Token::Kind::End) fail(peek(), fmt::format("unexpected \"{}\" after a complete equation", peek().text));
        return e;
    }

private:
    std::vector<Token> tokens_;
    std::string path_;
    const std::vector<std::string>& generic_;
    size_t at_ = 0;
    int depth_ = 0;

    const Token& peek() const { return tokens_[at_]; }
    const Token& next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }
    bool accept(std::string_view op) {
        if (peek().kind == Token::Kind::Op && peek().text == op) return ++at_, true;
        return false;
    }
    void expect(std::string_view op, const std::string& what) {
        if (!accept(op)) fail(peek(), "expected " + what);
    }
    [[noreturn]] void fail(const Token& at, const std::string& what) const {
        const std::string found = at.kind == Token::Kind::End ? "the end of the equation" : fmt::format("\"{}\"", at.text);
        throw ProblemError(path_, fmt::format("column {}: {}, found {}", at.column, what, found));
    }
    bool known(const std::string& name) const {
        const auto& f = known_functions();
        return std::find(f.begin(), f.end(), name) != f.end() || std::find(generic_.begin(), generic_.end(), name) != generic_.end();
    }
    static NodePtr make(Node::Kind kind, size_t column, std::vector<NodePtr> args, std::string text = "") {
        auto node = std::make_shared<Node>();
        node->kind = kind;
        node->column = column;
        node->args = std::move(args);
        node->text = std::move(text);
        return node;
    }

    // [t] or [t-1]: the step of a recurrence, as the lag behind t.
    std::optional<int> index() {
        if (!accept("[")) return std::nullopt;
        const Token& t = next();
        if (t.kind != Token::Kind::Name || t.text != "t") fail(t, "expected the time index t, as in h[t] or h[t-1]");
        int lag = 0;
        if (accept("-")) {
            const Token& n = next();
            if (n.kind != Token::Kind::Number || n.text != "1") fail(n, "expected 1: a recurrence reads the step before, h[t-1]");
            lag = 1;
        }
        expect("]", "\"]\" closing the time index");
        return lag;
    }

    NodePtr sum() {
        if (++depth_ > 100) fail(peek(), "expected an equation nested at most 100 deep");
        NodePtr left = product();
        while (true) {
            const size_t column = peek().column;
            if (accept("+")) left = make(Node::Kind::Add, column, {left, product()});
            else if (accept("-")) left = make(Node::Kind::Sub, column, {left, product()});
            else break;
        }
        --depth_;
        return left;
    }
    NodePtr product() {
        NodePtr left = unary();
        while (true) {
            const size_t column = peek().column;
            if (accept("@")) left = make(Node::Kind::MatMul, column, {left, unary()});
            else if (accept("*")) left = make(Node::Kind::Mul, column, {left, unary()});
            else if (accept("/")) left = make(Node::Kind::Div, column, {left, unary()});
            else break;
        }
        return left;
    }
    NodePtr unary() {
        const size_t column = peek().column;
        if (accept("-")) {
            if (++depth_ > 100) fail(peek(), "expected an equation nested at most 100 deep");
            NodePtr inner = unary();
            --depth_;
            return make(Node::Kind::Neg, column, {inner});
        }
        NodePtr node = primary();
        while (peek().kind == Token::Kind::Op && peek().text == "T") node = make(Node::Kind::Transpose, next().column, {node});
        return node;
    }
    NodePtr primary() {
        const Token& t = next();
        if (t.kind == Token::Kind::Number) {
            auto node = std::make_shared<Node>();
            node->kind = Node::Kind::Number;
            node->text = t.text;
            node->number = std::strtod(t.text.c_str(), nullptr);
            node->column = t.column;
            return node;
        }
        if (t.kind == Token::Kind::Name) {
            if (!accept("(")) {
                if (known(t.text)) fail(peek(), fmt::format("expected \"(\" after the function {}", t.text));
                auto node = std::make_shared<Node>();
                node->kind = Node::Kind::Name;
                node->text = t.text;
                node->column = t.column;
                node->lag = index();
                return node;
            }
            if (!known(t.text))
                fail(t, fmt::format("expected one of the functions {}", fmt::join(known_functions(), ", ")));
            NodePtr argument = sum();
            expect(")", fmt::format("\")\" closing {}(", t.text));
            return make(Node::Kind::Call, t.column, {argument}, t.text);
        }
        if (t.kind == Token::Kind::Op && t.text == "(") {
            NodePtr inner = sum();
            expect(")", "\")\"");
            return inner;
        }
        fail(t, "expected a name, a number or \"(\"");
    }
};

int precedence(Node::Kind k) {
    switch (k) {
        case Node::Kind::Add: case Node::Kind::Sub: return 1;
        case Node::Kind::MatMul: case Node::Kind::Mul: case Node::Kind::Div: return 2;
        case Node::Kind::Neg: return 3;
        default: return 4;
    }
}

std::string wrapped(const Node& child, int parent, bool right) {
    const int p = precedence(child.kind);
    const std::string text = to_text(child);
    return p < parent || (right && p == parent && p < 3) ? "(" + text + ")" : text;
}

}  // namespace

const std::vector<std::string>& known_functions() {
    static const std::vector<std::string> functions{"relu", "sigmoid", "tanh", "softmax", "linear"};
    return functions;
}

Equation parse_equation(const std::string& text, const std::string& path, const std::vector<std::string>& generic) {
    Equation e = Parser(Lexer(text, path).tokens(), path, generic).equation();
    e.text = text;
    return e;
}

std::string to_text(const Node& n) {
    const int p = precedence(n.kind);
    const auto binary = [&](const char* op) {
        return wrapped(*n.args[0], p, false) + op + wrapped(*n.args[1], p, true);
    };
    switch (n.kind) {
        case Node::Kind::Name: return n.lag ? n.text + (*n.lag ? "[t\u22121]" : "[t]") : n.text;
        case Node::Kind::Number: return n.text;
        case Node::Kind::MatMul: return binary(" @ ");
        case Node::Kind::Add: return binary(" + ");
        case Node::Kind::Sub: return binary(" \u2212 ");
        case Node::Kind::Mul: return binary(" \u2299 ");
        case Node::Kind::Div: return binary(" / ");
        case Node::Kind::Neg: return "\u2212" + wrapped(*n.args[0], p, false);
        case Node::Kind::Transpose: return wrapped(*n.args[0], 4, false) + "\u1D40";
        case Node::Kind::Call: return n.text + "(" + to_text(*n.args[0]) + ")";
    }
    return "";
}

}  // namespace dlsolve::equations
