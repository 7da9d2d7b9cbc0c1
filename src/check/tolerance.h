// How a key's number is compared with the computed one. A plain number in a problem's
// "tolerance" keeps dlsolve's relative test; an object picks one of PrairieLearn's
// pl-number-input comparisons (its documentation, "comparison": relabs / sigfig /
// decimals, and prairielearn/python/prairielearn/core.py is_correct_scalar_*), plus
// "rel" and "abs" alone. The number computed by dlsolve plays PrairieLearn's "true
// answer" (a_tru), the key its submitted answer.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "problem/fields.h"

namespace dlsolve {

struct Tolerance {
    enum class Mode { Legacy, Rel, Abs, RelAbs, Sigfig, Decimals };
    Mode mode = Mode::Legacy;
    double rtol = 1e-6;  // Legacy: |a − b| ≤ rtol·max(|a|, |b|); Rel, RelAbs: rtol·|computed|
    double atol = 0;     // Abs, RelAbs: + atol
    int digits = 0;      // Sigfig, Decimals

    // Integers on both sides compare exactly unless a mode is named.
    bool named() const { return mode != Mode::Legacy; }
    // "relabs (rtol 0.01, atol 1e-08)"
    std::string describe() const;
};

// Reads {"mode": "relabs", "rtol": …, "atol": …} / {"mode": "sigfig", "digits": 3} / …
// Defaults are PrairieLearn's: rtol 1e-2, atol 1e-8, digits 2. Throws ProblemError.
Tolerance read_tolerance(const Json& value, const std::string& path);

bool close_enough(double key, double computed, const Tolerance& tolerance);

// Sigfig and Decimals: the distance a key may be from `computed` (below it, strictly).
double digits_margin(const Tolerance& tolerance, double computed);

// Integers and words compare exactly (unless the tolerance names a mode); a real on
// either side compares by the tolerance; answers in symbols after simplification.
bool same_answer(const Json& expected, const Json& computed, const Tolerance& tolerance,
                 const std::map<std::string, int64_t>& sizes);

}  // namespace dlsolve
