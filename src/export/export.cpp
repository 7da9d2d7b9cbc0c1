#include "export/export.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <set>

#include <fmt/format.h>

#include "export/uuid.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "render/render.h"
#include "report/newton_report.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

namespace fs = std::filesystem;

// Every *.json under the paths, sorted within each directory (as `check` reads them).
std::vector<std::string> problem_files(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    const std::function<void(const fs::path&)> walk = [&](const fs::path& dir) {
        std::vector<fs::path> entries;
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
        std::sort(entries.begin(), entries.end());
        for (const auto& entry : entries) {
            if (fs::is_directory(entry, ec)) walk(entry);
            else if (entry.extension() == ".json" && fs::is_regular_file(entry, ec)) files.push_back(entry.string());
        }
    };
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) walk(p);
        else files.push_back(p);
    }
    return files;
}

// grad.w11 → grad_w11; a character outside [A-Za-z0-9_] becomes _ and a non-ASCII one
// its code in hex, so ŷ1 and y1 stay apart (forward_u0177_1).
std::string identifier(const std::string& key) {
    std::string out;
    for (size_t i = 0; i < key.size(); ++i) {
        const auto c = static_cast<unsigned char>(key[i]);
        if (std::isalnum(c) || c == '_') out += static_cast<char>(c);
        else if (c < 0x80) out += '_';
        else {
            uint32_t cp = c >= 0xF0 ? c & 0x07 : c >= 0xE0 ? c & 0x0F : c & 0x1F;
            while (i + 1 < key.size() && (static_cast<unsigned char>(key[i + 1]) & 0xC0) == 0x80)
                cp = (cp << 6) | (static_cast<unsigned char>(key[++i]) & 0x3F);
            out += fmt::format("_u{:04x}_", cp);
        }
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "a_" + out;
    return out;
}

std::string stem_name(const std::string& file) {
    std::string stem = fs::path(file).stem().string();
    std::string out;
    for (char c : stem) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
    return out.empty() ? "question" : out;
}

// The question of a file's answer key: each numeric key with check's comparison as the
// formats can state it; nullopt (with the reason) when nothing is left to ask.
std::optional<ExportQuestion> keyed_question(const std::string& file, const std::string& text, const std::string& title, const Json& expect,
                                             const std::function<const Tolerance&(const std::string&)>& tolerance_of, const Json& computed,
                                             const std::function<std::string()>& solution, std::string& why) {
    if (expect.is_null() || expect.empty()) {
        why = "no \"expect\": nothing to ask";
        return std::nullopt;
    }
    const Json raw = Json::parse(text, nullptr, false);
    const bool file_number = raw.is_object() && raw.contains("tolerance") && raw["tolerance"].is_number();
    ExportQuestion q{file, stem_name(file), title, uuid5("dlsolve export\n" + text), {}, {}};
    std::set<std::string> ids;
    for (const auto& [key, expected] : expect.items()) {
        const auto it = computed.find(key);
        if (it == computed.end() || !it->is_number()) continue;  // words, symbols and lists are left to the solution
        // check's comparison for the key, as the formats can state it: a plain number in the
        // file is relative; a mode its own rtol/atol; sigfig and decimals their margin at this value.
        const Tolerance& t = tolerance_of(key);
        ExportAnswer a{key, identifier(key), it->get<double>(), it->is_number_integer() && !t.named(), 0, 0};
        if (!a.integer) {
            switch (t.mode) {
                case Tolerance::Mode::Legacy: a.rtol = file_number ? t.rtol : kExportRelativeTolerance, a.atol = kExportAbsoluteTolerance; break;
                case Tolerance::Mode::Rel: a.rtol = t.rtol; break;
                case Tolerance::Mode::Abs: a.atol = t.atol; break;
                case Tolerance::Mode::RelAbs: a.rtol = t.rtol, a.atol = t.atol; break;
                case Tolerance::Mode::Sigfig:
                case Tolerance::Mode::Decimals: a.atol = digits_margin(t, a.value); break;
            }
        }
        while (!ids.insert(a.id).second) a.id += "_";
        q.answers.push_back(std::move(a));
    }
    if (q.answers.empty()) {
        why = "no numeric answer in its \"expect\"";
        return std::nullopt;
    }
    q.solution = solution();
    return q;
}

// One question from a problem file; nullopt (with the reason) when it has nothing to ask.
std::optional<ExportQuestion> question_of(const std::string& file, std::istream& in, std::string& why) {
    const std::string text = read_problem_text(file, in);
    if (is_newton_document(text)) {
        const NewtonProblem p = read_newton(text);
        const NewtonSolution s = solve_newton(p);
        return keyed_question(file, text, p.title, p.expect, [&](const std::string& key) -> const Tolerance& { return p.tolerance_of(key); },
                              newton_answers(p, s), [&] { return render_text(newton_worksheet(p, s)); }, why);
    }
    const Problem problem = parse_problem(text);
    if (problem.expect.is_null() || problem.expect.empty()) {
        why = "no \"expect\": nothing to ask";
        return std::nullopt;
    }
    const Analysis analysis = analyse(problem);
    return keyed_question(file, text, problem.title, problem.expect,
                          [&](const std::string& key) -> const Tolerance& { return problem.tolerance_of(key); }, all_answers(problem, analysis),
                          [&] { return render_text(solve_worksheet(problem, analysis)); }, why);
}

bool write_file(const fs::path& path, const std::string& contents, std::ostream& err) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream f(path, std::ios::binary);
    f << contents;
    f.close();
    if (!f) {
        err << fmt::format("dlsolve: cannot write {}\n", path.string());
        return false;
    }
    return true;
}

}  // namespace

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

int run_export(const std::vector<std::string>& paths, const std::string& to, const std::string& out_path, std::istream& in,
               std::ostream& out, std::ostream& err) {
    if (to != "moodle-xml" && out_path.empty()) {
        err << fmt::format("dlsolve export --to {} writes a folder: give it with --out DIR\n", to);
        return 2;
    }
    std::vector<ExportQuestion> questions;
    std::map<std::string, int> names;
    bool invalid = false;
    for (const auto& file : problem_files(paths)) {
        std::string why;
        try {
            auto q = question_of(file, in, why);
            if (!q) {
                err << printable_line(fmt::format("{}: skipped: {}", file, why)) << "\n";
                continue;
            }
            if (const int seen = names[q->name]++; seen > 0) q->name += fmt::format("-{}", seen + 1);
            questions.push_back(std::move(*q));
        } catch (const ProblemError& e) {
            err << printable_line(file + ": " + e.what()) << "\n";
            invalid = true;
        } catch (const ArithmeticError& e) {
            err << printable_line(file + ": the arithmetic cannot be carried out: " + e.what()) << "\n";
            invalid = true;
        }
    }
    if (invalid) return 2;
    if (questions.empty()) {
        err << "dlsolve: no problem with a numeric answer key to export\n";
        return 2;
    }
    const auto files = to == "moodle-xml" ? moodle_xml(questions) : to == "qti" ? qti_items(questions) : prairielearn_questions(questions);
    for (const auto& f : files) {
        if (f.path.empty()) {
            if (out_path.empty()) out << f.contents;
            else if (!write_file(out_path, f.contents, err)) return 2;
        } else if (!write_file(fs::path(out_path) / f.path, f.contents, err)) {
            return 2;
        }
    }
    return 0;
}

}  // namespace dlsolve
