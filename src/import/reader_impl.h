// The reader's state while it runs a listing: scopes, the imported names, the layers
// emitted so far (dlsolve JSON) and the model the listing builds. reader.cpp runs
// statements and expressions; calls.cpp turns calls into layers; graph.cpp emits them.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "import/import.h"
#include "import/value.h"

namespace dlsolve::code {

using Scope = std::map<std::string, ValuePtr>;

struct CallSite {
    Place at;
    std::vector<ValuePtr> positional;
    std::vector<Place> positional_at;
    std::vector<std::pair<std::string, ValuePtr>> keywords;
    std::vector<Place> keyword_at;
    // takes a keyword out of the call (common keywords such as name=, input_shape=)
    std::optional<std::pair<ValuePtr, Place>> take(const std::string& key);
};

class Reader {
public:
    Reader(const ReadOptions& options) : options_(options) {}
    Json read(const std::vector<NodePtr>& module);

    // reader.cpp
    ValuePtr eval(const NodePtr& node);
    void run(const std::vector<NodePtr>& body, ValuePtr* returned);
    ValuePtr call_function(const ClassDef& cls, const std::string& method, ValuePtr self, CallSite site);

    // calls.cpp
    ValuePtr call(const ValuePtr& callee, CallSite site);  // functions.cpp
    ValuePtr call_method(const ValuePtr& method, CallSite site);
    ValuePtr call_framework(const std::string& path, CallSite site);
    ValuePtr call_torch_function(const std::string& member, CallSite site);
    ValuePtr attribute(const ValuePtr& object, const std::string& name, Place at);
    ValuePtr make_layer(const std::string& class_name, CallSite site);
    ValuePtr apply(const ValuePtr& callable, const std::vector<ValuePtr>& inputs, Place at);

    // graph.cpp
    ValuePtr emit(Json spec, const std::string& name, const std::vector<ValuePtr>& inputs, Place at);
    ValuePtr emit_function(const std::string& function, Json spec, const std::vector<ValuePtr>& inputs, Place at);
    ValuePtr input_tensor(const Json& shape, const std::string& name, Place at);
    void name_modules(const ValuePtr& value, const std::string& path);
    Json finish(Place end);

    Fw fw = Fw::Keras;
    const ReadOptions& options_;
    Scope globals;
    std::deque<Scope> locals;
    std::vector<std::string> star_modules;
    // the graph
    std::optional<Json> input;        // {"name": …, "shape": […]}
    Json layers = Json::array();
    std::string last;                 // the node the next layer reads by default
    std::set<std::string> names;
    std::vector<Place> layer_places;  // the line of each emitted layer, for messages
    std::map<std::string, int> counters;  // Keras names and functional ops
    // the model
    ValuePtr model;                   // Sequential, Model(inputs, outputs) or nn.Module instance
    Place model_at;
    std::optional<Json> example_shape;  // torch.randn(1, 3, 32, 32) without the batch axis
    Place example_at;
    ValuePtr model_output;
    ValuePtr last_class;              // the last class defined at the top level
    Place last_class_at;            // Keras Model(…, outputs=)
};

// "keras.layers.Conv2D" → "Conv2D" when the path is Keras's; "" otherwise.
std::string keras_member(const std::string& path);
// "torch.nn.Conv2d" → "Conv2d"; "torch.nn.functional.relu" → "F.relu"; "torch.cat" → "torch.cat".
std::string torch_member(const std::string& path);

}  // namespace dlsolve::code
