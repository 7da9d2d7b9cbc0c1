#include "numeric/loss.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

// Softmax sums over more classes than this are not written out term by term.
constexpr size_t kWorkedClasses = 16;

// PyTorch's binary cross-entropy divides its gradient by max(ŷ·(1 − ŷ), this): its
// EPSILON is the float 1e-12, 9.99999996e-13 as a double (tests/diff/torch_losses.py).
constexpr double kBceEpsilon = static_cast<double>(1e-12f);

// PyTorch clamps log at −100 in binary cross-entropy so log(0) stays finite.
double clamped_log(double p) { return std::max(std::log(p), -100.0); }

Expr log_of(const Expr& p) {
    if (p.to_double() <= 0) return Expr::real("log(0) clamped", -100.0);
    return apply("log", p);
}

// One-hot targets from class indices, checked against the number of classes.
Tensor one_hot(const std::vector<int64_t>& classes, const Tensor& prediction, const std::string& path) {
    const int64_t samples = prediction.batch(), width = static_cast<int64_t>(prediction.sample_size());
    if (static_cast<int64_t>(classes.size()) != samples)
        throw ProblemError(path, fmt::format("expected {} class indices (one per sample), found {}", samples, classes.size()));
    Tensor t(prediction.shape);
    for (int64_t n = 0; n < samples; ++n) {
        if (classes[n] >= width)
            throw ProblemError(path, fmt::format("class {} is out of range: the output has {} classes (0 to {})", classes[n],
                                                      width, width - 1));
        t[static_cast<size_t>(n * width + classes[n])] = 1.0;
    }
    return t;
}

// The reduction and the sample weights: each sample's terms are multiplied by its weight
// w_n, and the mean divides by the count of terms (elements or samples), not by Σw, as
// (loss(reduction='none') × w).mean() in PyTorch and sample_weight in Keras do.
struct Reducer {
    bool sum = false;                               // reduction='sum': no division by the count
    const std::vector<double>* weights = nullptr;   // one per sample, or none
    double w(size_t sample) const { return weights ? (*weights)[sample] : 1.0; }
    Expr weigh(const Expr& e, size_t sample) const {
        return weights ? Expr::real(fmt::format("w{}", sample + 1), (*weights)[sample]) * e : e;
    }
    Expr over(const Expr& e, const Expr& count) const { return sum ? e : divide(e, count); }
    double count(double n) const { return sum ? 1.0 : n; }
};

// The class of each sample from a one-hot target row.
std::vector<size_t> classes_of(const Tensor& target, const Batch& batch) {
    const size_t width = target.sample_size();
    std::vector<size_t> out;
    for (int64_t n = 0; n < target.batch(); ++n) {
        size_t ones = 0, at = 0;
        for (size_t c = 0; c < width; ++c) {
            const double t = target[static_cast<size_t>(n) * width + c];
            if (t == 1) ++ones, at = c;
            else if (t != 0) ones = 2;
        }
        if (ones != 1)
            throw ProblemError(batch.target_path(), fmt::format("expected one class per sample for a margin loss (a one-hot row or "
                                                                "\"classes\"), found row {} that is not one-hot", n + 1));
        out.push_back(at);
    }
    return out;
}

// The multiclass SVM loss on scores s: per sample Σ_{j≠y} max(0, s_j − s_y + Δ), Δ = 1,
// averaged over the samples (CS231n, "hinge"), or also divided by the number of classes
// (torch.nn.MultiMarginLoss, "multi_margin"). A margin of exactly 0 passes no gradient,
// as in PyTorch's kernel (it adds only where the margin is > 0).
void margin_loss(const std::string& kind, const Operand& prediction, const Tensor& target, const Batch& batch, const Reducer& r,
                 bool worked, LossResult& out) {
    const Tensor& p = *prediction.tensor;
    const size_t width = p.sample_size();
    const int64_t samples = p.batch();
    const bool torch = kind == "multi_margin";
    const double divisor = r.count(static_cast<double>(samples)) * (torch ? static_cast<double>(width) : 1.0);
    const Expr delta = Expr::real("Δ", 1.0);
    const Expr classes_count = Expr::sym("C", static_cast<int64_t>(width));
    const Expr scale = torch ? (r.sum ? classes_count : Expr::sym("N", samples) * classes_count) : Expr::sym("N", samples);
    const bool divides = torch || !r.sum;
    const auto scaled = [&](const Expr& e) { return divides ? divide(e, scale) : e; };
    const std::vector<size_t> classes = classes_of(target, batch);
    double total = 0;
    std::vector<Expr> terms;
    out.grad_exprs.resize(worked ? p.size() : 0);
    for (int64_t n = 0; n < samples; ++n) {
        const size_t base = static_cast<size_t>(n) * width, label = base + classes[static_cast<size_t>(n)];
        int64_t active = 0;
        for (size_t c = 0; c < width; ++c) {
            if (base + c == label) continue;
            const double margin = p[base + c] - p[label] + 1.0;
            const double weight = r.w(static_cast<size_t>(n));
            total += weight * std::max(margin, 0.0);
            if (margin > 0) ++active;
            out.grad[base + c] = margin > 0 ? weight / divisor : 0.0;
            if (worked) {
                terms.push_back(r.weigh(max(Expr(0), prediction.at(base + c) - prediction.at(label) + delta), static_cast<size_t>(n)));
                out.grad_exprs[base + c] = scaled(r.weigh(Expr(margin > 0 ? 1 : 0), static_cast<size_t>(n)));
            }
        }
        out.grad[label] = -static_cast<double>(active) * r.w(static_cast<size_t>(n)) / divisor;
        if (worked) out.grad_exprs[label] = scaled(r.weigh(-Expr::sym("margins > 0", active), static_cast<size_t>(n)));
    }
    out.value = worked ? scaled(Expr::sum(terms)) : Expr::real(total / divisor);
    out.convention = torch ? fmt::format("multiclass margin loss as torch.nn.MultiMarginLoss: per sample Σ over j ≠ y of max(0, ŷ_j − ŷ_y + Δ), "
                                         "Δ = 1, divided by the C = {} classes, {} the {} sample{}",
                                         width, r.sum ? "summed over (reduction='sum')" : "mean over", samples, samples == 1 ? "" : "s")
                           : fmt::format("multiclass SVM (hinge) loss as CS231n writes it: per sample Σ over j ≠ y of max(0, ŷ_j − ŷ_y + Δ), "
                                         "Δ = 1, {} the {} sample{} (torch.nn.MultiMarginLoss also divides by the classes: "
                                         "multi_margin)",
                                         r.sum ? "summed over (reduction='sum')" : "mean over", samples, samples == 1 ? "" : "s");
}

// "the target classes 1, 2 ("class" counts from 0: class 1 is y2 of its sample; as the
// 1-based "labels": 2, 3)": which output each class index picks, since names and labels
// count from 1 and class indices from 0.
std::string describe_classes(const std::vector<int64_t>& classes, const Operand& y) {
    constexpr size_t kListed = 8;
    std::vector<std::string> listed, labels;
    for (size_t n = 0; n < std::min(classes.size(), kListed); ++n) {
        listed.push_back(std::to_string(classes[n]));
        labels.push_back(std::to_string(classes[n] + 1));
    }
    if (classes.size() > kListed) listed.push_back("…"), labels.push_back("…");
    return fmt::format("the target class{} {} (\"class\" counts from 0: class {} is {} of its sample; as the 1-based \"label{}\": {})",
                       classes.size() == 1 ? "" : "es", fmt::join(listed, ", "), classes[0], y.name(static_cast<size_t>(classes[0])),
                       classes.size() == 1 ? "" : "s", fmt::join(labels, ", "));
}

}  // namespace

bool is_margin_loss(const std::string& kind) { return kind == "hinge" || kind == "multi_margin"; }

std::string target_letter(const Operand& prediction) {
    // One sample's names suffice (the others differ by their ⁽n⁾), and a prefix or a
    // layer's name starts every element alike: a few hundred are looked at, not 10⁶.
    constexpr size_t kLooked = 256;
    for (size_t i = 0; i < std::min({prediction.tensor->size(), prediction.tensor->sample_size(), kLooked}); ++i)
        if (prediction.name(i).starts_with("y")) return "t";
    return "y";
}

Tensor target_like(const std::string& kind, const Batch& batch, const Tensor& p) {
    const bool categorical = kind == "cross_entropy" || kind == "cross_entropy_logits" || is_margin_loss(kind);
    Tensor target = !batch.classes.empty() ? one_hot(batch.classes, p, batch.target_path()) : batch.target;
    if (batch.classes.empty()) {
        if (target.size() != p.size())
            throw ProblemError(batch.target_path(), fmt::format("expected {} values like the output {}, found {} {}", p.size(),
                                                                format_dims(p.shape), target.size(), format_dims(target.shape)));
        target.shape = p.shape;
    } else if (!categorical) {
        throw ProblemError(batch.target_path(), kind.empty() ? "expected target values like the output (the rule's desired outputs), found class indices"
                                                             : "class indices are for the cross-entropy and margin losses; give target values");
    }
    return target;
}

LossResult compute_loss(const std::string& kind, const Operand& prediction, const Batch& batch, const LossOptions& options,
                        const Convention& convention, bool worked) {
    const Tensor& p = *prediction.tensor;
    const Tensor target = target_like(kind, batch, p);
    const size_t n = p.size();
    const int64_t samples = p.batch();
    const size_t width = p.sample_size();
    if (!options.sample_weights.empty() && static_cast<int64_t>(options.sample_weights.size()) != samples)
        throw ProblemError("/sample_weights", fmt::format("expected {} sample weights (one per sample of {}), found {}", samples,
                                                          batch.path.empty() ? std::string("the batch") : batch.path,
                                                          options.sample_weights.size()));
    const Reducer r{options.reduction == "sum", options.sample_weights.empty() ? nullptr : &options.sample_weights};
    const auto sample_of = [width](size_t i) { return i / width; };
    // The targets are y1, y2, …, unless the output's own names begin with y (a layer
    // named y): then t1, t2, … so that ŷ and y are never written with the same letter.
    const std::string letter = target_letter(prediction);
    const Operand y{&target, [letter](size_t i) { return fmt::format("{}{}", letter, i + 1); }};
    LossResult out{Expr(), Tensor(p.shape), {}, ""};
    std::vector<Expr> terms;
    const Expr count = Expr::sym("n", static_cast<int64_t>(n));

    if (is_margin_loss(kind)) {
        margin_loss(kind, prediction, target, batch, r, worked, out);
    } else if (kind == "mse" || kind == "sse" || kind == "half_sse") {
        const double mse_count = r.count(static_cast<double>(n));
        const double scale = kind == "mse" ? 2.0 / mse_count : kind == "sse" ? 2.0 : 1.0;
        double total = 0;
        for (size_t i = 0; i < n; ++i) {
            const double d = p[i] - target[i];
            total += r.w(sample_of(i)) * d * d;
            out.grad[i] = scale * r.w(sample_of(i)) * d;
            if (worked) {
                terms.push_back(r.weigh(square(prediction.at(i) - y.at(i)), sample_of(i)));
                const Expr diff = r.weigh(prediction.at(i) - y.at(i), sample_of(i));
                out.grad_exprs.push_back(kind == "mse" ? r.over(Expr(2) * diff, count) : kind == "sse" ? Expr(2) * diff : diff);
            }
        }
        const double value = kind == "mse" ? total / mse_count : kind == "sse" ? total : total / 2;
        out.value = worked ? (kind == "mse" ? r.over(Expr::sum(terms), count) : kind == "sse" ? Expr::sum(terms)
                                                                                               : divide(Expr::sum(terms), 2))
                           : Expr::real(value);
        out.convention = kind == "mse" ? (r.sum ? fmt::format("MSE with reduction='sum': the sum of (ŷ − y)² over all {} elements", n)
                                                : fmt::format("MSE: the mean of (ŷ − y)² over all {} elements (PyTorch's reduction='mean')", n))
                         : kind == "sse" ? "sum of (ŷ − y)² over every element"
                                         : "½ × the sum of (ŷ − y)² over every element";
    } else if (kind == "mae") {
        double total = 0;
        for (size_t i = 0; i < n; ++i) {
            const double d = p[i] - target[i];
            total += r.w(sample_of(i)) * std::fabs(d);
            out.grad[i] = r.w(sample_of(i)) * (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) / r.count(static_cast<double>(n));
            if (worked) {
                terms.push_back(r.weigh(max(prediction.at(i) - y.at(i), y.at(i) - prediction.at(i)), sample_of(i)));
                out.grad_exprs.push_back(r.over(r.weigh(Expr::real(d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0), sample_of(i)), count));
            }
        }
        out.value = worked ? r.over(Expr::sum(terms), count) : Expr::real(total / r.count(static_cast<double>(n)));
        out.convention = fmt::format("MAE: the {} of |ŷ − y| over all {} elements (PyTorch's L1Loss)", r.sum ? "sum" : "mean", n);
    } else if (kind == "bce" || kind == "bce_logits") {
        double total = 0;
        for (size_t i = 0; i < n; ++i) {
            const double t = target[i];
            if (kind == "bce") {
                if (p[i] < 0 || p[i] > 1)
                    throw ProblemError("/loss", fmt::format("bce needs probabilities in [0, 1]; output element {} is {} (use bce_logits on logits)",
                                                            i + 1, format_real(p[i])));
                total += -r.w(sample_of(i)) * (t * clamped_log(p[i]) + (1 - t) * clamped_log(1 - p[i]));
                out.grad[i] = r.w(sample_of(i)) * (p[i] - t) / std::max((1 - p[i]) * p[i], kBceEpsilon) / r.count(static_cast<double>(n));
                if (worked) {
                    terms.push_back(r.weigh(-(y.at(i) * log_of(prediction.at(i)) + (Expr(1) - y.at(i)) * log_of(Expr(1) - prediction.at(i))),
                                            sample_of(i)));
                    // PyTorch divides by max(ŷ·(1 − ŷ), 1e-12): a prediction of exactly 0 or 1 has a finite gradient.
                    Expr spread = prediction.at(i) * (Expr(1) - prediction.at(i));
                    if ((1 - p[i]) * p[i] < kBceEpsilon) spread = max(spread, Expr::real("ε", kBceEpsilon));
                    const Expr diff = r.weigh(prediction.at(i) - y.at(i), sample_of(i));
                    out.grad_exprs.push_back(r.sum ? divide(diff, spread) : divide(diff, spread * count));
                }
            } else {
                const double z = p[i];
                total += r.w(sample_of(i)) * (std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::fabs(z))));
                const double s = 1.0 / (1.0 + std::exp(-z));
                out.grad[i] = r.w(sample_of(i)) * (s - t) / r.count(static_cast<double>(n));
                if (worked) {
                    const Expr sig = apply("sigmoid", prediction.at(i));
                    terms.push_back(r.weigh(-(y.at(i) * log_of(sig) + (Expr(1) - y.at(i)) * log_of(Expr(1) - sig)), sample_of(i)));
                    out.grad_exprs.push_back(r.over(r.weigh(sig - y.at(i), sample_of(i)), count));
                }
            }
        }
        out.value = worked ? r.over(Expr::sum(terms), count) : Expr::real(total / r.count(static_cast<double>(n)));
        out.convention = fmt::format("binary cross-entropy {}: −(y·log ŷ + (1 − y)·log(1 − ŷ)), {} over all {} elements; log is "
                                     "clamped at −100 as PyTorch does",
                                     kind == "bce" ? "on probabilities" : "on logits (ŷ = σ(z))", r.sum ? "summed" : "mean", n);
    } else {  // cross_entropy, cross_entropy_logits: over the classes of each sample, mean over the batch
        const double clip = kind == "cross_entropy" ? convention.probability_clip : 0.0;
        bool any_clipped = false;  // a target class's probability was clipped
        double total = 0;
        for (int64_t s = 0; s < samples; ++s) {
            const size_t base = static_cast<size_t>(s) * width;
            std::vector<double> prob(width);
            std::vector<char> clipped(width, 0);
            std::vector<Expr> prob_expr;
            if (kind == "cross_entropy_logits") {
                double top = -INFINITY, sum = 0;
                for (size_t c = 0; c < width; ++c) top = std::max(top, p[base + c]);
                for (size_t c = 0; c < width; ++c) sum += std::exp(p[base + c] - top);
                for (size_t c = 0; c < width; ++c) prob[c] = std::exp(p[base + c] - top) / sum;
                if (worked && width <= kWorkedClasses) {
                    std::vector<Expr> exps;
                    for (size_t c = 0; c < width; ++c) exps.push_back(apply("exp", prediction.at(base + c)));
                    for (size_t c = 0; c < width; ++c) prob_expr.push_back(divide(exps[c], Expr::sum(exps)));
                } else if (worked) {  // too many classes to write the sum out: each softmax value by name
                    for (size_t c = 0; c < width; ++c)
                        prob_expr.push_back(Expr::real(fmt::format("softmax({})", prediction.name(base + c)), prob[c]));
                }
            } else {
                for (size_t c = 0; c < width; ++c) {
                    prob[c] = p[base + c];
                    // Keras clips to [ε, 1 − ε]; a clipped value passes no gradient (as tf.clip_by_value).
                    clipped[c] = clip > 0 && (prob[c] < clip || prob[c] > 1 - clip);
                    if (clipped[c]) {
                        prob[c] = prob[c] < clip ? clip : 1 - clip;
                        any_clipped = any_clipped || target[base + c] != 0;
                    }
                    if (worked)
                        prob_expr.push_back(!clipped[c]         ? prediction.at(base + c)
                                            : p[base + c] < clip ? Expr::real("ε", clip)
                                                                 : Expr(1) - Expr::real("ε", clip));
                }
            }
            for (size_t c = 0; c < width; ++c) {
                const double t = target[base + c];
                // A class whose target is 0 is not in the sum (its probability may be 0).
                if (t != 0 && prob[c] <= 0)
                    throw ProblemError(batch.target_path(), "the cross-entropy is infinite: a target class has probability 0 (log 0 = −∞, "
                                                            "as PyTorch's nll_loss(log ŷ) gives; Keras clips ŷ to 1e-7); give logits "
                                                            "and use cross_entropy_logits");
                const size_t sample = static_cast<size_t>(s);
                const double weight = r.w(sample), per = r.count(static_cast<double>(samples));
                if (t != 0) total -= weight * t * std::log(prob[c]);
                const bool zero_grad = t == 0 || clipped[c];
                out.grad[base + c] = kind == "cross_entropy_logits" ? weight * (prob[c] - t) / per
                                     : zero_grad                     ? 0.0
                                                                     : -weight * t / prob[c] / per;
                if (worked) {
                    const Expr samples_count = Expr::sym("N", samples);
                    if (t != 0) terms.push_back(r.weigh(y.at(base + c) * log_of(prob_expr[c]), sample));
                    out.grad_exprs.push_back(kind == "cross_entropy_logits" ? r.over(r.weigh(prob_expr[c] - y.at(base + c), sample), samples_count)
                                             : zero_grad                     ? Expr(0)
                                             : r.sum ? divide(r.weigh(-y.at(base + c), sample), prediction.at(base + c))
                                                     : divide(r.weigh(-y.at(base + c), sample), prediction.at(base + c) * samples_count));
                }
            }
        }
        out.value = worked ? r.over(-Expr::sum(terms), Expr::sym("N", samples)) : Expr::real(total / r.count(static_cast<double>(samples)));
        out.convention = fmt::format("categorical cross-entropy {}: −Σ over classes of y·log ŷ, {} over the {} sample{}",
                                     kind == "cross_entropy" ? "on probabilities" : "on logits (ŷ = softmax(z))", r.sum ? "summed" : "mean",
                                     samples, samples == 1 ? "" : "s");
        if (any_clipped)
            out.convention += fmt::format("; a target probability outside [ε, 1 − ε] is clipped to it, ε = {}, as Keras's "
                                          "categorical_crossentropy does (its gradient is then 0)",
                                          format_real(clip));
    }
    if (r.weights)
        out.convention += fmt::format("; each sample's terms are multiplied by its weight w1 … w{} (\"sample_weights\"); {}", samples,
                                      r.sum ? "then added" : "the mean still divides by the count, not by Σw: PyTorch's "
                                                            "(loss(reduction='none') × w).mean() and Keras's sample_weight");
    if (!batch.classes.empty()) out.convention += "; " + describe_classes(batch.classes, y);
    if (letter != "y") out.convention += fmt::format("; the targets are written {0}1, {0}2, … (y is the output layer's own name)", letter);
    return out;
}

}  // namespace dlsolve
