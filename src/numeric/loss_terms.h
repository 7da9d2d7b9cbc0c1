// How a loss reduces and writes its terms: the reduction and the sample weights
// (Reducer), and the sum of the terms as a formula (Terms): every term when the loss is
// worked, the first few and the last in Σ form when there are too many, and per element
// or per sample for reduction='none'.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>

#include "expr/expr.h"
#include "numeric/loss.h"

namespace dlsolve {

// The reduction and the sample weights: each sample's terms are multiplied by its weight
// w_n, and the mean divides by the count of terms (elements or samples), not by Σw, as
// (loss(reduction='none') × w).mean() in PyTorch and sample_weight in Keras do.
// reduction='none' divides by nothing: each element's or sample's loss is its own answer.
struct Reducer {
    bool sum = false;                               // reduction='sum' or 'none': no division by the count
    const std::vector<double>* weights = nullptr;   // one per sample, or none
    bool none = false;                              // reduction='none'
    double w(size_t sample) const { return weights ? (*weights)[sample] : 1.0; }
    Expr weigh(const Expr& e, size_t sample) const {
        return weights ? Expr::real(fmt::format("w{}", sample + 1), (*weights)[sample]) * e : e;
    }
    Expr over(const Expr& e, const Expr& count) const { return sum ? e : divide(e, count); }
    double count(double n) const { return sum ? 1.0 : n; }
    const char* word() const { return none ? "one loss each (reduction='none')" : sum ? "summed" : "mean"; }
};

// The terms of a loss's sum, each with the unit it belongs to (an element for the
// element-wise losses, a sample for the cross-entropies and margin losses).
class Terms {
public:
    // Written out in a Σ form: the first kHead terms and the last.
    static constexpr size_t kHead = 3;

    Terms(bool worked, size_t total, size_t units, bool per_unit)
        : worked_(worked), total_(total), per_unit_(per_unit), unit_values_(per_unit ? units : 0), unit_terms_(per_unit && worked ? units : 0) {}

    // A term of value `value`; `make` builds its formula when the formula is written.
    template <class Make>
    void add(size_t unit, double value, Make make) {
        const size_t i = index_++;
        sum_ += value;
        if (per_unit_) unit_values_[unit] += value;
        if (worked_) {
            Expr e = make();
            if (per_unit_) unit_terms_[unit].push_back(e);
            all_.push_back(std::move(e));
        } else if (i < kHead || i + 1 == total_) {
            all_.push_back(make());
        }
    }

    // The sum: every term, or (not worked) Σ-form `sigma` written as its first and last terms.
    Expr sum(const std::string& sigma, const std::string& sigma_latex) const {
        if (worked_) return Expr::sum(all_);
        if (all_.empty()) return Expr::real(sum_);
        const int64_t shown = static_cast<int64_t>(all_.size());
        return Expr::series(all_, static_cast<int64_t>(index_) - shown, sum_, sigma, sigma_latex);
    }
    bool worked() const { return worked_; }
    size_t units() const { return unit_values_.size(); }
    // A unit's terms summed (reduction='none'): its formula when worked, else its value.
    Expr unit(size_t u) const { return worked_ ? Expr::sum(unit_terms_[u]) : Expr::real(unit_values_[u]); }
    double unit_value(size_t u) const { return unit_values_[u]; }

private:
    bool worked_;
    size_t total_;
    bool per_unit_;
    size_t index_ = 0;
    double sum_ = 0;
    std::vector<Expr> all_;
    std::vector<double> unit_values_;
    std::vector<std::vector<Expr>> unit_terms_;
};

// log ŷ, with PyTorch's clamp of log 0 at −100 (binary cross-entropy).
inline Expr log_of(const Expr& p) {
    if (p.to_double() <= 0) return Expr::real("log(0) clamped", -100.0);
    return apply("log", p);
}

// The categorical cross-entropies, in cross_entropy_loss.cpp; `y` names the target
// elements, `layout` says where each distribution's classes are.
void cross_entropy(const std::string& kind, const Operand& prediction, const Tensor& target, const Operand& y, const ClassLayout& layout,
                   const Batch& batch,
                   const Reducer& r, const Convention& convention, bool worked, LossResult& out);

// The multiclass SVM loss (hinge) and torch.nn.MultiMarginLoss (multi_margin), in margin_loss.cpp.
void margin_loss(const std::string& kind, const Operand& prediction, const Tensor& target, const Batch& batch, const Reducer& r,
                 bool worked, LossResult& out);

}  // namespace dlsolve
