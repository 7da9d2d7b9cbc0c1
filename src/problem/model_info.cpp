#include "problem/model_info.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

ModelInfo read_model(const Json& object, const Graph& graph, const Convention& convention) {
    if (!object.is_object()) throw ProblemError("/model", "expected an object such as {\"name\": \"sequential\"}, found " + describe(object));
    Fields fields(object, "/model");
    ModelInfo model;
    model.name = fields.optional_string("name").value_or("");
    if (convention.framework == Framework::Keras) {
        model.functional = fields.word("api", {"sequential", "functional"}, "sequential") == "functional";
    } else {
        model.calls = fields.names("calls");
        if (const Json* classes = fields.raw("classes")) {
            if (!classes->is_object()) fields.fail("classes", "an object of layer name → module class");
            for (const auto& [layer, cls] : classes->items()) {
                if (!cls.is_string() || cls.get<std::string>().empty()) fields.fail("classes", "an object of layer name → module class");
                model.classes[layer] = cls.get<std::string>();
            }
        }
    }
    fields.finish();
    const auto known = [&](const std::string& name) {
        for (size_t i = 0; i < graph.size(); ++i)
            if (graph.layer(i).name == name) return true;
        return false;
    };
    for (const auto& name : model.calls)
        if (!known(name)) throw ProblemError("/model/calls", fmt::format("unknown layer \"{}\"", name));
    for (const auto& [name, cls] : model.classes)
        if (!known(name)) throw ProblemError("/model/classes", fmt::format("unknown layer \"{}\"", name));
    return model;
}

}  // namespace dlsolve
