// Values of the Python subset while a listing is read: numbers, strings, tuples and
// lists, module paths, layer objects before and after they are applied, tensors (the
// name of the layer that made them), Sequential models and nn.Module instances.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "import/parser.h"
#include "problem/fields.h"

namespace dlsolve::code {

enum class Fw { Keras, PyTorch };

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// A layer object: what its constructor said, as dlsolve JSON keys.
struct LayerObject {
    Json spec;                 // {"type": ..., keys...} without name and inputs
    std::string class_name;    // Conv2D, nn.Conv2d
    std::string name;          // Keras name= or the module's attribute path
    Place made;
    bool applied = false;
    bool skip = false;         // nn.Identity: passes its input through
    Json input_shape;          // Keras input_shape= / input_dim= (null when not given)
    std::shared_ptr<LayerObject> tied_to;  // weight tying, self.head.weight = self.emb.weight: emb
};

struct ClassDef {
    NodePtr node;
    std::map<std::string, NodePtr> methods;
};

// An nn.Module instance or a Sequential container.
struct Instance {
    std::shared_ptr<const ClassDef> cls;      // null for Sequential
    std::map<std::string, ValuePtr> attributes;
    std::vector<ValuePtr> sequence;          // Sequential's layers, in order
    std::string path;                        // attribute path from the model ("" at the top)
    Place made;
};

// Weight: a layer's weight tensor (`layer` is the layer), read only to tie it to another layer.
enum class V { Int, Float, Str, Bool, None, Tuple, List, Module, Layer, Weight, Tensor, BatchSize, Sequential, Class, Instance, Method, Builtin };

struct Value {
    V kind;
    int64_t integer = 0;
    double real = 0;
    std::string text;                 // string, module path, tensor's layer name, method name
    std::vector<ValuePtr> items;      // tuple, list
    std::shared_ptr<LayerObject> layer;
    std::shared_ptr<Instance> instance;
    std::shared_ptr<const ClassDef> cls;
    ValuePtr self;                    // a method's object

    static ValuePtr make(V kind) { auto v = std::make_shared<Value>(); v->kind = kind; return v; }
    static ValuePtr of_int(int64_t i) { auto v = make(V::Int); v->integer = i; return v; }
    static ValuePtr of_real(double r) { auto v = make(V::Float); v->real = r; return v; }
    static ValuePtr of_text(V kind, std::string s) { auto v = make(kind); v->text = std::move(s); return v; }
};

std::string describe(const Value& v);  // "an int", "a tensor", … for messages

// Arguments of one call, bound to a signature.
struct Args {
    std::map<std::string, ValuePtr> named;
    std::map<std::string, Place> where;
    Place call;
    std::string callee;
    bool has(const std::string& key) const { return named.count(key) > 0; }
};

// Binds positional and keyword arguments to `signature` (the parameter names in the
// framework's order); keywords in `ignored` are accepted and dropped (initialisers,
// regularisers: they change no shape or count). Throws CodeError for anything else.
Args bind_args(const std::string& callee, const std::vector<ValuePtr>& positional, const std::vector<Place>& positional_at,
          const std::vector<std::pair<std::string, ValuePtr>>& keywords, const std::vector<Place>& keyword_at,
          const std::vector<std::string>& signature, const std::vector<std::string>& ignored);

// Conversions with a located message when the value has the wrong kind.
int64_t to_int(const Args& a, const std::string& key);
double to_real(const Args& a, const std::string& key);
bool to_bool(const Args& a, const std::string& key);
std::string to_text(const Args& a, const std::string& key);
Json to_size(const Args& a, const std::string& key);      // an int or a pair, as dlsolve writes kernel sizes
Json to_int_list(const Args& a, const std::string& key);  // a shape: ints
bool is_none(const Args& a, const std::string& key);

}  // namespace dlsolve::code
