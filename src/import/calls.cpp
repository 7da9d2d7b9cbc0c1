// Calls: framework constructors and functions, layer objects applied to tensors,
// module instances and their methods, tensor methods (view, flatten, size).
#include <algorithm>

#include "import/layers.h"
#include "import/reader_impl.h"

namespace dlsolve::code {

std::string keras_member(const std::string& path) {
    for (const char* prefix : {"keras.", "tensorflow.keras.", "tensorflow.python.keras.", "tf_keras."})
        if (path.rfind(prefix, 0) == 0) return path.substr(path.rfind('.') + 1);
    return "";
}

std::string torch_member(const std::string& path) {
    if (path.rfind("torch.nn.functional.", 0) == 0) return "F." + path.substr(path.rfind('.') + 1);
    if (path.rfind("torch.nn.", 0) == 0) return path.substr(path.rfind('.') + 1);
    if (path.rfind("torch.", 0) == 0 && path.find('.', 6) == std::string::npos) return path;
    return "";
}

namespace {

const std::set<std::string>& shown_only() {
    // methods that show, compile, train or move a model: they build nothing
    static const std::set<std::string> words{"summary", "compile", "fit", "evaluate", "predict", "save", "eval", "train", "to", "cuda",
                                             "cpu", "parameters", "named_parameters", "build", "zero_grad", "count_params"};
    return words;
}

bool parameterless(const Json& spec) {
    static const std::set<std::string> types{"relu", "sigmoid", "tanh", "softmax", "leaky_relu", "linear", "activation", "maxpool2d", "avgpool2d",
                                             "global_avgpool2d", "global_maxpool2d", "adaptive_avgpool2d", "upsampling2d", "zeropadding2d",
                                             "flatten", "reshape", "dropout", "concat", "add", "subtract", "multiply", "scale"};
    return types.count(spec.value("type", "")) > 0;
}

}  // namespace

ValuePtr Reader::attribute(const ValuePtr& object, const std::string& name, Place at) {
    switch (object->kind) {
    case V::Module: return Value::of_text(V::Module, object->text + "." + name);
    case V::Instance: {
        const auto& inst = *object->instance;
        if (auto it = inst.attributes.find(name); it != inst.attributes.end()) return it->second;
        if (inst.cls && inst.cls->methods.count(name)) {
            auto m = Value::of_text(V::Method, name);
            m->self = object;
            return m;
        }
        if (name == "training") {
            auto v = Value::make(V::Bool);
            v->integer = 0;
            return v;
        }
        if (shown_only().count(name)) return Value::of_text(V::Builtin, "ignore");
        throw CodeError(at, "the attribute " + name + ", which __init__ does not assign: assign self." + name + " in __init__");
    }
    case V::Sequential:
    case V::Tensor: {
        if (object->kind == V::Sequential && shown_only().count(name)) return Value::of_text(V::Builtin, "ignore");
        auto m = Value::of_text(V::Method, name);
        m->self = object;
        return m;
    }
    case V::Builtin:
        if (object->text == "super_object" && name == "__init__") return Value::of_text(V::Builtin, "ignore");
        break;
    case V::Layer:
        if (name == "weight") {  // only to be tied: self.head.weight = self.emb.weight
            auto w = Value::make(V::Weight);
            w->layer = object->layer;
            return w;
        }
        break;
    default: break;
    }
    throw CodeError(at, "the attribute " + name + " of " + describe(*object) + ": layers, modules and tensors are supported");
}

ValuePtr Reader::make_layer(const std::string& class_name, CallSite site) {
    const LayerClass* cls = fw == Fw::Keras ? keras_class(class_name) : torch_class(class_name);
    auto layer = std::make_shared<LayerObject>();
    layer->class_name = class_name;
    layer->made = site.at;
    std::optional<bool> trainable;
    if (fw == Fw::Keras) {
        if (auto name = site.take("name")) {
            if (name->first->kind != V::Str) throw CodeError(name->second, describe(*name->first) + " as name: a string is supported");
            layer->name = name->first->text;
        }
        if (auto shape = site.take("input_shape")) {
            Args a;
            a.named["input_shape"] = shape->first;
            a.where["input_shape"] = shape->second;
            layer->input_shape = to_int_list(a, "input_shape");
        }
        const bool own_input_dim = std::find(cls->signature.begin(), cls->signature.end(), "input_dim") != cls->signature.end();
        if (auto dim = own_input_dim ? std::nullopt : site.take("input_dim")) {
            if (dim->first->kind != V::Int) throw CodeError(dim->second, describe(*dim->first) + " as input_dim: an int is supported");
            layer->input_shape = Json::array({dim->first->integer});
        }
        if (auto t = site.take("trainable")) {
            if (t->first->kind != V::Bool) throw CodeError(t->second, describe(*t->first) + " as trainable: True or False is supported");
            trainable = t->first->integer != 0;
        }
        if (layer->name.empty()) {
            const std::string base = keras_snake_name(class_name);
            const int n = counters[base]++;
            layer->name = n == 0 ? base : base + "_" + std::to_string(n);
        }
    }
    Args args = bind_args(class_name, site.positional, site.positional_at, site.keywords, site.keyword_at, cls->signature,
                     fw == Fw::Keras ? keras_ignored() : torch_ignored());
    args.call = site.at;
    layer->spec = cls->build(args);
    if (layer->spec.is_null()) layer->skip = true;
    if (trainable && !*trainable) layer->spec["trainable"] = false;
    auto v = Value::make(V::Layer);
    v->layer = layer;
    return v;
}

ValuePtr Reader::apply(const ValuePtr& callable, const std::vector<ValuePtr>& inputs, Place at) {
    for (const auto& input : inputs)
        if (input->kind != V::Tensor || input->text.empty())
            throw CodeError(at, describe(*input) + " given to a layer: a tensor (an Input, or a layer's output) is supported");
    switch (callable->kind) {
    case V::Layer: {
        auto& layer = *callable->layer;
        if (layer.skip) return inputs.at(0);
        if (layer.applied && !parameterless(layer.spec))
            throw CodeError(at, "the layer " + layer.name + " applied a second time (shared weights): each layer with weights applied once is supported");
        const bool again = layer.applied;
        layer.applied = true;
        if (fw == Fw::Keras && layer.spec.value("type", "") == "attention" && inputs.size() == 3)
            return emit(layer.spec, layer.name, {inputs[0], inputs[2], inputs[1]}, at);  // Keras [query, value, key] → dlsolve [query, key, value]
        Json spec = layer.spec;
        if (layer.tied_to) spec["tied_to"] = layer.tied_to->name;
        if (layer.name.empty() || again) return emit_function(layer.name.empty() ? keras_snake_name(layer.class_name) : layer.name, spec, inputs, at);
        return emit(spec, layer.name, inputs, at);
    }
    case V::Sequential: {
        if (callable->text == "Model") throw CodeError(at, "a Keras Model called as a layer: one model built with Sequential or the functional API is supported");
        if (inputs.size() != 1) throw CodeError(at, "a Sequential called on several tensors: one tensor is supported");
        ValuePtr x = inputs[0];
        for (const auto& item : callable->items) x = apply(item, {x}, at);
        return x;
    }
    case V::Instance: {
        CallSite site;
        site.at = at;
        for (const auto& input : inputs) site.positional.push_back(input), site.positional_at.push_back(at);
        ValuePtr out = call_function(*callable->instance->cls, "forward", callable, site);
        if (out->kind != V::Tensor) throw CodeError(at, "a forward that returns " + describe(*out) + ": forward returning one tensor is supported");
        return out;
    }
    default: break;
    }
    throw CodeError(at, describe(*callable) + " applied to a tensor: layers, Sequential models and nn.Module instances are supported");
}

}  // namespace dlsolve::code
