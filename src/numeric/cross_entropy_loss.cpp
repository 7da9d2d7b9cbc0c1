// The categorical cross-entropies: on probabilities (cross_entropy, with Keras's clipping
// where the convention has it) and on logits (cross_entropy_logits, softmax inside).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "numeric/loss_terms.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// Softmax sums over more classes than this are not written out term by term.
constexpr size_t kWorkedClasses = 16;

}  // namespace

// Over the classes of each distribution (a sample, or each place of a sequence or map:
// `layout`), reduced over the batch and the places; a class whose target is 0 is not a
// term of the sum.
void cross_entropy(const std::string& kind, const Operand& prediction, const Tensor& target, const Operand& y, const ClassLayout& layout,
                   const Batch& batch, const Reducer& r, const Convention& convention, bool worked, LossResult& out) {
    const Tensor& p = *prediction.tensor;
    const size_t samples = static_cast<size_t>(p.batch());
    const size_t width = layout.classes, units = samples * layout.positions;
    const bool logits = kind == "cross_entropy_logits";
    const double clip = kind == "cross_entropy" ? convention.probability_clip : 0.0;
    bool any_clipped = false;  // a target class's probability was clipped
    const size_t nonzero = static_cast<size_t>(std::count_if(target.data.begin(), target.data.end(), [](double t) { return t != 0; }));
    Terms terms(worked, nonzero, units, r.none);
    const Expr units_count = Expr::sym("N", static_cast<int64_t>(units));
    if (worked) out.grad_exprs.assign(p.size(), Expr());
    for (size_t unit = 0; unit < units; ++unit) {
        const size_t sample = unit / layout.positions, place = unit % layout.positions;
        const auto at = [&](size_t c) { return layout.index(sample, place, c); };
        std::vector<double> prob(width);
        std::vector<char> clipped(width, 0);
        if (logits) {
            double top = -INFINITY, sum = 0;
            for (size_t c = 0; c < width; ++c) top = std::max(top, p[at(c)]);
            for (size_t c = 0; c < width; ++c) sum += std::exp(p[at(c)] - top);
            for (size_t c = 0; c < width; ++c) prob[c] = std::exp(p[at(c)] - top) / sum;
        } else {
            for (size_t c = 0; c < width; ++c) {
                prob[c] = p[at(c)];
                // Keras clips to [ε, 1 − ε]; a clipped value passes no gradient (as tf.clip_by_value).
                clipped[c] = clip > 0 && (prob[c] < clip || prob[c] > 1 - clip);
                if (clipped[c]) {
                    prob[c] = prob[c] < clip ? clip : 1 - clip;
                    any_clipped = any_clipped || target[at(c)] != 0;
                }
            }
        }
        // ŷ of class c as a formula: the softmax written out for a few classes, else by name.
        std::vector<Expr> exps;
        if (logits && worked && width <= kWorkedClasses)
            for (size_t c = 0; c < width; ++c) exps.push_back(apply("exp", prediction.at(at(c))));
        const auto prob_expr = [&](size_t c) {
            if (logits)
                return exps.empty() ? Expr::real(fmt::format("softmax({})", prediction.name(at(c))), prob[c]) : divide(exps[c], Expr::sum(exps));
            return !clipped[c] ? prediction.at(at(c)) : p[at(c)] < clip ? Expr::real("ε", clip) : Expr(1) - Expr::real("ε", clip);
        };
        for (size_t c = 0; c < width; ++c) {
            const size_t i = at(c);
            const double t = target[i];
            if (t != 0 && prob[c] <= 0)
                throw ProblemError(batch.target_path(), "the cross-entropy is infinite: a target class has probability 0 (log 0 = −∞, "
                                                        "as PyTorch's nll_loss(log ŷ) gives; Keras clips ŷ to 1e-7); give logits "
                                                        "and use cross_entropy_logits");
            const double weight = r.w(sample), per = r.count(static_cast<double>(units));
            if (t != 0) terms.add(unit, weight * t * std::log(prob[c]), [&] { return r.weigh(y.at(i) * log_of(prob_expr(c)), sample); });
            const bool zero_grad = t == 0 || clipped[c];
            out.grad[i] = logits ? weight * (prob[c] - t) / per : zero_grad ? 0.0 : -weight * t / prob[c] / per;
            if (worked)
                out.grad_exprs[i] = logits      ? r.over(r.weigh(prob_expr(c) - y.at(i), sample), units_count)
                                    : zero_grad ? Expr(0)
                                    : r.sum     ? divide(r.weigh(-y.at(i), sample), prediction.at(i))
                                                : divide(r.weigh(-y.at(i), sample), prediction.at(i) * units_count);
        }
    }
    // With class targets each distribution has one term, log ŷ of its class c_n.
    const std::string w = r.weights ? "w_n·" : "", wl = r.weights ? "w_n \\cdot " : "";
    const bool one_hot = !batch.classes.empty() || nonzero == units;
    const std::string sigma = one_hot ? fmt::format("Σ_n {}log ŷ_n[c_n]", w) : fmt::format("Σ_n Σ_c {}y_nc·log ŷ_nc", w);
    const std::string sigma_latex = one_hot ? fmt::format("\\sum_n {}\\log \\hat{{y}}_{{n c_n}}", wl)
                                            : fmt::format("\\sum_n \\sum_c {}y_{{nc}} \\log \\hat{{y}}_{{nc}}", wl);
    out.value = r.over(-terms.sum(sigma, sigma_latex), units_count);
    if (r.none)
        for (size_t u = 0; u < terms.units(); ++u)
            out.per_term.push_back(worked ? -terms.unit(u) : Expr::real(-terms.unit_value(u)));
    const std::string over = layout.positions == 1
                                 ? fmt::format("the {} sample{}", samples, samples == 1 ? "" : "s")
                                 : fmt::format("the {} × {} = {} places (each place's {} classes on the {} axis of the sample)", samples,
                                               layout.positions, units, width, layout.first ? "first" : "last");
    out.convention = fmt::format("categorical cross-entropy {}: −Σ over classes of y·log ŷ, {} over {}",
                                 kind == "cross_entropy" ? "on probabilities" : "on logits (ŷ = softmax(z))", r.word(), over);
    if (any_clipped)
        out.convention += fmt::format("; a target probability outside [ε, 1 − ε] is clipped to it, ε = {}, as Keras's "
                                      "categorical_crossentropy does (its gradient is then 0)",
                                      format_real(clip));
}

}  // namespace dlsolve
