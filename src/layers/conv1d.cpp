// Conv1D / nn.Conv1d over a sequence: Keras [T, C] → [T', F], PyTorch [C, T] → [F, T'];
// F × (k × C_in/g + 1) parameters. Shapes, counts and MACs; no numeric rule yet.
#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

constexpr Axis kTime{"T", "t"};

class Conv1D : public Layer {
public:
    int64_t filters = 1, kernel = 1, stride = 1, dilation = 1, groups = 1;
    Padding padding;
    bool use_bias = true;
    std::string activation;
    std::optional<int64_t> in_channels;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Conv1D", "Conv1d"));
    }
    std::string fused_activation() const override { return activation; }

    // (steps, channels) of a [T, C] (Keras) or [C, T] (PyTorch) sequence.
    std::pair<int64_t, int64_t> sequence(const Dims& in, const Convention& c) const {
        if (in.size() != 2)
            throw LayerError(fmt::format("a 1-D convolution reads a sequence {}, found {}", c.channels_last ? "[T, C]" : "[C, T]",
                                         format_dims(in)));
        const int64_t steps = c.channels_last ? in[0] : in[1], channels = c.channels_last ? in[1] : in[0];
        if (in_channels && *in_channels != channels)
            throw LayerError(fmt::format("in_channels is {} but the input has {} channels", *in_channels, channels));
        if (channels % groups != 0)
            throw LayerError(fmt::format("input channels ({}) must be divisible by groups ({})", channels, groups));
        return {steps, channels};
    }

    Expr steps_out(const Dims& in, const Convention& c) const {
        return sliding_output(sequence(in, c).first, {kernel, stride, dilation, padding.pixels.w}, padding.kind, kTime, false, "kernel");
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        Expr steps = steps_out(in[0], c), features = Expr::sym("F", filters);
        if (c.channels_last) return {{steps, features}, {"T", "C"}};
        return {{features, steps}, {"C", "T"}};
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        Expr per_filter = Expr::sym("k", kernel) * Expr::sym("C_in", sequence(in[0], c).second / groups);
        if (use_bias) per_filter = per_filter + 1;
        return ParamCount::trainable_only(Expr::sym("F", filters) * per_filter);
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Expr macs = Expr::sym("k", kernel) * Expr::sym("C_in", sequence(in[0], c).second / groups) * Expr::sym("F", filters) *
                          Expr::sym("T_out", steps_out(in[0], c).value());
        Cost cost = weighted_sum_cost(macs, element_count(out, c), use_bias);
        const Cost act = activation_cost(activation, Expr::sym("outputs", element_count(out, c).value()));
        if (act.flops.value() != 0) cost.flops = cost.flops + act.flops, cost.rule += "; " + activation + ": " + act.rule;
        return cost;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_conv1d(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<Conv1D>();
    layer->filters = fields.positive("filters");
    layer->kernel = fields.positive("kernel");
    layer->stride = fields.positive("stride", 1);
    layer->dilation = fields.positive("dilation", 1);
    layer->padding = read_padding(fields, convention, true);
    layer->groups = fields.positive("groups", 1);
    layer->use_bias = fields.boolean("use_bias", true);
    layer->activation = read_activation(fields, false);
    layer->in_channels = fields.optional_positive("in_channels");
    if (layer->padding.kind == Padding::Kind::Explicit && layer->padding.pixels.h != layer->padding.pixels.w)
        fields.fail("padding", "a number of steps (one integer)");
    if (layer->filters % layer->groups != 0)
        throw ProblemError(fields.path_of("groups"), fmt::format("filters ({}) must be divisible by groups ({})", layer->filters, layer->groups));
    if (convention.same_conv_needs_stride_1 && layer->padding.kind == Padding::Kind::Same && layer->stride > 1)
        throw ProblemError(fields.path_of("padding"), "PyTorch does not support padding=\"same\" with stride > 1; give the padding in steps");
    if (!convention.strided_dilation_allowed && layer->stride > 1 && layer->dilation > 1)
        throw ProblemError(fields.path_of("dilation"), "Keras does not support a stride > 1 together with a dilation > 1");
    return layer;
}

}  // namespace dlsolve
