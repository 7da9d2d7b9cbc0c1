// What a problem gives for the numeric engine: the samples (one batch, or a list of
// batches), the target, the loss, and the optimizer or learning rule that trains.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/convention.h"
#include "numeric/tensor.h"

namespace dlsolve {

// An optimizer's update rule and settings; the defaults below are torch.optim's, and
// the problem reader takes a Keras problem's from Convention::optimizer (lr has none:
// it must be given).
struct OptimizerSpec {
    std::string type;            // sgd, rmsprop, adam, adamw, adagrad
    Framework framework = Framework::PyTorch;  // whose rule: torch.optim's or keras.optimizers'
    double lr = 0;
    double momentum = 0;         // sgd, rmsprop
    double dampening = 0;        // sgd
    bool nesterov = false;       // sgd
    double weight_decay = 0;     // added to the gradient (adamw: decoupled, default 0.01)
    double beta1 = 0.9;          // adam, adamw
    double beta2 = 0.999;        // adam, adamw
    double alpha = 0.99;         // rmsprop's smoothing constant ("beta" in the exam's formula)
    double eps = 1e-8;           // adagrad: 1e-10
    double initial_accumulator = 0;  // adagrad's sum starts here (Keras 0.1)
};

// A textbook learning rule that is not gradient descent on a loss: it trains one dense
// layer sample by sample, the target entering the update directly.
struct RuleSpec {
    std::string type;              // hebbian: Δw = η·x·t; perceptron: Δw = η·x·(t − y), y = step(w·x + b)
    double lr = 1;                 // η
    bool until_converged = false;  // perceptron: stop after the first epoch that changes no weight
};

// One batch of samples and its target.
struct Batch {
    Tensor input;                  // batch axis first
    bool has_target = false;
    Tensor target;                 // batch axis first, like the output
    std::vector<int64_t> classes;  // class indices instead (cross-entropy)
    std::string path;              // "" for input.values and target; "/batches/K" in the list

    std::string target_path() const { return path.empty() ? "/target" : path + "/target"; }
};

// How a loss reduces its terms, as PyTorch's `reduction` (both frameworks: see
// docs/problem-format.md), and per-sample weights multiplying each sample's terms.
struct LossOptions {
    std::string reduction;               // "mean", "sum"; empty: the loss's own definition (mean; sse a sum)
    std::vector<double> sample_weights;  // one per sample; empty: none
    // The cross-entropies over an output with several long axes: "last" (one
    // distribution per position, classes on the last axis) or "first" (classes on the
    // first sample axis, as nn.CrossEntropyLoss's dim 1); empty: the convention's.
    std::string class_axis;
};

// The numeric engine refuses a problem whose forward pass would hold more tensor
// elements than this before allocating any; `--max-elements` raises it. An element
// costs far more than its 8 bytes once its worked formula and answers are kept: about
// 300 bytes, measured on a 2 × 2 map upsampled by 500 (1 M elements: 164 MiB peak for
// `forward`, 285 MiB with --format json), so the default keeps a run near 300 MiB.
inline constexpr int64_t kDefaultMaxElements = int64_t{1} << 20;
inline constexpr int64_t kBytesPerWorkedElement = 300;

struct NumericSpec {
    bool has_values = false;
    std::vector<Batch> batches;               // input.values and target as one batch, or the "batches" list
    bool batch_list = false;                  // the samples come as "batches"
    std::vector<std::string> input_symbols;   // one sample's elements; empty: x[i]
    // Inputs among the layers that carry their own values (graph node, values with the
    // batch axis): the same for every batch. An input without values is fed the batch's input.
    std::vector<std::pair<size_t, Tensor>> given_inputs;
    std::string loss;                         // empty: none
    LossOptions loss_options;                 // "reduction" and "sample_weights"
    std::optional<OptimizerSpec> optimizer;
    std::optional<RuleSpec> rule;
    int64_t steps = 1;                        // optimizer steps on the one batch
    std::optional<int64_t> epochs;            // passes over the batches (rules: over the samples)
    bool training = false;                    // dropout masks and BatchNorm batch statistics
    int64_t max_elements = kDefaultMaxElements;  // the budget of the forward pass's tensors

    const Batch& first() const { return batches.front(); }
    const Tensor* given_input(size_t node) const {
        for (const auto& [at, values] : given_inputs)
            if (at == node) return &values;
        return nullptr;
    }
};

}  // namespace dlsolve
