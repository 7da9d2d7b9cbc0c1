#include "problem/values.h"

#include <cmath>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

// `at` is the index path below `base`; the pointer text is built only for an error.
void collect(const Json& v, const std::string& base, std::vector<size_t>& at, Dims& shape, std::vector<double>& out) {
    const auto path = [&] {
        std::string p = base;
        for (size_t i : at) p += "/" + std::to_string(i);
        return p;
    };
    const size_t depth = at.size();
    if (v.is_number()) {
        const double x = v.get<double>();
        if (!std::isfinite(x)) throw ProblemError(path(), fmt::format("expected a finite number, found {}", v.dump()));
        if (depth != shape.size()) throw ProblemError(path(), "expected a nested array of the same depth everywhere, found a number");
        out.push_back(x);
        return;
    }
    if (!v.is_array() || v.empty()) throw ProblemError(path(), "expected a number or a non-empty array of numbers, found " + describe(v));
    if (depth == shape.size()) {
        if (!out.empty()) throw ProblemError(path(), "expected a number here, found an array (the arrays are not rectangular)");
        shape.push_back(static_cast<int64_t>(v.size()));
    } else if (depth > shape.size() || shape[depth] != static_cast<int64_t>(v.size())) {
        throw ProblemError(path(), fmt::format("expected {} elements (the arrays are not rectangular), found {}",
                                               depth < shape.size() ? shape[depth] : 0, v.size()));
    }
    at.push_back(0);
    for (size_t i = 0; i < v.size(); ++i) {
        at.back() = i;
        collect(v[i], base, at, shape, out);
    }
    at.pop_back();
}

}  // namespace

Tensor read_tensor(const Json& value, const std::string& path) {
    Tensor t;
    std::vector<size_t> at;
    collect(value, path, at, t.shape, t.data);
    return t;
}

std::vector<double> flatten_numbers(const Json& value, const std::string& path) { return read_tensor(value, path).data; }

std::vector<std::string> prefixed_names(const std::string& prefix, const Dims& shape) {
    size_t n = 1;
    bool wide = false;
    for (auto d : shape) n *= static_cast<size_t>(d), wide = wide || d >= 10;
    std::vector<std::string> names;
    for (size_t flat = 0; flat < n; ++flat) {
        std::vector<std::string> index;
        for (auto i : unravel(flat, shape)) index.push_back(std::to_string(i + 1));
        names.push_back(wide ? fmt::format("{}_{{{}}}", prefix, fmt::join(index, ",")) : prefix + fmt::format("{}", fmt::join(index, "")));
    }
    return names;
}

std::vector<std::string> read_symbols(const Json& value, const std::string& path, const Dims& shape) {
    if (value.is_string() && !value.get<std::string>().empty()) return prefixed_names(value.get<std::string>(), shape);
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    std::vector<std::string> names;
    if (value.is_array())
        for (const auto& item : value)
            if (item.is_string() && !item.get<std::string>().empty()) names.push_back(item.get<std::string>());
    if (!value.is_array() || names.size() != value.size() || names.size() != n)
        throw ProblemError(path, fmt::format("expected a name prefix or a list of {} names, found {}", n, describe(value)));
    return names;
}

}  // namespace dlsolve
