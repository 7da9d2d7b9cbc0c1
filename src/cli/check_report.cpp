#include "cli/check_report.h"
#include "render/render.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <ostream>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

const char* status_word(CheckResult::Status s) {
    switch (s) {
        case CheckResult::Pass: return "pass";
        case CheckResult::Fail: return "fail";
        case CheckResult::Skip: return "skip";
        case CheckResult::Error: break;
    }
    return "error";
}

// Text for XML content and attributes; characters XML 1.0 forbids (controls other than
// tab, newline and return) are written as \u{XX}, as the messages write invisible ones.
std::string xml_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') out += fmt::format("\\u{{{:X}}}", u);
                else out += c;
        }
    }
    return out;
}

}  // namespace

CheckTotals count(const std::vector<CheckResult>& results) {
    CheckTotals t;
    for (const auto& r : results) {
        t.seconds += r.seconds;
        switch (r.status) {
            case CheckResult::Pass: ++t.passed; break;
            case CheckResult::Fail: ++t.failed; break;
            case CheckResult::Skip: ++t.skipped; break;
            case CheckResult::Error:
                ++t.failed;
                ++t.errors;
                t.invalid = t.invalid || !r.internal;
                t.internal = t.internal || r.internal;
                break;
        }
    }
    return t;
}

void write_check_text(const std::vector<CheckResult>& results, const CheckTotals& totals, bool quiet, bool color,
                      std::ostream& out, std::ostream& err) {
    const auto paint = [color](const char* word, const char* code) {
        return color ? fmt::format("\033[{}m{}\033[0m", code, word) : std::string(word);
    };
    for (const auto& r : results) {
        if (r.status == CheckResult::Error) {
            err << r.message << "\n";
            if (!r.unreadable) out << paint("error", "31") << " " << r.file << "\n";
        } else if (r.status == CheckResult::Fail) {
            out << paint("FAIL", "1;31") << "  " << r.file << ": " << fmt::format("{}", fmt::join(r.differences, "; ")) << "\n";
        } else if (quiet) {
            continue;
        } else if (r.status == CheckResult::Skip) {
            out << paint("skip", "33") << "  " << r.file << " (no \"expect\")\n";
        } else {
            out << paint("pass", "32") << "  " << r.file << " (" << r.expect.size() << (r.expect.size() == 1 ? " answer)\n" : " answers)\n");
        }
    }
    out << totals.passed << " passed, " << totals.failed << " failed";
    if (totals.skipped > 0) out << ", " << totals.skipped << " skipped";
    out << "\n";
}

void write_check_json(const std::vector<CheckResult>& results, const CheckTotals& totals, bool quiet, std::ostream& out,
                      std::ostream& err) {
    Json problems = Json::array();
    for (const auto& r : results) {
        if (r.status == CheckResult::Error) err << r.message << "\n";
        if (quiet && (r.status == CheckResult::Pass || r.status == CheckResult::Skip)) continue;
        Json p{{"file", r.file}, {"status", status_word(r.status)}};
        if (r.status == CheckResult::Error) p["error"] = r.message;
        if (r.status == CheckResult::Pass || r.status == CheckResult::Fail) {
            Json answers = Json::object();
            for (const auto& [key, expected] : r.expect.items()) {
                const bool differs = std::find(r.differing.begin(), r.differing.end(), key) != r.differing.end();
                answers[key] = Json{{"expected", expected},
                                    {"computed", r.computed.contains(key) ? r.computed[key] : Json(nullptr)},
                                    {"same", !differs}};
            }
            p["answers"] = std::move(answers);
            if (!r.differences.empty()) p["differences"] = r.differences;
        }
        problems.push_back(std::move(p));
    }
    const Json report{{"format_version", kJsonFormatVersion},
                      {"problems", std::move(problems)},
                      {"passed", totals.passed},
                      {"failed", totals.failed},
                      {"skipped", totals.skipped},
                      {"errors", totals.errors}};
    out << report.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
}

// The Apache Ant JUnit XML format, as Windy Road's JUnit.xsd describes it (one
// <testsuite> root: name, timestamp, hostname, tests, failures, errors, skipped, time;
// <properties>; a <testcase name classname time> per file holding <failure message type>,
// <error message type> or <skipped/>; then <system-out> and <system-err>).
bool write_junit(const std::vector<CheckResult>& results, const CheckTotals& totals, const std::string& path, std::ostream& err) {
    std::ofstream file(path, std::ios::binary);
    const auto fail = [&] {
        err << printable_line(fmt::format("dlsolve: cannot write the JUnit report {}: {}", path, std::strerror(errno))) << "\n";
        return false;
    };
    if (!file) return fail();
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    file << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         << fmt::format("<testsuite name=\"dlsolve check\" timestamp=\"{}\" hostname=\"localhost\" tests=\"{}\" failures=\"{}\" "
                        "errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                        stamp, results.size(), totals.failed - totals.errors, totals.errors, totals.skipped, totals.seconds)
         << "  <properties/>\n";
    for (const auto& r : results) {
        file << fmt::format("  <testcase name=\"{}\" classname=\"dlsolve.check\" time=\"{:.3f}\"", xml_escape(r.file), r.seconds);
        switch (r.status) {
            case CheckResult::Pass: file << "/>\n"; continue;
            case CheckResult::Skip: file << ">\n    <skipped message=\"no &quot;expect&quot;\"/>\n"; break;
            case CheckResult::Fail:
                file << fmt::format(">\n    <failure message=\"{} differ{}: {}\" type=\"answer\">{}</failure>\n",
                                    r.differing.size() == 1 ? "1 answer" : fmt::format("{} answers", r.differing.size()),
                                    r.differing.size() == 1 ? "s" : "", xml_escape(fmt::format("{}", fmt::join(r.differing, ", "))),
                                    xml_escape(fmt::format("{}", fmt::join(r.differences, "\n"))));
                break;
            case CheckResult::Error:
                file << fmt::format(">\n    <error message=\"{}\" type=\"{}\"/>\n", xml_escape(r.message),
                                    r.internal ? "internal" : "input");
                break;
        }
        file << "  </testcase>\n";
    }
    file << "  <system-out/>\n  <system-err/>\n</testsuite>\n";
    file.close();
    if (!file) return fail();
    return true;
}

}  // namespace dlsolve
