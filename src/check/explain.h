// Why an answer key differs from dlsolve's answer: `check` re-runs dlsolve's passes
// under each known alternative convention or slip (check/alternatives.h), applies the
// conventions that are definitions of the same number in another unit or count (MACs
// and FLOPs, per sample and per batch, bytes and KiB/MiB/kB/MB, trainable and
// non-trainable, a weight's indices swapped), and looks for a total in the key that is
// not the sum of the key's own parts. It names the first that gives the key's value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "check/alternatives.h"
#include "problem/fields.h"

namespace dlsolve {

struct Problem;

class Explainer {
public:
    Explainer(const std::string& text, const Problem& problem, const Json& computed, int64_t max_elements);
    // "12400 is PyTorch's count (…); this file is keras"; empty when nothing explains it.
    std::string explain(const std::string& key, const Json& expected);

private:
    std::string by_definition(const std::string& key, const Json& expected) const;
    std::string contradiction(const std::string& key) const;
    const Json* answers_of(size_t alternative);

    const Problem& problem_;
    const Json& computed_;
    int64_t max_elements_;
    std::optional<Json> document_;  // the file with every layer named as the graph names it
    std::vector<Alternative> alternatives_;
    std::map<size_t, std::optional<Json>> answers_;  // alternative → its answers (nullopt: invalid file)
    std::map<size_t, std::string> said_;
};

}  // namespace dlsolve
