#include <cmath>

#include "import/layers.h"
#include "import/reader_impl.h"

namespace dlsolve::code {
namespace {

// Names a listing may use without importing them (exam snippets often start mid-file),
// with the module each stands for.
std::optional<std::string> usual_alias(const std::string& name) {
    static const std::map<std::string, std::string> aliases{
        {"tf", "tensorflow"}, {"tfk", "tensorflow.keras"}, {"tfkl", "tensorflow.keras.layers"}, {"keras", "keras"},
        {"torch", "torch"}, {"nn", "torch.nn"}, {"F", "torch.nn.functional"}};
    if (auto it = aliases.find(name); it != aliases.end()) return it->second;
    return std::nullopt;
}

bool is_framework_path(const std::string& path) {
    return path.rfind("keras", 0) == 0 || path.rfind("tensorflow", 0) == 0 || path.rfind("torch", 0) == 0;
}

Fw framework_of_path(const std::string& path) { return path.rfind("torch", 0) == 0 ? Fw::PyTorch : Fw::Keras; }

// Decides Keras or PyTorch from the imports, the usual aliases, then the class names.
Fw detect_framework(const std::vector<NodePtr>& module, const ReadOptions& options) {
    if (options.framework == "keras") return Fw::Keras;
    if (options.framework == "pytorch") return Fw::PyTorch;
    std::optional<std::pair<Fw, Place>> found;
    const auto note = [&](Fw fw, Place at) {
        if (found && found->first != fw)
            throw CodeError(at, "code that imports both Keras and PyTorch: pass --framework keras or --framework pytorch");
        if (!found) found = {{fw, at}};
    };
    for (const auto& s : module)
        if ((s->kind == Kind::Import || s->kind == Kind::From) && is_framework_path(s->text)) note(framework_of_path(s->text), s->at);
    if (found) return found->first;
    // No import: the first name that only one framework has.
    std::function<void(const NodePtr&)> walk = [&](const NodePtr& n) {
        if (!n || found) return;
        if (n->kind == Kind::Name) {
            if (auto alias = usual_alias(n->text)) note(framework_of_path(*alias), n->at);
            else if (keras_class(n->text) && !torch_class(n->text)) note(Fw::Keras, n->at);
            else if (torch_class(n->text) && !keras_class(n->text)) note(Fw::PyTorch, n->at);
            else if (n->text == "Sequential" || n->text == "Input" || n->text == "Model") note(Fw::Keras, n->at);
        }
        for (const auto& item : n->items) walk(item);
        for (const auto& k : n->keywords) walk(k.value);
        walk(n->target);
    };
    for (const auto& s : module) walk(s);
    if (found) return found->first;
    throw CodeError({1, 1}, "code that could be Keras or PyTorch: pass --framework keras or --framework pytorch");
}

[[noreturn]] void too_large(Place at) { throw CodeError(at, "an integer beyond 64 bits: smaller sizes are supported"); }

ValuePtr arithmetic(const std::string& op, const ValuePtr& a, const ValuePtr& b, Place at) {
    const bool ints = a->kind == V::Int && b->kind == V::Int;
    const bool numbers = (a->kind == V::Int || a->kind == V::Float) && (b->kind == V::Int || b->kind == V::Float);
    if ((a->kind == V::Tuple || a->kind == V::List) && a->kind == b->kind && op == "+") {
        auto joined = Value::make(a->kind);
        joined->items = a->items;
        joined->items.insert(joined->items.end(), b->items.begin(), b->items.end());
        return joined;
    }
    if (!numbers) throw CodeError(at, "the operator " + op + " on " + describe(*a) + " and " + describe(*b) + ": arithmetic on numbers and + - * on tensors is supported");
    if (ints) {
        const int64_t x = a->integer, y = b->integer;
        int64_t r = 0;
        if (op == "+") return __builtin_add_overflow(x, y, &r) ? too_large(at), nullptr : Value::of_int(r);
        if (op == "-") return __builtin_sub_overflow(x, y, &r) ? too_large(at), nullptr : Value::of_int(r);
        if (op == "*") return __builtin_mul_overflow(x, y, &r) ? too_large(at), nullptr : Value::of_int(r);
        if ((op == "//" || op == "%") && y == 0) throw CodeError(at, "a division by zero: a non-zero divisor is supported");
        if ((op == "//" || op == "%") && x == INT64_MIN && y == -1) too_large(at);
        if (op == "//") return Value::of_int(x / y - ((x % y != 0) && ((x < 0) != (y < 0)) ? 1 : 0));  // Python floors
        if (op == "%") return Value::of_int(((x % y) + y) % y);
        if (op == "**" && y >= 0) {
            int64_t power = 1;
            for (int64_t i = 0; i < y; ++i)
                if (__builtin_mul_overflow(power, x, &power)) too_large(at);
            return Value::of_int(power);
        }
    }
    const double x = a->kind == V::Int ? static_cast<double>(a->integer) : a->real;
    const double y = b->kind == V::Int ? static_cast<double>(b->integer) : b->real;
    if (op == "+") return Value::of_real(x + y);
    if (op == "-") return Value::of_real(x - y);
    if (op == "*") return Value::of_real(x * y);
    if (op == "/") {
        if (y == 0) throw CodeError(at, "a division by zero: a non-zero divisor is supported");
        return Value::of_real(x / y);
    }
    if (op == "**") return Value::of_real(std::pow(x, y));
    throw CodeError(at, "the operator " + op + " on these numbers: + - * / // % ** are supported");
}

}  // namespace

std::optional<std::pair<ValuePtr, Place>> CallSite::take(const std::string& key) {
    for (size_t i = 0; i < keywords.size(); ++i)
        if (keywords[i].first == key) {
            std::pair<ValuePtr, Place> found{keywords[i].second, keyword_at[i]};
            keywords.erase(keywords.begin() + static_cast<long>(i));
            keyword_at.erase(keyword_at.begin() + static_cast<long>(i));
            return found;
        }
    return std::nullopt;
}

ValuePtr Reader::eval(const NodePtr& n) {
    switch (n->kind) {
    case Kind::Int: {
        try {
            return Value::of_int(std::stoll(n->text));
        } catch (const std::exception&) {
            throw CodeError(n->at, "an integer beyond 64 bits: smaller sizes are supported");
        }
    }
    case Kind::Float: return Value::of_real(std::stod(n->text));
    case Kind::String: return Value::of_text(V::Str, n->text);
    case Kind::Constant: {
        if (n->text == "None") return Value::make(V::None);
        auto v = Value::make(V::Bool);
        v->integer = n->text == "True";
        return v;
    }
    case Kind::Tuple:
    case Kind::List: {
        auto v = Value::make(n->kind == Kind::Tuple ? V::Tuple : V::List);
        for (const auto& item : n->items) v->items.push_back(eval(item));
        return v;
    }
    case Kind::Name: {
        if (!locals.empty())
            if (auto it = locals.back().find(n->text); it != locals.back().end()) return it->second;
        if (auto it = globals.find(n->text); it != globals.end()) return it->second;
        for (const auto& star : star_modules) {
            const std::string path = star + "." + n->text;
            if ((fw == Fw::Keras && keras_member(path) != "") || (fw == Fw::PyTorch && torch_member(path) != "")) return Value::of_text(V::Module, path);
        }
        if (auto alias = usual_alias(n->text)) return Value::of_text(V::Module, *alias);
        if (fw == Fw::Keras && (keras_class(n->text) || n->text == "Sequential" || n->text == "Input" || n->text == "Model"))
            return Value::of_text(V::Module, "keras.layers." + n->text);
        if (fw == Fw::PyTorch && torch_class(n->text)) return Value::of_text(V::Module, "torch.nn." + n->text);
        if (n->text == "super") return Value::of_text(V::Builtin, "super");
        if (n->text == "print" || n->text == "len") return Value::of_text(V::Builtin, n->text);
        throw CodeError(n->at, "the name " + n->text + ", which nothing above defines: assign a variable before its use, or import the layer");
    }
    case Kind::Attribute: return attribute(eval(n->target), n->text, n->at);
    case Kind::Subscript: {
        ValuePtr object = eval(n->target);
        if ((object->kind == V::Tuple || object->kind == V::List) && n->items.size() == 1 && n->items[0]->kind != Kind::Slice) {
            ValuePtr index = eval(n->items[0]);
            if (index->kind != V::Int) throw CodeError(n->items[0]->at, describe(*index) + " as an index: an int is supported");
            const auto size = static_cast<int64_t>(object->items.size());
            const int64_t i = index->integer < 0 ? index->integer + size : index->integer;
            if (i < 0 || i >= size) throw CodeError(n->items[0]->at, "the index " + std::to_string(index->integer) + " of a " + std::to_string(size) + "-element sequence: an index inside it is supported");
            return object->items[static_cast<size_t>(i)];
        }
        if ((object->kind == V::Tuple || object->kind == V::List) && n->items.size() == 1) {
            const auto& slice = n->items[0];
            const auto bound = [&](const NodePtr& b, int64_t otherwise) {
                if (!b) return otherwise;
                ValuePtr v = eval(b);
                if (v->kind != V::Int) throw CodeError(b->at, "a slice bound that is not an int: ints are supported");
                const auto size = static_cast<int64_t>(object->items.size());
                return std::clamp(v->integer < 0 ? v->integer + size : v->integer, int64_t{0}, size);
            };
            if (slice->items[2]) throw CodeError(slice->at, "a slice with a step: [start:stop] is supported");
            const int64_t from = bound(slice->items[0], 0), to = bound(slice->items[1], static_cast<int64_t>(object->items.size()));
            auto v = Value::make(object->kind);
            for (int64_t i = from; i < to; ++i) v->items.push_back(object->items[static_cast<size_t>(i)]);
            return v;
        }
        if (object->kind == V::Method && object->text == "shape" && n->items.size() == 1) {
            ValuePtr index = eval(n->items[0]);
            if (index->kind == V::Int && index->integer == 0) return Value::make(V::BatchSize);
        }
        throw CodeError(n->at, "a subscript of " + describe(*object) + ": indexing a tuple or list, and x.shape[0], are supported");
    }
    case Kind::Call: {
        CallSite site;
        site.at = n->at;
        ValuePtr callee = eval(n->target);
        for (const auto& item : n->items) site.positional.push_back(eval(item)), site.positional_at.push_back(item->at);
        for (const auto& k : n->keywords) site.keywords.emplace_back(k.name, eval(k.value)), site.keyword_at.push_back(k.value->at);
        return call(callee, std::move(site));
    }
    case Kind::Binary: {
        ValuePtr a = eval(n->items[0]), b = eval(n->items[1]);
        if (a->kind == V::Tensor || b->kind == V::Tensor) {
            static const std::map<std::string, std::string> merges{{"+", "add"}, {"-", "subtract"}, {"*", "multiply"}};
            if (a->kind == V::Tensor && b->kind == V::Tensor && merges.count(n->text))
                return emit_function(merges.at(n->text), Json{{"type", merges.at(n->text)}}, {a, b}, n->at);
            const ValuePtr& number = a->kind == V::Tensor ? b : a;
            if (n->text == "*" && (number->kind == V::Int || number->kind == V::Float))
                return emit_function("scale", Json{{"type", "scale"}, {"factor", number->kind == V::Int ? static_cast<double>(number->integer) : number->real}},
                                     {a->kind == V::Tensor ? a : b}, n->at);
            throw CodeError(n->at, "the operator " + n->text + " on " + describe(*a) + " and " + describe(*b) +
                                       ": tensor + tensor, tensor - tensor, tensor * tensor and tensor * number are supported");
        }
        return arithmetic(n->text, a, b, n->at);
    }
    case Kind::Unary: {
        ValuePtr a = eval(n->items[0]);
        if (a->kind == V::Int) return Value::of_int(n->text == "-" ? -a->integer : a->integer);
        if (a->kind == V::Float) return Value::of_real(n->text == "-" ? -a->real : a->real);
        throw CodeError(n->at, "the sign " + n->text + " on " + describe(*a) + ": signs on numbers are supported");
    }
    case Kind::Slice: throw CodeError(n->at, "a slice outside a subscript: slices of tuples and lists are supported");
    default: break;
    }
    throw CodeError(n->at, "this expression: names, numbers, strings, tuples, lists, calls and arithmetic are supported");
}

void Reader::run(const std::vector<NodePtr>& body, ValuePtr* returned) {
    Scope& scope = locals.empty() ? globals : locals.back();
    const auto assign = [&](const NodePtr& target, const ValuePtr& value, auto& self) -> void {
        if (target->kind == Kind::Name) {
            scope[target->text] = value;
        } else if (target->kind == Kind::Attribute) {
            ValuePtr object = eval(target->target);
            if (object->kind == V::Layer && target->text == "weight" && value->kind == V::Weight && value->layer != object->layer) {
                // Weight tying: one tensor, counted once, by the layer made first, as
                // model.named_parameters() lists it under the first module that holds it
                // (nanoGPT's wte.weight = lm_head.weight is wte's there too).
                auto first = object->layer, second = value->layer;
                if (std::pair(second->made.line, second->made.column) < std::pair(first->made.line, first->made.column)) std::swap(first, second);
                second->tied_to = first;
                first->tied_to = nullptr;
                return;
            }
            if (object->kind != V::Instance)
                throw CodeError(target->at, "an attribute assignment on " + describe(*object) +
                                                ": self.NAME = … inside a module, and weight tying (self.head.weight = self.emb.weight), are supported");
            object->instance->attributes[target->text] = value;
        } else if (target->kind == Kind::Tuple || target->kind == Kind::List) {
            if ((value->kind != V::Tuple && value->kind != V::List) || value->items.size() != target->items.size())
                throw CodeError(target->at, "an unpacking of " + describe(*value) + " into " + std::to_string(target->items.size()) + " names: a tuple of the same length is supported");
            for (size_t i = 0; i < target->items.size(); ++i) self(target->items[i], value->items[i], self);
        } else {
            throw CodeError(target->at, "an assignment to this target: names, self.NAME and tuples of names are supported");
        }
    };
    for (const auto& s : body) {
        switch (s->kind) {
        case Kind::Import: {
            const std::string alias = s->names[0];
            if (!alias.empty()) scope[alias] = Value::of_text(V::Module, s->text);
            else {
                const std::string root = s->text.substr(0, s->text.find('.'));
                scope[root] = Value::of_text(V::Module, root);
            }
            break;
        }
        case Kind::From:
            for (size_t i = 0; i + 1 < s->names.size(); i += 2) {
                if (s->names[i] == "*") star_modules.push_back(s->text);
                else scope[s->names[i + 1].empty() ? s->names[i] : s->names[i + 1]] = Value::of_text(V::Module, s->text + "." + s->names[i]);
            }
            break;
        case Kind::Assign: {
            ValuePtr value = eval(s->target);
            for (const auto& target : s->items) assign(target, value, assign);
            if (locals.empty() && (value->kind == V::Instance || value->kind == V::Sequential)) model = value, model_at = s->at;
            break;
        }
        case Kind::AugAssign: {
            Node binary{Kind::Binary, s->at, s->text, {s->items[0], s->target}, {}, nullptr, {}};
            ValuePtr value = eval(std::make_shared<const Node>(binary));
            assign(s->items[0], value, assign);
            break;
        }
        case Kind::ExprStatement: {
            const auto& e = s->target;
            // print(...), summary(...) and the like show the model; they build nothing
            if (e->kind == Kind::Call && e->target->kind == Kind::Name && e->target->text == "print") break;
            eval(e);
            break;
        }
        case Kind::ClassDef: {
            auto cls = std::make_shared<ClassDef>();
            cls->node = s;
            for (const auto& base : s->names) {
                const std::string first = base.substr(0, base.find('.'));
                std::string path = base;
                ValuePtr known = globals.count(first) ? globals[first] : (usual_alias(first) ? Value::of_text(V::Module, *usual_alias(first)) : nullptr);
                if (known && known->kind == V::Module) path = known->text + base.substr(first.size());
                if (path != "torch.nn.Module" && path != "torch.nn.modules.module.Module") {
                    if (keras_member(path) != "")
                        throw CodeError(s->at, "a subclass of " + base + " (a custom Keras layer or model): Sequential and the functional API are supported");
                    throw CodeError(s->at, "a class deriving from " + base + ": classes deriving from nn.Module are supported");
                }
            }
            for (const auto& member : s->items) {
                if (member->kind == Kind::FunctionDef) cls->methods[member->text] = member;
                else if (member->kind != Kind::Pass && member->kind != Kind::ExprStatement)
                    throw CodeError(member->at, "a class attribute: methods (__init__, forward) are supported");
            }
            auto v = Value::make(V::Class);
            v->cls = cls;
            scope[s->text] = v;
            if (locals.empty()) last_class = v, last_class_at = s->at;
            break;
        }
        case Kind::FunctionDef:
            throw CodeError(s->at, "a function outside a class: write the model at the top level, or as an nn.Module's methods");
        case Kind::Return:
            if (!returned) throw CodeError(s->at, "a return outside a method: return ends forward");
            *returned = s->target ? eval(s->target) : Value::make(V::None);
            return;
        case Kind::Pass: break;
        default: throw CodeError(s->at, "this statement: straight-line code is supported");
        }
    }
}

ValuePtr Reader::call_function(const ClassDef& cls, const std::string& method, ValuePtr self, CallSite site) {
    const auto found = cls.methods.find(method);
    if (found == cls.methods.end()) {
        if (method == "__init__" && site.positional.empty() && site.keywords.empty()) return Value::make(V::None);
        throw CodeError(site.at, "the method " + method + " that class " + cls.node->text + " does not define: define it in the class");
    }
    const Node& def = *found->second;
    if (locals.size() > 50) throw CodeError(site.at, "calls nested more than 50 deep: straight-line code is supported");
    Scope scope;
    const auto& params = def.names;
    if (params.empty()) throw CodeError(def.at, "a method without self: methods take self first");
    scope[params[0]] = self;
    std::vector<std::string> rest(params.begin() + 1, params.end());
    Args args = bind_args(cls.node->text + "." + method, site.positional, site.positional_at, site.keywords, site.keyword_at, rest, {});
    for (const auto& p : rest) {
        if (args.has(p)) scope[p] = args.named.at(p);
        else {
            auto d = std::find_if(def.keywords.begin(), def.keywords.end(), [&](const Keyword& k) { return k.name == p; });
            if (d == def.keywords.end()) throw CodeError(site.at, "no value for the parameter " + p + " of " + method + ": pass every parameter without a default");
            locals.push_back(scope);
            ValuePtr v = eval(d->value);
            locals.pop_back();
            scope[p] = v;
        }
    }
    locals.push_back(std::move(scope));
    ValuePtr returned;
    run(def.items, &returned);
    locals.pop_back();
    return returned ? returned : Value::make(V::None);
}

Json Reader::read(const std::vector<NodePtr>& module) {
    fw = detect_framework(module, options_);
    run(module, nullptr);
    Place end{1, 1};
    if (!module.empty()) end = module.back()->at;
    return finish(end);
}

}  // namespace dlsolve::code
