// Equations lowered onto the layer graph, so they are computed and differentiated by the
// one engine: `z1 = W1 @ x + b1` becomes a `matmul` node named "W1 @ x" and an `add`
// node named z1; W1 and b1 are `parameter` nodes, one per parameter however many
// equations use it. Needs every size to have a value.
#pragma once

#include <string>
#include <vector>

#include "equations/system.h"
#include "ir/convention.h"

namespace dlsolve::equations {

struct Lowered {
    Json input;                      // the model input object (name, shape, values, symbols)
    std::string input_path;          // /inputs/x
    Json layers = Json::array();     // layer objects, in order
    std::vector<std::string> paths;  // where each layer comes from: /equations/k or /params/W1
};

// `convention` decides the softmax axis (a column vector needs PyTorch's, the channel axis).
Lowered lower(const System& system, const Convention& convention);

}  // namespace dlsolve::equations
