#include "problem/model_info.h"

#include <set>

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
        if (const Json* modules = fields.raw("modules")) {
            constexpr const char* what = "an object of layer name → its dotted path in named_modules() (\"features.0\")";
            if (!modules->is_object()) fields.fail("modules", what);
            for (const auto& [layer, path] : modules->items()) {
                const std::string text = path.is_string() ? path.get<std::string>() : "";
                if (text.empty() || text.front() == '.' || text.back() == '.' || text.find("..") != std::string::npos)
                    throw ProblemError("/model/modules/" + layer, fmt::format("expected a dotted module path such as \"features.0\", found {}", describe(path)));
                model.modules[layer] = text;
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
    std::set<std::string> containers, paths;
    for (const auto& [name, path] : model.modules) {
        if (!known(name)) throw ProblemError("/model/modules", fmt::format("unknown layer \"{}\"", name));
        if (!paths.insert(path).second) throw ProblemError("/model/modules", fmt::format("two layers have the module path \"{}\"", path));
        for (auto& c : container_paths(path)) containers.insert(std::move(c));
    }
    for (const auto& path : paths)
        if (containers.count(path)) throw ProblemError("/model/modules", fmt::format("\"{}\" is both a layer's module path and a container of others", path));
    for (const auto& [name, cls] : model.classes)
        if (!known(name) && !containers.count(name))
            throw ProblemError("/model/classes", fmt::format("unknown layer or container \"{}\"", name));
    return model;
}

std::vector<std::string> container_paths(const std::string& module) {
    std::vector<std::string> out;
    for (size_t dot = module.find('.'); dot != std::string::npos; dot = module.find('.', dot + 1)) out.push_back(module.substr(0, dot));
    return out;
}

}  // namespace dlsolve
