// What `dlsolve check` found in each file, and its three reports: the text lines, the
// JSON report (--format json) and the JUnit XML file (--junit FILE).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "problem/problem.h"

namespace dlsolve {

struct CheckResult {
    enum Status { Pass, Fail, Skip, Error } status = Error;
    std::string file;
    std::string message;                   // Error: the one-line message (stderr)
    bool unreadable = false;               // a directory entry that could not be looked at (no stdout line)
    bool internal = false;                 // Error from a bug
    Json expect;                           // the answer key
    Json computed;                         // dlsolve's answer for each key it has
    std::vector<std::string> differences;  // Fail: "key: expected …, computed …"
    std::vector<std::string> differing;    // Fail: the keys
    double seconds = 0;                    // time to check the file
};

struct CheckTotals {
    int passed = 0, failed = 0, skipped = 0;  // failed counts the errors too
    int errors = 0;
    bool invalid = false, internal = false;
    double seconds = 0;
};

CheckTotals count(const std::vector<CheckResult>& results);

// "pass  FILE (N answers)", "FAIL  FILE: …", "error FILE", "skip  FILE (no "expect")" and
// the totals line; --quiet keeps the failures and the totals; colour on a terminal only.
void write_check_text(const std::vector<CheckResult>& results, const CheckTotals& totals, bool quiet, bool color,
                      std::ostream& out, std::ostream& err);
void write_check_json(const std::vector<CheckResult>& results, const CheckTotals& totals, bool quiet, std::ostream& out,
                      std::ostream& err);
// False (with a message on err) when the file cannot be written.
bool write_junit(const std::vector<CheckResult>& results, const CheckTotals& totals, const std::string& path, std::ostream& err);

}  // namespace dlsolve
