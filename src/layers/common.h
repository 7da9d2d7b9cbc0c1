// Arithmetic shared by the layer kinds that slide a window over H and W (convolution,
// transposed convolution, pooling), and the words they share. Each formula is built as
// an Expr, so the output size shows how it was computed: ⌊(28 − 5 + 2·2)/1⌋ + 1 = 28.
#pragma once

#include <string>

#include "expr/expr.h"
#include "ir/convention.h"
#include "ir/layer.h"
#include "problem/fields.h"

namespace dlsolve {

struct Padding {
    enum class Kind { Valid, Same, Explicit };
    Kind kind = Kind::Valid;
    Pair pixels{0, 0};  // per side, for Explicit
};

// Reads "padding": "valid" | "same" | pixels (pixels only where the convention has them).
Padding read_padding(Fields& fields, const Convention& convention, bool same_allowed);

// One spatial axis of a sliding window.
struct Window {
    int64_t kernel;
    int64_t stride;
    int64_t dilation;
    int64_t pad;  // explicit pixels on each side
};

struct Axis {
    const char* size;    // "H" or "W"
    const char* suffix;  // "h" or "w"
};
inline constexpr Axis kHeight{"H", "h"};
inline constexpr Axis kWidth{"W", "w"};

// k_eff = d·(k − 1) + 1, or just k when d = 1.
Expr effective_kernel(const Window& window, const Axis& axis);

// Output size of a convolution or pooling window along one axis. `same`: ⌈n/s⌉;
// otherwise ⌊(n − k_eff + 2·p)/s⌋ + 1 (⌈…⌉ with ceil_mode, as PyTorch pools).
// Throws LayerError when the window does not fit in the padded input.
Expr sliding_output(int64_t n, const Window& window, Padding::Kind padding, const Axis& axis, bool ceil_mode,
                    const char* window_name);

// Output size of a transposed convolution along one axis.
Expr transposed_output(int64_t n, const Window& window, Padding::Kind padding, int64_t output_padding,
                       bool output_padding_given, const Axis& axis);

// Keras/TensorFlow "same" padding puts ⌊total/2⌋ before the input and the rest after.
int64_t same_pad_before(int64_t n, int64_t out, int64_t kernel, int64_t stride);

// The receptive-field map of a sliding window along one axis.
AxisMap window_axis(int64_t n, int64_t out, const Window& window, Padding::Kind padding);

// Padding before the first row (or column) of a sliding window: Keras "same" pads
// ⌊total/2⌋ before and the rest after, as TensorFlow; PyTorch pads `pad` pixels each side.
int64_t pad_before(const Padding& padding, int64_t pad_pixels, int64_t n, int64_t out, int64_t kernel_eff, int64_t stride);

// A batch of images in the framework's layout, batch axis first ([N, H, W, C] or
// [N, C, H, W]): flat index ↔ (sample, channel, row, column).
struct ImageBatch {
    struct Position {
        int64_t n, c, h, w;
    };
    int64_t batch = 1, channels = 1, height = 1, width = 1;
    bool channels_last = true;

    ImageBatch(const Dims& batch_shape, const Convention& convention);
    size_t at(int64_t n, int64_t c, int64_t h, int64_t w) const;
    Position position(size_t flat) const;
    bool inside(int64_t h, int64_t w) const { return h >= 0 && h < height && w >= 0 && w < width; }
};

// The output tensor's shape (batch axis first) for these inputs, from output_shape().
Dims batched_output(const Layer& layer, const std::vector<const Tensor*>& inputs, const Convention& convention);

// One input element that an output element reads, with its coefficient.
struct Tap {
    size_t input;
    double weight = 1.0;
};

// FLOPs of a convolution or dense layer from its MACs: 2 per MAC when the bias add
// completes each sum, one fewer per output without a bias (torch-scan's count).
Cost weighted_sum_cost(const Expr& macs, const Expr& outputs, bool use_bias);

// FLOPs of an activation function per element, torch-scan's counts where it has them.
Cost activation_cost(const std::string& activation, const Expr& elements);

// Layers that keep every element in row-major order and change only the shape (Flatten,
// Reshape): the numbers pass through, and so do their gradients.
class SameElements : public Layer {
public:
    Tensor forward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params,
                   const NumericMode& mode, const Convention& convention) const override;
    void backward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params, const Tensor& output,
                  const Tensor& grad_output, const NumericMode& mode, const Convention& convention,
                  std::vector<Tensor>& grad_inputs, std::vector<Tensor>& grad_params) const override;
    Expr explain(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Tensor& output, size_t flat,
                 const NumericMode& mode, const Convention& convention) const override;
    std::vector<Link> links(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Operand& output,
                            size_t flat, const NumericMode& mode, const Convention& convention) const override;
};

// The local derivatives of output element `flat` as numbers: the layer's backward rule
// run with a one-hot ∂L/∂y (layers whose derivatives have no short formula: attention).
std::vector<Link> links_from_backward(const Layer& layer, const std::vector<Operand>& inputs,
                                      const std::vector<Operand>& values, size_t flat, const NumericMode& mode,
                                      const Convention& convention);

// Activation words accepted by "activation" keys and the activation layer.
std::string read_activation(Fields& fields, bool required);

}  // namespace dlsolve
