// BatchNormalization / nn.BatchNorm2d (BatchNorm1d on vectors): γ and β per channel
// train; the moving mean and variance do not. Keras counts all four as parameters
// (4·C, of which 2·C non-trainable); PyTorch keeps the statistics as buffers.
#include <cmath>

#include <fmt/format.h>

#include "layers/normalization.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// The elements of each channel in a batch tensor [N, …]: outer × channel × inner.
struct ChannelGroups {
    size_t outer = 1, length = 1, inner = 1;

    ChannelGroups(const Dims& batch_shape, const Convention& c) {
        const size_t axis = 1 + channel_axis(batch_shape.size() - 1, c);
        for (size_t d = 0; d < axis; ++d) outer *= static_cast<size_t>(batch_shape[d]);
        length = static_cast<size_t>(batch_shape[axis]);
        for (size_t d = axis + 1; d < batch_shape.size(); ++d) inner *= static_cast<size_t>(batch_shape[d]);
    }
    size_t channel(size_t flat) const { return flat / inner % length; }
    std::vector<size_t> members(size_t channel) const {
        std::vector<size_t> out;
        for (size_t o = 0; o < outer; ++o)
            for (size_t i = 0; i < inner; ++i) out.push_back((o * length + channel) * inner + i);
        return out;
    }
};

enum Role : size_t { kGamma = 0, kBeta = 1, kMovingMean = 2, kMovingVariance = 3 };

class BatchNorm : public Layer {
public:
    double epsilon = 1e-3;

    std::string class_name(const Convention& c, const std::vector<Dims>& in) const override {
        if (c.framework == Framework::Keras) return "BatchNormalization";
        return !in.empty() && in[0].size() != 3 ? "BatchNorm1d" : "BatchNorm2d";
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override { return same_shape(in[0], c); }

    // Inference with running statistics, as torch-scan counts it: per channel, the
    // variance plus ε and its square root; per element, subtract, divide, scale, shift.
    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const Expr elements = Expr::sym("elements", element_count(in[0], c).value());
        const Expr channels = Expr::sym("C", in[0][channel_axis(in[0].size(), c)]);
        return {Expr(), Expr(4) * elements + Expr(2) * channels, "4 per element and 2 per channel"};
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        const Expr channels = Expr::sym("C", in[0][channel_axis(in[0].size(), c)]);
        const Expr learned = Expr(2) * channels;     // γ and β
        const Expr statistics = Expr(2) * channels;  // moving mean and variance
        if (c.running_stats == RunningStats::Buffers) return {learned, learned, Expr(), statistics};
        return {Expr(4) * channels, learned, statistics, Expr()};
    }

    std::vector<std::string> value_roles() const override { return {"gamma", "beta", "moving_mean", "moving_variance"}; }
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention& c) const override {
        const Dims channels{in[0][channel_axis(in[0].size(), c)]};
        return {channels, channels, channels, channels};
    }
    bool value_trainable(const std::string& role) const override { return role == "gamma" || role == "beta"; }
    // Both frameworks start at γ = 1, β = 0, moving mean 0, moving variance 1.
    std::optional<double> value_default(const std::string& role) const override {
        return role == "gamma" || role == "moving_variance" ? 1.0 : 0.0;
    }

    // Training: the batch's mean and biased variance per channel (over the samples and
    // positions); inference: the moving statistics.
    GroupStats stats(const Tensor& x, const std::vector<const Tensor*>& p, const ChannelGroups& g, size_t channel,
                     const NumericMode& mode) const {
        if (mode.training) return group_stats(x, g.members(channel), epsilon);
        GroupStats s;
        s.mean = (*p[kMovingMean])[channel];
        s.variance = (*p[kMovingVariance])[channel];
        s.deviation = std::sqrt(s.variance + epsilon);
        if (s.deviation <= 0 || std::isnan(s.deviation))
            throw LayerError(fmt::format("moving_variance + epsilon of channel {} is {}, not positive", channel + 1, s.variance + epsilon));
        return s;
    }

    // A training-mode pass moves the running statistics toward the batch's, as the
    // frameworks do: PyTorch with the unbiased batch variance, Keras with the biased one.
    void update_state(const std::vector<const Tensor*>& in, std::vector<Tensor>& p, const NumericMode& mode,
                      const Convention& c) const override {
        if (!mode.training) return;
        const Tensor& x = *in[0];
        const ChannelGroups g(x.shape, c);
        const double w = c.running_stats_weight;
        for (size_t channel = 0; channel < g.length; ++channel) {
            const auto members = g.members(channel);
            const GroupStats s = group_stats(x, members, 0.0);
            const double m = static_cast<double>(members.size());
            const double variance = c.running_variance_unbiased && m > 1 ? s.variance * m / (m - 1) : s.variance;
            p[kMovingMean][channel] = (1 - w) * p[kMovingMean][channel] + w * s.mean;
            p[kMovingVariance][channel] = (1 - w) * p[kMovingVariance][channel] + w * variance;
        }
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode& mode,
                   const Convention& c) const override {
        const Tensor& x = *in[0];
        Tensor y(x.shape);
        const ChannelGroups g(x.shape, c);
        for (size_t ch = 0; ch < g.length; ++ch) {
            const GroupStats s = stats(x, p, g, ch, mode);
            for (size_t k : g.members(ch)) y[k] = (*p[kGamma])[ch] * (x[k] - s.mean) / s.deviation + (*p[kBeta])[ch];
        }
        return y;
    }

    // ∂L/∂γ = Σ ∂L/∂y·x̂, ∂L/∂β = Σ ∂L/∂y; ∂L/∂x through the batch statistics while
    // training, γ/√(v + ε)·∂L/∂y with the moving ones. The moving statistics get none.
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor&, const Tensor& grad_y,
                  const NumericMode& mode, const Convention& c, std::vector<Tensor>& grad_in,
                  std::vector<Tensor>& grad_p) const override {
        const Tensor& x = *in[0];
        const ChannelGroups g(x.shape, c);
        for (size_t ch = 0; ch < g.length; ++ch) {
            const GroupStats s = stats(x, p, g, ch, mode);
            const double gamma = (*p[kGamma])[ch];
            const auto members = g.members(ch);
            for (size_t k : members) {
                grad_p[kGamma][ch] += grad_y[k] * (x[k] - s.mean) / s.deviation;
                grad_p[kBeta][ch] += grad_y[k];
                if (!mode.training) grad_in[0][k] += grad_y[k] * gamma / s.deviation;
            }
            if (mode.training) normalize_backward(x, grad_y, members, s, [gamma](size_t) { return gamma; }, grad_in[0]);
        }
    }

    // μ and σ² of the element's channel: named values of the batch, or the moving statistics.
    std::pair<Expr, Expr> statistics(const std::vector<Operand>& p, size_t channel,
                                     const GroupStats& s, const NumericMode& mode) const {
        if (!mode.training) return {p[kMovingMean].at(channel), p[kMovingVariance].at(channel)};
        return {Expr::real(fmt::format("μ[{}]", channel + 1), s.mean), Expr::real(fmt::format("σ²[{}]", channel + 1), s.variance)};
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode& mode,
                 const Convention& c) const override {
        const Tensor& x = *in[0].tensor;
        const ChannelGroups g(x.shape, c);
        const size_t ch = g.channel(flat);
        const auto [mean, variance] = statistics(p, ch, stats(x, tensors(p), g, ch, mode), mode);
        return normalized_expr(p[kGamma].at(ch), in[0].at(flat), mean, variance, Expr::real("ε", epsilon), p[kBeta].at(ch));
    }

    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand&, size_t flat,
                            const NumericMode& mode, const Convention& c) const override {
        const Tensor& x = *in[0].tensor;
        const ChannelGroups g(x.shape, c);
        const size_t ch = g.channel(flat);
        const GroupStats s = stats(x, tensors(p), g, ch, mode);
        const auto [mean, variance] = statistics(p, ch, s, mode);
        const Expr eps = Expr::real("ε", epsilon), gamma = p[kGamma].at(ch);
        std::vector<Link> out;
        if (mode.training) out = normalized_links(x, flat, g.members(ch), s, gamma, variance, eps);
        else out.push_back({0, flat, divide(gamma, apply("sqrt", variance + eps))});
        out.push_back({-1 - static_cast<int>(kGamma), ch, divide(in[0].at(flat) - mean, apply("sqrt", variance + eps))});
        out.push_back({-1 - static_cast<int>(kBeta), ch, Expr(1)});
        return out;
    }

private:
    static std::vector<const Tensor*> tensors(const std::vector<Operand>& p) {
        std::vector<const Tensor*> out;
        for (const auto& o : p) out.push_back(o.tensor);
        return out;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_batchnorm(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<BatchNorm>();
    layer->epsilon = fields.number("epsilon", convention.batchnorm_epsilon, 0.0, 1.0);
    return layer;
}

}  // namespace dlsolve
