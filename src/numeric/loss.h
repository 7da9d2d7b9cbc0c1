// Losses with PyTorch's default reductions, each value and gradient also as a formula.
#pragma once

#include <string>
#include <vector>

#include "expr/expr.h"
#include "ir/convention.h"
#include "ir/layer.h"
#include "numeric/spec.h"

namespace dlsolve {

struct LossResult {
    Expr value;                     // the worked loss: ((2 − 1)² + (0 − 1)²)/2 = 1
    Tensor grad;                    // ∂L/∂prediction
    std::vector<Expr> grad_exprs;   // the same per element, as formulas (small outputs only)
    std::string convention;         // e.g. "MSE: mean over all 2 elements (PyTorch reduction='mean')"
    // reduction='none': each element's loss (mse, mae, bce) or each sample's (the
    // cross-entropies and margin losses), PyTorch's answer; `value` is then their sum,
    // never shown as the loss (backward refuses it, as torch does a non-scalar).
    std::vector<Expr> per_term;
    // Too many terms to write: `value` is in Σ form (Expr::series), shown symbolically first.
    bool summarized = false;
};

// Where a categorical loss finds the classes in each sample of the output: `classes` of
// them at each of `positions` places. One place: the whole sample is one distribution;
// more: a sequence [T, C] or a map, with the classes on the last sample axis (Keras) or
// the first (nn.CrossEntropyLoss's dim 1), one distribution per place.
struct ClassLayout {
    size_t sample_size = 0;
    size_t classes = 0;
    size_t positions = 1;
    bool first = false;
    // The flat index of class c at place q of sample n.
    size_t index(size_t n, size_t q, size_t c) const { return n * sample_size + (first ? c * positions + q : q * classes + c); }
};

// The layout of `prediction` for loss `kind` (any loss: the whole sample unless it is a
// cross-entropy over several long axes). Throws ProblemError where the file must say
// which axis holds the classes, or a margin loss meets several long axes.
ClassLayout class_layout(const std::string& kind, const Tensor& prediction, const LossOptions& options, const Convention& convention);

// `prediction` is the network output (batch axis first); the batch's target values of
// the same shape, or `classes` (one per sample) for the cross-entropies. Throws
// ProblemError for a target of the wrong size. Formulas are built when `worked` is true.
// `convention` gives the framework's clipping of probabilities at the edges.
LossResult compute_loss(const std::string& kind, const Operand& prediction, const Batch& batch, const LossOptions& options,
                        const Convention& convention,
                        bool worked);

// hinge (the multiclass SVM loss) and multi_margin (torch.nn.MultiMarginLoss): scores and one class per sample.
bool is_margin_loss(const std::string& kind);

// The letter of the target elements: "y", or "t" when the output's own element names
// begin with y (the output and the target must not share a letter).
std::string target_letter(const Operand& prediction);

// The batch's target as a tensor shaped like `prediction` (class indices one-hot, one
// per place of `layout`), checked against it; `kind` is the loss, empty for a learning
// rule (values only).
Tensor target_like(const std::string& kind, const Batch& batch, const Tensor& prediction, const ClassLayout& layout);

}  // namespace dlsolve
