#include "check/tolerance.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "equations/sizes.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

bool holds_text(const Json& v) {
    return v.is_string() || (v.is_array() && std::any_of(v.begin(), v.end(), [](const Json& item) { return holds_text(item); }));
}

}  // namespace

std::string Tolerance::describe() const {
    switch (mode) {
        case Mode::Legacy: return fmt::format("relative {:g}", rtol);
        case Mode::Rel: return fmt::format("rel (rtol {:g})", rtol);
        case Mode::Abs: return fmt::format("abs (atol {:g})", atol);
        case Mode::RelAbs: return fmt::format("relabs (rtol {:g}, atol {:g})", rtol, atol);
        case Mode::Sigfig: return fmt::format("sigfig ({} digits)", digits);
        case Mode::Decimals: return fmt::format("decimals ({} digits)", digits);
    }
    return "";
}

Tolerance read_tolerance(const Json& value, const std::string& path) {
    Tolerance t;
    if (value.is_number()) {
        const double r = value.get<double>();
        if (r > 1) throw ProblemError(path, "expected a number from 0 to 1, found " + describe(value));
        if (!(r > 0)) throw ProblemError(path, "expected a number greater than 0 and at most 1, found " + describe(value));
        t.rtol = r;
        return t;
    }
    if (!value.is_object()) throw ProblemError(path, "expected a number from 0 to 1 or an object {\"mode\": …}, found " + describe(value));
    Fields f(value, path);
    const std::string mode = f.word("mode", {"rel", "abs", "relabs", "sigfig", "decimals"}, "relabs");
    t.rtol = 1e-2;
    t.atol = 1e-8;
    t.digits = 2;
    if (mode == "rel" || mode == "relabs") t.rtol = f.number("rtol", 1e-2, 0.0, 1.0);
    if (mode == "abs" || mode == "relabs") t.atol = f.number("atol", 1e-8, 0.0, 1e300);
    if (mode == "sigfig") t.digits = static_cast<int>(f.integer("digits", 2, 1, 17));
    if (mode == "decimals") t.digits = static_cast<int>(f.integer("digits", 2, -15, 17));
    f.finish();
    if (mode == "rel") t.mode = Tolerance::Mode::Rel;
    else if (mode == "abs") t.mode = Tolerance::Mode::Abs;
    else if (mode == "relabs") t.mode = Tolerance::Mode::RelAbs;
    else if (mode == "sigfig") t.mode = Tolerance::Mode::Sigfig;
    else t.mode = Tolerance::Mode::Decimals;
    return t;
}

double digits_margin(const Tolerance& t, double computed) {
    if (t.mode == Tolerance::Mode::Decimals) return 0.51 * std::pow(10.0, -t.digits);
    const int n = computed == 0 ? t.digits - 1 : -static_cast<int>(std::floor(std::log10(std::fabs(computed)))) + (t.digits - 1);
    return 0.51 * std::pow(10.0, -n);
}

bool close_enough(double key, double computed, const Tolerance& t) {
    const double diff = std::fabs(key - computed);
    switch (t.mode) {
        case Tolerance::Mode::Legacy: return diff <= t.rtol * std::max(std::fabs(key), std::fabs(computed));
        case Tolerance::Mode::Rel: return diff <= t.rtol * std::fabs(computed);
        case Tolerance::Mode::Abs: return diff <= t.atol;
        case Tolerance::Mode::RelAbs: return diff <= t.atol + t.rtol * std::fabs(computed);  // numpy.allclose
        case Tolerance::Mode::Sigfig:
        case Tolerance::Mode::Decimals: return diff < digits_margin(t, computed);
    }
    return false;
}

bool same_answer(const Json& expected, const Json& computed, const Tolerance& tolerance, const std::map<std::string, int64_t>& sizes) {
    if (expected == computed) return true;
    if (holds_text(expected) || holds_text(computed)) return equations::same_symbolic(expected, computed, sizes);
    if (expected.is_array() || computed.is_array()) {
        if (!expected.is_array() || !computed.is_array() || expected.size() != computed.size()) return false;
        for (size_t i = 0; i < expected.size(); ++i)
            if (!same_answer(expected[i], computed[i], tolerance, sizes)) return false;
        return true;
    }
    if (!expected.is_number() || !computed.is_number()) return false;
    if (expected.is_number_integer() && computed.is_number_integer() && !tolerance.named())
        return expected.get<int64_t>() == computed.get<int64_t>();
    return close_enough(expected.get<double>(), computed.get<double>(), tolerance);
}

}  // namespace dlsolve
