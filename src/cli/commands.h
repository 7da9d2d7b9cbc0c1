// The dlsolve command line: subcommands, options and exit statuses
// (0 answered, 1 `check` found a differing answer, 2 bad input or usage).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dlsolve {

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

// `dlsolve check PATH…`: compares every problem's answers with its "expect".
int run_check(const std::vector<std::string>& paths, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace dlsolve
