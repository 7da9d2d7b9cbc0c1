#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <cmath>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include <fmt/format.h>

#include "check/explain.h"
#include "check/tolerance.h"
#include "equations/sizes.h"
#include "equations/system.h"

#include "cli/check_report.h"
#include "cli/commands.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "report/newton_report.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

namespace fs = std::filesystem;

// A file that may reach GiNaC (a network in symbols, "dims", or written as "equations")
// is checked under equations::symbolic_lock(), which every comparison in symbols takes too.
bool may_use_symbols(const std::string& text) {
    return text.find("\"equations\"") != std::string::npos || text.find("\"dims\"") != std::string::npos;
}

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

// Each key of r.expect against `computed`: r.computed, the differences and the verdict.
// `why(key, expected)`, when given, says why a differing key may have its value ("" if
// nothing known explains it).
void compare_keys(CheckResult& r, const Json& computed,
                  const std::function<bool(const std::string& key, const Json& expected, const Json& computed)>& same,
                  const std::function<std::string(const std::string& key, const Json& expected)>& why) {
    r.computed = Json::object();
    for (const auto& [key, value] : r.expect.items()) {
        auto it = computed.find(key);
        if (it == computed.end()) {
            r.differences.push_back(fmt::format("{}: expected {}, computed nothing (dlsolve has no answer with this key)", key, value.dump()));
            r.differing.push_back(key);
            continue;
        }
        r.computed[key] = *it;
        if (!same(key, value, *it)) {
            const std::string reason = why ? why(key, value) : "";
            r.differences.push_back(fmt::format("{}: expected {}, computed {}{}", key, value.dump(), it->dump(), reason.empty() ? "" : ": " + reason));
            r.differing.push_back(key);
        }
    }
    r.status = r.differences.empty() ? CheckResult::Pass : CheckResult::Fail;
}

// A Newton's-method file (report/newton_report.h): its answers against its key.
CheckResult check_newton(CheckResult& r, const std::string& text) {
    const NewtonProblem problem = read_newton(text);
    const Json computed = newton_answers(problem, solve_newton(problem));
    r.expect = problem.expect;
    if (r.expect.is_null() || r.expect.empty()) {
        r.status = CheckResult::Skip;
        return r;
    }
    compare_keys(r, computed, [&](const std::string& key, const Json& expected, const Json& got) {
        return same_answer(expected, got, problem.tolerance_of(key), {});
    }, nullptr);
    return r;
}

// One problem file checked: its verdict, what it prints and, for the reports, each key.
CheckResult check_file(const std::string& file, int64_t max_elements, std::istream& in) {
    CheckResult r;
    r.file = file;
    Json computed;
    std::string text;
    std::optional<Problem> problem;
    std::map<std::string, int64_t> sizes;
    const auto report = [&](const std::string& what) {
        r.message = printable_line(file + ": " + what);
        r.status = CheckResult::Error;
    };
    std::unique_lock lock(equations::symbolic_lock(), std::defer_lock);
    try {
        text = read_problem_text(file, in);
        if (may_use_symbols(text)) lock.lock();
        if (is_newton_document(text)) return check_newton(r, text);
        problem = parse_problem(text);
        problem->numeric.max_elements = max_elements;
        const Analysis analysis = analyse(*problem);
        // The memory answers build the whole summary table: only when the key has one.
        bool memory = false;
        if (problem->expect.is_object())
            for (const auto& item : problem->expect.items()) memory = memory || item.key().rfind("memory.", 0) == 0;
        computed = all_answers(*problem, analysis, memory);
        r.expect = problem->expect;
        sizes = problem->equations ? problem->equations->dim_values : std::map<std::string, int64_t>{};
    } catch (const ProblemError& e) {
        report(e.what());
        return r;
    } catch (const ArithmeticError& e) {
        report(std::string("the arithmetic cannot be carried out: ") + e.what());
        return r;
    } catch (const std::exception& e) {  // a bug: say so for this file and go on with the others
        report(fmt::format("internal error: {} (please report it with the problem file)", e.what()));
        r.internal = true;
        return r;
    }
    if (r.expect.is_null() || r.expect.empty()) {
        r.status = CheckResult::Skip;
        return r;
    }
    std::optional<Explainer> explainer;
    compare_keys(r, computed, [&](const std::string& key, const Json& expected, const Json& got) {
        return same_answer(expected, got, problem->tolerance_of(key), sizes);
    }, [&](const std::string& key, const Json& expected) {
        // Why, when a known convention or slip gives the key's value (check/explain.h).
        if (!explainer) explainer.emplace(text, *problem, computed, max_elements);
        return explainer->explain(key, expected);
    });
    return r;
}

// Every file checked, on `jobs` threads (0: every core), results in input order.
// Standard input ("-") is read by one thread only.
std::vector<CheckResult> check_files(const std::vector<std::string>& files, int64_t max_elements, int jobs, std::istream& in) {
    std::vector<CheckResult> results(files.size());
    size_t threads = jobs > 0 ? static_cast<size_t>(jobs) : std::max(1u, std::thread::hardware_concurrency());
    if (std::find(files.begin(), files.end(), "-") != files.end()) threads = 1;
    threads = std::min(threads, files.size());
    std::atomic<size_t> next{0};
    const auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < files.size();) {
            const auto start = std::chrono::steady_clock::now();
            results[i] = check_file(files[i], max_elements, in);
            results[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    return results;
}

}  // namespace

int run_check(const CheckOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
    std::vector<std::string> unreadable;
    const auto files = collect(options.paths, unreadable);
    std::vector<CheckResult> results;
    for (const auto& why : unreadable) {
        CheckResult r;
        r.file = why.substr(0, why.find(": "));
        r.message = printable_line(why);
        r.status = CheckResult::Error;
        r.unreadable = true;
        results.push_back(std::move(r));
    }
    auto checked = check_files(files, options.max_elements, options.jobs, in);
    std::move(checked.begin(), checked.end(), std::back_inserter(results));

    const CheckTotals totals = count(results);
    if (options.json) write_check_json(results, totals, options.quiet, out, err);
    else write_check_text(results, totals, options.quiet, options.color, out, err);
    if (!options.junit.empty() && !write_junit(results, totals, options.junit, err)) return 2;
    if (totals.internal) return 70;
    if (totals.invalid) return 2;
    return totals.failed > 0 ? 1 : 0;
}

}  // namespace dlsolve
