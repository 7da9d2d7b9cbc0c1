#include "equations/lower.h"

#include <optional>
#include <set>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve::equations {
namespace {

class Lowering {
public:
    Lowering(const System& s, Lowered& out, bool softmax_last_axis) : s_(s), out_(out), softmax_last_axis_(softmax_last_axis) {}

    void run() {
        bool first = true;
        for (const auto& t : s_.tensors) {
            if (t.role == Tensor::Role::Input) {
                Json object = declaration(t);
                if (first) {
                    out_.input = object;
                    out_.input_path = t.path;
                    first = false;
                } else {
                    object["type"] = "input";
                    add(object, t.path);
                }
                taken_.insert(t.name);
            }
        }
        for (const auto& t : s_.tensors)
            if (t.role == Tensor::Role::Param) {
                Json object = declaration(t);
                object["type"] = "parameter";
                object["inputs"] = Json::array({out_.input["name"]});
                if (object.contains("values")) object["value"] = std::move(object["values"]), object.erase("values");
                if (object.contains("symbols")) object["symbols"] = Json{{"value", object["symbols"]}};
                add(object, t.path);
                taken_.insert(t.name);
            }
        for (const auto& e : s_.equations) taken_.insert(e.target);
        for (size_t k = 0; k < s_.equations.size(); ++k) {
            at_ = k;
            const Equation& e = s_.equations[k];
            const std::string made = node(*e.value, e.target);
            if (made != e.target) add(Json{{"type", "linear"}, {"name", e.target}, {"inputs", Json::array({made})}}, path());
        }
    }

private:
    const System& s_;
    Lowered& out_;
    bool softmax_last_axis_;
    size_t at_ = 0;
    std::set<std::string> taken_;

    std::string path() const { return s_.equation_paths[at_]; }
    [[noreturn]] void fail(const std::string& what) const {
        throw ProblemError(path(), fmt::format("{} (in {})", what, s_.equations[at_].text));
    }
    Json declaration(const Tensor& t) const {
        Json object{{"name", t.name}};
        Json shape = Json::array();
        for (const auto& d : *t.shape) {
            const GiNaC::ex v = s_.evaluate(d);
            shape.push_back(GiNaC::ex_to<GiNaC::numeric>(v).to_long());
        }
        object["shape"] = shape;
        for (const char* key : {"values", "symbols"})
            if (t.declaration && t.declaration->contains(key)) object[key] = (*t.declaration)[key];
        return object;
    }
    void add(Json object, const std::string& where) {
        out_.layers.push_back(std::move(object));
        out_.paths.push_back(where);
    }
    // A fresh node name: the sub-expression as written ("W1 @ x"), or the equation's target.
    std::string name_for(const Node& n, const std::string& wanted) {
        std::string name = wanted.empty() ? to_text(n) : wanted;
        if (!wanted.empty()) return name;
        for (int k = 2; taken_.count(name); ++k) name = fmt::format("{} ({})", to_text(n), k);
        taken_.insert(name);
        return name;
    }
    // Emits the layers of `n` and returns the name of the node holding its value;
    // `wanted` names the outermost node (the equation's target).
    std::string node(const Node& n, const std::string& wanted) {
        const auto make = [&](Json object, std::vector<std::string> inputs) {
            object["name"] = name_for(n, wanted);
            object["inputs"] = inputs;
            const std::string name = object["name"];
            add(std::move(object), path());
            return name;
        };
        switch (n.kind) {
            case Node::Kind::Name: return n.text;
            case Node::Kind::Number: fail(fmt::format("the number {} stands alone: multiply or divide a tensor by it", n.text));
            case Node::Kind::MatMul: {
                Json object{{"type", "matmul"}};
                std::vector<std::string> inputs;
                for (size_t side = 0; side < 2; ++side) {
                    const Node* operand = n.args[side].get();
                    if (operand->kind == Node::Kind::Transpose) {
                        object[side == 0 ? "transpose_a" : "transpose_b"] = true;
                        operand = operand->args[0].get();
                    }
                    inputs.push_back(node(*operand, ""));
                }
                return make(object, inputs);
            }
            case Node::Kind::Add: case Node::Kind::Sub: case Node::Kind::Mul: case Node::Kind::Div: {
                const Node& a = *n.args[0];
                const Node& b = *n.args[1];
                const std::optional<double> ca = constant(a), cb = constant(b);
                if (n.kind == Node::Kind::Mul && ca) return make(scale(*ca), {node(b, "")});
                if ((n.kind == Node::Kind::Mul || n.kind == Node::Kind::Div) && cb) {
                    if (n.kind == Node::Kind::Div && *cb == 0) fail(fmt::format("{} divides by 0", to_text(n)));
                    return make(scale(n.kind == Node::Kind::Mul ? *cb : 1.0 / *cb), {node(a, "")});
                }
                if (n.kind == Node::Kind::Div) fail(fmt::format("{}: division is by a number only", to_text(n)));
                if (a.kind == Node::Kind::Number || b.kind == Node::Kind::Number)
                    fail(fmt::format("{}: adding a number to a tensor is not lowered yet", to_text(n)));
                const char* type = n.kind == Node::Kind::Add ? "add" : n.kind == Node::Kind::Sub ? "subtract" : "multiply";
                return make(Json{{"type", type}}, {node(a, ""), node(b, "")});
            }
            case Node::Kind::Neg: return make(scale(-1), {node(*n.args[0], "")});
            case Node::Kind::Call:
                if (n.text == "softmax") return make(softmax(n, wanted), {node(*n.args[0], "")});
                return make(Json{{"type", n.text}}, {node(*n.args[0], "")});
            case Node::Kind::Transpose:
                fail(fmt::format("{}: a transpose is computed only as a factor of @", to_text(n)));
        }
        fail("unknown operation");
    }
    // The value of a sub-expression made of numbers only (−0.5 in −0.5 * z, 3 / 2), or none.
    static std::optional<double> constant(const Node& n) {
        switch (n.kind) {
            case Node::Kind::Number: return n.number;
            case Node::Kind::Neg: {
                const std::optional<double> v = constant(*n.args[0]);
                if (v) return -*v;
                return std::nullopt;
            }
            case Node::Kind::Mul: case Node::Kind::Div: {
                const std::optional<double> a = constant(*n.args[0]), b = constant(*n.args[1]);
                if (!a || !b || (n.kind == Node::Kind::Div && *b == 0)) return std::nullopt;
                return n.kind == Node::Kind::Mul ? *a * *b : *a / *b;
            }
            default: return std::nullopt;
        }
    }
    static Json scale(double factor) { return Json{{"type", "scale"}, {"factor", factor}}; }

    // The softmax layer normalises the convention's channel axis: Keras's is the last, so a
    // column vector z (K × 1) is given "axis": 0, its rows (as PyTorch's channel axis is).
    Json softmax(const Node& n, const std::string& wanted) const {
        Json object{{"type", "softmax"}};
        if (!softmax_last_axis_) return object;
        const Tensor* t = n.args[0]->kind == Node::Kind::Name ? s_.find(n.args[0]->text) : (wanted.empty() ? nullptr : s_.find(wanted));
        if (!t || !t->shape)
            fail(fmt::format("{}: the softmax's axis is not known (its argument has no shape); write \"framework\": \"pytorch\"", to_text(n)));
        const bool column = t->shape->size() == 2 && s_.evaluate((*t->shape)[1]).is_equal(GiNaC::ex(1));
        if (column) object["axis"] = 0;
        return object;
    }
};

}  // namespace

Lowered lower(const System& system, const Convention& convention) {
    if (!system.numeric())
        throw std::logic_error("lower() needs every size to have a value");
    Lowered out;
    Lowering(system, out, convention.channels_last).run();
    return out;
}

}  // namespace dlsolve::equations
