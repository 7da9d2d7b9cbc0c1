// The numeric rule of nn.TransformerEncoderLayer / nn.TransformerDecoderLayer
// (torch/nn/modules/transformer.py, forward): sublayers k = 1 … K (self-attention,
// the decoder's attention over the memory, the feed-forward), each with LayerNorm k:
// post-norm z ← LN_k(z + S_k(z)), norm_first z ← z + S_k(LN_k(z)). Dropout is off
// (inference, or dropout = 0).
#include <cmath>
#include <map>
#include <numbers>

#include <fmt/format.h>

#include "layers/transformer.h"
#include "problem/error.h"

namespace dlsolve {

namespace {

const char* sublayer_name(const TransformerSpec& spec, int k) {
    if (k == 0) return "self_attn";
    return spec.decoder && k == 1 ? "multihead_attn" : "ff";
}
int sublayers(const TransformerSpec& spec) { return spec.decoder ? 3 : 2; }

}  // namespace

std::vector<std::string> TransformerSpec::roles() const {
    std::vector<std::string> out;
    for (const char* attention : {"self_attn", "multihead_attn"}) {
        if (!decoder && std::string_view(attention) == "multihead_attn") continue;
        out.push_back(fmt::format("{}.in_proj_weight", attention));
        if (bias) out.push_back(fmt::format("{}.in_proj_bias", attention));
        out.push_back(fmt::format("{}.out_proj.weight", attention));
        if (bias) out.push_back(fmt::format("{}.out_proj.bias", attention));
    }
    for (const char* linear : {"linear1", "linear2"}) {
        out.push_back(fmt::format("{}.weight", linear));
        if (bias) out.push_back(fmt::format("{}.bias", linear));
    }
    for (int k = 1; k <= sublayers(*this); ++k) {
        out.push_back(fmt::format("norm{}.weight", k));
        if (bias) out.push_back(fmt::format("norm{}.bias", k));
    }
    return out;
}

std::vector<Dims> TransformerSpec::shapes() const {
    std::vector<Dims> out;
    for (const auto& role : roles()) {
        if (role.ends_with("in_proj_weight")) out.push_back({3 * d_model, d_model});
        else if (role.ends_with("in_proj_bias")) out.push_back({3 * d_model});
        else if (role.ends_with("out_proj.weight")) out.push_back({d_model, d_model});
        else if (role == "linear1.weight") out.push_back({dim_feedforward, d_model});
        else if (role == "linear1.bias") out.push_back({dim_feedforward});
        else if (role == "linear2.weight") out.push_back({d_model, dim_feedforward});
        else out.push_back({d_model});  // out_proj.bias, linear2.bias, norm weights and biases
    }
    return out;
}

namespace {

using ConstMap = Eigen::Map<const RowMatrix>;

// nn.Transformer*Layer's attention as dlsolve reads the block: no src_mask or tgt_mask.
const AttentionRule kUnmasked{};

// The block's parameters by PyTorch name, and their gradients.
class Params {
public:
    Params(const TransformerSpec& spec, const std::vector<const Tensor*>& p, std::vector<Tensor>* grads)
        : spec_(spec), p_(p), grads_(grads) {
        const auto roles = spec.roles();
        for (size_t r = 0; r < roles.size(); ++r) index_[roles[r]] = r;
    }
    bool has(const std::string& role) const { return index_.count(role) != 0; }
    const Tensor* tensor(const std::string& role) const { return p_[index_.at(role)]; }
    RowMatrix matrix(const std::string& role) const {
        const Tensor& t = *tensor(role);
        return ConstMap(t.data.data(), t.shape[0], t.shape.size() > 1 ? t.shape[1] : 1);
    }
    Eigen::RowVectorXd vector(const std::string& role, int64_t size) const {
        if (!has(role)) return Eigen::RowVectorXd::Zero(size);
        return Eigen::Map<const Eigen::RowVectorXd>(tensor(role)->data.data(), size);
    }
    void add(const std::string& role, const double* values) const {
        if (!grads_ || !has(role)) return;
        Tensor& g = (*grads_)[index_.at(role)];
        for (size_t i = 0; i < g.size(); ++i) g[i] += values[i];
    }
    // The attention's own parameters, in MultiHeadGeometry::roles() order.
    std::vector<std::string> attention_roles(const char* name) const {
        std::vector<std::string> out{fmt::format("{}.in_proj_weight", name)};
        if (spec_.bias) out.push_back(fmt::format("{}.in_proj_bias", name));
        out.push_back(fmt::format("{}.out_proj.weight", name));
        if (spec_.bias) out.push_back(fmt::format("{}.out_proj.bias", name));
        return out;
    }

private:
    const TransformerSpec& spec_;
    const std::vector<const Tensor*>& p_;
    std::vector<Tensor>* grads_;
    std::map<std::string, size_t> index_;
};

MultiHeadGeometry attention_geometry(const TransformerSpec& spec) {
    MultiHeadGeometry g;
    g.layout = &Convention::pytorch().attention;
    g.num_heads = spec.nhead;
    g.key_width = g.value_width = spec.d_model / spec.nhead;
    g.in_width = {spec.d_model, spec.d_model, spec.d_model};
    g.out_width = spec.d_model;
    g.use_bias = spec.bias;
    g.packed = true;
    return g;
}

Tensor as_batch(const RowMatrix& m) {
    Tensor t({1, m.rows(), m.cols()});
    Eigen::Map<RowMatrix>(t.data.data(), m.rows(), m.cols()) = m;
    return t;
}
RowMatrix sample_of(const Tensor& t) { return ConstMap(t.data.data(), t.shape[1], t.shape[2]); }

struct Norm {
    RowMatrix y, xhat;
    Eigen::VectorXd deviation;  // √(σ² + ε) per row
};
Norm layer_norm(const RowMatrix& x, const Eigen::RowVectorXd& gamma, const Eigen::RowVectorXd& beta, double eps) {
    Norm n{RowMatrix(x.rows(), x.cols()), RowMatrix(x.rows(), x.cols()), Eigen::VectorXd(x.rows())};
    for (int64_t r = 0; r < x.rows(); ++r) {
        const double mean = x.row(r).mean();
        const double variance = (x.row(r).array() - mean).square().mean();
        n.deviation(r) = std::sqrt(variance + eps);
        n.xhat.row(r) = (x.row(r).array() - mean) / n.deviation(r);
        n.y.row(r) = n.xhat.row(r).cwiseProduct(gamma) + beta;
    }
    return n;
}
RowMatrix layer_norm_backward(const Norm& n, const Eigen::RowVectorXd& gamma, const RowMatrix& dy, const Params& p, int k) {
    RowMatrix dx(dy.rows(), dy.cols());
    RowMatrix dgamma = RowMatrix::Zero(1, dy.cols()), dbeta = RowMatrix::Zero(1, dy.cols());
    for (int64_t r = 0; r < dy.rows(); ++r) {
        const Eigen::RowVectorXd g = dy.row(r).cwiseProduct(gamma);
        const double mean_g = g.mean(), mean_gx = g.cwiseProduct(n.xhat.row(r)).mean();
        dx.row(r) = (g.array() - mean_g - n.xhat.row(r).array() * mean_gx) / n.deviation(r);
        dgamma.row(0) += dy.row(r).cwiseProduct(n.xhat.row(r));
        dbeta.row(0) += dy.row(r);
    }
    p.add(fmt::format("norm{}.weight", k), dgamma.data());
    p.add(fmt::format("norm{}.bias", k), dbeta.data());
    return dx;
}

double activate(const std::string& activation, double x) {
    if (activation == "gelu") return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    return x > 0 ? x : 0;
}
double slope(const std::string& activation, double x) {
    if (activation == "gelu")
        return 0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi);
    return x > 0 ? 1 : 0;
}

class Block {
public:
    Block(const TransformerSpec& spec, const std::vector<const Tensor*>& p, std::vector<Tensor>* grads)
        : spec_(spec), p_(spec, p, grads) {}

    // Sublayer k on z (the memory for the decoder's cross-attention).
    RowMatrix sublayer(int k, const RowMatrix& z, const RowMatrix* memory) const {
        const std::string name = sublayer_name(spec_, k);
        if (name == "ff") {
            const RowMatrix h = (z * p_.matrix("linear1.weight").transpose()).rowwise() + p_.vector("linear1.bias", spec_.dim_feedforward);
            const RowMatrix a = h.unaryExpr([&](double v) { return activate(spec_.activation, v); });
            return (a * p_.matrix("linear2.weight").transpose()).rowwise() + p_.vector("linear2.bias", spec_.d_model);
        }
        const Tensor q = as_batch(z), kv = as_batch(memory && name == "multihead_attn" ? *memory : z);
        return attention_forward(attention_geometry(spec_), kUnmasked, {&q, &kv, &kv}, attention_params(name.c_str()), 0).y;
    }

    // ∂L/∂z of sublayer k from ∂L/∂out; the memory's share goes to grad_memory.
    RowMatrix sublayer_backward(int k, const RowMatrix& z, const RowMatrix* memory, const RowMatrix& d_out,
                                RowMatrix* grad_memory) const {
        const std::string name = sublayer_name(spec_, k);
        if (name == "ff") {
            const RowMatrix w1 = p_.matrix("linear1.weight"), w2 = p_.matrix("linear2.weight");
            const RowMatrix h = (z * w1.transpose()).rowwise() + p_.vector("linear1.bias", spec_.dim_feedforward);
            const RowMatrix a = h.unaryExpr([&](double v) { return activate(spec_.activation, v); });
            const RowMatrix dw2 = d_out.transpose() * a;
            const Eigen::RowVectorXd db2 = d_out.colwise().sum();
            const RowMatrix dh = (d_out * w2).cwiseProduct(h.unaryExpr([&](double v) { return slope(spec_.activation, v); }));
            const RowMatrix dw1 = dh.transpose() * z;
            const Eigen::RowVectorXd db1 = dh.colwise().sum();
            p_.add("linear2.weight", dw2.data());
            p_.add("linear2.bias", db2.data());
            p_.add("linear1.weight", dw1.data());
            p_.add("linear1.bias", db1.data());
            return dh * w1;
        }
        const bool cross = memory && name == "multihead_attn";
        const Tensor q = as_batch(z), kv = as_batch(cross ? *memory : z);
        Tensor gq({1, z.rows(), z.cols()}), gkv({1, kv.shape[1], kv.shape[2]});
        const auto roles = p_.attention_roles(name.c_str());
        std::vector<Tensor> grads;
        for (const auto& role : roles) grads.emplace_back(p_.tensor(role)->shape);
        attention_backward(attention_geometry(spec_), kUnmasked, {&q, &kv, &kv}, attention_params(name.c_str()), 0,
                           d_out, {&gq, cross ? &gkv : &gq, cross ? &gkv : &gq}, grads);
        for (size_t r = 0; r < roles.size(); ++r) p_.add(roles[r], grads[r].data.data());
        if (cross && grad_memory) *grad_memory += sample_of(gkv);
        return sample_of(gq);
    }

    Eigen::RowVectorXd gamma(int k) const { return p_.has(fmt::format("norm{}.weight", k)) ? p_.vector(fmt::format("norm{}.weight", k), spec_.d_model) : Eigen::RowVectorXd::Ones(spec_.d_model); }
    Eigen::RowVectorXd beta(int k) const { return p_.vector(fmt::format("norm{}.bias", k), spec_.d_model); }
    Norm norm(int k, const RowMatrix& z) const { return layer_norm(z, gamma(k), beta(k), spec_.epsilon); }
    const Params& params() const { return p_; }

private:
    std::vector<const Tensor*> attention_params(const char* name) const {
        std::vector<const Tensor*> out;
        for (const auto& role : p_.attention_roles(name)) out.push_back(p_.tensor(role));
        return out;
    }
    const TransformerSpec& spec_;
    Params p_;
};

// Everything the backward pass needs, sublayer by sublayer.
struct Trace {
    std::vector<RowMatrix> inputs;   // z entering sublayer k
    std::vector<RowMatrix> normed;   // norm_first: LN_k(z)
    std::vector<Norm> norms;
    TransformerSample sample;
};

Trace run(const TransformerSpec& spec, const Block& block, const RowMatrix& x, const RowMatrix* memory) {
    Trace t;
    RowMatrix z = x;
    for (int k = 0; k < sublayers(spec); ++k) {
        t.inputs.push_back(z);
        if (spec.norm_first) {
            t.norms.push_back(block.norm(k + 1, z));
            t.normed.push_back(t.norms.back().y);
            const RowMatrix s = block.sublayer(k, t.normed.back(), memory);
            if (k + 1 == sublayers(spec)) t.sample.residual = z, t.sample.feed_forward = s;
            z = z + s;
        } else {
            const RowMatrix sum = z + block.sublayer(k, z, memory);
            if (k + 1 == sublayers(spec)) t.sample.last_sum = sum;
            t.norms.push_back(block.norm(k + 1, sum));
            z = t.norms.back().y;
        }
    }
    t.sample.y = z;
    return t;
}

}  // namespace

TransformerSample transformer_forward(const TransformerSpec& spec, const RowMatrix& x, const RowMatrix* memory,
                                      const std::vector<const Tensor*>& params) {
    const Block block(spec, params, nullptr);
    return run(spec, block, x, memory).sample;
}

void transformer_backward(const TransformerSpec& spec, const RowMatrix& x, const RowMatrix* memory,
                          const std::vector<const Tensor*>& params, const RowMatrix& grad_y, RowMatrix& grad_x,
                          RowMatrix* grad_memory, std::vector<Tensor>& grad_params) {
    const Block block(spec, params, &grad_params);
    const Trace t = run(spec, block, x, memory);
    RowMatrix dz = grad_y;
    for (int k = sublayers(spec) - 1; k >= 0; --k) {
        const auto kk = static_cast<size_t>(k);
        if (spec.norm_first) {
            // z_out = z + S(LN(z)): ∂z = ∂z_out + LN′ᵀ·S′ᵀ·∂z_out.
            const RowMatrix d_normed = block.sublayer_backward(k, t.normed[kk], memory, dz, grad_memory);
            dz = dz + layer_norm_backward(t.norms[kk], block.gamma(k + 1), d_normed, block.params(), k + 1);
        } else {
            // z_out = LN(z + S(z)): ∂sum = LN′ᵀ·∂z_out, ∂z = ∂sum + S′ᵀ·∂sum.
            const RowMatrix d_sum = layer_norm_backward(t.norms[kk], block.gamma(k + 1), dz, block.params(), k + 1);
            dz = d_sum + block.sublayer_backward(k, t.inputs[kk], memory, d_sum, grad_memory);
        }
    }
    grad_x = dz;
}

}  // namespace dlsolve
