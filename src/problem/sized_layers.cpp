#include "problem/sized_layers.h"

#include <map>
#include <set>

#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// The keys whose strings are words, never sizes: a layer named "C" stays "C".
bool holds_words(const std::string& key) {
    static const std::set<std::string> words{"title", "source", "note", "name", "type", "inputs", "framework", "ask", "expect",
                                             "activation", "padding", "loss", "reduction", "class_axis", "symbols", "mode", "data_format",
                                             "tied_to"};
    return words.count(key) > 0;
}

// The document with every size named in `values` replaced by its number, and no "dims".
Json with_sizes(const Json& value, const std::map<std::string, int64_t>& values, const std::string& key = "") {
    if (value.is_string()) {
        auto it = values.find(value.get<std::string>());
        return it == values.end() || holds_words(key) ? value : Json(it->second);
    }
    if (value.is_array()) {
        Json out = Json::array();
        for (const auto& item : value) out.push_back(with_sizes(item, values, key));
        return out;
    }
    if (value.is_object()) {
        Json out = Json::object();
        for (const auto& [k, v] : value.items())
            if (!(key.empty() && k == "dims")) out[k] = holds_words(k) ? v : with_sizes(v, values, k);
        return out;
    }
    return value;
}

// The network at sizes 8, or 64 where 8 is too small for its kernels and strides.
Problem parse_sample(Json& sample, const Json& root, std::map<std::string, int64_t>& values, const std::vector<std::string>& symbols) {
    try {
        Problem p = parse_problem(sample.dump());
        infer_shapes(p);  // the sample's shapes exist
        return p;
    } catch (const ProblemError&) {
        auto larger = values;
        for (const auto& name : symbols) larger[name] = 64;
        Json retry = with_sizes(root, larger);
        retry.erase("expect");
        try {
            Problem p = parse_problem(retry.dump());
            infer_shapes(p);
            values = larger;
            return p;
        } catch (const ProblemError&) {
        }
        throw;
    }
}

}  // namespace

bool is_symbolic_answer(const Json& v) {
    if (v.is_string()) return true;
    if (!v.is_array() || v.empty()) return false;
    return std::all_of(v.begin(), v.end(), [](const Json& item) { return item.is_string() || item.is_number_integer(); });
}

bool is_answer_value(const Json& v) {
    if (v.is_number()) return true;
    if (!v.is_array() || v.empty()) return false;
    for (const auto& item : v)
        if (!is_answer_value(item)) return false;
    return true;
}

Problem parse_problem_at(const Problem::SizeSymbols& symbols, const std::map<std::string, int64_t>& values) {
    Json sample = with_sizes(symbols.document, values);
    sample.erase("expect");  // in symbols: compared by check, not by this sample
    return parse_problem(sample.dump());
}

std::optional<Problem> parse_sized_layers(const Json& root) {
    if (!root.is_object() || !root.contains("dims") || root.contains("equations")) return std::nullopt;
    const Json& dims = root["dims"];
    if (!dims.is_object()) throw ProblemError("/dims", "expected an object: size name → a positive integer, or null for a symbol, found " + describe(dims));
    std::map<std::string, int64_t> values;
    std::vector<std::string> symbols;
    for (const auto& [name, value] : dims.items()) {
        if (value.is_null()) symbols.push_back(name), values[name] = 8;
        else if (value.is_number_integer() && value.get<int64_t>() > 0) values[name] = value.get<int64_t>();
        else throw ProblemError("/dims/" + name, "expected a positive integer, or null for a size without a value, found " + describe(value));
    }
    if (symbols.size() > 6) throw ProblemError("/dims", "at most 6 sizes without a value in a network of layers");
    auto shared = std::make_shared<Problem::SizeSymbols>(Problem::SizeSymbols{symbols, root});
    Json sample = with_sizes(root, values);
    if (symbols.empty()) return parse_problem(sample.dump());
    // Answer keys may be in symbols ("27*C^2"): checked here, not by the sample's parse.
    Json expect = sample.contains("expect") ? sample["expect"] : Json();
    sample.erase("expect");
    Problem p = parse_sample(sample, root, values, symbols);
    if (!expect.is_null()) {
        if (!expect.is_object()) throw ProblemError("/expect", "expected an object of answer keys, found " + describe(expect));
        for (const auto& [key, value] : expect.items())
            if (!is_answer_value(value) && !is_symbolic_answer(value))
                throw ProblemError("/expect/" + key, "expected a number, a count in symbols such as \"27*C^2\", or an array of them, found " +
                                                         describe(value));
        p.expect = expect;
    }
    p.size_symbols = std::move(shared);
    return p;
}

}  // namespace dlsolve
