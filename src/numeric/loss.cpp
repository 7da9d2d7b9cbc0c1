#include "numeric/loss.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "numeric/loss_terms.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// PyTorch's binary cross-entropy divides its gradient by max(ŷ·(1 − ŷ), this): its
// EPSILON is the float 1e-12, 9.99999996e-13 as a double (tests/diff/torch_losses.py).
constexpr double kBceEpsilon = static_cast<double>(1e-12f);

// PyTorch clamps log at −100 in binary cross-entropy so log(0) stays finite.
double clamped_log(double p) { return std::max(std::log(p), -100.0); }

// One-hot targets from class indices (one per sample, or per place of a sequence or
// map), checked against the number of classes.
Tensor one_hot(const std::vector<int64_t>& classes, const Tensor& prediction, const ClassLayout& layout, const std::string& path) {
    const size_t samples = static_cast<size_t>(prediction.batch()), units = samples * layout.positions;
    if (classes.size() != units)
        throw ProblemError(path, layout.positions == 1
                                     ? fmt::format("expected {} class indices (one per sample), found {}", samples, classes.size())
                                     : fmt::format("expected {} class indices ({} per sample, one per place), found {}", units,
                                                   layout.positions, classes.size()));
    const int64_t width = static_cast<int64_t>(layout.classes);
    Tensor t(prediction.shape);
    for (size_t u = 0; u < units; ++u) {
        if (classes[u] >= width)
            throw ProblemError(path, fmt::format("class {} is out of range: the output has {} classes (0 to {})", classes[u],
                                                      width, width - 1));
        t[layout.index(u / layout.positions, u % layout.positions, static_cast<size_t>(classes[u]))] = 1.0;
    }
    return t;
}

// "the target classes 1, 2 ("class" counts from 0: class 1 is y2 of its sample; as the
// 1-based "labels": 2, 3)": which output each class index picks, since names and labels
// count from 1 and class indices from 0.
std::string describe_classes(const std::vector<int64_t>& classes, const Operand& y, const ClassLayout& layout) {
    constexpr size_t kListed = 8;
    std::vector<std::string> listed, labels;
    for (size_t n = 0; n < std::min(classes.size(), kListed); ++n) {
        listed.push_back(std::to_string(classes[n]));
        labels.push_back(std::to_string(classes[n] + 1));
    }
    if (classes.size() > kListed) listed.push_back("…"), labels.push_back("…");
    return fmt::format("the target class{} {} (\"class\" counts from 0: class {} is {} of its {}; as the 1-based \"label{}\": {})",
                       classes.size() == 1 ? "" : "es", fmt::join(listed, ", "), classes[0], y.name(layout.index(0, 0, static_cast<size_t>(classes[0]))),
                       layout.positions == 1 ? "sample" : "place",
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

ClassLayout class_layout(const std::string& kind, const Tensor& p, const LossOptions& options, const Convention& convention) {
    ClassLayout layout{p.sample_size(), p.sample_size(), 1, false};
    const Dims sample(p.shape.begin() + (p.shape.empty() ? 0 : 1), p.shape.end());
    const auto long_axes = std::count_if(sample.begin(), sample.end(), [](int64_t d) { return d > 1; });
    const bool cross_entropy = kind == "cross_entropy" || kind == "cross_entropy_logits";
    if (long_axes <= 1 || !(cross_entropy || is_margin_loss(kind))) return layout;  // a column [C, 1] is one distribution
    if (!cross_entropy)
        throw ProblemError("/loss", fmt::format("expected an output with one axis of classes for {}, found {} per sample: a margin loss "
                                                "over each step or position is not supported",
                                                kind, format_dims(sample)));
    const std::string axis = options.class_axis.empty() ? std::string(convention.class_axis) : options.class_axis;
    if (axis.empty())
        throw ProblemError("/loss", fmt::format("{} over an output of {} per sample: say where the classes are, \"class_axis\": \"first\" "
                                                "(nn.CrossEntropyLoss on the output as it is, dim 1: {} classes) or \"last\" (on "
                                                "output.transpose(1, -1) or output.reshape(-1, {}): {} classes at each place, as Keras)",
                                                kind, format_dims(sample), sample.front(), sample.back(), sample.back()));
    layout.first = axis == "first";
    layout.classes = static_cast<size_t>(layout.first ? sample.front() : sample.back());
    layout.positions = layout.sample_size / layout.classes;
    return layout;
}

Tensor target_like(const std::string& kind, const Batch& batch, const Tensor& p, const ClassLayout& layout) {
    const bool categorical = kind == "cross_entropy" || kind == "cross_entropy_logits" || is_margin_loss(kind);
    Tensor target = !batch.classes.empty() ? one_hot(batch.classes, p, layout, batch.target_path()) : batch.target;
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
    const ClassLayout layout = class_layout(kind, p, options, convention);
    const Tensor target = target_like(kind, batch, p, layout);
    const size_t n = p.size();
    const int64_t samples = p.batch();
    const size_t width = p.sample_size();
    if (!options.sample_weights.empty() && static_cast<int64_t>(options.sample_weights.size()) != samples)
        throw ProblemError("/sample_weights", fmt::format("expected {} sample weights (one per sample of {}), found {}", samples,
                                                          batch.path.empty() ? std::string("the batch") : batch.path,
                                                          options.sample_weights.size()));
    const bool none = options.reduction == "none";
    const Reducer r{options.reduction == "sum" || none, options.sample_weights.empty() ? nullptr : &options.sample_weights, none};
    const auto sample_of = [width](size_t i) { return i / width; };
    // The targets are y1, y2, …, unless the output's own names begin with y (a layer
    // named y): then t1, t2, … so that ŷ and y are never written with the same letter.
    const std::string letter = target_letter(prediction);
    const Operand y{&target, [letter](size_t i) { return fmt::format("{}{}", letter, i + 1); }};
    LossResult out{Expr(), Tensor(p.shape), {}, "", {}, !worked};
    const Expr count = Expr::sym("n", static_cast<int64_t>(n));
    // Σ forms of the element-wise losses, written when the terms are too many.
    const std::string w = r.weights ? "w_n·" : "", wl = r.weights ? "w_n \\cdot " : "";
    const auto elementwise = [&](Terms& terms) {
        if (none)
            for (size_t u = 0; u < terms.units(); ++u) out.per_term.push_back(terms.unit(u));
    };

    if (is_margin_loss(kind)) {
        margin_loss(kind, prediction, target, batch, r, worked, out);
    } else if (kind == "mse" || kind == "sse" || kind == "half_sse") {
        Terms terms(worked, n, n, none);
        const double mse_count = r.count(static_cast<double>(n));
        const double scale = kind == "mse" ? 2.0 / mse_count : kind == "sse" ? 2.0 : 1.0;
        for (size_t i = 0; i < n; ++i) {
            const double d = p[i] - target[i];
            terms.add(i, r.w(sample_of(i)) * d * d, [&] { return r.weigh(square(prediction.at(i) - y.at(i)), sample_of(i)); });
            out.grad[i] = scale * r.w(sample_of(i)) * d;
            if (worked) {
                const Expr diff = r.weigh(prediction.at(i) - y.at(i), sample_of(i));
                out.grad_exprs.push_back(kind == "mse" ? r.over(Expr(2) * diff, count) : kind == "sse" ? Expr(2) * diff : diff);
            }
        }
        const Expr sum = terms.sum(fmt::format("Σ_i {}(ŷ_i − y_i)²", w), fmt::format("\\sum_i {}(\\hat{{y}}_i - y_i)^2", wl));
        out.value = kind == "mse" ? r.over(sum, count) : kind == "sse" ? sum : divide(sum, 2);
        elementwise(terms);
        out.convention = kind == "mse" ? (none  ? fmt::format("MSE with reduction='none': (ŷ − y)² for each of the {} elements", n)
                                          : r.sum ? fmt::format("MSE with reduction='sum': the sum of (ŷ − y)² over all {} elements", n)
                                                  : fmt::format("MSE: the mean of (ŷ − y)² over all {} elements (PyTorch's reduction='mean')", n))
                         : kind == "sse" ? "sum of (ŷ − y)² over every element"
                                         : "½ × the sum of (ŷ − y)² over every element";
    } else if (kind == "mae") {
        Terms terms(worked, n, n, none);
        for (size_t i = 0; i < n; ++i) {
            const double d = p[i] - target[i];
            terms.add(i, r.w(sample_of(i)) * std::fabs(d),
                      [&] { return r.weigh(max(prediction.at(i) - y.at(i), y.at(i) - prediction.at(i)), sample_of(i)); });
            out.grad[i] = r.w(sample_of(i)) * (d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) / r.count(static_cast<double>(n));
            if (worked) out.grad_exprs.push_back(r.over(r.weigh(Expr::real(d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0), sample_of(i)), count));
        }
        out.value = r.over(terms.sum(fmt::format("Σ_i {}|ŷ_i − y_i|", w), fmt::format("\\sum_i {}|\\hat{{y}}_i - y_i|", wl)), count);
        elementwise(terms);
        out.convention = none ? fmt::format("MAE with reduction='none': |ŷ − y| for each of the {} elements (PyTorch's L1Loss)", n)
                              : fmt::format("MAE: the {} of |ŷ − y| over all {} elements (PyTorch's L1Loss)", r.sum ? "sum" : "mean", n);
    } else if (kind == "bce" || kind == "bce_logits") {
        Terms terms(worked, n, n, none);
        for (size_t i = 0; i < n; ++i) {
            const double t = target[i];
            if (kind == "bce") {
                if (p[i] < 0 || p[i] > 1)
                    throw ProblemError("/loss", fmt::format("bce needs probabilities in [0, 1]; output element {} is {} (use bce_logits on logits)",
                                                            i + 1, format_real(p[i])));
                terms.add(i, -r.w(sample_of(i)) * (t * clamped_log(p[i]) + (1 - t) * clamped_log(1 - p[i])), [&] {
                    return r.weigh(-(y.at(i) * log_of(prediction.at(i)) + (Expr(1) - y.at(i)) * log_of(Expr(1) - prediction.at(i))),
                                   sample_of(i));
                });
                out.grad[i] = r.w(sample_of(i)) * (p[i] - t) / std::max((1 - p[i]) * p[i], kBceEpsilon) / r.count(static_cast<double>(n));
                if (worked) {
                    // PyTorch divides by max(ŷ·(1 − ŷ), 1e-12): a prediction of exactly 0 or 1 has a finite gradient.
                    Expr spread = prediction.at(i) * (Expr(1) - prediction.at(i));
                    if ((1 - p[i]) * p[i] < kBceEpsilon) spread = max(spread, Expr::real("ε", kBceEpsilon));
                    const Expr diff = r.weigh(prediction.at(i) - y.at(i), sample_of(i));
                    out.grad_exprs.push_back(r.sum ? divide(diff, spread) : divide(diff, spread * count));
                }
            } else {
                const double z = p[i];
                terms.add(i, r.w(sample_of(i)) * (std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::fabs(z)))), [&] {
                    const Expr sig = apply("sigmoid", prediction.at(i));
                    return r.weigh(-(y.at(i) * log_of(sig) + (Expr(1) - y.at(i)) * log_of(Expr(1) - sig)), sample_of(i));
                });
                const double s = 1.0 / (1.0 + std::exp(-z));
                out.grad[i] = r.w(sample_of(i)) * (s - t) / r.count(static_cast<double>(n));
                if (worked) out.grad_exprs.push_back(r.over(r.weigh(apply("sigmoid", prediction.at(i)) - y.at(i), sample_of(i)), count));
            }
        }
        const std::string of = kind == "bce" ? "ŷ_i" : "σ(z_i)", of_latex = kind == "bce" ? "\\hat{y}_i" : "\\sigma(z_i)";
        out.value = r.over(terms.sum(fmt::format("Σ_i −{}(y_i·log {} + (1 − y_i)·log(1 − {}))", w, of, of),
                                     fmt::format("\\sum_i -{}(y_i \\log {} + (1 - y_i) \\log(1 - {}))", wl, of_latex, of_latex)),
                           count);
        elementwise(terms);
        out.convention = fmt::format("binary cross-entropy {}: −(y·log ŷ + (1 − y)·log(1 − ŷ)), {} over all {} elements; log is "
                                     "clamped at −100 as PyTorch does",
                                     kind == "bce" ? "on probabilities" : "on logits (ŷ = σ(z))", r.word(), n);
    } else {
        cross_entropy(kind, prediction, target, y, layout, batch, r, convention, worked, out);
    }
    if (r.weights)
        out.convention += fmt::format("; each sample's terms are multiplied by its weight w1 … w{} (\"sample_weights\"); {}", samples,
                                      none ? "each is then its own loss"
                                      : r.sum ? "then added"
                                              : "the mean still divides by the count, not by Σw: PyTorch's "
                                                "(loss(reduction='none') × w).mean() and Keras's sample_weight");
    if (!batch.classes.empty()) out.convention += "; " + describe_classes(batch.classes, y, layout);
    if (letter != "y") out.convention += fmt::format("; the targets are written {0}1, {0}2, … (y is the output layer's own name)", letter);
    return out;
}

}  // namespace dlsolve
