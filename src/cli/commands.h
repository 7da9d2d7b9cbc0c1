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

// `dlsolve check PATH…`: compares every problem's answers with its "expect".
// Exit status: 0 all pass, 1 an answer differs, 2 a file is bad, 70 an internal error.
int run_check(const std::vector<std::string>& paths, int64_t max_elements, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace dlsolve
