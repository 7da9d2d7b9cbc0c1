// Reading a problem file's text as JSON: the file or standard input, its encoding, and
// a DOM builder that refuses duplicate keys and absurd nesting with the JSON path.
#include "problem/json_text.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "problem/error.h"
#include "problem/problem.h"

namespace dlsolve {
namespace {

// nlohmann keeps the last of two equal keys; a problem file must not have them. Absurd
// nesting is refused too: no problem needs it, and printing such a value recurses.
constexpr size_t kMaxDepth = 32;

// The DOM builder with the checks added. A SAX handler rather than Json::parse's callback:
// nlohmann 3.11's callback parser rescans the parent container at every end of object,
// which is quadratic in the number of layers.
class CheckedDomBuilder : public nlohmann::detail::json_sax_dom_parser<Json> {
    using Base = nlohmann::detail::json_sax_dom_parser<Json>;

public:
    explicit CheckedDomBuilder(Json& result) : Base(result) {}

    bool null() { return element_done(), Base::null(); }
    bool boolean(bool v) { return element_done(), Base::boolean(v); }
    bool number_integer(Json::number_integer_t v) { return element_done(), Base::number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return element_done(), Base::number_unsigned(v); }
    bool number_float(Json::number_float_t v, const std::string& s) { return element_done(), Base::number_float(v, s); }
    bool string(std::string& v) { return element_done(), Base::string(v); }
    bool start_object(std::size_t n) { return open(false), Base::start_object(n); }
    bool start_array(std::size_t n) { return open(true), Base::start_array(n); }
    bool end_object() { return close(), Base::end_object(); }
    bool end_array() { return close(), Base::end_array(); }
    // The parser reports a number beyond float64 here, while the path still points at it.
    template <class Exception>
    bool parse_error(std::size_t position, const std::string& last_token, const Exception& ex) {
        error_path_ = path();
        return Base::parse_error(position, last_token, ex);
    }
    const std::string& error_path() const { return error_path_; }

    bool key(std::string& k) {
        auto& frame = frames_.back();
        // Objects have a handful of keys: a linear search beats a set.
        if (std::find(frame.keys.begin(), frame.keys.end(), k) != frame.keys.end()) {
            frame.key = k;
            throw ProblemError(path(), "duplicate key");
        }
        frame.keys.push_back(k);
        frame.key = k;
        return Base::key(k);
    }

private:
    struct Frame {
        bool array;
        size_t index = 0;
        std::string key;
        std::vector<std::string> keys;
    };
    void open(bool array) {
        if (frames_.size() >= kMaxDepth)
            throw ProblemError(path(), fmt::format("expected at most {} levels of nested arrays and objects, found more", kMaxDepth));
        frames_.push_back({array, 0, {}, {}});
    }
    void close() {
        frames_.pop_back();
        element_done();
    }
    void element_done() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    }
    // Pointer to the value being read: the key or index in each enclosing container.
    std::string path() const {
        std::string out;
        for (const auto& frame : frames_) out += "/" + (frame.array ? std::to_string(frame.index) : frame.key);
        return out;
    }
    std::vector<Frame> frames_;
    std::string error_path_;
};

// A file in UTF-16 or UTF-32 (a BOM, or the NUL bytes of ASCII in those encodings)
// is named as such instead of failing as "invalid literal".
void refuse_other_encodings(const std::string& text) {
    const auto starts = [&](std::string_view prefix) { return text.compare(0, prefix.size(), prefix) == 0; };
    const auto nul_at = [&](size_t i) { return i < text.size() && text[i] == '\0'; };
    std::string encoding;
    if (starts(std::string_view("\xFF\xFE\0\0", 4)) || (text.size() >= 4 && !nul_at(0) && nul_at(1) && nul_at(2) && nul_at(3)))
        encoding = "UTF-32LE";
    else if (starts(std::string_view("\0\0\xFE\xFF", 4)) || (text.size() >= 4 && nul_at(0) && nul_at(1) && nul_at(2) && !nul_at(3)))
        encoding = "UTF-32BE";
    else if (starts("\xFF\xFE") || (text.size() >= 2 && !nul_at(0) && nul_at(1)))
        encoding = "UTF-16LE";
    else if (starts("\xFE\xFF") || (text.size() >= 2 && nul_at(0) && !nul_at(1)))
        encoding = "UTF-16BE";
    if (!encoding.empty())
        throw ProblemError("line 1, column 1", fmt::format("the file is {} text; dlsolve reads UTF-8 (convert it: iconv -f {} -t UTF-8)",
                                                           encoding, encoding));
}

}  // namespace

Json parse_json(const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw ProblemError("line 1, column 1", "invalid JSON: the file is empty");
    refuse_other_encodings(text);
    Json result;
    CheckedDomBuilder builder(result);
    try {
        Json::sax_parse(text, &builder);
        return result;
    } catch (const Json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error
        // while parsing array - unexpected ']'; expected …; last read: '…'"
        std::string message = e.what();
        std::string where;
        if (auto at = message.find(" at line "); at != std::string::npos) {
            const auto colon = message.find(':', at);
            where = message.substr(at + 4, colon - at - 4);
        }
        if (auto dash = message.find(" - "); dash != std::string::npos) message = message.substr(dash + 3);
        if (auto last = message.find("; last read"); last != std::string::npos) message.erase(last);
        throw ProblemError(where, "invalid JSON: " + message);
    } catch (const Json::out_of_range& e) {
        // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
        std::string message = e.what();
        std::string number;
        if (auto open = message.find('\''); open != std::string::npos) number = message.substr(open + 1, message.find('\'', open + 1) - open - 1);
        throw ProblemError(builder.error_path().empty() ? "/" : builder.error_path(),
                           fmt::format("the number {} is beyond float64's range (about 1.8e308)", number));
    }
}

std::string read_problem_text(const std::string& path, std::istream& standard_input) {
    if (path == "-") return std::string(std::istreambuf_iterator<char>(standard_input), std::istreambuf_iterator<char>());
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ProblemError("", "cannot read a directory as a problem file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ProblemError("", fmt::format("cannot open the file: {}", std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ProblemError("", "cannot read the file");
    return text.str();
}

}  // namespace dlsolve
