// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer: the block's description and
// its numeric rule on one sample, shared by the layer file and transformer_numeric.cpp.
#pragma once

#include <string>
#include <vector>

#include "layers/multi_head_attention.h"

namespace dlsolve {

struct TransformerSpec {
    bool decoder = false;
    int64_t d_model = 1;
    int64_t nhead = 1;
    int64_t dim_feedforward = 2048;
    bool norm_first = false;
    bool bias = true;
    std::string activation = "relu";
    double epsilon = 1e-5;  // layer_norm_eps

    // PyTorch's parameter names in named_parameters() order (self_attn.in_proj_weight, …,
    // linear1.weight, …, norm1.weight, …), without the biases when bias is false.
    std::vector<std::string> roles() const;
    std::vector<Dims> shapes() const;
};

// One sample [T, d_model] (and the decoder's memory [S, d_model]); the block's output and
// the values a worked step names: the last sublayer's sum before its LayerNorm (post-norm)
// or the residual and the feed-forward output it adds (pre-norm).
struct TransformerSample {
    RowMatrix y;
    RowMatrix last_sum;       // post-norm: the input of the last LayerNorm
    RowMatrix residual;       // pre-norm: z before the last sublayer
    RowMatrix feed_forward;   // pre-norm: the feed-forward output added to it
};
TransformerSample transformer_forward(const TransformerSpec& spec, const RowMatrix& x, const RowMatrix* memory,
                                      const std::vector<const Tensor*>& params);
// ∂L/∂x (and ∂L/∂memory) from ∂L/∂y; parameter gradients are added to grad_params.
void transformer_backward(const TransformerSpec& spec, const RowMatrix& x, const RowMatrix* memory,
                          const std::vector<const Tensor*>& params, const RowMatrix& grad_y, RowMatrix& grad_x,
                          RowMatrix* grad_memory, std::vector<Tensor>& grad_params);

}  // namespace dlsolve
