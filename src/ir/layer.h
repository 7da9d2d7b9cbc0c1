// The layer interface. Everything dlsolve knows about one kind of layer lives in one
// file under src/layers/, the way a Keras layer class owns compute_output_shape and
// count_params: its keys, its output shape with the size arithmetic, its parameters.
#pragma once

#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr/expr.h"
#include "ir/convention.h"
#include "ir/shape.h"
#include "numeric/tensor.h"

namespace dlsolve {

// A layer's parameters, each figure carrying its formula. `total` is the count as the
// exam writes it (16 × (5 × 5 × 3 + 1)); the split says which part trains.
struct ParamCount {
    Expr total;          // trainable + non-trainable parameters
    Expr trainable;
    Expr non_trainable;
    Expr buffers;        // PyTorch buffers (running statistics): not parameters
    Expr tied = Expr();  // elements that are another layer's tensor (tied weights), counted there

    static ParamCount trainable_only(const Expr& count) { return {count, count, Expr(), Expr()}; }
};

// How output positions map back onto the input along one spatial axis, for the
// receptive-field recurrence (Araujo, Norris and Sim, Distill 2019).
struct AxisMap {
    enum class Kind {
        Window,      // a sliding window: convolution, pooling, zero padding
        Transposed,  // a transposed convolution: stride divides the jump
        Upsample,    // nearest-neighbour upsampling by `stride`
        Whole,       // every position along this axis mixes (nn.Linear on the last axis of [C, H, W])
    };
    Kind kind = Kind::Window;
    int64_t kernel = 1;  // effective kernel d·(k − 1) + 1
    int64_t stride = 1;  // stride, or the upsampling factor
    int64_t pad = 0;     // padding before the first input element (top or left)
};

struct SpatialMap {
    enum class Kind {
        Pointwise,  // each output position sees the same input position (activations, BN)
        Window,     // see h and w
        Global,     // each output sees the whole input (dense on vectors, global pooling)
        Undefined,  // no single receptive field (e.g. concatenation along H): `reason` says why
    };
    Kind kind = Kind::Pointwise;
    AxisMap h, w;
    std::string reason;

    SpatialMap() = default;
    SpatialMap(Kind k, AxisMap height, AxisMap width, std::string why = "")
        : kind(k), h(height), w(width), reason(std::move(why)) {}
};

// Inference cost of one forward pass of one sample: MACs are the multiply-accumulates
// of convolution and dense weights (as torch-scan and torchvision count them); FLOPs
// count every operation, 2 per MAC with the bias add (see kCostConvention).
struct Cost {
    Expr macs;
    Expr flops;
    std::string rule;  // what one FLOP stands for, e.g. "one comparison per element"
};

// One part of a layer's MACs (attention's projections, QKᵀ, AV, …): `flops` answers
// macs.LAYER.KEY with it; the parts add up to Cost::macs.
struct CostPart {
    std::string key;  // "scores", "self_attn.query_projection", "linear1", …
    Expr macs;
};

// A tensor a layer computes inside itself that `summary` counts in the activation memory
// (attention's T × S score and weight matrices per head), per sample.
struct InnerTensor {
    std::string key;    // "scores", "self_attn.weights", …
    std::string what;   // "softmax weights A, num_heads × T × S"
    Expr elements;
    bool saved = false; // kept for backward (as autograd saves it); otherwise alive only in the forward pass
};

// Values given in a problem file: a parameter tensor (no batch axis) with the exam's
// names for its elements.
struct ParamTensor {
    std::string role;                  // "weights", "bias", "gamma", "beta", "moving_mean", …
    Tensor value;
    std::vector<std::string> symbols;  // one per element, or empty: role[i, j]
    bool trainable = true;             // BatchNorm's moving statistics are not
    bool given = true;                 // false: not in the problem, every element the layer's value_default
};

// A tensor whose elements are named leaves, for worked steps: at(i) is the Expr
// `h4 = 2` that a formula substitutes.
struct Operand {
    const Tensor* tensor = nullptr;
    std::function<std::string(size_t)> name;
    Expr at(size_t flat) const { return Expr::real(name(flat), (*tensor)[flat]); }
    double to_double(size_t flat) const { return (*tensor)[flat]; }
};

// One local derivative: output element ← source element, ∂out/∂source as an Expr.
struct Link {
    int source;   // k ≥ 0: input k; −1 − r: parameter r
    size_t flat;  // element of that input (batch axis included) or parameter
    Expr derivative;
};

// An intermediate tensor a layer computes on the way to its output and that an exam
// asks for (attention's scores and weights), each element a worked formula.
struct WorkedStage {
    std::string key;    // the answer key's last part: forward.<layer>.<key>
    std::string title;  // "scores S = QKᵀ/√d_k"
    Tensor values;      // batch axis first
    std::vector<std::pair<std::string, Expr>> elements;  // name and formula, in the order of `values`
};

// One line of a worked derivation: `label: expr` written symbolically and with values,
// or a sentence.
struct WorkedLine {
    std::string label;  // "∂L/∂c2[1]", "t = 2"
    Expr expr;
    std::string text;   // non-empty: this sentence instead of a formula
};

struct NumericMode {
    bool training = false;  // dropout masks and BatchNorm batch statistics apply
};

class Layer {
public:
    virtual ~Layer() = default;

    std::string name;
    std::string type;                 // the problem-file word, e.g. "conv2d"
    std::string path;                 // JSON pointer of the layer object, e.g. /layers/3
    std::vector<std::string> inputs;  // explicit inputs; empty: the previous layer
    bool trainable = true;
    std::vector<ParamTensor> values;           // parameters with values, if the problem gives them
    std::string output_prefix;                 // exam names of one sample's output elements: "h" → h1, h2, …
    std::vector<std::string> output_symbols;   // … or listed one by one
    bool auto_named = false;          // named by the framework's rule, not by the file
    // Weight tying: this layer's first value tensor ("weights") is the named layer's first
    // one (GPT-2's output layer reuses the token embedding), alike or transposed. It is
    // counted once, by its owner; empty: the layer owns all its tensors.
    std::string tied_to;

    // The framework's class name, e.g. Conv2D / Conv2d; some depend on the input rank.
    virtual std::string class_name(const Convention& convention, const std::vector<Dims>& inputs) const = 0;
    virtual size_t min_inputs() const { return 1; }
    virtual size_t max_inputs() const { return 1; }
    // Output shape with each dimension's derivation; throws LayerError for impossible inputs.
    virtual ShapeExpr output_shape(const std::vector<Dims>& inputs, const Convention& convention) const = 0;
    virtual ParamCount params(const std::vector<Dims>& /*inputs*/, const Convention& /*convention*/) const {
        return {};
    }
    // The value tensors a problem may give this layer ("weights", "bias", …) and the
    // shapes they must have, in the same order.
    virtual std::vector<std::string> value_roles() const { return {}; }
    virtual std::vector<Dims> value_shapes(const std::vector<Dims>& /*inputs*/, const Convention& /*convention*/) const {
        return {};
    }
    // Whether the optimizer updates a value tensor (BatchNorm's moving statistics: no).
    virtual bool value_trainable(const std::string& /*role*/) const { return true; }
    // The value every element of a tensor the problem leaves out starts at, as the
    // frameworks initialise it (BatchNorm γ = 1, β = 0), or none when it must be given
    // (weights start random).
    virtual std::optional<double> value_default(const std::string& /*role*/) const { return std::nullopt; }
    // The activation word applied inside the layer (the "activation" of dense and the
    // convolutions); empty for none.
    virtual std::string fused_activation() const { return {}; }
    virtual SpatialMap spatial_map(const std::vector<Dims>& /*inputs*/, const Dims& /*output*/,
                                   const Convention& /*convention*/) const {
        return {};
    }
    virtual Cost cost(const std::vector<Dims>& /*inputs*/, const Dims& /*output*/, const Convention& /*convention*/) const {
        return {};
    }
    // The MACs of cost() by part, for layers made of several products; empty: one part.
    virtual std::vector<CostPart> cost_parts(const std::vector<Dims>& /*inputs*/, const Convention& /*convention*/) const {
        return {};
    }
    virtual std::vector<InnerTensor> inner_tensors(const std::vector<Dims>& /*inputs*/, const Convention& /*convention*/) const {
        return {};
    }

    // The numeric engine. Tensors carry the batch axis first. A kind without a numeric
    // rule keeps the defaults, which throw LayerError.
    // `params` are the current values of `values` (they change while training).
    virtual Tensor forward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params,
                           const NumericMode& mode, const Convention& convention) const;
    // ∂L/∂inputs and ∂L/∂params from ∂L/∂output; the vectors come sized and zeroed.
    virtual void backward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params,
                          const Tensor& output, const Tensor& grad_output, const NumericMode& mode,
                          const Convention& convention, std::vector<Tensor>& grad_inputs,
                          std::vector<Tensor>& grad_params) const;
    // State that a training-mode forward pass moves (BatchNorm's running statistics).
    virtual void update_state(const std::vector<const Tensor*>& /*inputs*/, std::vector<Tensor>& /*params*/,
                              const NumericMode& /*mode*/, const Convention& /*convention*/) const {}
    // Output element `flat` as a formula of named inputs and parameters; its value
    // must equal forward()'s.
    virtual Expr explain(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Tensor& output,
                         size_t flat, const NumericMode& mode, const Convention& convention) const;
    // The local derivatives of output element `flat`, for the chain rule written out;
    // `output` carries the layer's own element names (a derivative such as σ′ = a·(1 − a)
    // is written in them).
    virtual std::vector<Link> links(const std::vector<Operand>& inputs, const std::vector<Operand>& values,
                                    const Operand& output, size_t flat, const NumericMode& mode,
                                    const Convention& convention) const;
    // ∂L/∂(parameter `role`, element `flat`) worked through the layer's own intermediate
    // quantities, from ∂L/∂output (`grad_output`, its elements named ∂L/∂h3[1]): for a
    // recurrent layer the recursion of backpropagation through time and the sum over the
    // steps. The last line is the gradient. Empty: the chain of links() is written instead.
    virtual std::vector<WorkedLine> param_gradient(const std::vector<Operand>& /*inputs*/, const std::vector<Operand>& /*values*/,
                                                   const Operand& /*grad_output*/, size_t /*role*/, size_t /*flat*/,
                                                   const NumericMode& /*mode*/, const Convention& /*convention*/) const {
        return {};
    }
    // The intermediate tensors worth showing before the output, worked; none for most kinds.
    virtual std::vector<WorkedStage> stages(const std::vector<Operand>& /*inputs*/, const std::vector<Operand>& /*values*/,
                                            const NumericMode& /*mode*/, const Convention& /*convention*/) const {
        return {};
    }
};

inline constexpr size_t kUnlimitedInputs = std::numeric_limits<size_t>::max();

}  // namespace dlsolve
