// The network as a DAG of layers. Node 0 is the model input; a layer takes the
// previous layer unless it names its `inputs`. The last layer is the model's output.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/layer.h"

namespace dlsolve {

class Graph {
public:
    // Resolves input names, checks input counts, orders the layers topologically and
    // checks that every layer feeds the output. Throws ProblemError naming the layer.
    explicit Graph(std::vector<std::unique_ptr<Layer>> layers);

    size_t size() const { return layers_.size(); }
    const Layer& layer(size_t i) const { return *layers_[i]; }
    const std::vector<size_t>& inputs_of(size_t i) const { return inputs_[i]; }
    const std::vector<size_t>& order() const { return order_; }  // topological, file order among ties
    size_t output() const { return layers_.size() - 1; }
    const Layer* find(const std::string& name) const;
    bool has_explicit_inputs() const;  // a DAG rather than a plain stack
    // Where data enters (the model input and further inputs), fed by the batch rather than computed.
    bool is_input(size_t i) const { return layers_[i]->type == "input"; }

private:
    std::vector<std::unique_ptr<Layer>> layers_;
    std::vector<std::vector<size_t>> inputs_;
    std::vector<size_t> order_;
    std::unordered_map<std::string, size_t> by_name_;
};

// "layer "conv2" (/layers/3)": how errors name a layer.
std::string describe_layer(const Layer& layer);

}  // namespace dlsolve
