// The conventions and slips a wrong key may come from, as changes to the problem file:
// the other framework, the other optimizer's rule and defaults, biases left out, the
// loss's other reduction, a 1-based class read as 0-based, ceil instead of floor, a
// transposed weight matrix. `check` re-runs dlsolve's own passes on each changed file
// and names the change whose answer is the key's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "problem/fields.h"

namespace dlsolve {

struct Convention;

struct Alternative {
    std::string id;  // "framework", "no_bias", …
    // Changes the document; nullopt when it does not apply (nothing to change).
    // The string completes "<key value> …", e.g. "is pytorch's count (…); this file is keras".
    std::function<std::optional<std::string>(Json& doc)> change;
};

// In the order tried: specific changes first, the whole other framework last.
std::vector<Alternative> alternatives(const Convention& convention);

}  // namespace dlsolve
