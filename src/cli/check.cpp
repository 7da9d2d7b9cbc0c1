#include <algorithm>
#include <cmath>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

namespace fs = std::filesystem;

// Integers and words compare exactly; a real on either side compares with a relative tolerance.
bool same_answer(const Json& expected, const Json& computed, double tolerance) {
    if (expected.is_array() || computed.is_array()) {
        if (!expected.is_array() || !computed.is_array() || expected.size() != computed.size()) return false;
        for (size_t i = 0; i < expected.size(); ++i)
            if (!same_answer(expected[i], computed[i], tolerance)) return false;
        return true;
    }
    if (expected.is_string() || computed.is_string()) return expected == computed;  // a verdict word
    if (!expected.is_number() || !computed.is_number()) return false;
    if (expected.is_number_integer() && computed.is_number_integer()) return expected.get<int64_t>() == computed.get<int64_t>();
    const double a = expected.get<double>(), b = computed.get<double>();
    return std::fabs(a - b) <= tolerance * std::max(std::fabs(a), std::fabs(b));
}

std::vector<std::string> collect(const std::vector<std::string>& paths, std::vector<std::string>& unreadable) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::recursive_directory_iterator(p, ec))
                if (entry.is_regular_file() && entry.path().extension() == ".json") found.push_back(entry.path().string());
            if (ec) unreadable.push_back(p);
            std::sort(found.begin(), found.end());
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(p);
        }
    }
    return files;
}

}  // namespace

int run_check(const std::vector<std::string>& paths, std::istream& in, std::ostream& out, std::ostream& err) {
    std::vector<std::string> unreadable;
    const auto files = collect(paths, unreadable);
    int passed = 0, failed = 0, skipped = 0;
    bool invalid = false;
    for (const auto& dir : unreadable) {
        err << dir << ": cannot read the directory\n";
        invalid = true;
        ++failed;
    }
    for (const auto& file : files) {
        Json computed;
        Json expect;
        double tolerance = 1e-6;
        try {
            const Problem problem = parse_problem(read_problem_text(file, in));
            const Analysis analysis = analyse(problem);
            computed = all_answers(problem, analysis);
            expect = problem.expect;
            tolerance = problem.tolerance;
        } catch (const std::runtime_error& e) {  // ProblemError, or ArithmeticError (log of 0, …)
            std::string message = e.what();
            std::replace(message.begin(), message.end(), '\n', ' ');
            err << file << ": " << message << "\n";
            out << "error " << file << "\n";
            invalid = true;
            ++failed;
            continue;
        }
        if (expect.is_null() || expect.empty()) {
            out << "skip  " << file << " (no \"expect\")\n";
            ++skipped;
            continue;
        }
        std::vector<std::string> differences;
        for (const auto& [key, value] : expect.items()) {
            auto it = computed.find(key);
            if (it == computed.end())
                differences.push_back(fmt::format("{}: expected {}, computed nothing (dlsolve has no answer with this key)", key, value.dump()));
            else if (!same_answer(value, *it, tolerance))
                differences.push_back(fmt::format("{}: expected {}, computed {}", key, value.dump(), it->dump()));
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
    if (invalid) return 2;
    return failed > 0 ? 1 : 0;
}

}  // namespace dlsolve
