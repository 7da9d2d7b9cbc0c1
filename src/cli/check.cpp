#include <algorithm>
#include <map>
#include <cmath>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "check/explain.h"
#include "check/tolerance.h"
#include "equations/system.h"

#include "cli/commands.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

namespace fs = std::filesystem;

// Every *.json file under the paths, sorted within each directory. What cannot be
// looked at (an unreadable directory, a broken link) is listed in `unreadable` with why.
std::vector<std::string> collect(const std::vector<std::string>& paths, std::vector<std::string>& unreadable) {
    std::vector<std::string> files;
    const std::function<void(const fs::path&)> walk = [&](const fs::path& dir) {
        std::error_code ec;
        std::vector<fs::path> entries;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
        if (ec) {
            unreadable.push_back(fmt::format("{}: cannot read the directory: {}", dir.string(), ec.message()));
            return;
        }
        std::sort(entries.begin(), entries.end());
        for (const auto& entry : entries) {
            const auto status = fs::status(entry, ec);
            if (fs::is_directory(status)) walk(entry);
            else if (entry.extension() != ".json") continue;
            else if (fs::is_symlink(fs::symlink_status(entry, ec)) && !fs::exists(status))
                unreadable.push_back(fmt::format("{}: a broken symbolic link", entry.string()));
            else if (fs::is_regular_file(status)) files.push_back(entry.string());
        }
    };
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::is_directory(p, ec)) {
            files.push_back(p);
            continue;
        }
        const size_t before = files.size(), problems_before = unreadable.size();
        walk(p);
        if (files.size() == before && unreadable.size() == problems_before)
            unreadable.push_back(fmt::format("{}: no problem files (*.json) in this directory", p));
    }
    return files;
}

}  // namespace

int run_check(const std::vector<std::string>& paths, int64_t max_elements, std::istream& in, std::ostream& out, std::ostream& err) {
    std::vector<std::string> unreadable;
    const auto files = collect(paths, unreadable);
    int passed = 0, failed = 0, skipped = 0;
    bool invalid = false, internal = false;
    for (const auto& why : unreadable) {
        err << printable_line(why) << "\n";
        invalid = true;
        ++failed;
    }
    for (const auto& file : files) {
        Json computed;
        Json expect;
        std::string text;
        std::optional<Problem> problem;
        std::map<std::string, int64_t> sizes;
        const auto report = [&](const std::string& what) {
            err << printable_line(file + ": " + what) << "\n";
            out << "error " << file << "\n";
            ++failed;
        };
        try {
            text = read_problem_text(file, in);
            problem = parse_problem(text);
            problem->numeric.max_elements = max_elements;
            const Analysis analysis = analyse(*problem);
            computed = all_answers(*problem, analysis);
            expect = problem->expect;
            sizes = problem->equations ? problem->equations->dim_values : std::map<std::string, int64_t>{};
        } catch (const ProblemError& e) {
            report(e.what());
            invalid = true;
            continue;
        } catch (const ArithmeticError& e) {
            report(std::string("the arithmetic cannot be carried out: ") + e.what());
            invalid = true;
            continue;
        } catch (const std::exception& e) {  // a bug: say so for this file and go on with the others
            report(fmt::format("internal error: {} (please report it with the problem file)", e.what()));
            internal = true;
            continue;
        }
        if (expect.is_null() || expect.empty()) {
            out << "skip  " << file << " (no \"expect\")\n";
            ++skipped;
            continue;
        }
        std::vector<std::string> differences;
        // A differing key says why when a known convention or slip gives its value (check/explain.h).
        std::optional<Explainer> explainer;
        for (const auto& [key, value] : expect.items()) {
            auto it = computed.find(key);
            if (it == computed.end()) {
                differences.push_back(fmt::format("{}: expected {}, computed nothing (dlsolve has no answer with this key)", key, value.dump()));
                continue;
            }
            if (same_answer(value, *it, problem->tolerance_of(key), sizes)) continue;
            if (!explainer) explainer.emplace(text, *problem, computed, max_elements);
            const std::string why = explainer->explain(key, value);
            differences.push_back(fmt::format("{}: expected {}, computed {}{}", key, value.dump(), it->dump(), why.empty() ? "" : ": " + why));
        }
        if (differences.empty()) {
            out << "pass  " << file << " (" << expect.size() << (expect.size() == 1 ? " answer)\n" : " answers)\n");
            ++passed;
        } else {
            out << "FAIL  " << file << ": " << fmt::format("{}", fmt::join(differences, "; ")) << "\n";
            ++failed;
        }
    }
    out << passed << " passed, " << failed << " failed";
    if (skipped > 0) out << ", " << skipped << " skipped";
    out << "\n";
    if (internal) return 70;
    if (invalid) return 2;
    return failed > 0 ? 1 : 0;
}

}  // namespace dlsolve
