// The dlsolve command line: subcommands, options and exit statuses
// (0 answered, 1 `check` found a differing answer, 2 bad input or usage).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace dlsolve {

// For a process that exits right after answering: the problems, their analyses and the
// worksheet are left to the operating system instead of being freed node by node (a
// tenth of a 1000-layer `params` run), as clang's -disable-free does. Off by default,
// so that tests calling run_cli many times free as they go.
void leave_memory_to_exit();

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

struct CheckOptions {
    std::vector<std::string> paths;  // files and directories
    int64_t max_elements = 0;        // the numeric engine's budget
    bool json = false;               // --format json: one JSON report instead of lines
    bool quiet = false;              // only failures and the totals line
    std::string junit;               // --junit FILE: also a JUnit XML report
    int jobs = 0;                    // files checked at once; 0: every core
    bool color = false;              // PASS/FAIL in colour (a terminal without NO_COLOR)
};

// `dlsolve check PATH…`: compares every problem's answers with its "expect".
// Exit status: 0 all pass, 1 an answer differs, 2 a file is bad, 70 an internal error.
int run_check(const CheckOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace dlsolve
