// Conv1D / nn.Conv1d over a sequence: Keras [T, C] → [T', F], PyTorch [C, T] → [F, T'];
// F × (k × C_in/g + 1) parameters. The numbers are Conv2D's with height 1: the sequence
// is an image of one row, the kernel one row of taps, so forward, backward, the worked
// sums and the local derivatives are ConvLayer's window.
#include <fmt/format.h>

#include "layers/conv_base.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

constexpr Axis kTime{"T", "t"};

class Conv1D : public ConvLayer {
public:
    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Conv1D", "Conv1d"));
    }

    // (steps, channels) of a [T, C] (Keras) or [C, T] (PyTorch) sequence.
    std::pair<int64_t, int64_t> sequence(const Dims& in, const Convention& c) const {
        if (in.size() != 2)
            throw LayerError(fmt::format("a 1-D convolution reads a sequence {}, found {}", c.channels_last ? "[T, C]" : "[C, T]",
                                         format_dims(in)));
        const int64_t steps = c.channels_last ? in[0] : in[1], channels = c.channels_last ? in[1] : in[0];
        check_conv_channels(o, channels);
        return {steps, channels};
    }

    Expr steps_out(const Dims& in, const Convention& c) const {
        return sliding_output(sequence(in, c).first, {o.kernel.w, o.stride.w, o.dilation.w, o.padding.pixels.w}, o.padding.kind, kTime,
                              false, "kernel");
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        Expr steps = steps_out(in[0], c), features = Expr::sym("F", o.filters);
        if (c.channels_last) return {{steps, features}, {"T", "C"}};
        return {{features, steps}, {"C", "T"}};
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        Expr per_filter = Expr::sym("k", o.kernel.w) * Expr::sym("C_in", sequence(in[0], c).second / o.groups);
        if (o.use_bias) per_filter = per_filter + 1;
        return ParamCount::trainable_only(Expr::sym("F", o.filters) * per_filter);
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Expr macs = Expr::sym("k", o.kernel.w) * Expr::sym("C_in", sequence(in[0], c).second / o.groups) *
                          Expr::sym("F", o.filters) * Expr::sym("T_out", steps_out(in[0], c).value());
        Cost cost = weighted_sum_cost(macs, element_count(out, c), o.use_bias);
        const Cost act = activation_cost(o.activation, Expr::sym("outputs", element_count(out, c).value()));
        if (act.flops.value() != 0) cost.flops = cost.flops + act.flops, cost.rule += "; " + o.activation + ": " + act.rule;
        return cost;
    }

    // PyTorch's weight [F][C_in/g][k], Keras's kernel [k][C_in/g][F]: Conv2D's with k_h = 1.
    KernelShape kernel(int64_t channels, const Convention& c) const override {
        return {c.kernel_layout, o.filters, channels / o.groups, 1, o.kernel.w};
    }

    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention& c) const override {
        const KernelShape k = kernel(sequence(in[0], c).second, c);
        if (k.layout == KernelLayout::SpatialFirst) return {{k.kw, k.ins, k.outs}, {o.filters}};
        return {{k.outs, k.ins, k.kw}, {o.filters}};
    }

    // [N, T, C] is [N, 1, T, C] and [N, C, T] is [N, C, 1, T], element for element.
    ImageBatch image_batch(const Dims& s, const Convention& c) const override {
        if (s.size() != 3) throw LayerError(fmt::format("expected a batch of sequences, found shape {}", format_dims(s)));
        return ImageBatch(c.channels_last ? Dims{s[0], 1, s[1], s[2]} : Dims{s[0], s[1], 1, s[2]}, c);
    }

    std::vector<ConvTap> taps(const ImageBatch& x, const ImageBatch& y, size_t flat, const Convention& c) const override {
        return window_taps(x, y, flat, c);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_conv1d(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<Conv1D>();
    ConvOptions& o = layer->o;
    o.filters = fields.positive("filters");
    o.kernel = {1, fields.positive("kernel")};
    o.stride = {1, fields.positive("stride", 1)};
    o.dilation = {1, fields.positive("dilation", 1)};
    o.padding = read_padding(fields, convention, true);
    o.groups = fields.positive("groups", 1);
    o.use_bias = fields.boolean("use_bias", true);
    o.activation = read_activation(fields, false);
    o.in_channels = fields.optional_positive("in_channels");
    if (o.padding.kind == Padding::Kind::Explicit && o.padding.pixels.h != o.padding.pixels.w)
        fields.fail("padding", "a number of steps (one integer)");
    o.padding.pixels.h = 0;  // the one row is not padded
    if (o.filters % o.groups != 0)
        throw ProblemError(fields.path_of("groups"), fmt::format("filters ({}) must be divisible by groups ({})", o.filters, o.groups));
    if (convention.same_conv_needs_stride_1 && o.padding.kind == Padding::Kind::Same && o.stride.w > 1)
        throw ProblemError(fields.path_of("padding"), "PyTorch does not support padding=\"same\" with stride > 1; give the padding in steps");
    if (!convention.strided_dilation_allowed && o.stride.w > 1 && o.dilation.w > 1)
        throw ProblemError(fields.path_of("dilation"), "Keras does not support a stride > 1 together with a dilation > 1");
    return layer;
}

}  // namespace dlsolve
