#include "import/lexer.h"

#include <cctype>

namespace dlsolve::code {
namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
public:
    explicit Lexer(const std::string& text) : s_(text) {}

    std::vector<Token> run() {
        indents_.push_back(0);
        bool line_start = true;
        while (i_ < s_.size()) {
            if (line_start && depth_ == 0) {
                if (!indentation()) continue;  // a blank or comment-only line
                line_start = false;
            }
            const char c = s_[i_];
            if (c == '\n') {
                advance();
                if (depth_ == 0) {
                    push(Tok::Newline, "");
                    line_start = true;
                }
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                advance();
            } else if (c == '#') {
                while (i_ < s_.size() && s_[i_] != '\n') advance();
            } else if (c == '\\') {
                const Place at = here();
                advance();
                if (i_ < s_.size() && s_[i_] == '\r') advance();
                if (i_ >= s_.size() || s_[i_] != '\n')
                    throw CodeError(at, "a backslash inside a line: a backslash continues a line only as its last character");
                advance();
            } else if (name_start(c)) {
                const Place at = here();
                std::string word;
                while (i_ < s_.size() && name_char(s_[i_])) word += s_[i_], advance();
                if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"'))
                    throw CodeError(at, "a prefixed string (" + word + "'...'): plain '...' or \"...\" strings are supported");
                tokens_.push_back({Tok::Name, word, at});
            } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
                number();
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                op();
            }
        }
        if (!tokens_.empty() && tokens_.back().kind != Tok::Newline) push(Tok::Newline, "");
        while (indents_.size() > 1) indents_.pop_back(), push(Tok::Dedent, "");
        push(Tok::End, "");
        return std::move(tokens_);
    }

private:
    Place here() const { return {line_, column_}; }
    void advance() {
        if (s_[i_] == '\n') ++line_, column_ = 1;
        else if ((static_cast<unsigned char>(s_[i_]) & 0xC0) != 0x80) ++column_;
        ++i_;
    }
    void push(Tok kind, std::string text) { tokens_.push_back({kind, std::move(text), here()}); }

    // Measures a line's indentation; false for a line with nothing to read.
    bool indentation() {
        int width = 0;
        size_t j = i_;
        while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) width += s_[j] == '\t' ? 8 - width % 8 : 1, ++j;
        if (j >= s_.size() || s_[j] == '\n' || s_[j] == '#' || s_[j] == '\r') {
            while (i_ < s_.size() && s_[i_] != '\n') advance();
            if (i_ < s_.size()) advance();
            return false;
        }
        while (i_ < j) advance();
        if (width > indents_.back()) {
            indents_.push_back(width);
            push(Tok::Indent, "");
        }
        while (width < indents_.back()) {
            indents_.pop_back();
            push(Tok::Dedent, "");
        }
        if (width != indents_.back()) throw CodeError(here(), "an indentation that matches no enclosing block: indent blocks consistently");
        return true;
    }

    void number() {
        const Place at = here();
        std::string digits;
        bool real = false;
        if (s_.compare(i_, 2, "0x") == 0 || s_.compare(i_, 2, "0X") == 0 || s_.compare(i_, 2, "0b") == 0 || s_.compare(i_, 2, "0o") == 0)
            throw CodeError(at, "a hexadecimal, binary or octal number: decimal numbers are supported");
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
            else if (c == '_') {}
            else if (c == '.') real = true, digits += c;
            else if (c == 'e' || c == 'E') {
                real = true;
                digits += c;
                if (i_ + 1 < s_.size() && (s_[i_ + 1] == '+' || s_[i_ + 1] == '-')) advance(), digits += s_[i_];
            } else break;
            advance();
        }
        if (i_ < s_.size() && name_char(s_[i_])) throw CodeError(at, "a number followed by letters: write a plain decimal number");
        tokens_.push_back({real ? Tok::Float : Tok::Int, digits, at});
    }

    void string(char quote) {
        const Place at = here();
        if (s_.compare(i_, 3, std::string(3, quote)) == 0)
            throw CodeError(at, "a triple-quoted string: plain '...' or \"...\" strings are supported");
        advance();
        std::string value;
        while (true) {
            if (i_ >= s_.size() || s_[i_] == '\n') throw CodeError(at, "a string that does not end on its line: close it with " + std::string(1, quote));
            const char c = s_[i_];
            if (c == quote) break;
            if (c == '\\') throw CodeError(here(), "an escape in a string: strings of plain characters are supported");
            value += c;
            advance();
        }
        advance();
        tokens_.push_back({Tok::String, value, at});
    }

    void op() {
        const Place at = here();
        static const char* const two[] = {"**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "->", ":="};
        for (const char* o : two)
            if (s_.compare(i_, 2, o) == 0) {
                advance(), advance();
                tokens_.push_back({Tok::Op, o, at});
                return;
            }
        const char c = s_[i_];
        static const std::string singles = "()[]{},:.;=+-*/%@<>|&~^";
        if (singles.find(c) == std::string::npos) {
            std::string shown(1, c);
            size_t length = 1;
            const auto byte = static_cast<unsigned char>(c);
            if (byte >= 0xC0) length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
            shown = s_.substr(i_, length);
            throw CodeError(at, "the character " + shown + ": Python names, numbers, strings and operators are supported");
        }
        if (c == '(' || c == '[' || c == '{') ++depth_;
        if ((c == ')' || c == ']' || c == '}') && depth_ > 0) --depth_;
        advance();
        tokens_.push_back({Tok::Op, std::string(1, c), at});
    }

    const std::string& s_;
    size_t i_ = 0;
    int line_ = 1, column_ = 1, depth_ = 0;
    std::vector<int> indents_;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(source).run(); }

}  // namespace dlsolve::code
