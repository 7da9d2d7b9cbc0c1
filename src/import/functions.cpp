// Reader::call: what a call in a listing does. Keras: Sequential, Model, Input, the
// merge functions (concatenate, add, …), Bidirectional, layer classes. PyTorch:
// nn.Sequential, nn.Module subclasses, layer classes, torch.nn.functional and torch
// functions (cat, flatten, randn), tensor methods (view, reshape, flatten, size).
#include "import/layers.h"
#include "import/reader_impl.h"

namespace dlsolve::code {
namespace {

Args bind_site(const std::string& callee, const CallSite& s, const std::vector<std::string>& signature, const std::vector<std::string>& ignored = {}) {
    Args a = bind_args(callee, s.positional, s.positional_at, s.keywords, s.keyword_at, signature, ignored);
    a.call = s.at;
    return a;
}

ValuePtr tensor_arg(const Args& a, const std::string& key, const std::string& callee) {
    if (!a.has(key)) throw CodeError(a.call, callee + " without its " + key + ": give it a tensor");
    const ValuePtr& v = a.named.at(key);
    if (v->kind != V::Tensor || v->text.empty()) throw CodeError(a.where.at(key), describe(*v) + " as the " + key + " of " + callee + ": a tensor is supported");
    return v;
}

std::vector<ValuePtr> tensors_arg(const Args& a, const std::string& key, const std::string& callee) {
    if (!a.has(key)) throw CodeError(a.call, callee + " without its " + key + ": give it a list of tensors");
    const ValuePtr& v = a.named.at(key);
    if (v->kind != V::List && v->kind != V::Tuple) throw CodeError(a.where.at(key), describe(*v) + " as the " + key + " of " + callee + ": a list of tensors is supported");
    for (const auto& item : v->items)
        if (item->kind != V::Tensor || item->text.empty()) throw CodeError(a.where.at(key), describe(*item) + " among the " + key + " of " + callee + ": tensors are supported");
    return v->items;
}

}  // namespace

ValuePtr Reader::call(const ValuePtr& callee, CallSite site) {
    switch (callee->kind) {
    case V::Builtin: {
        if (callee->text == "super") return Value::of_text(V::Builtin, "super_object");
        if (callee->text == "ignore" || callee->text == "print") return Value::make(V::None);
        if (callee->text == "len") {
            Args a = bind_site("len", site, {"obj"});
            if (!a.has("obj")) throw CodeError(site.at, "len without an argument: len(a tuple or list) is supported");
            const auto& v = a.named.at("obj");
            if (v->kind != V::Tuple && v->kind != V::List) throw CodeError(site.at, "len of " + describe(*v) + ": len of a tuple or list is supported");
            return Value::of_int(static_cast<int64_t>(v->items.size()));
        }
        break;
    }
    case V::Class: {
        auto inst = std::make_shared<Instance>();
        inst->cls = callee->cls;
        inst->made = site.at;
        auto v = Value::make(V::Instance);
        v->instance = inst;
        call_function(*callee->cls, "__init__", v, std::move(site));
        return v;
    }
    case V::Layer:
    case V::Sequential:
    case V::Instance: {
        site.take("training");  // dropout and normalisation mode: no shape or count changes
        if (!site.keywords.empty()) throw CodeError(site.keyword_at[0], "the keyword " + site.keywords[0].first + "= in a call of " + describe(*callee) + ": its tensors, positionally, are supported");
        if (site.positional.size() == 1 && site.positional[0]->kind == V::Tensor && site.positional[0]->text.empty())
            return site.positional[0];  // the model run on the example input: the reader runs it itself
        std::vector<ValuePtr> inputs = site.positional;
        if (callee->kind == V::Layer && inputs.size() == 1 && (inputs[0]->kind == V::List || inputs[0]->kind == V::Tuple)) inputs = inputs[0]->items;  // Add()([a, b])
        if (inputs.empty()) throw CodeError(site.at, describe(*callee) + " called without a tensor: call it on a tensor");
        return apply(callee, inputs, site.at);
    }
    case V::Method: return call_method(callee, std::move(site));
    case V::Module: return call_framework(callee->text, std::move(site));
    default: break;
    }
    throw CodeError(site.at, "a call of " + describe(*callee) + ": layer classes, layers, models and the framework's functions are supported");
}

ValuePtr Reader::call_method(const ValuePtr& method, CallSite site) {
    const ValuePtr& self = method->self;
    const std::string& name = method->text;
    if (self->kind == V::Instance) return call_function(*self->instance->cls, name, self, std::move(site));
    if (self->kind == V::Sequential) {
        if (name == "add" && self->text != "Model") {
            Args a = bind_site("add", site, {"layer"});
            if (!a.has("layer")) throw CodeError(site.at, "model.add without a layer: model.add(LAYER) is supported");
            const auto& layer = a.named.at("layer");
            if (layer->kind != V::Layer && !(layer->kind == V::Tensor && self->items.empty()))
                throw CodeError(a.where.at("layer"), describe(*layer) + " added to a Sequential: layers are supported");
            self->items.push_back(layer);
            return Value::make(V::None);
        }
        throw CodeError(site.at, "the method " + name + " of a model: add, summary and compile are supported");
    }
    if (self->kind == V::Tensor) {
        if (name == "size" || name == "dim") {
            Args a = bind_site("size", site, {"dim"});
            if (a.has("dim") && a.named.at("dim")->kind == V::Int && a.named.at("dim")->integer == 0) return Value::make(V::BatchSize);
            throw CodeError(site.at, "a tensor's size other than x.size(0): the batch size x.size(0) is supported");
        }
        if (name == "flatten") {
            Args a = bind_site("flatten", site, {"start_dim", "end_dim"});
            if (!a.has("start_dim") || to_int(a, "start_dim") != 1 || (a.has("end_dim") && to_int(a, "end_dim") != -1))
                throw CodeError(site.at, "x.flatten without start_dim 1: x.flatten(1) is supported");
            return emit_function("flatten", Json{{"type", "flatten"}}, {self}, site.at);
        }
        if (name == "view" || name == "reshape") {
            if (!site.keywords.empty()) throw CodeError(site.keyword_at[0], "a keyword to " + name + ": sizes, positionally, are supported");
            std::vector<ValuePtr> sizes = site.positional;
            if (sizes.size() == 1 && (sizes[0]->kind == V::Tuple || sizes[0]->kind == V::List)) sizes = sizes[0]->items;
            if (sizes.size() < 2 || !(sizes[0]->kind == V::BatchSize || (sizes[0]->kind == V::Int && sizes[0]->integer == -1)))
                throw CodeError(site.at, "x." + name + " without the batch axis first: x." + name + "(x.size(0), -1) or x." + name + "(-1, N) is supported");
            Json target = Json::array();
            for (size_t i = 1; i < sizes.size(); ++i) {
                if (sizes[i]->kind != V::Int) throw CodeError(site.positional_at.back(), describe(*sizes[i]) + " as a size: ints are supported");
                target.push_back(sizes[i]->integer);
            }
            if (target == Json::array({-1})) return emit_function(name, Json{{"type", "flatten"}}, {self}, site.at);
            if (sizes[0]->kind == V::Int && std::find(target.begin(), target.end(), Json(-1)) != target.end())
                throw CodeError(site.at, "two -1 sizes in x." + name + ": the batch axis first and one -1 is supported");
            return emit_function(name, Json{{"type", "reshape"}, {"target_shape", target}}, {self}, site.at);
        }
        throw CodeError(site.at, "the tensor method " + name + ": view, reshape, flatten and size(0) are supported");
    }
    throw CodeError(site.at, "the method " + name + " of " + describe(*self) + ": layers, models and tensors are supported");
}

ValuePtr Reader::call_framework(const std::string& path, CallSite site) {
    if (fw == Fw::Keras && keras_member(path) != "") {
        const std::string m = keras_member(path);
        if (m == "Sequential") {
            Args a = bind_site("Sequential", site, {"layers", "name"}, {"trainable"});
            auto v = Value::make(V::Sequential);
            if (!is_none(a, "layers")) {
                const auto& list = a.named.at("layers");
                if (list->kind != V::List && list->kind != V::Tuple) throw CodeError(a.where.at("layers"), describe(*list) + " as the layers of Sequential: a list of layers is supported");
                for (const auto& item : list->items)
                    if (item->kind != V::Layer && !(item->kind == V::Tensor && v->items.empty()))
                        throw CodeError(a.where.at("layers"), describe(*item) + " in a Sequential: layers are supported");
                v->items = list->items;
            }
            return v;
        }
        if (m == "Model" || m == "Functional") {
            Args a = bind_site("Model", site, {"inputs", "outputs", "name"}, {"trainable"});
            ValuePtr out = a.has("outputs") ? a.named.at("outputs") : nullptr;
            if (!out || out->kind != V::Tensor) throw CodeError(site.at, "a Model without one output tensor: Model(inputs, outputs) with one output is supported");
            model_output = out;
            auto v = Value::of_text(V::Sequential, "Model");
            return v;
        }
        if (m == "Input" || m == "InputLayer") {
            CallSite s = site;
            std::string name;
            if (auto n = s.take("name")) name = n->first->kind == V::Str ? n->first->text : "";
            s.take("dtype");
            Args a = bind_site(m, s, {m == "Input" ? "shape" : "input_shape", "batch_size"});
            const std::string key = m == "Input" ? "shape" : "input_shape";
            if (!a.has(key)) throw CodeError(site.at, m + " without a shape: " + m + "(" + key + "=(H, W, C)) is supported");
            return input_tensor(to_int_list(a, key), name, site.at);
        }
        static const std::map<std::string, std::string> merges{{"concatenate", "Concatenate"}, {"add", "Add"}, {"subtract", "Subtract"}, {"multiply", "Multiply"}};
        if (auto it = merges.find(m); it != merges.end()) {
            CallSite s = site;
            ValuePtr inputs;
            if (!s.positional.empty()) {
                inputs = s.positional.front();
                s.positional.erase(s.positional.begin()), s.positional_at.erase(s.positional_at.begin());
            } else if (auto k = s.take("inputs")) {
                inputs = k->first;
            }
            if (!inputs) throw CodeError(site.at, m + " without its list of tensors: " + m + "([a, b]) is supported");
            ValuePtr layer = make_layer(it->second, s);
            if (inputs->kind != V::List && inputs->kind != V::Tuple) throw CodeError(site.at, describe(*inputs) + " given to " + m + ": a list of tensors is supported");
            return apply(layer, inputs->items, site.at);
        }
        if (m == "Bidirectional") {
            CallSite s = site;
            auto name = s.take("name");
            Args a = bind_site("Bidirectional", s, {"layer", "merge_mode"});
            if (!a.has("layer")) throw CodeError(site.at, "Bidirectional without a layer: Bidirectional(LSTM(...)) is supported");
            const auto& inner = a.named.at("layer");
            if (inner->kind != V::Layer || !inner->layer->spec.contains("units"))
                throw CodeError(a.where.at("layer"), describe(*inner) + " in Bidirectional: SimpleRNN, LSTM or GRU is supported");
            if (a.has("merge_mode") && to_text(a, "merge_mode") != "concat") throw CodeError(a.where.at("merge_mode"), "a merge_mode other than 'concat': 'concat' is supported");
            auto layer = std::make_shared<LayerObject>(*inner->layer);
            layer->spec["bidirectional"] = true;
            layer->name = name && name->first->kind == V::Str ? name->first->text : [&] {
                const int n = counters["bidirectional"]++;
                return n == 0 ? std::string("bidirectional") : "bidirectional_" + std::to_string(n);
            }();
            auto v = Value::make(V::Layer);
            v->layer = layer;
            return v;
        }
        if (keras_class(m)) return make_layer(m, std::move(site));
        throw CodeError(site.at, "the Keras name " + m + ": the layers dlsolve knows (docs/problem-format.md), Sequential, Model, Input and concatenate/add/subtract/multiply are supported");
    }
    if (fw == Fw::PyTorch && torch_member(path) != "") {
        const std::string m = torch_member(path);
        if (m == "Sequential") {
            if (!site.keywords.empty()) throw CodeError(site.keyword_at[0], "a keyword to nn.Sequential: the modules, positionally, are supported");
            auto v = Value::make(V::Sequential);
            for (size_t i = 0; i < site.positional.size(); ++i) {
                const auto& item = site.positional[i];
                if (item->kind != V::Layer && item->kind != V::Sequential && item->kind != V::Instance)
                    throw CodeError(site.positional_at[i], describe(*item) + " in nn.Sequential: modules are supported (an OrderedDict is not)");
                v->items.push_back(item);
            }
            return v;
        }
        if (torch_class(m)) return make_layer(m, std::move(site));
        return call_torch_function(m, std::move(site));
    }
    if (keras_member(path) != "" || torch_member(path) != "" || path.rfind("torch", 0) == 0)
        throw CodeError(site.at, "the " + std::string(fw == Fw::Keras ? "PyTorch" : "Keras") + " name " + path + " in " + (fw == Fw::Keras ? "Keras" : "PyTorch") +
                                     " code: one framework per file is supported");
    return Value::make(V::None);  // another library's function (numpy, torchinfo.summary, plot_model): builds nothing
}

ValuePtr Reader::call_torch_function(const std::string& m, CallSite site) {
    static const std::map<std::string, std::string> activations{
        {"F.relu", "relu"}, {"torch.relu", "relu"}, {"F.sigmoid", "sigmoid"}, {"torch.sigmoid", "sigmoid"}, {"F.tanh", "tanh"}, {"torch.tanh", "tanh"}};
    if (auto it = activations.find(m); it != activations.end()) {
        Args a = bind_site(m, site, {"input", "inplace"});
        return emit_function(m, Json{{"type", it->second}}, {tensor_arg(a, "input", m)}, site.at);
    }
    // torch/nn/functional.py: max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False);
    // avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)
    static const std::map<std::string, std::pair<std::string, std::vector<std::string>>> as_class{
        {"F.max_pool2d", {"MaxPool2d", {"input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"}}},
        {"F.avg_pool2d", {"AvgPool2d", {"input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"}}},
        {"F.adaptive_avg_pool2d", {"AdaptiveAvgPool2d", {"input", "output_size"}}},
        {"F.adaptive_max_pool2d", {"AdaptiveMaxPool2d", {"input", "output_size", "return_indices"}}},
        {"F.dropout", {"Dropout", {"input", "p", "training", "inplace"}}},
        {"F.softmax", {"Softmax", {"input", "dim"}}},
        {"torch.softmax", {"Softmax", {"input", "dim"}}},
        {"F.leaky_relu", {"LeakyReLU", {"input", "negative_slope", "inplace"}}},
    };
    if (auto it = as_class.find(m); it != as_class.end()) {
        Args a = bind_site(m, site, it->second.second, {"training", "inplace", "_stacklevel", "dtype"});
        const ValuePtr x = tensor_arg(a, "input", m);
        a.named.erase("input");
        Json spec = torch_class(it->second.first)->build(a);
        return emit_function(m, spec, {x}, site.at);
    }
    if (m == "torch.cat" || m == "torch.concat") {
        Args a = bind_site(m, site, {"tensors", "dim"});
        auto xs = tensors_arg(a, "tensors", m);
        Json spec{{"type", "concat"}};
        if (a.has("dim")) spec["axis"] = to_int(a, "dim");
        return emit_function(m, spec, xs, site.at);
    }
    if (m == "torch.add") {
        Args a = bind_site(m, site, {"input", "other"});
        return emit_function(m, Json{{"type", "add"}}, {tensor_arg(a, "input", m), tensor_arg(a, "other", m)}, site.at);
    }
    if (m == "torch.flatten") {
        Args a = bind_site(m, site, {"input", "start_dim", "end_dim"});
        if (!a.has("start_dim") || to_int(a, "start_dim") != 1 || (a.has("end_dim") && to_int(a, "end_dim") != -1))
            throw CodeError(site.at, "torch.flatten without start_dim 1: torch.flatten(x, 1) keeps the batch axis and is supported");
        return emit_function(m, Json{{"type", "flatten"}}, {tensor_arg(a, "input", m)}, site.at);
    }
    if (m == "torch.randn" || m == "torch.rand" || m == "torch.zeros" || m == "torch.ones") {
        CallSite s = site;
        for (const char* k : {"dtype", "device", "requires_grad"}) s.take(k);
        if (!s.keywords.empty()) throw CodeError(s.keyword_at[0], "the keyword " + s.keywords[0].first + " of " + m + ": the sizes are supported");
        std::vector<ValuePtr> sizes = s.positional;
        if (sizes.size() == 1 && (sizes[0]->kind == V::Tuple || sizes[0]->kind == V::List)) sizes = sizes[0]->items;
        if (sizes.size() < 2) throw CodeError(site.at, m + " without a batch axis: " + m + "(1, C, H, W) is supported");
        Json shape = Json::array();
        for (size_t i = 1; i < sizes.size(); ++i) {
            if (sizes[i]->kind != V::Int) throw CodeError(site.at, describe(*sizes[i]) + " as a size of " + m + ": ints are supported");
            shape.push_back(sizes[i]->integer);
        }
        example_shape = shape;
        example_at = site.at;
        return Value::make(V::Tensor);  // text "": the example input, not a node
    }
    throw CodeError(site.at, "the PyTorch name " + m + ": torch.nn layers dlsolve knows, F.relu, F.max_pool2d, F.avg_pool2d, F.dropout, F.softmax, torch.cat, torch.flatten and torch.randn are supported");
}

}  // namespace dlsolve::code
