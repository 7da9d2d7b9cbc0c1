// The margin losses on class scores: hinge, the multiclass SVM loss as CS231n writes it,
// and multi_margin, torch.nn.MultiMarginLoss (the same sum divided by the classes).
#include <algorithm>

#include <fmt/format.h>

#include "numeric/loss_terms.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

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

}  // namespace

// Per sample Σ_{j≠y} max(0, s_j − s_y + Δ), Δ = 1, averaged over the samples (CS231n,
// "hinge"), or also divided by the number of classes (torch.nn.MultiMarginLoss,
// "multi_margin"). A margin of exactly 0 passes no gradient, as in PyTorch's kernel (it
// adds only where the margin is > 0).
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
    Terms terms(worked, static_cast<size_t>(samples) * (width - 1), static_cast<size_t>(samples), r.none);
    out.grad_exprs.resize(worked ? p.size() : 0);
    for (int64_t n = 0; n < samples; ++n) {
        const size_t sample = static_cast<size_t>(n);
        const size_t base = sample * width, label = base + classes[sample];
        int64_t active = 0;
        for (size_t c = 0; c < width; ++c) {
            if (base + c == label) continue;
            const double margin = p[base + c] - p[label] + 1.0;
            const double weight = r.w(sample);
            terms.add(sample, weight * std::max(margin, 0.0),
                      [&] { return r.weigh(max(Expr(0), prediction.at(base + c) - prediction.at(label) + delta), sample); });
            if (margin > 0) ++active;
            out.grad[base + c] = margin > 0 ? weight / divisor : 0.0;
            if (worked) out.grad_exprs[base + c] = scaled(r.weigh(Expr(margin > 0 ? 1 : 0), sample));
        }
        out.grad[label] = -static_cast<double>(active) * r.w(sample) / divisor;
        if (worked) out.grad_exprs[label] = scaled(r.weigh(-Expr::sym("margins > 0", active), sample));
    }
    const std::string w = r.weights ? "w_n·" : "", w_latex = r.weights ? "w_n \\cdot " : "";
    out.value = scaled(terms.sum(fmt::format("Σ_n Σ_{{j≠c_n}} {}max(0, ŷ_nj − ŷ_n[c_n] + Δ)", w),
                                 fmt::format("\\sum_n \\sum_{{j \\neq c_n}} {}\\max(0, \\hat{{y}}_{{nj}} - \\hat{{y}}_{{n c_n}} + \\Delta)", w_latex)));
    out.summarized = !worked;
    if (r.none)
        for (size_t u = 0; u < terms.units(); ++u)
            out.per_term.push_back(torch ? divide(terms.unit(u), classes_count) : terms.unit(u));
    const std::string reduced = r.none ? "one loss per sample (reduction='none')"
                                : r.sum ? "summed over (reduction='sum') the"
                                        : "mean over the";
    const std::string count = r.none ? fmt::format(", {} sample{}", samples, samples == 1 ? "" : "s")
                                     : fmt::format(" {} sample{}", samples, samples == 1 ? "" : "s");
    out.convention = torch ? fmt::format("multiclass margin loss as torch.nn.MultiMarginLoss: per sample Σ over j ≠ y of max(0, ŷ_j − ŷ_y + Δ), "
                                         "Δ = 1, divided by the C = {} classes, {}{}",
                                         width, reduced, count)
                           : fmt::format("multiclass SVM (hinge) loss as CS231n writes it: per sample Σ over j ≠ y of max(0, ŷ_j − ŷ_y + Δ), "
                                         "Δ = 1, {}{} (torch.nn.MultiMarginLoss also divides by the classes: multi_margin)",
                                         reduced, count);
}

}  // namespace dlsolve
