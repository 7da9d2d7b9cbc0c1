// Multi-head attention: where each projection element lives in the framework's tensors,
// and the forward and backward rules on one sample.
#include <cmath>

#include <fmt/format.h>

#include "layers/multi_head_attention.h"
#include "problem/error.h"

namespace dlsolve {

std::array<size_t, 3> attention_inputs(const AttentionLayout& layout, size_t count) {
    if (count == 1) return {0, 0, 0};
    if (count == 2 && layout.key_defaults_to_value)
        return {0, static_cast<size_t>(layout.value_input), static_cast<size_t>(layout.value_input)};
    if (count == 3) return {0, static_cast<size_t>(layout.key_input), static_cast<size_t>(layout.value_input)};
    throw LayerError(fmt::format("{} takes its inputs as {} (one input: self-attention), not {} inputs", layout.class_name,
                                 layout.call_order, count));
}

// Weights first per projection, each followed by its own bias (Keras); a packed bias
// comes after the three weights (PyTorch's in_proj_bias), the output projection last.
std::vector<std::string> MultiHeadGeometry::roles() const {
    std::vector<std::string> out;
    for (size_t p = 0; p < 3; ++p) {
        if (!packed) out.emplace_back(layout->projection_weight[p]);
        else if (p == 0) out.emplace_back(layout->packed_weight);
        if (use_bias && !layout->projection_bias[p].empty()) out.emplace_back(layout->projection_bias[p]);
    }
    if (use_bias && layout->projection_bias[0].empty()) out.emplace_back(layout->packed_bias);
    out.emplace_back(layout->output_weight);
    if (use_bias) out.emplace_back(layout->output_bias);
    return out;
}

std::vector<Dims> MultiHeadGeometry::shapes() const {
    const auto matrix = [&](int64_t in, int64_t out) { return layout->output_major ? Dims{out, in} : Dims{in, out}; };
    std::vector<Dims> out;
    for (int p = 0; p < 3; ++p) {
        const int64_t width = p < 2 ? key_width : value_width;
        if (!packed) out.push_back(layout->heads_in_kernel_shape ? Dims{rows(p), num_heads, width} : matrix(rows(p), cols(p)));
        else if (p == 0) out.push_back(matrix(rows(0), cols(0) + cols(1) + cols(2)));
        if (use_bias && !layout->projection_bias[static_cast<size_t>(p)].empty())
            out.push_back(layout->heads_in_kernel_shape ? Dims{num_heads, width} : Dims{cols(p)});
    }
    if (use_bias && layout->projection_bias[0].empty()) out.push_back({cols(0) + cols(1) + cols(2)});
    out.push_back(layout->heads_in_kernel_shape ? Dims{num_heads, value_width, out_width} : matrix(rows(3), out_width));
    if (use_bias) out.push_back({out_width});
    return out;
}

std::vector<int> MultiHeadGeometry::role_pieces(bool weights) const {
    std::vector<int> index(4, -1);
    const auto names = roles();
    for (int p = 0; p < 4; ++p) {
        std::string_view want = p == 3 ? (weights ? layout->output_weight : layout->output_bias)
                                : weights ? (packed ? layout->packed_weight : layout->projection_weight[static_cast<size_t>(p)])
                                          : (layout->projection_bias[static_cast<size_t>(p)].empty()
                                                 ? layout->packed_bias
                                                 : layout->projection_bias[static_cast<size_t>(p)]);
        for (size_t r = 0; r < names.size(); ++r)
            if (names[r] == want) index[static_cast<size_t>(p)] = static_cast<int>(r);
    }
    return index;
}

MultiHeadGeometry::Slot MultiHeadGeometry::weight_slot(int piece, int64_t r, int64_t c) const {
    const size_t role = static_cast<size_t>(role_pieces(true)[static_cast<size_t>(piece)]);
    int64_t offset = 0, total = cols(piece);
    if (packed && piece < 3) {
        for (int p = 0; p < piece; ++p) offset += cols(p);
        total = cols(0) + cols(1) + cols(2);
    }
    const int64_t flat = layout->output_major ? (offset + c) * rows(piece) + r : r * total + offset + c;
    return {role, static_cast<size_t>(flat)};
}

MultiHeadGeometry::Slot MultiHeadGeometry::bias_slot(int piece, int64_t c) const {
    const size_t role = static_cast<size_t>(role_pieces(false)[static_cast<size_t>(piece)]);
    int64_t offset = 0;
    if (piece < 3 && layout->projection_bias[0].empty())
        for (int p = 0; p < piece; ++p) offset += cols(p);
    return {role, static_cast<size_t>(offset + c)};
}

namespace {

struct Projection {
    RowMatrix weight;      // rows × cols, input-major
    Eigen::RowVectorXd bias;
};

Projection gather(const MultiHeadGeometry& g, const std::vector<const Tensor*>& params, int piece) {
    Projection out{RowMatrix(g.rows(piece), g.cols(piece)), Eigen::RowVectorXd::Zero(g.cols(piece))};
    for (int64_t r = 0; r < g.rows(piece); ++r)
        for (int64_t c = 0; c < g.cols(piece); ++c) {
            const auto slot = g.weight_slot(piece, r, c);
            out.weight(r, c) = (*params[slot.role])[slot.flat];
        }
    if (g.use_bias)
        for (int64_t c = 0; c < g.cols(piece); ++c) {
            const auto slot = g.bias_slot(piece, c);
            out.bias(c) = (*params[slot.role])[slot.flat];
        }
    return out;
}

void scatter(const MultiHeadGeometry& g, int piece, const RowMatrix& grad_weight, const Eigen::RowVectorXd& grad_bias,
             std::vector<Tensor>& grad_params) {
    for (int64_t r = 0; r < g.rows(piece); ++r)
        for (int64_t c = 0; c < g.cols(piece); ++c) {
            const auto slot = g.weight_slot(piece, r, c);
            grad_params[slot.role][slot.flat] += grad_weight(r, c);
        }
    if (g.use_bias)
        for (int64_t c = 0; c < g.cols(piece); ++c) {
            const auto slot = g.bias_slot(piece, c);
            grad_params[slot.role][slot.flat] += grad_bias(c);
        }
}

// One sample's [T, d] block of a batched [N, T, d] tensor.
Eigen::Map<const RowMatrix> sample_of(const Tensor& x, int64_t n) {
    const int64_t t = x.shape[1], d = x.shape[2];
    return {x.data.data() + n * t * d, t, d};
}

// Columns [first, first + width) of a T × C matrix as a [1, T, width] tensor, and back.
Tensor head_tensor(const RowMatrix& m, int64_t first, int64_t width) {
    Tensor t({1, m.rows(), width});
    Eigen::Map<RowMatrix>(t.data.data(), m.rows(), width) = m.middleCols(first, width);
    return t;
}
Eigen::Map<const RowMatrix> head_matrix(const Tensor& t) { return {t.data.data(), t.shape[1], t.shape[2]}; }

struct HeadInputs {
    Tensor q, k, v;
    std::vector<const Tensor*> list() const { return {&q, &k, &v}; }
};
HeadInputs head_inputs(const MultiHeadGeometry& g, const AttentionSample& s, int64_t h) {
    return {head_tensor(s.q, h * g.key_width, g.key_width), head_tensor(s.k, h * g.key_width, g.key_width),
            head_tensor(s.v, h * g.value_width, g.value_width)};
}

}  // namespace

AttentionSample attention_forward(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<const Tensor*, 3>& in,
                                  const std::vector<const Tensor*>& params, int64_t sample) {
    AttentionSample s;
    std::array<Projection, 4> proj;
    for (int p = 0; p < 4; ++p) proj[static_cast<size_t>(p)] = gather(g, params, p);
    s.q = (sample_of(*in[0], sample) * proj[0].weight).rowwise() + proj[0].bias;
    s.k = (sample_of(*in[1], sample) * proj[1].weight).rowwise() + proj[1].bias;
    s.v = (sample_of(*in[2], sample) * proj[2].weight).rowwise() + proj[2].bias;
    s.context = RowMatrix::Zero(s.q.rows(), g.num_heads * g.value_width);
    for (int64_t h = 0; h < g.num_heads; ++h) {
        const AttentionTrace trace = rule.forward(head_inputs(g, s, h).list());
        s.context.middleCols(h * g.value_width, g.value_width) = head_matrix(trace.output);
        s.weights.emplace_back(head_matrix(trace.weights));
    }
    s.y = (s.context * proj[3].weight).rowwise() + proj[3].bias;
    return s;
}

void attention_backward(const MultiHeadGeometry& g, const AttentionRule& rule, const std::array<const Tensor*, 3>& in,
                        const std::vector<const Tensor*>& params, int64_t sample, const RowMatrix& grad_y,
                        std::array<Tensor*, 3> grad_in, std::vector<Tensor>& grad_params) {
    const AttentionSample s = attention_forward(g, rule, in, params, sample);
    std::array<Projection, 4> proj;
    for (int p = 0; p < 4; ++p) proj[static_cast<size_t>(p)] = gather(g, params, p);
    scatter(g, 3, s.context.transpose() * grad_y, grad_y.colwise().sum(), grad_params);
    const RowMatrix grad_context = grad_y * proj[3].weight.transpose();
    RowMatrix grad_q(s.q.rows(), s.q.cols()), grad_k(s.k.rows(), s.k.cols()), grad_v(s.v.rows(), s.v.cols());
    for (int64_t h = 0; h < g.num_heads; ++h) {
        const HeadInputs head = head_inputs(g, s, h);
        std::vector<Tensor> grads{Tensor(head.q.shape), Tensor(head.k.shape), Tensor(head.v.shape)};
        rule.backward(head.list(), head_tensor(grad_context, h * g.value_width, g.value_width), grads);
        grad_q.middleCols(h * g.key_width, g.key_width) = head_matrix(grads[0]);
        grad_k.middleCols(h * g.key_width, g.key_width) = head_matrix(grads[1]);
        grad_v.middleCols(h * g.value_width, g.value_width) = head_matrix(grads[2]);
    }
    const std::array<const RowMatrix*, 3> grads{&grad_q, &grad_k, &grad_v};
    for (size_t p = 0; p < 3; ++p) {
        const auto x = sample_of(*in[p], sample);
        scatter(g, static_cast<int>(p), x.transpose() * *grads[p], grads[p]->colwise().sum(), grad_params);
        const RowMatrix grad_x = *grads[p] * proj[p].weight.transpose();
        Tensor& target = *grad_in[p];
        const int64_t t = target.shape[1], d = target.shape[2];
        Eigen::Map<RowMatrix>(target.data.data() + sample * t * d, t, d) += grad_x;
    }
}

}  // namespace dlsolve
