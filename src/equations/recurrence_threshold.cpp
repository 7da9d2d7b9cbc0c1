// The threshold on the weight of a scalar recurrence between vanishing and exploding
// gradients (exam 002 3c's α = 4 for the sigmoid), answered beside the recursion.
#include <algorithm>

#include <fmt/format.h>

#include "equations/recurrence.h"

namespace dlsolve::equations {

namespace {

bool is_one_by_one(const Tensor* t) {
    if (!t || !t->shape) return false;
    for (const auto& d : *t->shape)
        if (!d.is_equal(1)) return false;
    return true;
}

bool reads_state(const Node& n, const std::string& state) {
    if (n.kind == Node::Kind::Name && n.text == state) return true;
    return std::any_of(n.args.begin(), n.args.end(), [&](const auto& a) { return reads_state(*a, state); });
}

}  // namespace

// A scalar recurrence h[t] = φ(w h[t−1] + …) (+ a constant, as σ(z) − 0.5) with φ the
// sigmoid or tanh: each step back multiplies ∂L/∂h by φ′(z)·w, and |φ′| is largest at
// z = 0 (σ′(0) = 1/4, tanh′(0) = 1), so the gradient vanishes for |w| below 1/max φ′
// and may explode above it (Bengio, Simard and Frasconi 1994; Pascanu et al. 2013).
std::optional<ScalarThreshold> scalar_threshold(const System& s, const Equation& e) {
    if (!is_one_by_one(s.find(e.target))) return std::nullopt;
    const Node* call = e.value.get();
    if ((call->kind == Node::Kind::Add || call->kind == Node::Kind::Sub) && call->args[1]->kind == Node::Kind::Number)
        call = call->args[0].get();
    if (call->kind != Node::Kind::Call || (call->text != "sigmoid" && call->text != "tanh")) return std::nullopt;
    // The one term of φ's argument that reads h[t−1]: w @ h[t−1] or w ⊙ h[t−1].
    std::vector<const Node*> terms, stack{call->args[0].get()};
    while (!stack.empty()) {
        const Node* n = stack.back();
        stack.pop_back();
        if (n->kind == Node::Kind::Add) stack.push_back(n->args[0].get()), stack.push_back(n->args[1].get());
        else terms.push_back(n);
    }
    std::string weight;
    for (const Node* t : terms) {
        if (!reads_state(*t, e.target)) continue;
        const bool product = t->kind == Node::Kind::MatMul || t->kind == Node::Kind::Mul;
        if (!weight.empty() || !product || t->args[0]->kind != Node::Kind::Name || t->args[1]->kind != Node::Kind::Name ||
            t->args[1]->text != e.target || !t->args[1]->lag || *t->args[1]->lag != 1)
            return std::nullopt;
        const Tensor* w = s.find(t->args[0]->text);
        if (!w || w->role != Tensor::Role::Param || !is_one_by_one(w)) return std::nullopt;
        weight = w->name;
    }
    if (weight.empty()) return std::nullopt;
    const bool sigmoid = call->text == "sigmoid";
    ScalarThreshold out;
    out.weight = weight;
    out.slope = sigmoid ? 0.25 : 1.0;
    out.threshold = 1.0 / out.slope;
    out.slope_text = sigmoid ? "max |\u03C3\u2032(z)| = \u03C3\u2032(0) = 1/4 = 0.25" : "max |tanh\u2032(z)| = tanh\u2032(0) = 1";
    out.threshold_text = fmt::format("each step back multiplies \u2202L/\u2202{0} by {1}\u2032(z)\u00B7{2}: it vanishes for |{2}| < 1/{3} = {4} "
                                     "and may explode for |{2}| > {4}",
                                     e.target, sigmoid ? "\u03C3" : "tanh", weight, sigmoid ? "(1/4)" : "1", sigmoid ? 4 : 1);
    return out;
}

}  // namespace dlsolve::equations
