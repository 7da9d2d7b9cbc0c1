#include "check/explain.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "passes/analysis.h"
#include "problem/json_text.h"
#include "problem/problem.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

std::optional<double> number_of(const Json& answers, const std::string& key) {
    auto it = answers.find(key);
    if (it == answers.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

bool equal_count(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b)); }

std::string family_of(const std::string& key) { return key.substr(0, key.find('.')); }

// Digits after the decimal point as the key prints the number (12.5 → 1, 93 → 0).
int printed_decimals(const Json& value) {
    const std::string text = value.dump();
    if (text.find_first_of("eE") != std::string::npos) return 6;
    const auto dot = text.find('.');
    return dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

std::string plain(double v) {
    if (std::fabs(v) < 9e15 && v == std::floor(v)) return fmt::format("{}", static_cast<int64_t>(v));
    return Json(v).dump();
}
std::string count(double v) { return fmt::format("{}", static_cast<int64_t>(std::llround(v))); }

bool special_part(const std::string& rest) {
    return rest == "total" || rest == "trainable" || rest == "non_trainable" || rest == "forward_backward" || rest == "input" ||
           rest == "params";
}

}  // namespace

Explainer::Explainer(const std::string& text, const Problem& problem, const Json& computed, int64_t max_elements)
    : problem_(problem), computed_(computed), max_elements_(max_elements), alternatives_(alternatives(*problem.convention)) {
    if (problem.equations || problem.size_symbols) return;  // re-runs only for networks of layers with numbers
    try {
        Json doc = parse_json(text);
        if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array()) return;
        // Name every layer as this file's framework named it, so the keys stay the same under the other one.
        for (size_t i = 0; i < problem.graph.size(); ++i) {
            const Layer& layer = problem.graph.layer(i);
            if (i == 0) {
                if (doc.contains("input") && doc["input"].is_object() && !doc["input"].contains("name")) doc["input"]["name"] = layer.name;
                continue;
            }
            if (layer.path.rfind("/layers/", 0) != 0) continue;
            const size_t k = std::stoul(layer.path.substr(8));
            if (k < doc["layers"].size() && doc["layers"][k].is_object() && !doc["layers"][k].contains("name"))
                doc["layers"][k]["name"] = layer.name;
        }
        doc.erase("vary");
        document_ = std::move(doc);
    } catch (const std::exception&) {
        document_.reset();
    }
}

const Json* Explainer::answers_of(size_t i) {
    if (!answers_.count(i)) {
        std::optional<Json> answers;
        Json doc = *document_;
        if (auto said = alternatives_[i].change(doc)) {
            said_[i] = *said;
            try {
                Problem p = parse_problem(doc.dump());
                p.numeric.max_elements = max_elements_;
                answers = all_answers(p, analyse(p));
            } catch (...) {  // the file is not valid under this change: it explains nothing
            }
        }
        answers_[i] = std::move(answers);
    }
    return answers_[i] ? &*answers_[i] : nullptr;
}

// A total of the key that is not the sum of the key's own parts, where the computed
// answers keep that sum (the relation holds by definition).
std::string Explainer::contradiction(const std::string& key) const {
    const Json& expect = problem_.expect;
    const auto sums = [&](const Json& answers, const std::string& total, const std::vector<std::string>& parts, double& sum) {
        sum = 0;
        for (const auto& p : parts) {
            auto v = number_of(answers, p);
            if (!v) return false;
            sum += *v;
        }
        return number_of(answers, total).has_value();
    };
    const auto check = [&](const std::string& total, const std::vector<std::string>& parts) -> std::string {
        double in_key = 0, computed = 0;
        if (parts.size() < 2 || !sums(expect, total, parts, in_key) || !sums(computed_, total, parts, computed)) return "";
        if (!equal_count(computed, *number_of(computed_, total))) return "";
        if (equal_count(in_key, *number_of(expect, total))) return "";
        return fmt::format("the key contradicts itself: its {} add up to {}, not {}", fmt::join(parts, " + "), plain(in_key),
                           expect[total].dump());
    };
    const std::string family = family_of(key);
    if (key == family + ".total" && (family == "params" || family == "macs" || family == "flops")) {
        std::vector<std::string> parts;  // every layer's key with a nonzero computed value
        for (const auto& [k, v] : computed_.items())
            if (family_of(k) == family && !special_part(k.substr(family.size() + 1)) && v.is_number() && v.get<double>() != 0) parts.push_back(k);
        std::string said = check(key, parts);
        if (said.empty() && family == "params") said = check(key, {"params.trainable", "params.non_trainable"});
        return said;
    }
    if (key == "memory.total") return check(key, {"memory.input", "memory.forward_backward", "memory.params"});
    return "";
}

// Conventions that are definitions: the same quantity in another unit or count.
std::string Explainer::by_definition(const std::string& key, const Json& expected) const {
    const auto c = number_of(computed_, key);
    const std::string family = family_of(key), rest = key.size() > family.size() ? key.substr(family.size() + 1) : "";
    const std::string e_text = expected.dump();
    // A size rounded up where the framework floors it (PyTorch's pooling has its own
    // ceil_mode, which the alternatives try).
    const Layer* layer = family == "shapes" ? problem_.graph.find(rest) : nullptr;
    const bool own_ceil_mode = layer && problem_.convention->pooling_has_ceil_mode && layer->type.find("pool") != std::string::npos;
    if (family == "shapes" && !own_ceil_mode) {
        auto shape = computed_.find(key);
        auto h = computed_.find("exact." + rest + ".H"), w = computed_.find("exact." + rest + ".W");
        if (shape != computed_.end() && shape->is_array() && shape->size() >= 3 && (h != computed_.end() || w != computed_.end())) {
            Json ceiled = *shape;
            const size_t rank = shape->size(), at_h = problem_.convention->channels_last ? rank - 3 : rank - 2;
            std::vector<std::string> sizes;
            for (const auto& [exact, at] : {std::pair{h, at_h}, std::pair{w, at_h + 1}}) {
                if (exact == computed_.end()) continue;
                ceiled[at] = static_cast<int64_t>(std::ceil(exact->get<double>()));
                sizes.push_back(fmt::format("⌈{}⌉ = {}", exact->dump(), ceiled[at].dump()));
            }
            if (sizes.size() == 2 && sizes[0] == sizes[1]) sizes.pop_back();
            if (same_answer(expected, ceiled, problem_.tolerance_of(key), {}))
                return fmt::format("{} rounds the output size up ({}) where {} floors it (the windows do not tile the input)", e_text,
                                   fmt::join(sizes, ", "), problem_.convention->name);
        }
    }
    if (!expected.is_number()) return "";
    const double e = expected.get<double>();
    if (key == "params.total") {
        auto trainable = number_of(computed_, "params.trainable"), frozen = number_of(computed_, "params.non_trainable");
        if (trainable && frozen && *frozen > 0 && equal_count(e, *trainable))
            return fmt::format("{} counts only the trainable parameters; the total adds {} non-trainable", e_text, count(*frozen));
        auto buffers = number_of(computed_, "buffers.total");
        if (c && buffers && *buffers > 0 && equal_count(e, *c + *buffers))
            return fmt::format("{} counts the {} buffer elements (BatchNorm's running statistics) as parameters; PyTorch's parameters() does not",
                               e_text, count(*buffers));
    }
    if (key == "params.trainable" && c) {
        auto total = number_of(computed_, "params.total");
        if (total && *total != *c && equal_count(e, *total)) return fmt::format("{} counts the non-trainable parameters too", e_text);
    }
    if (family == "flops" || family == "macs") {
        auto macs = number_of(computed_, "macs." + rest), flops = number_of(computed_, "flops." + rest);
        if (family == "flops" && macs && *macs > 0 && equal_count(e, *macs))
            return fmt::format("{} is the MAC count (one per multiply-add, as torchvision's GFLOPS count), not FLOPs", e_text);
        if (family == "flops" && macs && *macs > 0 && equal_count(e, 2 * *macs))
            return fmt::format("{} is 2 × MACs (2 × {}) alone, without the FLOPs of the activations, pooling and normalisation", e_text, count(*macs));
        if (family == "macs" && macs && *macs > 0 && equal_count(e, 2 * *macs))
            return fmt::format("{} counts 2 FLOPs per multiply-add (2 × {}); a MAC is one multiply-add", e_text, count(*macs));
        if (family == "macs" && flops && *flops > 0 && equal_count(e, *flops))
            return fmt::format("{} is the FLOP count, not MACs", e_text);
    }
    if (c && problem_.batch && *problem_.batch > 1 && (family == "macs" || family == "flops" || family == "memory")) {
        const double b = static_cast<double>(*problem_.batch);
        if (equal_count(e, *c * b)) return fmt::format("{} is for the whole batch of {} ({} × {}); this answer is per sample", e_text, count(b), plain(*c), count(b));
        if (equal_count(e * b, *c)) return fmt::format("{} is per sample; this answer is for the batch of {} ({} / {})", e_text, count(b), plain(*c), count(b));
    }
    if (c && family == "memory" && e > 0) {
        const struct { const char* unit; double bytes; const char* power; } units[] = {
            {"KiB", 1024.0, "2^10"}, {"MiB", 1048576.0, "2^20"}, {"GiB", 1073741824.0, "2^30"},
            {"kB", 1e3, "10^3"}, {"MB", 1e6, "10^6"}, {"GB", 1e9, "10^9"}};
        const int d = printed_decimals(expected);
        const double half = 0.5 * std::pow(10.0, -d);
        for (const auto& u : units) {
            const double v = *c / u.bytes;
            if (v >= 10 * half && std::fabs(v - e) <= half * (1 + 1e-9))
                return fmt::format("{} is in {} ({} bytes / {} = {:.{}f} {}); the answer is in bytes", e_text, u.unit, count(*c), u.power,
                                   v, d + 2, u.unit);
        }
    }
    static const std::regex indexed(R"(^(grad|update|forward)\.([A-Za-z_]+)(\d)(\d)$)");
    std::smatch m;
    if (std::regex_match(key, m, indexed) && m[3] != m[4]) {
        const std::string swapped = fmt::format("{}.{}{}{}", m[1].str(), m[2].str(), m[4].str(), m[3].str());
        auto s = computed_.find(swapped);
        if (s != computed_.end() && same_answer(expected, *s, problem_.tolerance_of(key), {}))
            return fmt::format("{} is {}'s value: the key reads the weight matrix transposed ({}{}{} for {}{}{})", e_text, swapped.substr(swapped.find('.') + 1),
                               m[2].str(), m[4].str(), m[3].str(), m[2].str(), m[3].str(), m[4].str());
    }
    return "";
}

std::string Explainer::explain(const std::string& key, const Json& expected) {
    if (std::string said = contradiction(key); !said.empty()) return said;
    if (std::string said = by_definition(key, expected); !said.empty()) return said;
    if (!document_) return "";
    const std::string what = family_of(key) == "params" || family_of(key) == "buffers" ? "count" : "answer";
    for (size_t i = 0; i < alternatives_.size(); ++i) {
        const Json* answers = answers_of(i);
        if (!answers) continue;
        auto it = answers->find(key);
        if (it == answers->end() || !same_answer(expected, *it, problem_.tolerance_of(key), {})) continue;
        std::string said = said_[i];
        if (auto at = said.find("{what}"); at != std::string::npos) said.replace(at, 6, what);
        return expected.dump() + " " + said;
    }
    return "";
}

}  // namespace dlsolve
