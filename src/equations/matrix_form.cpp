#include "equations/matrix_form.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "equations/recurrence.h"
#include "problem/error.h"

namespace dlsolve::equations {
namespace {

constexpr const char* kMinus = "\u2212";
constexpr const char* kHadamard = " \u2299 ";
constexpr const char* kT = "\u1D40";

// A product of matrices with a sign; no factors is the identity I.
struct Term {
    int sign = 1;
    std::vector<std::string> factors;
};
using Sum = std::vector<Term>;  // empty: zero

Sum times(const Sum& left, const Sum& right) {
    Sum out;
    for (const auto& a : left)
        for (const auto& b : right) {
            Term t{a.sign * b.sign, a.factors};
            t.factors.insert(t.factors.end(), b.factors.begin(), b.factors.end());
            out.push_back(std::move(t));
        }
    return out;
}
Sum plus(Sum a, const Sum& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}
Sum negated(Sum a) {
    for (auto& t : a) t.sign = -t.sign;
    return a;
}
Sum factor(std::string text) { return {Term{1, {std::move(text)}}}; }

std::string text_of(const Sum& sum) {
    if (sum.empty()) return "0";
    std::string out;
    for (size_t k = 0; k < sum.size(); ++k) {
        const Term& t = sum[k];
        const std::string body = t.factors.empty() ? "I" : fmt::format("{}", fmt::join(t.factors, " "));
        if (k == 0) out += (t.sign < 0 ? kMinus : "") + body;
        else out += (t.sign < 0 ? std::string(" ") + kMinus + " " : " + ") + body;
    }
    return out;
}

bool is_atom(const Node& n) { return n.kind == Node::Kind::Name || n.kind == Node::Kind::Number; }
std::string paren(const Node& n) { return is_atom(n) ? to_text(n) : "(" + to_text(n) + ")"; }
std::string paren(const std::string& text) {
    return text.find(' ') == std::string::npos ? text : "(" + text + ")";
}

// Whether the first bracket of `text` closes at its end: "(1 − y²)" but not "(y) ⊙ (1 − y)".
bool enclosed(const std::string& text) {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
    int depth = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
        if (depth == 0 && i + 1 < text.size()) return false;
    }
    return true;
}

// f′ of an activation, element-wise, at the node `arg`; `out` names f(arg) when the
// equation gives it a name (y_hat = sigmoid(z3): y_hat ⊙ (1 − y_hat)).
std::string derivative_text(const std::string& f, const Node& arg, const std::string& out) {
    const std::string a = to_text(arg), y = out.empty() ? f + "(" + a + ")" : out;
    if (f == "relu") return fmt::format("1[{} > 0]", a);
    if (f == "sigmoid") return fmt::format("{}{}(1 {} {})", paren(y), kHadamard, kMinus, y);
    if (f == "tanh") return fmt::format("(1 {} {}\u00B2)", kMinus, paren(y));
    if (f == "linear") return "1";
    if (f == "softmax") return "";  // a full Jacobian, not element-wise
    return f + "\u2032(" + a + ")";  // a generic function φ: φ′
}

class Derivation {
public:
    explicit Derivation(const System& s) : s_(s) {}

    // ∂(node)/∂(name) within one right-hand side, as a sum of matrix products; nullopt
    // when it is not a Jacobian between vectors (the name is a weight of a product).
    std::optional<Sum> local(const Node& n, const std::string& name, const std::string& out) const {
        switch (n.kind) {
            case Node::Kind::Name: return to_text(n) == name ? Sum{Term{}} : Sum{};
            case Node::Kind::Number: return Sum{};
            case Node::Kind::MatMul: {
                if (reads(*n.args[0], name)) return std::nullopt;
                auto right = local(*n.args[1], name, "");
                if (!right) return std::nullopt;
                return times(factor(paren(*n.args[0])), *right);
            }
            case Node::Kind::Add: case Node::Kind::Sub: {
                auto a = local(*n.args[0], name, ""), b = local(*n.args[1], name, "");
                if (!a || !b) return std::nullopt;
                return plus(*a, n.kind == Node::Kind::Add ? *b : negated(*b));
            }
            case Node::Kind::Mul: case Node::Kind::Div: {
                const Node& a = *n.args[0];
                const Node& b = *n.args[1];
                auto da = local(a, name, ""), db = local(b, name, "");
                if (!da || !db) return std::nullopt;
                const auto scaled = [&](const Node& by, const Sum& d) {
                    if (n.kind == Node::Kind::Div) return times(factor("(1/" + to_text(by) + ")"), d);
                    return times(factor(by.kind == Node::Kind::Number ? by.text : "diag(" + to_text(by) + ")"), d);
                };
                if (n.kind == Node::Kind::Div) {
                    if (!db->empty()) return std::nullopt;
                    return scaled(b, *da);
                }
                return plus(da->empty() ? Sum{} : scaled(b, *da), db->empty() ? Sum{} : scaled(a, *db));
            }
            case Node::Kind::Neg: {
                auto a = local(*n.args[0], name, "");
                if (!a) return std::nullopt;
                return negated(*a);
            }
            case Node::Kind::Call: {
                auto a = local(*n.args[0], name, "");
                if (!a || a->empty()) return a;
                const std::string d = derivative_text(n.text, *n.args[0], out);
                if (d == "1") return a;
                const std::string y = out.empty() ? to_text(n) : out;
                const std::string inside = enclosed(d) ? d.substr(1, d.size() - 2) : d;
                return times(factor(d.empty() ? fmt::format("(diag({0}) {1} {0} {0}{2})", y, kMinus, kT) : "diag(" + inside + ")"), *a);
            }
            case Node::Kind::Transpose: return reads(*n.args[0], name) ? std::nullopt : std::optional<Sum>(Sum{});
        }
        return std::nullopt;
    }

    static bool reads(const Node& n, const std::string& name) {
        if (n.kind == Node::Kind::Name) return to_text(n) == name;
        return std::any_of(n.args.begin(), n.args.end(), [&](const auto& a) { return reads(*a, name); });
    }
    static void names(const Node& n, std::vector<std::string>& out) {
        if (n.kind == Node::Kind::Name && std::find(out.begin(), out.end(), to_text(n)) == out.end()) out.push_back(to_text(n));
        for (const auto& a : n.args) names(*a, out);
    }

    // Upstream gradient G flowing into `n`: adds ∂J/∂name contributions. `shape` is the
    // shape of n's value where known (the equation's root): a tensor that broadcast
    // into it gets G summed over the stretched axes.
    void adjoint(const Node& n, const std::string& g, const std::string& out, const std::vector<GiNaC::ex>* shape = nullptr) {
        switch (n.kind) {
            case Node::Kind::Name: contributions_[to_text(n)].push_back(shape ? summed(n.text, g, *shape) : g); return;
            case Node::Kind::Number: return;
            case Node::Kind::MatMul: {
                const Node& a = *n.args[0];
                const Node& b = *n.args[1];
                adjoint(a, fmt::format("{} @ {}", paren(g), transposed(b)), "");
                adjoint(b, fmt::format("{} @ {}", transposed(a), paren(g)), "");
                return;
            }
            case Node::Kind::Add: adjoint(*n.args[0], g, "", shape); adjoint(*n.args[1], g, "", shape); return;
            case Node::Kind::Sub: adjoint(*n.args[0], g, "", shape); adjoint(*n.args[1], kMinus + paren(g), "", shape); return;
            case Node::Kind::Neg: adjoint(*n.args[0], kMinus + paren(g), ""); return;
            case Node::Kind::Mul: {
                const Node& a = *n.args[0];
                const Node& b = *n.args[1];
                if (a.kind == Node::Kind::Number) return adjoint(b, a.text + "\u00B7" + paren(g), "");
                if (b.kind == Node::Kind::Number) return adjoint(a, b.text + "\u00B7" + paren(g), "");
                adjoint(a, paren(g) + kHadamard + paren(b), "");
                adjoint(b, paren(g) + kHadamard + paren(a), "");
                return;
            }
            case Node::Kind::Div: adjoint(*n.args[0], paren(g) + "/" + paren(*n.args[1]), ""); return;
            case Node::Kind::Transpose: adjoint(*n.args[0], paren(g) + kT, ""); return;
            case Node::Kind::Call: {
                const std::string d = derivative_text(n.text, *n.args[0], out);
                const std::string y = out.empty() ? to_text(n) : out;
                if (d == "1") return adjoint(*n.args[0], g, "");
                if (d.empty()) return adjoint(*n.args[0], fmt::format("(diag({0}) {1} {0} {0}{2}) @ {3}", y, kMinus, kT, paren(g)), "");
                return adjoint(*n.args[0], paren(g) + kHadamard + d, "");
            }
        }
    }
    std::map<std::string, std::vector<std::string>>& contributions() { return contributions_; }

private:
    const System& s_;
    std::map<std::string, std::vector<std::string>> contributions_;

    // G summed over the axes along which `name` was stretched to `shape`: Σ_N G.
    std::string summed(const std::string& name, const std::string& g, const std::vector<GiNaC::ex>& shape) const {
        const Tensor* t = s_.find(name);
        if (!t || !t->shape) return g;
        const auto& own = *t->shape;
        std::vector<std::string> axes;
        for (size_t i = 0; i < shape.size(); ++i) {
            const bool present = i + own.size() >= shape.size();
            const GiNaC::ex d = present ? own[i + own.size() - shape.size()] : GiNaC::ex(1);
            if (d.is_equal(GiNaC::ex(1)) && !shape[i].is_equal(GiNaC::ex(1))) axes.push_back(size_text(shape[i]));
        }
        if (axes.empty()) return g;
        return fmt::format("\u03A3_{} {}", fmt::join(axes, ","), paren(g));
    }

    static std::string transposed(const Node& n) {
        if (n.kind == Node::Kind::Transpose) return paren(*n.args[0]);
        return paren(n) + kT;
    }
};

std::string grad(const std::string& name) { return "\u2202L/\u2202" + name; }

// The loss's gradient at the output, and, for the pairs the exams simplify (sigmoid with
// binary cross-entropy, softmax with categorical cross-entropy), at the pre-activation.
struct LossRule {
    std::string at_output;
    std::string pre_activation;  // the simplified δ, or empty
};

LossRule loss_rule(const std::string& loss, const std::string& out, const std::string& y, const std::string& m,
                   const std::string& activation) {
    const std::string mean = m.empty() ? "" : "/" + m;
    const std::string over = m.empty() ? "" : m + "\u00B7";
    if (loss == "bce")
        return {fmt::format("({0} {1} {2}) / ({3}{0}{4}(1 {1} {0}))", out, kMinus, y, over, kHadamard),
                activation == "sigmoid" ? fmt::format("({} {} {}){}", out, kMinus, y, mean) : ""};
    if (loss == "cross_entropy")
        return {fmt::format("{}{} {} {}", kMinus, y, "\u2298", out + (m.empty() ? "" : " / " + m)),
                activation == "softmax" ? fmt::format("({} {} {}){}", out, kMinus, y, mean) : ""};
    if (loss == "mse") return {fmt::format("2({} {} {}){}", out, kMinus, y, m.empty() ? "/n" : "/(n\u00B7" + m + ")"), ""};
    if (loss == "sse") return {fmt::format("2({} {} {})", out, kMinus, y), ""};
    if (loss == "half_sse") return {fmt::format("{} {} {}", out, kMinus, y), ""};
    return {fmt::format("\u2202J/\u2202{} ({})", out, loss), ""};
}

}  // namespace

std::vector<Gradient> gradients(const System& s, const std::string& loss) {
    Derivation d(s);
    std::vector<Gradient> out;
    std::string target = s.output == "y" ? "t" : "y";  // the target's name when the file declares none
    for (const auto& t : s.tensors)
        if (t.role == Tensor::Role::Target) { target = t.name; break; }
    const Equation& last = s.equations.back();
    const std::string activation = last.value->kind == Node::Kind::Call ? last.value->text : "";
    const LossRule rule = s.upstream.empty() ? loss_rule(loss, s.output, target, s.examples, activation) : LossRule{s.upstream, ""};
    const auto shape_of = [&](const std::string& name) { return *s.find(name)->shape; };
    out.push_back({s.output, grad(s.output) + " = " + rule.at_output, "", shape_of(s.output)});
    std::map<std::string, std::string> simplified;
    if (!rule.pre_activation.empty() && last.value->args[0]->kind == Node::Kind::Name)
        simplified[last.value->args[0]->text] = rule.pre_activation;
    for (size_t k = s.equations.size(); k-- > 0;) {
        const Equation& e = s.equations[k];
        d.adjoint(*e.value, e.target == s.output && !s.upstream.empty() ? s.upstream : grad(e.target), e.target,
                  &*s.find(e.target)->shape);
        // Every tensor this equation reads whose every use is now seen gets its gradient.
        std::vector<std::string> read;
        Derivation::names(*e.value, read);
        for (const auto& name : read) {
            bool later_use = false;
            for (size_t j = 0; j < k; ++j) later_use = later_use || Derivation::reads(*s.equations[j].value, name);
            if (later_use) continue;
            const Tensor* t = s.find(name);
            if (!t || t->role == Tensor::Role::Target) continue;
            const auto& parts = d.contributions()[name];
            std::string formula = grad(name) + " = " + fmt::format("{}", fmt::join(parts, " + "));
            if (parts.size() > 1 && t->role == Tensor::Role::Param) formula += " (one term per use: the parameter is shared)";
            out.push_back({name, formula, simplified.count(name) ? simplified[name] : "", *t->shape});
        }
    }
    return out;
}

namespace {

// Jacobians in matrix form are between column vectors (k × 1), as the exams write them.
bool column(const System& s, const std::string& name) {
    const Tensor* t = s.find(name);
    return t && t->shape && t->shape->size() == 2 && (*t->shape)[1].is_equal(GiNaC::ex(1));
}

}  // namespace

std::vector<Jacobian> local_jacobians(const System& s) {
    Derivation d(s);
    std::vector<Jacobian> out;
    for (size_t k = 0; k < s.equations.size(); ++k) {
        const Equation& e = s.equations[k];
        // A recurrence with T in symbols stands as one step for its shapes only; its
        // derivatives are the backpropagation through time.
        const bool stand_in = !GiNaC::is_a<GiNaC::numeric>(s.time) &&
                              std::find(s.recurrence_paths.begin(), s.recurrence_paths.end(), s.equation_paths[k]) != s.recurrence_paths.end();
        if (stand_in) continue;
        std::vector<std::string> read;
        Derivation::names(*e.value, read);
        for (const auto& name : read) {
            if (!column(s, e.target) || !column(s, name)) {
                out.push_back({e.target, name, ""});
                continue;
            }
            const auto j = d.local(*e.value, name, e.target);
            out.push_back({e.target, name, j ? text_of(*j) : ""});
        }
    }
    return out;
}

Jacobian jacobian(const System& s, const std::string& of, const std::string& wrt, const std::string& path) {
    for (const auto& name : {of, wrt})
        if (!s.find(name)) throw ProblemError(path, fmt::format("\"{}\" is not a tensor of the equations", name));
    Derivation d(s);
    std::map<std::string, std::optional<Sum>> memo;
    // ∂t/∂wrt over every path: Σ_u ∂t/∂u · ∂u/∂wrt over the tensors u that t's equation reads.
    const std::function<std::optional<Sum>(const std::string&)> total = [&](const std::string& t) -> std::optional<Sum> {
        if (t == wrt) return Sum{Term{}};
        if (auto it = memo.find(t); it != memo.end()) return it->second;
        const Tensor* tensor = s.find(t);
        if (tensor->role != Tensor::Role::Defined || tensor->defined_by < 0) return memo[t] = Sum{};
        const Equation& e = s.equations[static_cast<size_t>(tensor->defined_by)];
        std::vector<std::string> read;
        Derivation::names(*e.value, read);
        Sum sum;
        for (const auto& u : read) {
            const auto upstream = total(u);
            if (!upstream) return memo[t] = std::nullopt;
            if (upstream->empty()) continue;
            const auto local = d.local(*e.value, u, e.target);
            if (!local) return memo[t] = std::nullopt;
            sum = plus(sum, times(*local, *upstream));
        }
        return memo[t] = sum;
    };
    if (!column(s, of) || !column(s, wrt)) return {of, wrt, ""};
    const auto j = total(of);
    return {of, wrt, j ? text_of(*j) : ""};
}

}  // namespace dlsolve::equations

namespace dlsolve::equations {

std::vector<BpttLine> bptt(const System& s) {
    std::vector<BpttLine> out;
    const bool numeric_time = GiNaC::is_a<GiNaC::numeric>(s.time);
    const std::string T = size_text(s.time);
    for (const auto& e : s.recurrences) {
        const std::string h = e.target, now = h + "[t]", before = h + "[t\u2212" + "1]";
        Derivation d(s);
        out.push_back({"recurrence", fmt::format("{} = {}, t = 1, …, {}, from {}[0] = {}0", now, to_text(*e.value), T, h, h), ""});
        const auto step = d.local(*e.value, before, now);
        out.push_back({fmt::format("\u2202{}/\u2202{}", now, before), step ? text_of(*step) : "not a Jacobian between vectors",
                       "bptt." + h + ".jacobian"});
        d.adjoint(*e.value, grad(now), now);
        auto& parts = d.contributions();
        const std::string recursion = fmt::format("{}", fmt::join(parts[before], " + "));
        out.push_back({grad(before), recursion + fmt::format(" (t = {}, …, 2, from \u2202L/\u2202{}[{}])", T, h, T), "bptt." + h + ".recursion"});
        if (auto line = scalar_threshold(s, e)) {
            out.push_back({"largest slope", line->slope_text, "bptt." + h + ".max_slope", line->slope});
            out.push_back({fmt::format("threshold on {}", line->weight), line->threshold_text, "bptt." + h + ".threshold", line->threshold});
        }
        std::vector<std::string> read;
        Derivation::names(*e.value, read);
        for (const auto& name : read) {
            const Tensor* p = s.find(name);
            if (!p || p->role != Tensor::Role::Param) continue;
            out.push_back({grad(name), fmt::format("\u03A3_{{t=1}}^{{{}}} {}", T, fmt::join(parts[name], " + ")), ""});
            out.push_back({fmt::format("dL/d{} fully expanded", name),
                           fmt::format("\u03A3_{{t=1}}^{{{0}}} (\u2202L/\u2202{1}[{0}]) (\u220F_{{k=t+1}}^{{{0}}} \u2202{1}[k]/\u2202{1}[k\u22121]) "
                                       "(\u2202{1}[t]/\u2202{2})",
                                       T, h, name),
                           "bptt." + h + "." + name});
            if (!numeric_time) continue;
            const long steps = GiNaC::ex_to<GiNaC::numeric>(s.time).to_long();
            if (steps > 8) continue;
            std::vector<std::string> terms;
            for (long t = steps; t >= 1; --t) {
                std::string term = fmt::format("\u2202L/\u2202{}{}", h, steps);
                for (long k = steps; k > t; --k) term += fmt::format(" \u00B7 \u2202{0}{1}/\u2202{0}{2}", h, k, k - 1);
                term += fmt::format(" \u00B7 \u2202{}{}/\u2202{}", h, t, name);
                terms.push_back(term);
            }
            out.push_back({fmt::format("dL/d{} for T = {}", name, steps), fmt::format("{}", fmt::join(terms, " + ")), ""});
        }
    }
    return out;
}

}  // namespace dlsolve::equations
