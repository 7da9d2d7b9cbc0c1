// Multi-head attention (Keras MultiHeadAttention / nn.MultiheadAttention), shared by the
// layer file and the numeric rule. dlsolve computes with input-major matrices:
// Q = X_q·A_q + b_q (T × heads·key_width, head h in columns h·key_width …), likewise K
// and V, S_h = Q_h·K_hᵀ / √key_width, P_h = softmax of each row, C_h = P_h·V_h, and
// Y = C·A_o + b_o. The framework's tensors hold those matrices in their own layouts
// (Convention::attention); `slot` says where each element lives.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "ir/convention.h"
#include "ir/layer.h"
#include "layers/attention_rule.h"

namespace dlsolve {

struct MultiHeadGeometry {
    const AttentionLayout* layout = nullptr;
    int64_t num_heads = 1;
    int64_t key_width = 1;    // per head: Keras key_dim, PyTorch embed_dim / num_heads
    int64_t value_width = 1;  // per head: Keras value_dim, PyTorch embed_dim / num_heads
    std::array<int64_t, 3> in_width{};  // features of the query, key and value inputs
    int64_t out_width = 1;
    bool use_bias = true;
    bool packed = false;      // one tensor for the three input projections (PyTorch, kdim = vdim = E)

    // Projection 0, 1, 2 = query, key, value; 3 = output.
    int64_t rows(int piece) const { return piece < 3 ? in_width[static_cast<size_t>(piece)] : num_heads * value_width; }
    int64_t cols(int piece) const { return piece < 2 ? num_heads * key_width : piece == 2 ? num_heads * value_width : out_width; }

    struct Slot {
        size_t role;  // index in roles()
        size_t flat;
    };
    std::vector<std::string> roles() const;
    std::vector<Dims> shapes() const;
    Slot weight_slot(int piece, int64_t r, int64_t c) const;
    Slot bias_slot(int piece, int64_t c) const;

private:
    std::vector<int> role_pieces(bool weights) const;  // roles() index per piece, −1 if none
};

// Which of the layer's inputs is the query, the key and the value, in the framework's
// call order; one input is self-attention.
std::array<size_t, 3> attention_inputs(const AttentionLayout& layout, size_t count);

// The numeric rule for a batch [N, T, d] per input (inputs already in query, key, value
// order; the same tensor may appear several times). Each head's attention is `rule`'s
// (scaled by 1/√key_width, its mask if any), the arithmetic of the `attention` layer.
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
struct AttentionSample {
    RowMatrix q, k, v;                  // projected: T × heads·key_width, S × …, S × heads·value_width
    std::vector<RowMatrix> weights;     // per head: T × S softmax rows
    RowMatrix context;                  // T × heads·value_width
    RowMatrix y;                        // T × out_width
};
AttentionSample attention_forward(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<const Tensor*, 3>& in,
                                  const std::vector<const Tensor*>& params, int64_t sample);
void attention_backward(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<const Tensor*, 3>& in,
                        const std::vector<const Tensor*>& params, int64_t sample, const RowMatrix& grad_y,
                        std::array<Tensor*, 3> grad_in, std::vector<Tensor>& grad_params);

// ∂y[flat]/∂ every input and parameter element it depends on, written as formulas
// (multi_head_links.cpp): `order` is attention_inputs' query, key, value.
std::vector<Link> attention_links(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<size_t, 3>& order,
                                  const std::vector<Operand>& in, const std::vector<Operand>& p, size_t flat);

}  // namespace dlsolve
