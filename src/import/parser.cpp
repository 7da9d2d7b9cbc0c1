#include "import/parser.h"

#include <set>

namespace dlsolve::code {
namespace {

// Statements and expressions outside the subset, by their leading keyword.
const std::set<std::string>& refused_statements() {
    static const std::set<std::string> words{"for", "while", "if", "elif", "else", "with", "try", "except", "finally", "global", "nonlocal",
                                             "del", "assert", "raise", "async", "await", "yield", "break", "continue", "match", "lambda"};
    return words;
}

std::string statement_name(const std::string& word) {
    if (word == "for" || word == "while") return "a loop (" + word + ")";
    if (word == "if" || word == "elif" || word == "else" || word == "match") return "a conditional (" + word + ")";
    return "the statement " + word;
}

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    std::vector<NodePtr> module() {
        std::vector<NodePtr> body;
        while (peek().kind != Tok::End) statement(body);
        return body;
    }

private:
    const Token& peek(size_t ahead = 0) const { return t_[std::min(p_ + ahead, t_.size() - 1)]; }
    bool is_op(const char* op, size_t ahead = 0) const { return peek(ahead).kind == Tok::Op && peek(ahead).text == op; }
    bool is_name(const char* word) const { return peek().kind == Tok::Name && peek().text == word; }
    const Token& take() { return t_[p_ < t_.size() - 1 ? p_++ : p_]; }
    void expect_op(const char* op, const char* what) {
        if (!is_op(op)) fail(std::string("expected ") + op + " " + what);
        take();
    }
    std::string expect_name(const char* what) {
        if (peek().kind != Tok::Name) fail(std::string("expected ") + what);
        return take().text;
    }
    [[noreturn]] void fail(const std::string& expected) const {
        const Token& here = peek();
        std::string found = here.kind == Tok::Newline ? "the end of the line" : here.kind == Tok::End ? "the end of the file"
                            : here.kind == Tok::Indent ? "an indented line" : here.kind == Tok::Dedent ? "the end of a block"
                            : "'" + here.text + "'";
        throw CodeError(here.at, "unexpected " + found + ": " + expected);
    }
    static NodePtr make(Node node) { return std::make_shared<const Node>(std::move(node)); }

    void end_of_statement() {
        if (is_op(";")) {
            take();
            if (peek().kind == Tok::Newline) take();
            return;
        }
        if (peek().kind != Tok::Newline && peek().kind != Tok::End) fail("one statement per line");
        if (peek().kind == Tok::Newline) take();
    }

    std::string dotted() {
        std::string path = expect_name("a module name");
        while (is_op(".")) {
            take();
            path += '.';
            path += expect_name("a module name after .");
        }
        return path;
    }

    void statement(std::vector<NodePtr>& body) {
        const Token& first = peek();
        if (first.kind == Tok::Indent) throw CodeError(first.at, "an unexpected indentation: only class and def bodies are indented");
        if (first.kind == Tok::Op && first.text == "@") throw CodeError(first.at, "a decorator: plain class and def blocks are supported");
        if (first.kind == Tok::Name) {
            const std::string& w = first.text;
            if (refused_statements().count(w) && !(w == "match" && is_op("=", 1)))
                throw CodeError(first.at, statement_name(w) + ": straight-line code (imports, assignments, calls, class and def with return) is supported");
            if (w == "import") return import_statement(body);
            if (w == "from") return from_statement(body);
            if (w == "class") return body.push_back(class_def());
            if (w == "def") return body.push_back(function_def());
            if (w == "pass") {
                take();
                end_of_statement();
                return body.push_back(make({Kind::Pass, first.at, "", {}, {}, nullptr, {}}));
            }
            if (w == "return") {
                const Place at = take().at;
                NodePtr value = peek().kind == Tok::Newline ? nullptr : expression_list();
                end_of_statement();
                return body.push_back(make({Kind::Return, at, "", {}, {}, value, {}}));
            }
        }
        NodePtr first_expr = expression_list();
        if (is_op("=")) {
            std::vector<NodePtr> targets{first_expr};
            NodePtr value;
            while (is_op("=")) {
                take();
                value = expression_list();
                if (is_op("=")) targets.push_back(value);
            }
            end_of_statement();
            return body.push_back(make({Kind::Assign, first.at, "", targets, {}, value, {}}));
        }
        if (is_op(":")) throw CodeError(peek().at, "an annotated assignment: write name = value");
        for (const char* op : {"+=", "-=", "*=", "/="})
            if (is_op(op)) {
                take();
                NodePtr value = expression_list();
                end_of_statement();
                return body.push_back(make({Kind::AugAssign, first.at, std::string(1, op[0]), {first_expr}, {}, value, {}}));
            }
        end_of_statement();
        body.push_back(make({Kind::ExprStatement, first.at, "", {}, {}, first_expr, {}}));
    }

    void import_statement(std::vector<NodePtr>& body) {
        take();
        while (true) {
            const Place at = peek().at;
            const std::string path = dotted();
            std::string alias;
            if (is_name("as")) take(), alias = expect_name("a name after as");
            body.push_back(make({Kind::Import, at, path, {}, {}, nullptr, {alias}}));
            if (!is_op(",")) break;
            take();
        }
        end_of_statement();
    }

    void from_statement(std::vector<NodePtr>& body) {
        const Place at = take().at;
        if (is_op(".")) throw CodeError(peek().at, "a relative import: import from a named package (keras, tensorflow, torch)");
        const std::string path = dotted();
        if (!is_name("import")) fail("import after the module name");
        take();
        std::vector<std::string> names;
        if (is_op("*")) {
            take();
            names = {"*", ""};
        } else {
            const bool bracketed = is_op("(");
            if (bracketed) take();
            while (true) {
                names.push_back(expect_name("a name to import"));
                names.push_back(is_name("as") ? (take(), expect_name("a name after as")) : "");
                if (!is_op(",")) break;
                take();
                if (bracketed && is_op(")")) break;
                // exam listings sometimes end an import list with a comma: `import Dense, Conv2D,`
                if (!bracketed && peek().kind == Tok::Newline) break;
            }
            if (bracketed) expect_op(")", "closing the imported names");
        }
        end_of_statement();
        body.push_back(make({Kind::From, at, path, {}, {}, nullptr, names}));
    }

    std::vector<NodePtr> block() {
        expect_op(":", "ending the header");
        std::vector<NodePtr> body;
        if (peek().kind != Tok::Newline) {
            statement(body);  // `def f(): pass` on one line
            return body;
        }
        take();
        if (peek().kind != Tok::Indent) fail("an indented block");
        take();
        while (peek().kind != Tok::Dedent && peek().kind != Tok::End) statement(body);
        if (peek().kind == Tok::Dedent) take();
        return body;
    }

    NodePtr class_def() {
        const Place at = take().at;
        const std::string name = expect_name("a class name");
        std::vector<std::string> bases;
        if (is_op("(")) {
            take();
            while (!is_op(")")) {
                bases.push_back(dotted());
                if (!is_op(",")) break;
                take();
            }
            expect_op(")", "closing the base classes");
        }
        std::vector<NodePtr> body = block();
        return make({Kind::ClassDef, at, name, body, {}, nullptr, bases});
    }

    NodePtr function_def() {
        const Place at = take().at;
        const std::string name = expect_name("a function name");
        expect_op("(", "opening the parameters");
        std::vector<std::string> params;
        std::vector<Keyword> defaults;
        while (!is_op(")")) {
            if (is_op("*") || is_op("**")) throw CodeError(peek().at, "a *args or **kwargs parameter: named parameters are supported");
            params.push_back(expect_name("a parameter name"));
            if (is_op(":")) take(), expression();  // an annotation says nothing about sizes
            if (is_op("=")) take(), defaults.push_back({params.back(), expression()});
            if (!is_op(",")) break;
            take();
        }
        expect_op(")", "closing the parameters");
        if (is_op("->")) take(), expression();
        std::vector<NodePtr> body = block();
        return make({Kind::FunctionDef, at, name, body, defaults, nullptr, params});
    }

    // a, b, c — a tuple without brackets when there is a comma
    NodePtr expression_list() {
        const Place at = peek().at;
        NodePtr first = expression();
        if (!is_op(",")) return first;
        std::vector<NodePtr> items{first};
        while (is_op(",")) {
            take();
            if (peek().kind == Tok::Newline || is_op("=") || is_op(")")) break;
            items.push_back(expression());
        }
        return make({Kind::Tuple, at, "", items, {}, nullptr, {}});
    }

    NodePtr expression() {
        // nesting deeper than any listing needs would exhaust the stack of this recursion
        if (++depth_ > 100) throw CodeError(peek().at, "expressions nested more than 100 deep: name the inner values");
        struct Leave {
            int& depth;
            ~Leave() { --depth; }
        } leave{depth_};
        if (is_name("lambda")) throw CodeError(peek().at, "a lambda: name a layer or call a function directly");
        if (is_name("not")) throw CodeError(peek().at, "a boolean operator (not): straight-line arithmetic is supported");
        NodePtr value = arithmetic();
        if (peek().kind == Tok::Name && (peek().text == "if" || peek().text == "for"))
            throw CodeError(peek().at, peek().text == "if" ? "a conditional expression (x if c else y): write the value itself"
                                                            : "a comprehension (for inside brackets): write the elements out");
        if (peek().kind == Tok::Name && (peek().text == "and" || peek().text == "or" || peek().text == "in" || peek().text == "is"))
            throw CodeError(peek().at, "the operator " + peek().text + ": straight-line arithmetic is supported");
        static const std::set<std::string> refused{"==", "!=", "<", ">", "<=", ">=", "|", "&", "^", "~", "<<", ">>", ":="};
        if (peek().kind == Tok::Op && refused.count(peek().text))
            throw CodeError(peek().at, "the operator " + peek().text + ": + - * / // % ** on numbers and + on tensors are supported");
        return value;
    }

    NodePtr arithmetic() {
        NodePtr left = term();
        while (is_op("+") || is_op("-")) {
            const Token op = take();
            left = make({Kind::Binary, op.at, op.text, {left, term()}, {}, nullptr, {}});
        }
        return left;
    }
    NodePtr term() {
        NodePtr left = factor();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%") || is_op("@")) {
            const Token op = take();
            left = make({Kind::Binary, op.at, op.text, {left, factor()}, {}, nullptr, {}});
        }
        return left;
    }
    NodePtr factor() {
        if (is_op("-") || is_op("+")) {
            const Token op = take();
            return make({Kind::Unary, op.at, op.text, {factor()}, {}, nullptr, {}});
        }
        NodePtr base = postfix();
        if (is_op("**")) {
            const Token op = take();
            return make({Kind::Binary, op.at, op.text, {base, factor()}, {}, nullptr, {}});
        }
        return base;
    }

    NodePtr postfix() {
        NodePtr value = atom();
        while (true) {
            if (is_op("(")) {
                take();
                Node call{Kind::Call, value->at, "", {}, {}, value, {}};  // placed where the callee starts
                while (!is_op(")")) {
                    if (is_op("*") || is_op("**")) throw CodeError(peek().at, "an unpacked argument (*args, **kwargs): write the arguments out");
                    if (peek().kind == Tok::Name && is_op("=", 1)) {
                        const std::string key = take().text;
                        take();
                        call.keywords.push_back({key, expression()});
                    } else {
                        if (!call.keywords.empty()) fail("keyword arguments after positional ones");
                        call.items.push_back(expression());
                    }
                    if (!is_op(",")) break;
                    take();
                }
                expect_op(")", "closing the call");
                value = make(std::move(call));
            } else if (is_op(".")) {
                take();
                value = make({Kind::Attribute, value->at, expect_name("an attribute name after ."), {}, {}, value, {}});
            } else if (is_op("[")) {
                const Place at = take().at;
                std::vector<NodePtr> index;
                while (!is_op("]")) {
                    index.push_back(subscript_item());
                    if (!is_op(",")) break;
                    take();
                }
                expect_op("]", "closing the subscript");
                value = make({Kind::Subscript, at, "", index, {}, value, {}});
            } else {
                return value;
            }
        }
    }

    NodePtr subscript_item() {
        const Place at = peek().at;
        NodePtr start = is_op(":") ? nullptr : expression();
        if (!is_op(":")) return start;
        take();
        NodePtr stop = is_op(",") || is_op("]") || is_op(":") ? nullptr : expression();
        NodePtr step;
        if (is_op(":")) {
            take();
            if (!is_op(",") && !is_op("]")) step = expression();
        }
        return make({Kind::Slice, at, "", {start, stop, step}, {}, nullptr, {}});
    }

    NodePtr atom() {
        const Token& token = peek();
        switch (token.kind) {
        case Tok::Name: {
            take();
            if (token.text == "True" || token.text == "False" || token.text == "None")
                return make({Kind::Constant, token.at, token.text, {}, {}, nullptr, {}});
            if (refused_statements().count(token.text) || token.text == "yield")
                throw CodeError(token.at, statement_name(token.text) + " inside an expression: straight-line code is supported");
            return make({Kind::Name, token.at, token.text, {}, {}, nullptr, {}});
        }
        case Tok::Int: take(); return make({Kind::Int, token.at, token.text, {}, {}, nullptr, {}});
        case Tok::Float: take(); return make({Kind::Float, token.at, token.text, {}, {}, nullptr, {}});
        case Tok::String: {
            const Place at = take().at;
            std::string text = token.text;
            while (peek().kind == Tok::String) text += take().text;  // 'a' 'b' is 'ab'
            return make({Kind::String, at, text, {}, {}, nullptr, {}});
        }
        case Tok::Op:
            if (token.text == "(" || token.text == "[") return bracketed();
            if (token.text == "{") throw CodeError(token.at, "a dict or set: tuples and lists are supported");
            if (token.text == "*") throw CodeError(token.at, "an unpacking (*x): write the elements out");
            break;
        default: break;
        }
        fail("a value (a name, a number, a string, a tuple or a list)");
    }

    NodePtr bracketed() {
        const Token open = take();
        const bool list = open.text == "[";
        const char* close = list ? "]" : ")";
        std::vector<NodePtr> items;
        bool comma = false;
        while (!is_op(close)) {
            items.push_back(expression());
            if (!is_op(",")) break;
            take();
            comma = true;
        }
        expect_op(close, list ? "closing the list" : "closing the bracket");
        if (!list && items.size() == 1 && !comma) return items[0];
        return make({list ? Kind::List : Kind::Tuple, open.at, "", items, {}, nullptr, {}});
    }

    std::vector<Token> t_;
    size_t p_ = 0;
    int depth_ = 0;
};

}  // namespace

std::vector<NodePtr> parse_module(const std::string& source) { return Parser(tokenize(source)).module(); }

}  // namespace dlsolve::code
