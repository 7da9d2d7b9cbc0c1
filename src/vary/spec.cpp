#include "vary/spec.h"

#include <cmath>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

int decimals_of(const Json& number) {
    const std::string text = number.dump();
    const auto dot = text.find('.');
    if (text.find_first_of("eE") != std::string::npos) return 12;
    return dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

bool all_numbers(const Json& v) {
    if (v.is_number()) return true;
    if (!v.is_array()) return false;
    for (const auto& item : v)
        if (!all_numbers(item)) return false;
    return true;
}

bool each(const Json& v, bool (*test)(double)) {
    if (v.is_number()) return test(v.get<double>());
    if (!v.is_array()) return false;
    for (const auto& item : v)
        if (!each(item, test)) return false;
    return true;
}

}  // namespace

Json VaryValue::draw(SplitMix64& random) const {
    if (!choices.is_null()) return choices[random.below(choices.size())];
    if (step == 0) return static_cast<int64_t>(min) + static_cast<int64_t>(random.below(static_cast<uint64_t>(max - min) + 1));
    const auto steps = static_cast<uint64_t>(std::llround((max - min) / step));
    const double scale = std::pow(10.0, decimals);
    const double v = std::round((min + static_cast<double>(random.below(steps + 1)) * step) * scale) / scale;
    return v == 0 ? Json(0.0) : Json(v);
}

VarySpec read_vary(const Json& document) {
    VarySpec spec;
    const Json& vary = document.at("vary");
    Fields top(vary, "/vary");
    const Json* values = top.raw("values");
    if (!values || !values->is_object() || values->empty()) top.fail("values", "an object: JSON pointer of a number in this file → {\"min\", \"max\", \"step\"} or {\"choices\"}");
    for (const auto& [pointer, how] : values->items()) {
        const std::string path = "/vary/values/" + pointer;
        VaryValue v;
        v.pointer = pointer;
        Json::json_pointer at;
        try {
            at = Json::json_pointer(pointer);
        } catch (const std::exception&) {
            throw ProblemError(path, "a JSON pointer such as /input/values/0");
        }
        if (!document.contains(at) || !document.at(at).is_number())
            throw ProblemError(path, fmt::format("a pointer to a number of this file; {} holds {}", pointer,
                                                 document.contains(at) ? describe(document.at(at)) : std::string("nothing")));
        Fields f(how, path);
        if (const Json* choices = f.raw("choices")) {
            if (!choices->is_array() || choices->empty() || !all_numbers(*choices)) f.fail("choices", "a non-empty array of numbers");
            v.choices = *choices;
        } else {
            const Json* lo = f.raw("min");
            const Json* hi = f.raw("max");
            if (!lo || !lo->is_number()) f.missing("min", "the smallest value (or give \"choices\")");
            if (!hi || !hi->is_number()) f.missing("max", "the largest value");
            v.min = lo->get<double>();
            v.max = hi->get<double>();
            if (v.max < v.min) f.fail("max", "a number ≥ min");
            if (const Json* step = f.raw("step")) {
                if (!step->is_number() || step->get<double>() <= 0) f.fail("step", "a number > 0");
                v.step = step->get<double>();
                v.decimals = std::max({decimals_of(*step), decimals_of(*lo)});
                const double n = (v.max - v.min) / v.step;
                if (std::fabs(n - std::round(n)) > 1e-9 * std::max(1.0, n)) f.fail("step", "a step that divides max − min");
            } else if (!lo->is_number_integer() || !hi->is_number_integer()) {
                f.missing("step", "the spacing of real values (integers need none)");
            }
        }
        f.finish();
        spec.values.push_back(std::move(v));
    }
    if (const Json* keep = top.raw("keep")) {
        if (!keep->is_array()) top.fail("keep", "an array of rules: \"sizes_integer\", {\"positive\": KEY}, {\"nonzero\": KEY}");
        for (size_t i = 0; i < keep->size(); ++i) {
            const Json& rule = (*keep)[i];
            const std::string path = fmt::format("/vary/keep/{}", i);
            if (rule == "sizes_integer") {
                spec.keep.push_back({"sizes_integer", ""});
                continue;
            }
            if (!rule.is_object() || rule.size() != 1) throw ProblemError(path, "\"sizes_integer\", {\"positive\": KEY} or {\"nonzero\": KEY}, found " + describe(rule));
            Fields f(rule, path);
            for (const char* kind : {"positive", "nonzero"})
                if (f.has(kind)) spec.keep.push_back({kind, f.string(kind)});
            f.finish();
        }
    }
    top.finish();
    return spec;
}

bool keeps(const std::vector<VaryRule>& rules, const Json& answers, std::string& why) {
    for (const auto& rule : rules) {
        if (rule.kind == "sizes_integer") {
            for (const auto& [key, value] : answers.items())
                if (key.rfind("exact.", 0) == 0) {
                    why = fmt::format("{} is {}: the windows do not tile the input", key, value.dump());
                    return false;
                }
            continue;
        }
        auto it = answers.find(rule.key);
        if (it == answers.end()) {
            why = rule.key + ": dlsolve computes no such answer";
            return false;
        }
        const bool ok = rule.kind == "positive" ? each(*it, [](double v) { return v > 0; }) : each(*it, [](double v) { return v != 0; });
        if (!ok) {
            why = fmt::format("{} is {}, not {}", rule.key, it->dump(), rule.kind);
            return false;
        }
    }
    return true;
}

}  // namespace dlsolve
