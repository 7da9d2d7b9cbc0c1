#include "numeric/optimizer.h"

#include <cmath>

#include <fmt/format.h>

namespace dlsolve {
namespace {

// The update of one element, as numbers and (for shown elements) as formulas. Both
// follow torch.optim's order of operations.
struct Element {
    const OptimizerSpec& o;
    int64_t t;
    double w, g;
    double* buf;  // momentum buffer
    double* m;    // first moment (adam), or s (rmsprop), or the sum (adagrad)
    double* v;    // second moment (adam)
    bool worked;
    ScalarUpdate* out;
    StateValues record;  // the state after the step, in the order of optimizer_state_names

    Expr leaf(const std::string& name, double value) const { return Expr::real(name, value); }
    void show(const std::string& name, const Expr& e) const {
        if (worked) out->steps.emplace_back(name, e);
    }

    double run() {
        // The defaults are data (Convention::optimizer); the order of operations is each
        // library's own code, so the two rule families are written out side by side.
        return o.framework == Framework::Keras ? run_keras() : run_torch();
    }

    // w ← w − α·λ·w before the step: AdamW's decoupled weight decay, and Keras's for every optimizer.
    void decay_weight(Expr& ww) {
        const double before = w;
        w *= 1 - o.lr * o.weight_decay;
        show("w", leaf("w", before) - leaf("α", o.lr) * leaf("λ", o.weight_decay) * leaf("w", before));
        ww = leaf("w", w);
    }

    // keras.optimizers' update_step of each rule (keras/src/optimizers/*.py); the learning
    // rate sits inside SGD's and RMSprop's momentum buffers, ε inside the square roots, and
    // Adam's ε is Kingma and Ba's ε̂ (added to √v before the bias correction).
    double run_keras() {
        const Expr lr = leaf("α", o.lr);
        const Expr gw = leaf("g", g);
        Expr ww = leaf("w", w);
        if (o.weight_decay != 0) decay_weight(ww);
        if (o.type == "sgd") {
            if (o.momentum == 0) {
                w -= o.lr * g;
                show("w", ww - lr * gw);
                return w;
            }
            const Expr mu = leaf("μ", o.momentum), v_old = leaf("v", *buf);
            *buf = o.momentum * *buf - o.lr * g;
            show("v", mu * v_old - lr * gw);
            record.push(*buf);
            if (o.nesterov) {
                w += o.momentum * *buf - o.lr * g;
                show("w", ww + mu * leaf("v", *buf) - lr * gw);
            } else {
                w += *buf;
                show("w", ww + leaf("v", *buf));
            }
        } else if (o.type == "rmsprop") {
            const Expr rho = leaf("ρ", o.alpha), s_old = leaf("s", *m);
            *m = o.alpha * *m + (1 - o.alpha) * g * g;
            show("s", rho * s_old + (Expr(1) - rho) * square(gw));
            record.push(*m);
            const double increment = o.lr * g / std::sqrt(*m + o.eps);
            const Expr increment_expr = divide(lr * gw, apply("sqrt", leaf("s", *m) + leaf("ε", o.eps)));
            if (o.momentum > 0) {
                const Expr b_old = leaf("b", *buf);
                *buf = o.momentum * *buf + increment;
                show("b", leaf("μ", o.momentum) * b_old + increment_expr);
                record.push(*buf);
                w -= *buf;
                show("w", ww - leaf("b", *buf));
            } else {
                w -= increment;
                show("w", ww - increment_expr);
            }
        } else if (o.type == "adam" || o.type == "adamw") {
            const Expr b1 = leaf("β1", o.beta1), b2 = leaf("β2", o.beta2);
            const Expr m_old = leaf("m", *m), v_old = leaf("v", *v);
            *m = o.beta1 * *m + (1 - o.beta1) * g;
            *v = o.beta2 * *v + (1 - o.beta2) * g * g;
            show("m", b1 * m_old + (Expr(1) - b1) * gw);
            show("v", b2 * v_old + (Expr(1) - b2) * square(gw));
            const double p1 = std::pow(o.beta1, static_cast<double>(t)), p2 = std::pow(o.beta2, static_cast<double>(t));
            const double alpha_t = o.lr * std::sqrt(1 - p2) / (1 - p1);
            show("α_t", divide(lr * apply("sqrt", Expr(1) - leaf("β2^t", p2)), Expr(1) - leaf("β1^t", p1)));
            for (double x : {*m, *v, alpha_t}) record.push(x);
            w -= alpha_t * *m / (std::sqrt(*v) + o.eps);
            show("w", ww - divide(leaf("α_t", alpha_t) * leaf("m", *m), apply("sqrt", leaf("v", *v)) + leaf("ε̂", o.eps)));
        } else {  // adagrad: the sum starts at initial_accumulator_value
            const Expr sum_old = leaf("s", *m);
            *m += g * g;
            show("s", sum_old + square(gw));
            record.push(*m);
            w -= o.lr * g / std::sqrt(*m + o.eps);
            show("w", ww - divide(lr * gw, apply("sqrt", leaf("s", *m) + leaf("ε", o.eps))));
        }
        return w;
    }

    // torch.optim's step of each rule.
    double run_torch() {
        const Expr lr = leaf("α", o.lr);
        Expr gw = leaf("g", g), ww = leaf("w", w);
        if (o.weight_decay != 0 && o.type != "adamw") {  // L2 in the gradient: g + λ·w
            g += o.weight_decay * w;
            gw = leaf("g", g - o.weight_decay * w) + leaf("λ", o.weight_decay) * ww;
            show("g", gw);
            record.push(g);
        }
        if (o.type == "sgd") {
            Expr step = gw;
            if (o.momentum != 0) {
                const Expr old = leaf("b", *buf);
                *buf = t == 1 ? g : o.momentum * *buf + (1 - o.dampening) * g;
                Expr b = t == 1 ? gw : leaf("μ", o.momentum) * old + (Expr(1) - leaf("τ", o.dampening)) * gw;
                show("b", b);
                b = leaf("b", *buf);
                record.push(*buf);
                step = o.nesterov ? gw + leaf("μ", o.momentum) * b : b;
                if (o.nesterov) show("g + μ·b", step);
                g = o.nesterov ? g + o.momentum * *buf : *buf;
            }
            w -= o.lr * g;
            show("w", ww - lr * step);
        } else if (o.type == "rmsprop") {
            const Expr s_old = leaf("s", *m);
            *m = o.alpha * *m + (1 - o.alpha) * g * g;
            show("s", leaf("β", o.alpha) * s_old + (Expr(1) - leaf("β", o.alpha)) * square(gw));
            record.push(*m);
            const Expr denominator = apply("sqrt", leaf("s", *m)) + leaf("ε", o.eps);
            const double d = std::sqrt(*m) + o.eps;
            if (o.momentum > 0) {
                const Expr b_old = leaf("b", *buf);
                *buf = o.momentum * *buf + g / d;
                show("b", leaf("μ", o.momentum) * b_old + divide(gw, denominator));
                record.push(*buf);
                w -= o.lr * *buf;
                show("w", ww - lr * leaf("b", *buf));
            } else {
                w -= o.lr * g / d;
                show("w", ww - lr * divide(gw, denominator));
            }
        } else if (o.type == "adam" || o.type == "adamw") {
            if (o.type == "adamw") decay_weight(ww);  // decoupled: w ← w − α·λ·w before the Adam step
            const Expr b1 = leaf("β1", o.beta1), b2 = leaf("β2", o.beta2);
            const Expr m_old = leaf("m", *m), v_old = leaf("v", *v);
            *m = o.beta1 * *m + (1 - o.beta1) * g;
            *v = o.beta2 * *v + (1 - o.beta2) * g * g;
            show("m", b1 * m_old + (Expr(1) - b1) * gw);
            show("v", b2 * v_old + (Expr(1) - b2) * square(gw));
            const double bc1 = 1 - std::pow(o.beta1, static_cast<double>(t)), bc2 = 1 - std::pow(o.beta2, static_cast<double>(t));
            const Expr m_hat = divide(leaf("m", *m), Expr(1) - leaf("β1^t", std::pow(o.beta1, static_cast<double>(t))));
            const Expr v_hat = divide(leaf("v", *v), Expr(1) - leaf("β2^t", std::pow(o.beta2, static_cast<double>(t))));
            show("m̂", m_hat);
            show("v̂", v_hat);
            for (double x : {*m, *v, *m / bc1, *v / bc2}) record.push(x);
            w -= o.lr / bc1 * *m / (std::sqrt(*v) / std::sqrt(bc2) + o.eps);
            show("w", ww - lr * divide(leaf("m̂", *m / bc1), apply("sqrt", leaf("v̂", *v / bc2)) + leaf("ε", o.eps)));
        } else {  // adagrad
            const Expr sum_old = leaf("s", *m);
            *m += g * g;
            show("s", sum_old + square(gw));
            record.push(*m);
            w -= o.lr * g / (std::sqrt(*m) + o.eps);
            show("w", ww - lr * divide(gw, apply("sqrt", leaf("s", *m)) + leaf("ε", o.eps)));
        }
        return w;
    }
};

// The Keras rule in words, with the settings that differ from torch.optim's named.
std::string describe_keras_optimizer(const OptimizerSpec& o) {
    const std::string decay = o.weight_decay != 0 ? fmt::format(", weight decay λ = {} (decoupled: w ← w − α·λ·w first)",
                                                                format_real(o.weight_decay))
                                                  : "";
    if (o.type == "sgd")
        return fmt::format("SGD (lr α = {}{}{}), as keras.optimizers.SGD{}", format_real(o.lr),
                           o.momentum != 0 ? fmt::format(", momentum μ = {}{}", format_real(o.momentum), o.nesterov ? ", Nesterov" : "") : "",
                           decay,
                           o.momentum == 0 ? ""
                           : o.nesterov    ? ": v ← μ·v − α·g, w ← w + μ·v − α·g"
                                           : ": v ← μ·v − α·g, w ← w + v");
    if (o.type == "rmsprop")
        return fmt::format("RMSprop (lr α = {}, ρ = {}, ε = {}{}{}), as keras.optimizers.RMSprop: s ← ρ·s + (1 − ρ)·g², "
                           "w ← w − α·g/√(s + ε) (ε inside the root)",
                           format_real(o.lr), format_real(o.alpha), format_real(o.eps),
                           o.momentum != 0 ? fmt::format(", momentum μ = {} (b ← μ·b + α·g/√(s + ε), w ← w − b)", format_real(o.momentum)) : "",
                           decay);
    if (o.type == "adagrad")
        return fmt::format("Adagrad (lr α = {}, ε = {}, the sum starting at {}{}), as keras.optimizers.Adagrad: s ← s + g², "
                           "w ← w − α·g/√(s + ε)",
                           format_real(o.lr), format_real(o.eps), format_real(o.initial_accumulator), decay);
    return fmt::format("{} (lr α = {}, β1 = {}, β2 = {}, ε̂ = {}{}), as keras.optimizers.{}: α_t = α·√(1 − β2ᵗ)/(1 − β1ᵗ), "
                       "w ← w − α_t·m/(√v + ε̂) (ε̂ is added before the bias correction, not after as in torch.optim)",
                       o.type == "adam" ? "Adam" : "AdamW", format_real(o.lr), format_real(o.beta1), format_real(o.beta2),
                       format_real(o.eps), decay, o.type == "adam" ? "Adam" : "AdamW");
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)}); }

}  // namespace

std::vector<std::pair<std::string, std::string>> optimizer_state_names(const OptimizerSpec& o) {
    std::vector<std::pair<std::string, std::string>> names;
    if (o.framework == Framework::Keras) {  // keras.optimizers: decoupled decay, no g + λ·w
        if (o.type == "sgd" && o.momentum != 0) names.emplace_back("v", "v");
        if (o.type == "rmsprop") {
            names.emplace_back("s", "s");
            if (o.momentum > 0) names.emplace_back("b", "b");
        }
        if (o.type == "adam" || o.type == "adamw") names.insert(names.end(), {{"m", "m"}, {"v", "v"}, {"α_t", "alpha_t"}});
        if (o.type == "adagrad") names.emplace_back("s", "s");
        return names;
    }
    if (o.weight_decay != 0 && o.type != "adamw") names.emplace_back("g + λ·w", "g");
    if (o.type == "sgd" && o.momentum != 0) names.emplace_back("b", "b");
    if (o.type == "rmsprop") {
        names.emplace_back("s", "s");
        if (o.momentum > 0) names.emplace_back("b", "b");
    }
    if (o.type == "adam" || o.type == "adamw")
        names.insert(names.end(), {{"m", "m"}, {"v", "v"}, {"m̂", "m_hat"}, {"v̂", "v_hat"}});
    if (o.type == "adagrad") names.emplace_back("s", "s");
    return names;
}

size_t trainable_elements(const Engine& engine) {
    size_t count = 0;
    for (size_t i = 0; i < engine.params.size(); ++i) {
        const Layer& layer = engine.problem().graph.layer(i);
        for (size_t r = 0; r < engine.params[i].size(); ++r)
            if (layer.trainable && layer.values[r].trainable) count += engine.params[i][r].size();
    }
    return count;
}

std::vector<ScalarUpdate> optimizer_step(const OptimizerSpec& spec, Engine& engine, const Pass& pass, OptimizerState& state,
                                         const std::vector<ScalarRef>& shown, std::vector<ElementState>* states, size_t max_states) {
    ++state.step;
    auto& params = engine.params;
    if (state.momentum.empty()) {
        state.momentum.resize(params.size());
        state.first.resize(params.size());
        state.second.resize(params.size());
        for (size_t i = 0; i < params.size(); ++i)
            for (const auto& p : params[i]) {
                state.momentum[i].emplace_back(p.shape);
                state.first[i].emplace_back(p.shape, spec.type == "adagrad" ? spec.initial_accumulator : 0.0);
                state.second[i].emplace_back(p.shape);
            }
    }
    std::vector<ScalarUpdate> worked;
    if (states) states->reserve(states->size() + std::min(max_states, trainable_elements(engine)));
    for (size_t i = 0; i < params.size(); ++i)
        for (size_t r = 0; r < params[i].size(); ++r) {
            const Layer& layer = engine.problem().graph.layer(i);
            if (!layer.trainable || !layer.values[r].trainable) continue;  // frozen layers and moving statistics keep their values
            for (size_t f = 0; f < params[i][r].size(); ++f) {
                const bool show = std::any_of(shown.begin(), shown.end(), [&](const ScalarRef& s) {
                    return s.kind == ScalarRef::Kind::Param && s.node == i && s.role == r && s.flat == f;
                });
                ScalarUpdate update{engine.param_name(i, r, f), {}};
                const double before = params[i][r][f];
                Element e{spec, state.step, before, pass.param_grads[i][r][f], &state.momentum[i][r][f],
                          &state.first[i][r][f], &state.second[i][r][f], show, &update, {}};
                params[i][r][f] = e.run();
                if (states && states->size() < max_states)
                    states->push_back({{ScalarRef::Kind::Param, i, r, f}, before, pass.param_grads[i][r][f], params[i][r][f], e.record});
                if (show) {
                    if (!close(update.steps.back().second.to_double(), params[i][r][f]))
                        throw std::logic_error(fmt::format("worked update of {} differs from the computed one", update.symbol));
                    worked.push_back(std::move(update));
                }
            }
        }
    return worked;
}

std::string describe_optimizer(const OptimizerSpec& o) {
    if (o.framework == Framework::Keras) return describe_keras_optimizer(o);
    if (o.type == "sgd") {
        std::string text = fmt::format("SGD (lr α = {}", format_real(o.lr));
        if (o.momentum != 0) text += fmt::format(", momentum μ = {}{}", format_real(o.momentum), o.nesterov ? ", Nesterov" : "");
        if (o.dampening != 0) text += fmt::format(", dampening τ = {}", format_real(o.dampening));
        if (o.weight_decay != 0) text += fmt::format(", weight decay λ = {} added to the gradient (L2)", format_real(o.weight_decay));
        return text + "), as torch.optim.SGD";
    }
    if (o.type == "rmsprop")
        return fmt::format("RMSprop (lr α = {}, β = {}, ε = {}{}{}), as torch.optim.RMSprop (its alpha is β here)", format_real(o.lr),
                           format_real(o.alpha), format_real(o.eps), o.momentum != 0 ? fmt::format(", momentum μ = {}", format_real(o.momentum)) : "",
                           o.weight_decay != 0 ? fmt::format(", weight decay λ = {} (L2)", format_real(o.weight_decay)) : "");
    if (o.type == "adagrad")
        return fmt::format("Adagrad (lr α = {}, ε = {}{}{}), as torch.optim.Adagrad", format_real(o.lr), format_real(o.eps),
                           o.initial_accumulator != 0 ? fmt::format(", the sum starting at {}", format_real(o.initial_accumulator)) : "",
                           o.weight_decay != 0 ? fmt::format(", weight decay λ = {} (L2)", format_real(o.weight_decay)) : "");
    return fmt::format("{} (lr α = {}, β1 = {}, β2 = {}, ε = {}{}), with bias correction, as torch.optim.{}", o.type == "adam" ? "Adam" : "AdamW",
                       format_real(o.lr), format_real(o.beta1), format_real(o.beta2), format_real(o.eps),
                       o.weight_decay == 0 ? ""
                       : o.type == "adamw" ? fmt::format(", decoupled weight decay λ = {}", format_real(o.weight_decay))
                                           : fmt::format(", weight decay λ = {} added to the gradient (L2)", format_real(o.weight_decay)),
                       o.type == "adam" ? "Adam" : "AdamW");
}

}  // namespace dlsolve
