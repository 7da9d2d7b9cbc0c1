#include "equations/inference.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve::equations {
namespace {

using GiNaC::ex;
using Shape = std::vector<ex>;

// A shape while equations are read: a parameter first met in `b1 + …` has no rank yet.
struct Shaped {
    std::optional<Shape> dims;
    Tensor* param = nullptr;  // the parameter whose rank this use decides
};

class Inference {
public:
    explicit Inference(System& s) : s_(s) {}

    void run() {
        for (size_t k = 0; k < s_.equations.size(); ++k) {
            at_ = k;
            const Equation& e = s_.equations[k];
            Tensor* target = find(e.target);
            if (target && target->role != Tensor::Role::Defined)
                fail(fmt::format("\"{}\" is {} and cannot be defined by an equation", e.target,
                                 target->role == Tensor::Role::Param ? "a parameter" : target->role == Tensor::Role::Input ? "an input" : "a target"));
            if (target && target->defined_by >= 0)
                fail(fmt::format("\"{}\" is already defined by {} ({})", e.target, s_.equation_paths[static_cast<size_t>(target->defined_by)],
                                 s_.equations[static_cast<size_t>(target->defined_by)].text));
            Shaped value = shape_of(*e.value);
            if (!value.dims) fail(fmt::format("the shape of \"{}\" is not determined by this equation", e.target));
            if (!target) {
                s_.tensors.push_back({e.target, Tensor::Role::Defined, s_.equation_paths[k], std::nullopt, {}, -1, -1, nullptr});
                target = &s_.tensors.back();
            }
            target->defined_by = static_cast<int>(k);
            if (!target->shape) {
                target->shape = *value.dims;
            } else {
                if (target->shape->size() != value.dims->size())
                    fail(fmt::format("\"{}\" is given the shape {} but the right-hand side has rank {}", e.target,
                                     shape_text(*target->shape), value.dims->size()));
                for (size_t i = 0; i < value.dims->size(); ++i)
                    unify((*target->shape)[i], (*value.dims)[i],
                          [&] { return fmt::format("\"{}\" is given {} but the right-hand side is {}", e.target,
                                                   shape_text(resolved(*target->shape)), shape_text(resolved(*value.dims))); });
            }
        }
        finish();
    }

private:
    System& s_;
    size_t at_ = 0;
    GiNaC::exmap bound_;
    std::map<std::string, size_t> why_;  // unknown → the equation that bound it
    std::set<std::string> unknown_;
    int counter_ = 0;

    Tensor* find(const std::string& name) {
        for (auto& t : s_.tensors)
            if (t.name == name) return &t;
        return nullptr;
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw ProblemError(s_.equation_paths[at_], fmt::format("{} (in {})", what, s_.equations[at_].text));
    }
    ex fresh() {
        GiNaC::symbol u("?" + std::to_string(++counter_));
        unknown_.insert(u.get_name());
        return u;
    }
    bool is_unknown(const ex& e) const { return GiNaC::is_a<GiNaC::symbol>(e) && unknown_.count(GiNaC::ex_to<GiNaC::symbol>(e).get_name()); }
    bool is_batch(const ex& e) const {
        if (!GiNaC::is_a<GiNaC::symbol>(e)) return false;
        const auto& name = GiNaC::ex_to<GiNaC::symbol>(e).get_name();
        return std::find(s_.batch_dims.begin(), s_.batch_dims.end(), name) != s_.batch_dims.end();
    }
    ex resolved(const ex& e) const {
        ex r = e;
        for (int i = 0; i < 64; ++i) {
            ex next = r.subs(bound_);
            if (next.is_equal(r)) break;
            r = next;
        }
        return r.expand();
    }
    Shape resolved(const Shape& s) const {
        Shape out;
        for (const auto& d : s) out.push_back(resolved(d));
        return out;
    }
    void bind(const ex& unknown, const ex& value) {
        bound_[unknown] = value;
        why_[GiNaC::ex_to<GiNaC::symbol>(unknown).get_name()] = at_;
    }
    template <class Message>
    void unify(const ex& left, const ex& right, Message&& message) {
        const ex a = resolved(left), b = resolved(right);
        if (a.is_equal(b)) return;
        if (is_unknown(a)) return bind(a, b);
        if (is_unknown(b)) return bind(b, a);
        if ((a - b).expand().is_zero() || (s_.evaluate(a) - s_.evaluate(b)).expand().is_zero()) return;  // D = 2 meets 2
        fail(message());
    }

    // A parameter met without a rank takes one now.
    Shape settle(Shaped& s, size_t rank, const Shape* like = nullptr) {
        if (s.dims) return *s.dims;
        Shape dims;
        if (like) {
            for (const auto& d : *like) dims.push_back(is_batch(resolved(d)) ? ex(1) : d);
        } else {
            for (size_t i = 0; i < rank; ++i) dims.push_back(fresh());
        }
        s.param->shape = dims;
        s.dims = dims;
        return dims;
    }

    Shaped shape_of(const Node& n) {
        switch (n.kind) {
            case Node::Kind::Number: return {Shape{}, nullptr};
            case Node::Kind::Name: {
                Tensor* t = find(n.text);
                if (!t || (t->role == Tensor::Role::Defined && t->defined_by < 0)) {
                    if (s_.dims.count(n.text))
                        fail(fmt::format("\"{}\" is a size (in \"dims\"), not a tensor", n.text));
                    fail(fmt::format("\"{}\" is not defined: give it in \"inputs\" or \"params\", or define it in an earlier equation", n.text));
                }
                if (t->role == Tensor::Role::Target)
                    fail(fmt::format("\"{}\" is a target: the loss compares it with the output, equations do not compute with it", n.text));
                if (t->first_use < 0) t->first_use = static_cast<int>(at_);
                return {t->shape, t->shape ? nullptr : t};
            }
            case Node::Kind::MatMul: {
                Shaped a = shape_of(*n.args[0]), b = shape_of(*n.args[1]);
                const Shape da = settle(a, 2), db = settle(b, 2);
                if (da.size() != 2 || db.size() != 2)
                    fail(fmt::format("{} multiplies matrices, found ranks {} and {}", to_text(n), da.size(), db.size()));
                unify(da[1], db[0], [&] {
                    return fmt::format("{}: the columns of {} ({}) must equal the rows of {} ({})", to_text(n), to_text(*n.args[0]),
                                       size_text(resolved(da[1])), to_text(*n.args[1]), size_text(resolved(db[0])));
                });
                return {Shape{da[0], db[1]}, nullptr};
            }
            case Node::Kind::Add: case Node::Kind::Sub: case Node::Kind::Mul: case Node::Kind::Div: {
                Shaped a = shape_of(*n.args[0]), b = shape_of(*n.args[1]);
                if (!a.dims && !b.dims) fail(fmt::format("{}: the shapes of both sides are unknown", to_text(n)));
                const Shape da = a.dims ? *a.dims : settle(a, 0, &*b.dims);
                const Shape db = b.dims ? *b.dims : settle(b, 0, &da);
                return {broadcast(n, da, db), nullptr};
            }
            case Node::Kind::Neg: case Node::Kind::Call: {
                Shaped a = shape_of(*n.args[0]);
                if (!a.dims) fail(fmt::format("{}: the shape of {} is unknown", to_text(n), to_text(*n.args[0])));
                return {a.dims, nullptr};
            }
            case Node::Kind::Transpose: {
                Shaped a = shape_of(*n.args[0]);
                const Shape d = settle(a, 2);
                if (d.size() != 2) fail(fmt::format("{} transposes a matrix, found rank {}", to_text(n), d.size()));
                return {Shape{d[1], d[0]}, nullptr};
            }
        }
        return {};
    }

    // NumPy's rule: align on the right; a size 1 (or a missing axis) stretches.
    Shape broadcast(const Node& n, const Shape& a, const Shape& b) {
        const size_t rank = std::max(a.size(), b.size());
        Shape out(rank);
        for (size_t i = 0; i < rank; ++i) {
            const bool in_a = i + a.size() >= rank, in_b = i + b.size() >= rank;
            const ex x = in_a ? resolved(a[i + a.size() - rank]) : ex(1), y = in_b ? resolved(b[i + b.size() - rank]) : ex(1);
            if (x.is_equal(ex(1)) && !is_unknown(y)) out[i] = y;
            else if (y.is_equal(ex(1)) && !is_unknown(x)) out[i] = x;
            else {
                unify(x, y, [&] {
                    return fmt::format("{}: the shapes {} and {} do not broadcast (axis {}: {} against {})", to_text(n),
                                       shape_text(resolved(a)), shape_text(resolved(b)), i + 1, size_text(x), size_text(y));
                });
                out[i] = x;
            }
        }
        return out;
    }

    void finish() {
        for (auto& t : s_.tensors) {
            if (!t.shape) {
                if (t.role == Tensor::Role::Param)
                    throw ProblemError(t.path, fmt::format("the parameter \"{}\" is not used by any equation", t.name));
                continue;
            }
            t.reasons.assign(t.shape->size(), "");
            for (size_t i = 0; i < t.shape->size(); ++i) {
                const ex original = (*t.shape)[i];
                if (is_unknown(original)) {
                    const auto it = why_.find(GiNaC::ex_to<GiNaC::symbol>(original).get_name());
                    if (it != why_.end()) t.reasons[i] = s_.equations[it->second].text;
                }
                const int origin = t.role == Tensor::Role::Defined ? t.defined_by : t.role == Tensor::Role::Param ? t.first_use : -1;
                if (t.reasons[i].empty() && origin >= 0 && !(t.role == Tensor::Role::Param && t.declaration && t.declaration->contains("shape")))
                    t.reasons[i] = s_.equations[static_cast<size_t>(origin)].text;
                (*t.shape)[i] = resolved(original);
                if (has_unknown((*t.shape)[i]))
                    throw ProblemError(t.path, fmt::format("the equations do not determine axis {} of \"{}\": give its \"shape\", or "
                                                           "the shape of a tensor it makes in \"shapes\"",
                                                           i + 1, t.name));
            }
        }
    }
    bool has_unknown(const ex& e) const {
        for (GiNaC::const_preorder_iterator it = e.preorder_begin(); it != e.preorder_end(); ++it)
            if (is_unknown(*it)) return true;
        return false;
    }
};


}  // namespace

void infer_shapes(System& s) { Inference(s).run(); }

}  // namespace dlsolve::equations
