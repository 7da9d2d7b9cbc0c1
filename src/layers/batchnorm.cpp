// BatchNormalization / nn.BatchNorm2d (BatchNorm1d on vectors): γ and β per channel
// train; the moving mean and variance do not. Keras counts all four as parameters
// (4·C, of which 2·C non-trainable); PyTorch keeps the statistics as buffers.
#include "layers/registry.h"

namespace dlsolve {
namespace {

class BatchNorm : public Layer {
public:
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
};

}  // namespace

std::unique_ptr<Layer> parse_batchnorm(Fields&, const Convention&, std::string_view) { return std::make_unique<BatchNorm>(); }

}  // namespace dlsolve
