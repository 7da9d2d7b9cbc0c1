// The layer interface. Everything dlsolve knows about one kind of layer lives in one
// file under src/layers/, the way a Keras layer class owns compute_output_shape and
// count_params: its keys, its output shape with the size arithmetic, its parameters.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "expr/expr.h"
#include "ir/convention.h"
#include "ir/shape.h"

namespace dlsolve {

// A layer's parameters, each figure carrying its formula. `total` is the count as the
// exam writes it (16 × (5 × 5 × 3 + 1)); the split says which part trains.
struct ParamCount {
    Expr total;          // trainable + non-trainable parameters
    Expr trainable;
    Expr non_trainable;
    Expr buffers;        // PyTorch buffers (running statistics): not parameters

    static ParamCount trainable_only(const Expr& count) { return {count, count, Expr(), Expr()}; }
};

class Layer {
public:
    virtual ~Layer() = default;

    std::string name;
    std::string type;                 // the problem-file word, e.g. "conv2d"
    std::string path;                 // JSON pointer of the layer object, e.g. /layers/3
    std::vector<std::string> inputs;  // explicit inputs; empty: the previous layer
    bool trainable = true;
    bool auto_named = false;          // named by the framework's rule, not by the file

    // The framework's class name, e.g. Conv2D / Conv2d; some depend on the input rank.
    virtual std::string class_name(const Convention& convention, const std::vector<Dims>& inputs) const = 0;
    virtual size_t min_inputs() const { return 1; }
    virtual size_t max_inputs() const { return 1; }
    // Output shape with each dimension's derivation; throws LayerError for impossible inputs.
    virtual ShapeExpr output_shape(const std::vector<Dims>& inputs, const Convention& convention) const = 0;
    virtual ParamCount params(const std::vector<Dims>& /*inputs*/, const Convention& /*convention*/) const {
        return {};
    }
};

inline constexpr size_t kUnlimitedInputs = std::numeric_limits<size_t>::max();

}  // namespace dlsolve
