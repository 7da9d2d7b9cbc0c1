// `dlsolve vary`: variants of a problem with the numbers its "vary" object lets change,
// each solved by dlsolve and written with its answer key, plus one index.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace dlsolve {

struct VaryOptions {
    std::string file;
    int64_t count = 10;
    uint64_t seed = 1;
    std::string out_dir;
    int64_t max_elements = 0;
};

// Exit status as check's: 0 written, 2 bad input (or no valid draw in the tries allowed).
int run_vary(const VaryOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace dlsolve
