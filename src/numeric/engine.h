// The numeric engine: forward values, the loss, and reverse-mode gradients over the
// graph (the micrograd model, one tensor per node), with worked steps: each output
// element as its formula, and the chain rule for one parameter summed over all paths.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "numeric/loss.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"

namespace dlsolve {

struct Pass {
    std::vector<Tensor> outputs;                  // per node, batch axis first
    std::optional<LossResult> loss;
    std::vector<Tensor> grads;                    // ∂L/∂output per node
    std::vector<std::vector<Tensor>> param_grads; // per node, per value tensor
};

// A named scalar of the problem: a parameter element, an input or an output element.
struct ScalarRef {
    enum class Kind { Param, Input, Output } kind;
    size_t node;
    size_t role;  // Param only
    size_t flat;
};

class Engine {
public:
    // Checks that every layer has the values it needs, with the right shapes.
    Engine(const Problem& problem, const Analysis& analysis);

    std::vector<std::vector<Tensor>> params;  // current values, per node and role (training changes them)

    // The batch that forward() feeds and the loss compares with (the first until changed).
    void use_batch(size_t index);
    const Batch& batch() const { return problem_.numeric.batches[batch_index_]; }

    Pass forward(bool worked) const;
    void backward(Pass& pass) const;
    // After a training-mode forward pass: BatchNorm's running statistics move.
    void update_state(const Pass& pass);

    std::string output_name(size_t node, size_t flat) const;
    std::string param_name(size_t node, size_t role, size_t flat) const;
    Operand output_operand(const Pass& pass, size_t node) const;
    Operand param_operand(size_t node, size_t role) const;
    std::optional<ScalarRef> find_symbol(const std::string& symbol) const;
    std::vector<std::string> symbols() const;  // every exam name, for suggestions

    // Output element `flat` of `node` as its formula (checked against the tensor value).
    Expr explain(const Pass& pass, size_t node, size_t flat) const;
    // The intermediate tensors `node` shows before its output (attention's scores and weights).
    std::vector<WorkedStage> stages(const Pass& pass, size_t node) const;
    // ∂L/∂(scalar) by the chain rule over every path, in the exam's names (checked
    // against backward()). Sub-expressions longer than `max_chars` become named ∂L/∂… leaves.
    Expr chain_rule(const Pass& pass, const ScalarRef& scalar, size_t max_chars = 400) const;
    // ∂L/∂(parameter element) worked through its layer's intermediate quantities
    // (Layer::param_gradient), preceded by ∂L/∂ of the layer's outputs; empty when the
    // layer has no such derivation. The last line is checked against backward().
    std::vector<WorkedLine> worked_gradient(const Pass& pass, const ScalarRef& scalar) const;

    const Problem& problem() const { return problem_; }

private:
    const Problem& problem_;
    const Analysis& analysis_;
    NumericMode mode_;
    std::vector<std::vector<Tensor>> initial_;
    size_t batch_index_ = 0;
};

// A tensor as nested JSON arrays, without the batch axis when the problem has none.
Json tensor_json(const Tensor& t, bool keep_batch);

}  // namespace dlsolve
