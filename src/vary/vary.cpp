#include "vary/vary.h"

#include <filesystem>
#include <fstream>
#include <ostream>

#include <fmt/format.h>

#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/json_text.h"
#include "problem/problem.h"
#include "report/reports.h"
#include "vary/spec.h"

namespace dlsolve {
namespace {

namespace fs = std::filesystem;

constexpr int kTries = 1000;  // draws per variant before giving up

bool holds_object(const Json& v) {
    if (v.is_object()) return true;
    if (v.is_array())
        for (const auto& item : v)
            if (holds_object(item)) return true;
    return false;
}

// JSON as the problem files are written: an object's keys one per line, an array
// without objects on one line ([[1.5, 1.0], [-1.0, 0.5]]).
void write_json(std::string& out, const Json& v, int indent) {
    const std::string pad(static_cast<size_t>(indent) + 2, ' ');
    if (v.is_object() && !v.empty()) {
        out += "{\n";
        size_t i = 0;
        for (const auto& [key, value] : v.items()) {
            out += pad + Json(key).dump() + ": ";
            write_json(out, value, indent + 2);
            out += ++i < v.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<size_t>(indent), ' ') + "}";
    } else if (v.is_array() && holds_object(v)) {
        out += "[\n";
        for (size_t i = 0; i < v.size(); ++i) {
            out += pad;
            write_json(out, v[i], indent + 2);
            out += i + 1 < v.size() ? ",\n" : "\n";
        }
        out += std::string(static_cast<size_t>(indent), ' ') + "]";
    } else if (v.is_array()) {
        out += "[";
        for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            write_json(out, v[i], indent);
        }
        out += "]";
    } else {
        out += v.dump();
    }
}

// A real answer to 12 significant digits (0.68124999999999991 → 0.68125): the key of a
// variant is read by people; check compares it with a relative tolerance.
Json rounded(const Json& v) {
    if (v.is_number_float()) return Json(std::stod(fmt::format("{:.12g}", v.get<double>())));
    if (!v.is_array()) return v;
    Json out = Json::array();
    for (const auto& item : v) out.push_back(rounded(item));
    return out;
}

// The file with the drawn values, solved: its "expect" holds dlsolve's answers for the
// keys the original file's key has (with their own tolerances). Empty when the draw is
// invalid (the file does not parse, a size does not tile, a rule fails, a key is missing).
std::optional<Json> variant(const Json& original, const VarySpec& spec, const std::vector<Json>& drawn, int64_t max_elements, std::string& why) {
    Json doc = original;
    doc.erase("vary");
    for (size_t i = 0; i < drawn.size(); ++i) doc[Json::json_pointer(spec.values[i].pointer)] = drawn[i];
    doc.erase("expect");
    Json answers;
    try {
        Problem p = parse_problem(doc.dump());
        p.numeric.max_elements = max_elements;
        answers = all_answers(p, analyse(p));
    } catch (const std::exception& e) {
        why = e.what();
        return std::nullopt;
    }
    if (!keeps(spec.keep, answers, why)) return std::nullopt;
    Json expect = Json::object();
    const Json key_in = original.value("expect", Json::object());
    for (const auto& [key, given] : key_in.items()) {
        auto it = answers.find(key);
        if (it == answers.end()) {
            why = key + ": no answer";
            return std::nullopt;
        }
        if (given.is_object()) {
            Json with = given;
            with["value"] = rounded(*it);
            expect[key] = with;
        } else {
            expect[key] = rounded(*it);
        }
    }
    doc["expect"] = expect;
    return doc;
}

}  // namespace

int run_vary(const VaryOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
    Json original;
    VarySpec spec;
    try {
        original = parse_json(read_problem_text(o.file, in));
        if (!original.is_object() || !original.contains("vary")) throw ProblemError("/vary", "the numbers a variant may change (this file has no \"vary\")");
        spec = read_vary(original);
        parse_problem(original.dump());  // the original itself must be valid
    } catch (const ProblemError& e) {
        err << printable_line(o.file + ": " + e.what()) << "\n";
        return 2;
    }
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec) {
        err << printable_line(fmt::format("{}: cannot create the directory: {}", o.out_dir, ec.message())) << "\n";
        return 2;
    }
    const std::string stem = fs::path(o.file == "-" ? "stdin" : o.file).stem().string();
    const int width = static_cast<int>(std::to_string(o.count).size());
    SplitMix64 random(o.seed);
    std::string index = "file";
    for (const auto& v : spec.values) index += "\t" + v.pointer;
    index += "\n";
    for (int64_t k = 1; k <= o.count; ++k) {
        std::optional<Json> doc;
        std::vector<Json> drawn;
        std::string why;
        int tries = 0;
        for (; tries < kTries && !doc; ++tries) {
            drawn.clear();
            for (const auto& v : spec.values) drawn.push_back(v.draw(random));
            doc = variant(original, spec, drawn, o.max_elements, why);
        }
        if (!doc) {
            err << printable_line(fmt::format("{}: no valid draw for variant {} in {} tries (the last: {})", o.file, k, kTries, why)) << "\n";
            return 2;
        }
        const std::string name = fmt::format("{}-{:0{}}.json", stem, k, width);
        (*doc)["title"] = fmt::format("{} (variant {} of {}, seed {})", original.value("title", ""), k, o.count, o.seed);
        (*doc)["source"] = fmt::format("dlsolve vary --seed {} --n {}: variant {} of {}{}", o.seed, o.count, k, fs::path(o.file).filename().string(),
                                       original.contains("source") ? " (" + original.value("source", "") + ")" : "");
        (*doc)["note"] = Json::array({fmt::format("Numbers drawn by dlsolve vary within the \"vary\" ranges of {}; the key is dlsolve's answer.",
                                                  fs::path(o.file).filename().string())});
        std::ofstream file(fs::path(o.out_dir) / name, std::ios::binary);
        std::string text;
        write_json(text, *doc, 0);
        file << text << "\n";
        if (!file) {
            err << printable_line(fmt::format("{}: cannot write", (fs::path(o.out_dir) / name).string())) << "\n";
            return 2;
        }
        index += name;
        for (const auto& d : drawn) index += "\t" + d.dump();
        index += "\n";
        const size_t answers = (*doc)["expect"].size();
        out << name << " (" << answers << (answers == 1 ? " answer" : " answers");
        if (tries > 1) out << "; " << tries - 1 << (tries == 2 ? " invalid draw" : " invalid draws") << " redrawn";
        out << ")\n";
    }
    std::ofstream file(fs::path(o.out_dir) / "index.tsv", std::ios::binary);
    file << index;
    out << o.count << " variants and index.tsv in " << o.out_dir << "\n";
    return file ? 0 : 2;
}

}  // namespace dlsolve
