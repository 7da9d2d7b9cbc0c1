#include "ir/graph.h"

#include <algorithm>
#include <functional>
#include <queue>

#include <fmt/format.h>

#include "problem/error.h"
#include "problem/fields.h"

namespace dlsolve {

std::string describe_layer(const Layer& layer) { return fmt::format("layer \"{}\" ({})", layer.name, layer.path); }

Graph::Graph(std::vector<std::unique_ptr<Layer>> layers) : layers_(std::move(layers)) {
    const size_t n = layers_.size();
    std::vector<std::string> names;
    for (size_t i = 0; i < n; ++i) {
        auto [it, inserted] = by_name_.emplace(layers_[i]->name, i);
        if (!inserted && layers_[i]->auto_named)
            throw ProblemError(describe_layer(*layers_[i]),
                               fmt::format("its automatic name \"{}\" is already taken by {}; give one of them a different \"name\"",
                                           layers_[i]->name, layers_[it->second]->path));
        if (!inserted)
            throw ProblemError(layers_[i]->path + "/name",
                               fmt::format("duplicate layer name \"{}\" (also {})", layers_[i]->name, layers_[it->second]->path));
        names.push_back(layers_[i]->name);
    }

    inputs_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const Layer& layer = *layers_[i];
        if (layer.inputs.empty()) {
            if (layer.min_inputs() > 0 && i > 0) inputs_[i].push_back(i - 1);
        } else {
            for (size_t j = 0; j < layer.inputs.size(); ++j) {
                auto it = by_name_.find(layer.inputs[j]);
                if (it == by_name_.end()) {
                    const std::string hint = closest(layer.inputs[j], names);
                    throw ProblemError(fmt::format("{}/inputs/{}", layer.path, j),
                                       hint.empty() ? fmt::format("unknown layer \"{}\"", layer.inputs[j])
                                                    : fmt::format("unknown layer \"{}\" (did you mean \"{}\"?)", layer.inputs[j], hint));
                }
                inputs_[i].push_back(it->second);
            }
        }
        const size_t count = inputs_[i].size();
        if (count < layer.min_inputs() || count > layer.max_inputs()) {
            std::string expected = layer.max_inputs() == 0 ? "no inputs"
                                 : layer.max_inputs() == 1 ? "exactly one input"
                                 : layer.max_inputs() == layer.min_inputs()
                                     ? fmt::format("exactly {} inputs (list them in \"inputs\")", layer.min_inputs())
                                 : layer.max_inputs() != kUnlimitedInputs
                                     ? fmt::format("{} to {} inputs (list them in \"inputs\")", layer.min_inputs(), layer.max_inputs())
                                     : fmt::format("at least {} inputs (list them in \"inputs\")", layer.min_inputs());
            throw ProblemError(describe_layer(layer), fmt::format("{} takes {}, found {}", layer.type, expected, count));
        }
    }

    // Kahn's algorithm; among ready layers the earliest in the file goes first.
    std::vector<size_t> pending(n, 0);
    std::vector<std::vector<size_t>> consumers(n);
    for (size_t i = 0; i < n; ++i) {
        pending[i] = inputs_[i].size();
        for (size_t src : inputs_[i]) consumers[src].push_back(i);
    }
    std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
    for (size_t i = 0; i < n; ++i)
        if (pending[i] == 0) ready.push(i);
    order_.reserve(n);
    while (!ready.empty()) {
        const size_t i = ready.top();
        ready.pop();
        order_.push_back(i);
        for (size_t c : consumers[i])
            if (--pending[c] == 0) ready.push(c);
    }
    if (order_.size() != n) {
        // Follow inputs among the unordered layers until one repeats: that is a cycle.
        size_t at = 0;
        while (pending[at] == 0) ++at;
        std::vector<size_t> walk;
        std::vector<bool> seen(n, false);
        while (!seen[at]) {
            seen[at] = true;
            walk.push_back(at);
            for (size_t src : inputs_[at])
                if (pending[src] > 0) {
                    at = src;
                    break;
                }
        }
        std::vector<std::string> cycle;
        for (auto it = std::find(walk.begin(), walk.end(), at); it != walk.end(); ++it) cycle.push_back(layers_[*it]->name);
        std::reverse(cycle.begin(), cycle.end());
        cycle.push_back(cycle.front());
        throw ProblemError(describe_layer(*layers_[at]),
                           fmt::format("the layers form a cycle: {}", fmt::join(cycle, " → ")));
    }

    // Every layer must contribute to the output, or its parameters would be miscounted.
    std::vector<bool> feeds_output(n, false);
    feeds_output[output()] = true;
    for (auto it = order_.rbegin(); it != order_.rend(); ++it)
        if (feeds_output[*it])
            for (size_t src : inputs_[*it]) feeds_output[src] = true;
    for (size_t i = 0; i < n; ++i)
        if (!feeds_output[i])
            throw ProblemError(describe_layer(*layers_[i]),
                               fmt::format("its output never reaches the model's output (the last layer, \"{}\")", layers_.back()->name));
}

const Layer* Graph::find(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : layers_[it->second].get();
}

bool Graph::has_explicit_inputs() const {
    return std::any_of(layers_.begin(), layers_.end(), [](const auto& l) { return !l->inputs.empty(); });
}

}  // namespace dlsolve
