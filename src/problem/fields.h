// Reading one JSON object of a problem file with its path, so every error can say
// where it is (/layers/3/kernel), what was expected and what was found. Every key a
// reader asks about counts as known; finish() rejects the rest, suggesting the
// closest known key ("filter" → "filters").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dlsolve {

using Json = nlohmann::ordered_json;

struct Pair {
    int64_t h;
    int64_t w;
    bool operator==(const Pair&) const = default;
};

// A description of a JSON value for messages: `-3`, `"same"`, `[3, 3, 3]`, `an object`.
std::string describe(const Json& value);
// The known word closest to `word`, or empty when none is close.
std::string closest(std::string_view word, const std::vector<std::string>& known);

class Fields {
public:
    Fields(const Json& object, std::string path);

    const std::string& path() const { return path_; }
    std::string path_of(std::string_view key) const;
    bool has(std::string_view key);

    // Each accessor records `key` as known; the value is checked and a ProblemError
    // thrown with the key's path when it has the wrong type or range.
    const Json* raw(std::string_view key);
    std::string string(std::string_view key);
    std::optional<std::string> optional_string(std::string_view key);
    std::string word(std::string_view key, std::initializer_list<std::string_view> allowed, std::string_view fallback);
    int64_t positive(std::string_view key);
    int64_t positive(std::string_view key, int64_t fallback);
    std::optional<int64_t> optional_positive(std::string_view key);
    int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
    Pair pair(std::string_view key, Pair fallback, int64_t min = 1);
    std::optional<Pair> optional_pair(std::string_view key, int64_t min = 1);
    bool boolean(std::string_view key, bool fallback);
    double number(std::string_view key, double fallback, double min, double max, bool max_inclusive = true);
    std::vector<std::string> names(std::string_view key);
    std::vector<int64_t> int_list(std::string_view key, bool allow_minus_one);

    // Throws for the first key that no accessor asked about.
    void finish() const;
    [[noreturn]] void fail(std::string_view key, const std::string& expected) const;
    // A required key is absent: blames a present key that looks like a typo of it
    // ("filter" for "filters") before saying the key is missing.
    [[noreturn]] void missing(std::string_view key, const std::string& expected) const;
    // The object's own path for messages: "/" for the document root.
    std::string where() const { return path_.empty() ? "/" : path_; }

private:
    const Json& object_;
    std::string path_;
    bool knows(std::string_view key) const;
    void know(std::string_view key);
    // The keys asked about: objects have a handful, so a vector beats a set.
    std::vector<std::string> known_;
};

}  // namespace dlsolve
