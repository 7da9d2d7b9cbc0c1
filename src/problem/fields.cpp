#include "problem/fields.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

std::string describe(const Json& value) {
    switch (value.type()) {
        case Json::value_t::object: return "an object";
        case Json::value_t::null: return "null";
        default: {
            std::string text = value.dump();
            if (text.size() > 60) text = text.substr(0, 57) + "...";
            return text;
        }
    }
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

}  // namespace

namespace {

// Keys as Keras, PyTorch and textbooks spell them, for "did you mean": the file's key
// → dlsolve's. Near-misses ("strides", "beta_1") are found by edit distance instead.
std::string_view alias_of(std::string_view key) {
    static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
        {"learning_rate", "lr"}, {"eta", "lr"},          {"kernel_size", "kernel"}, {"pool_size", "pool"},
        {"out_channels", "filters"}, {"out_features", "units"}, {"p", "rate"},   {"negative_slope", "alpha"},
    };
    for (const auto& [alias, key_name] : kAliases)
        if (alias == key) return key_name;
    return {};
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& known) {
    if (const auto alias = alias_of(word); !alias.empty() && std::find(known.begin(), known.end(), alias) != known.end())
        return std::string(alias);
    std::string best;
    size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
    for (const auto& candidate : known) {
        // The lengths' difference is a lower bound of the distance: a word far longer or
        // shorter than every candidate costs no table (a 4 000-byte word is not a typo).
        const size_t length_gap = word.size() > candidate.size() ? word.size() - candidate.size() : candidate.size() - word.size();
        if (length_gap >= best_distance) continue;
        size_t d = edit_distance(word, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
    }
    return best;
}

Fields::Fields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {
    known_.reserve(16);
    if (!object_.is_object()) throw ProblemError(where(), "expected an object, found " + describe(object_));
}

std::string Fields::path_of(std::string_view key) const {
    // JSON Pointer escapes: ~ as ~0, / as ~1.
    std::string escaped;
    for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return fmt::format("{}/{}", path_, escaped);
}

void Fields::missing(std::string_view key, const std::string& expected) const {
    for (const auto& [present, value] : object_.items()) {
        if (knows(present)) continue;
        if (closest(present, {std::string(key)}) == key)
            throw ProblemError(path_of(present), fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", present, key));
    }
    throw ProblemError(where(), fmt::format("missing required key \"{}\" ({})", key, expected));
}

bool Fields::knows(std::string_view key) const {
    return std::find(known_.begin(), known_.end(), key) != known_.end();
}

void Fields::know(std::string_view key) {
    if (!knows(key)) known_.emplace_back(key);
}

bool Fields::has(std::string_view key) {
    know(key);
    return object_.contains(key);
}

void Fields::fail(std::string_view key, const std::string& expected) const {
    throw ProblemError(path_of(key), fmt::format("expected {}, found {}", expected, describe(object_.at(std::string(key)))));
}

const Json* Fields::raw(std::string_view key) {
    know(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

std::optional<std::string> Fields::optional_string(std::string_view key) {
    const Json* v = raw(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, "a string");
    return v->get<std::string>();
}

std::string Fields::string(std::string_view key) {
    auto v = optional_string(key);
    if (!v) missing(key, "a string");
    return *v;
}

std::string Fields::word(std::string_view key, std::initializer_list<std::string_view> allowed, std::string_view fallback) {
    const Json* v = raw(key);
    std::string expected;  // "a", "b" or "c"
    size_t i = 0;
    for (auto w : allowed) {
        if (i > 0) expected += i + 1 == allowed.size() ? " or " : ", ";
        expected += fmt::format("\"{}\"", w);
        ++i;
    }
    if (!v) {
        if (fallback.empty()) missing(key, expected);
        return std::string(fallback);
    }
    if (v->is_string()) {
        auto s = v->get<std::string>();
        for (auto w : allowed)
            if (s == w) return s;
    }
    fail(key, expected);
}

namespace {

constexpr const char* kTooLarge = " (at most 9223372036854775807)";

bool too_large(const Json& v) { return v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX); }

bool as_int(const Json& v, int64_t& out) {
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
        out = v.get<int64_t>();
        return true;
    }
    return false;
}

}  // namespace

int64_t Fields::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
    const Json* v = raw(key);
    if (!v) return fallback;
    int64_t n;
    if (!as_int(*v, n) || n < min || n > max) {
        if (max == INT64_MAX) fail(key, fmt::format("an integer ≥ {}", min));
        fail(key, fmt::format("an integer from {} to {}", min, max));
    }
    return n;
}

std::optional<int64_t> Fields::optional_positive(std::string_view key) {
    const Json* v = raw(key);
    if (!v) return std::nullopt;
    int64_t n;
    if (!as_int(*v, n) || n < 1) fail(key, std::string("a positive integer") + (too_large(*v) ? kTooLarge : ""));
    return n;
}

int64_t Fields::positive(std::string_view key) {
    auto v = optional_positive(key);
    if (!v) missing(key, "a positive integer");
    return *v;
}

int64_t Fields::positive(std::string_view key, int64_t fallback) { return optional_positive(key).value_or(fallback); }

std::optional<Pair> Fields::optional_pair(std::string_view key, int64_t min) {
    const Json* v = raw(key);
    if (!v) return std::nullopt;
    std::string expected = min == 1 ? "a positive integer or [h, w]" : "a non-negative integer or [h, w]";
    if (too_large(*v) || (v->is_array() && std::any_of(v->begin(), v->end(), too_large))) expected += kTooLarge;
    int64_t a, b;
    if (as_int(*v, a)) {
        if (a < min) fail(key, expected);
        return Pair{a, a};
    }
    if (v->is_array() && v->size() == 2 && as_int((*v)[0], a) && as_int((*v)[1], b) && a >= min && b >= min)
        return Pair{a, b};
    fail(key, expected);
}

Pair Fields::pair(std::string_view key, Pair fallback, int64_t min) { return optional_pair(key, min).value_or(fallback); }

bool Fields::boolean(std::string_view key, bool fallback) {
    const Json* v = raw(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "true or false");
    return v->get<bool>();
}

double Fields::number(std::string_view key, double fallback, double min, double max, bool max_inclusive) {
    const Json* v = raw(key);
    if (!v) return fallback;
    const std::string range = max_inclusive ? fmt::format("a number from {} to {}", min, max) : fmt::format("a number ≥ {} and < {}", min, max);
    if (!v->is_number()) fail(key, range);
    double x = v->get<double>();
    if (!std::isfinite(x) || x < min || x > max || (!max_inclusive && x == max)) fail(key, range);
    return x;
}

std::vector<std::string> Fields::names(std::string_view key) {
    const Json* v = raw(key);
    if (!v) return {};
    if (!v->is_array() || v->empty()) fail(key, "a non-empty array of layer names");
    std::vector<std::string> out;
    for (size_t i = 0; i < v->size(); ++i) {
        const auto& item = (*v)[i];
        if (!item.is_string() || item.get<std::string>().empty())
            throw ProblemError(fmt::format("{}/{}", path_of(key), i), "expected a layer name, found " + describe(item));
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::vector<int64_t> Fields::int_list(std::string_view key, bool allow_minus_one) {
    const Json* v = raw(key);
    std::string expected = allow_minus_one ? "an array of positive integers (at most one -1)" : "an array of positive integers";
    if (!v) missing(key, expected);
    if (v->is_array() && std::any_of(v->begin(), v->end(), too_large)) expected += kTooLarge;
    if (!v->is_array() || v->empty()) fail(key, expected);
    std::vector<int64_t> out;
    int minus_ones = 0;
    for (const auto& item : *v) {
        int64_t n;
        if (!as_int(item, n) || !(n >= 1 || (allow_minus_one && n == -1))) fail(key, expected);
        minus_ones += n == -1;
        out.push_back(n);
    }
    if (minus_ones > 1) fail(key, expected);
    return out;
}

void Fields::finish() const {
    for (const auto& [key, value] : object_.items()) {
        if (knows(key)) continue;
        const std::string hint = closest(key, known_);
        throw ProblemError(path_of(key), hint.empty() ? fmt::format("unknown key \"{}\"", key)
                                                      : fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", key, hint));
    }
}

}  // namespace dlsolve
