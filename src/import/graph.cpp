// The layers a listing applies, in the order it applies them, as dlsolve JSON; and the
// model at the end: a Keras Sequential is laid out, a PyTorch module is run on its input.
#include "import/layers.h"
#include "import/reader_impl.h"

namespace dlsolve::code {

ValuePtr Reader::emit(Json spec, const std::string& name, const std::vector<ValuePtr>& inputs, Place at) {
    if (names.count(name)) throw CodeError(at, "a second layer named " + name + ": give each layer its own name");
    if (!input) throw CodeError(at, "a layer applied before the model's input is known: start from Input(shape=...)");
    Json layer{{"name", name}};
    for (auto& [key, value] : spec.items()) layer[key] = value;
    if (inputs.size() != 1 || inputs[0]->text != last) {
        Json from = Json::array();
        for (const auto& input_value : inputs) from.push_back(input_value->text);
        layer["inputs"] = from;
    }
    layers.push_back(std::move(layer));
    layer_places.push_back(at);
    names.insert(name);
    last = name;
    return Value::of_text(V::Tensor, name);
}

ValuePtr Reader::emit_function(const std::string& function, Json spec, const std::vector<ValuePtr>& inputs, Place at) {
    std::string name;
    do {
        const int n = counters[function]++;
        name = n == 0 ? function : function + "_" + std::to_string(n);
    } while (names.count(name));
    return emit(std::move(spec), name, inputs, at);
}

ValuePtr Reader::input_tensor(const Json& shape, const std::string& name, Place at) {
    if (!input) {
        input = Json{{"name", name.empty() ? "input" : name}, {"shape", shape}};
        last = (*input)["name"];
        names.insert(last);
        return Value::of_text(V::Tensor, last);
    }
    const std::string saved = last;
    ValuePtr extra = name.empty() ? emit_function("input", Json{{"type", "input"}, {"shape", shape}}, {Value::of_text(V::Tensor, last)}, at)
                                  : emit(Json{{"type", "input"}, {"shape", shape}}, name, {Value::of_text(V::Tensor, last)}, at);
    layers.back().erase("inputs");  // an extra input reads nothing
    last = saved;
    return extra;
}

void Reader::name_modules(const ValuePtr& value, const std::string& path) {
    const auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
    if (value->kind == V::Layer) {
        if (value->layer->name.empty()) value->layer->name = path;
    } else if (value->kind == V::Instance) {
        if (!value->instance->path.empty()) return;  // named already
        value->instance->path = path.empty() ? "." : path;
        for (const auto& [key, attr] : value->instance->attributes) name_modules(attr, child(key));
    } else if (value->kind == V::Sequential) {
        for (size_t i = 0; i < value->items.size(); ++i) name_modules(value->items[i], child(std::to_string(i)));
    }
}

Json Reader::finish(Place end) {
    if (fw == Fw::Keras) {
        if (!options_.input.empty())
            throw CodeError(end, "--input with Keras code: the input shape comes from Input(shape=...) or input_shape= in the code");
        if (model && model->kind == V::Sequential && model->text != "Model") {
            if (!layers.empty()) throw CodeError(model_at, "a Sequential model beside layers applied to tensors: one model per file is supported");
            auto items = model->items;
            if (items.empty()) throw CodeError(model_at, "an empty Sequential: add layers to it");
            if (!input) {
                const auto& first = items[0];
                if (first->kind != V::Layer || first->layer->input_shape.is_null())
                    throw CodeError(first->kind == V::Layer ? first->layer->made : model_at,
                                    "a Sequential whose first layer has no input_shape: give input_shape=(...) to the first layer, or start with Input(shape=(...))");
                input = Json{{"name", "input"}, {"shape", first->layer->input_shape}};
                names.insert("input");
                last = "input";
            }
            ValuePtr x = Value::of_text(V::Tensor, last);
            for (const auto& item : items)
                if (item->kind == V::Layer) x = apply(item, {x}, item->layer->made);
        } else if (model_output && model_output->text != last && !layers.empty()) {
            throw CodeError(model_at, "a Model whose output " + model_output->text + " is not the last layer applied (" + last +
                                          "): a model whose layers all lead to its output is supported");
        }
    } else {
        if (!model && last_class) {
            // no `model = Net()`: the last nn.Module class, built without arguments
            CallSite site;
            site.at = last_class_at;
            model = call(last_class, site);
            model_at = last_class_at;
        }
        if (!model) throw CodeError(end, "no model: assign one, as model = Net() or model = nn.Sequential(...)");
        if (model->kind != V::Instance && model->kind != V::Sequential && model->kind != V::Layer)
            throw CodeError(model_at, describe(*model) + " as the model: an nn.Module instance or nn.Sequential is supported");
        name_modules(model, "");
        Json shape;
        if (!options_.input.empty()) {
            shape = Json::array();
            for (auto d : options_.input) shape.push_back(d);
        } else if (example_shape) {
            shape = *example_shape;
        } else {
            throw CodeError(end, "the input size of a PyTorch model: pass --input C,H,W, or write example_input = torch.randn(1, C, H, W)");
        }
        ValuePtr x = input_tensor(shape, "input", model_at);
        ValuePtr out = apply(model, {x}, model_at);
        if (out->text != last)
            throw CodeError(model_at, "a forward whose output " + out->text + " is not the last layer applied (" + last + "): a forward whose layers all lead to its output is supported");
    }
    if (layers.empty()) throw CodeError(end, "no layers: a model built with Sequential, the functional API or an nn.Module is supported");
    Json doc;
    doc["framework"] = fw == Fw::Keras ? "keras" : "pytorch";
    doc["input"] = *input;
    doc["layers"] = layers;
    return doc;
}

}  // namespace dlsolve::code
