// The problem file's "model": what the framework's own summary calls the model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/convention.h"
#include "ir/graph.h"
#include "problem/fields.h"

namespace dlsolve {

// How the framework's own summary names the model (dlsolve params --style): Keras's
// model name and API, PyTorch's module class, and which steps of forward() are
// functional calls rather than submodules (torchinfo lists only modules).
struct ModelInfo {
    std::string name;                  // Keras: Model: "name"; PyTorch: the root module's class
    bool functional = false;           // Keras: built with keras.Input / keras.Model (InputLayer row)
    std::vector<std::string> calls;    // PyTorch: layers that are F.relu, F.max_pool2d, x.view, … in forward()
    std::map<std::string, std::string> classes;  // module class per layer where it is not dlsolve's (Dropout2d),
                                                 // and per container path (default Sequential)
    // PyTorch: each layer's dotted path in model.named_modules() ("layers.0", "ml.2.conv");
    // the prefixes are the containers torchinfo nests it in. Grouping only: no count changes.
    std::map<std::string, std::string> modules;
};

// The container paths of a dotted module path, outermost first: "ml.2.conv" → ml, ml.2.
std::vector<std::string> container_paths(const std::string& module);

// Reads "model"; throws ProblemError for a wrong key or a layer the graph does not have.
ModelInfo read_model(const Json& object, const Graph& graph, const Convention& convention);

}  // namespace dlsolve
