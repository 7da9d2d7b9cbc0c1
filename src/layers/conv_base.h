// What Conv2D and Conv2DTranspose share, as Keras's base Conv class does: the keys,
// the channel checks and the parameter count F × (k_h × k_w × C_in/g + 1).
#pragma once

#include <optional>
#include <string>

#include "ir/layer.h"
#include "layers/common.h"

namespace dlsolve {

struct ConvOptions {
    int64_t filters = 1;
    Pair kernel{1, 1};
    Pair stride{1, 1};
    Pair dilation{1, 1};
    Padding padding;
    int64_t groups = 1;
    bool use_bias = true;
    std::string activation;
    std::optional<int64_t> in_channels;
};

ConvOptions read_conv_options(Fields& fields, const Convention& convention, bool same_allowed);

// Checks in_channels and the groups against the input's channels.
void check_conv_channels(const ConvOptions& options, int64_t channels);

// F × (k_h × k_w × C_in/g + 1), without the + 1 when there is no bias.
ParamCount conv_params(const ConvOptions& options, int64_t channels);

// k_h × k_w × C_in/g × F × H × W multiply-accumulates, where H × W is the output of a
// convolution and the input of a transposed convolution (each input value meets
// every weight of its group once), plus the fused activation.
Cost conv_cost(const ConvOptions& options, int64_t channels, int64_t height, int64_t width, const Dims& output,
               const Convention& convention);

// A kernel of `outs` × `ins` (per group) × k_h × k_w in the convention's layout:
// Keras [k_h][k_w][ins][outs], PyTorch [outs][ins][k_h][k_w].
struct KernelShape {
    KernelLayout layout;
    int64_t outs, ins, kh, kw;

    Dims dims() const;
    size_t at(int64_t out, int64_t in, int64_t h, int64_t w) const;
};

// One product of a convolution's weighted sum: input element × kernel element.
struct ConvTap {
    size_t input;
    size_t weight;
};

// What Conv2D and Conv2DTranspose share numerically: each output element is
// f(Σ x·w + b[channel]) over its taps, with the fused activation f. The kinds differ
// only in which input element meets which weight (taps) and in the kernel's shape.
class ConvLayer : public Layer {
public:
    ConvOptions o;

    // The products that make output element `flat` (padding contributes none).
    virtual std::vector<ConvTap> taps(const ImageBatch& in, const ImageBatch& out, size_t flat,
                                      const Convention& convention) const = 0;
    virtual KernelShape kernel(int64_t in_channels, const Convention& convention) const = 0;
    // A batch of this layer's inputs or outputs as images; Conv1D's sequences are images of
    // height 1 ([N, T, C] as [N, 1, T, C], [N, C, T] as [N, C, 1, T]: the same flat order).
    virtual ImageBatch image_batch(const Dims& batch_shape, const Convention& convention) const {
        return ImageBatch(batch_shape, convention);
    }

    std::string fused_activation() const override { return o.activation; }
    std::vector<std::string> value_roles() const override;
    std::vector<Dims> value_shapes(const std::vector<Dims>& inputs, const Convention& convention) const override;
    Tensor forward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params, const NumericMode& mode,
                   const Convention& convention) const override;
    void backward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params, const Tensor& output,
                  const Tensor& grad_output, const NumericMode& mode, const Convention& convention,
                  std::vector<Tensor>& grad_inputs, std::vector<Tensor>& grad_params) const override;
    Expr explain(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Tensor& output, size_t flat,
                 const NumericMode& mode, const Convention& convention) const override;
    std::vector<Link> links(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Operand& output,
                            size_t flat, const NumericMode& mode, const Convention& convention) const override;

protected:
    // A convolution's window: output (n, f, i, j) reads input rows i·s − pad + a·d (a < k_h),
    // likewise columns, of the C_in/g channels in filter f's group; the padding reads zeros.
    std::vector<ConvTap> window_taps(const ImageBatch& in, const ImageBatch& out, size_t flat, const Convention& convention) const;

private:
    Expr pre_activation(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const ImageBatch& in,
                        const ImageBatch& out, size_t flat, const Convention& convention) const;
};

}  // namespace dlsolve
