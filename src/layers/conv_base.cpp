#include "layers/conv_base.h"

#include <fmt/format.h>

#include "layers/activation_math.h"
#include "problem/error.h"

namespace dlsolve {

ConvOptions read_conv_options(Fields& fields, const Convention& convention, bool same_allowed) {
    ConvOptions o;
    o.filters = fields.positive("filters");
    o.kernel = fields.optional_pair("kernel").value_or(Pair{0, 0});
    if (o.kernel.h == 0) fields.missing("kernel", "a positive integer or [h, w]");
    o.stride = fields.pair("stride", {1, 1});
    o.dilation = fields.pair("dilation", {1, 1});
    o.padding = read_padding(fields, convention, same_allowed);
    o.groups = fields.positive("groups", 1);
    o.use_bias = fields.boolean("use_bias", true);
    o.activation = read_activation(fields, false);
    o.in_channels = fields.optional_positive("in_channels");
    if (o.filters % o.groups != 0)
        throw ProblemError(fields.path_of("groups"),
                           fmt::format("filters ({}) must be divisible by groups ({})", o.filters, o.groups));
    return o;
}

void check_conv_channels(const ConvOptions& o, int64_t channels) {
    if (o.in_channels && *o.in_channels != channels)
        throw LayerError(fmt::format("in_channels is {} but the input has {} channels", *o.in_channels, channels));
    if (channels % o.groups != 0)
        throw LayerError(fmt::format("input channels ({}) must be divisible by groups ({})", channels, o.groups));
}

ParamCount conv_params(const ConvOptions& o, int64_t channels) {
    Expr per_filter = Expr::sym("k_h", o.kernel.h) * Expr::sym("k_w", o.kernel.w);
    Expr inputs = Expr::sym("C_in", channels);
    if (o.groups > 1) inputs = exact_div(inputs, Expr::sym("g", o.groups));
    per_filter = per_filter * inputs;
    if (o.use_bias) per_filter = per_filter + 1;
    return ParamCount::trainable_only(Expr::sym("F", o.filters) * per_filter);
}

Cost conv_cost(const ConvOptions& o, int64_t channels, int64_t height, int64_t width, const Dims& output,
               const Convention& convention) {
    Expr per_position = Expr::sym("k_h", o.kernel.h) * Expr::sym("k_w", o.kernel.w);
    Expr inputs = Expr::sym("C_in", channels);
    if (o.groups > 1) inputs = exact_div(inputs, Expr::sym("g", o.groups));
    const Expr macs = per_position * inputs * Expr::sym("F", o.filters) * Expr::sym("H", height) * Expr::sym("W", width);
    const Expr outputs = element_count(output, convention);
    Cost cost = weighted_sum_cost(macs, outputs, o.use_bias);
    const Cost activation = activation_cost(o.activation, Expr::sym("outputs", outputs.value()));
    if (activation.flops.value() != 0) {
        cost.flops = cost.flops + activation.flops;
        cost.rule += "; " + o.activation + ": " + activation.rule;
    }
    return cost;
}

Dims KernelShape::dims() const {
    if (layout == KernelLayout::SpatialFirst) return {kh, kw, ins, outs};
    return {outs, ins, kh, kw};
}

size_t KernelShape::at(int64_t out, int64_t in, int64_t h, int64_t w) const {
    if (layout == KernelLayout::SpatialFirst) return static_cast<size_t>(((h * kw + w) * ins + in) * outs + out);
    return static_cast<size_t>(((out * ins + in) * kh + h) * kw + w);
}

std::vector<std::string> ConvLayer::value_roles() const {
    if (o.use_bias) return {"weights", "bias"};
    return {"weights"};
}

std::vector<Dims> ConvLayer::value_shapes(const std::vector<Dims>& in, const Convention& c) const {
    return {kernel(as_image(in[0], c).channels, c).dims(), {o.filters}};
}

namespace {

Activation fused(const ConvOptions& o, const Convention& c) { return {o.activation, c.fused_leaky_relu_alpha, 0.0}; }

}  // namespace

Tensor ConvLayer::forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                          const Convention& c) const {
    const Tensor& x = *in[0];
    Tensor y(batched_output(*this, in, c));
    const ImageBatch xi = image_batch(x.shape, c), yi = image_batch(y.shape, c);
    for (size_t i = 0; i < y.size(); ++i) {
        double z = o.use_bias ? (*p[1])[static_cast<size_t>(yi.position(i).c)] : 0.0;
        for (const auto& t : taps(xi, yi, i, c)) z += x[t.input] * (*p[0])[t.weight];
        y[i] = z;
    }
    activate(fused(o, c), y, c);
    return y;
}

void ConvLayer::backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor& y,
                         const Tensor& grad_y, const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in,
                         std::vector<Tensor>& grad_p) const {
    const Tensor& x = *in[0];
    const ImageBatch xi = image_batch(x.shape, c), yi = image_batch(y.shape, c);
    const Tensor grad_z = activation_backward(fused(o, c), y, y, grad_y, c);
    for (size_t i = 0; i < y.size(); ++i) {
        const double g = grad_z[i];
        if (o.use_bias) grad_p[1][static_cast<size_t>(yi.position(i).c)] += g;
        for (const auto& t : taps(xi, yi, i, c)) {
            grad_in[0][t.input] += g * (*p[0])[t.weight];
            grad_p[0][t.weight] += g * x[t.input];
        }
    }
}

std::vector<ConvTap> ConvLayer::window_taps(const ImageBatch& x, const ImageBatch& y, size_t flat, const Convention& c) const {
    const auto at = y.position(flat);
    const KernelShape k = kernel(x.channels, c);
    const int64_t top = pad_before(o.padding, o.padding.pixels.h, x.height, y.height, o.dilation.h * (o.kernel.h - 1) + 1, o.stride.h);
    const int64_t left = pad_before(o.padding, o.padding.pixels.w, x.width, y.width, o.dilation.w * (o.kernel.w - 1) + 1, o.stride.w);
    const int64_t group = at.c / (o.filters / o.groups);
    std::vector<ConvTap> out;
    for (int64_t ci = 0; ci < k.ins; ++ci)
        for (int64_t a = 0; a < o.kernel.h; ++a)
            for (int64_t b = 0; b < o.kernel.w; ++b) {
                const int64_t row = at.h * o.stride.h - top + a * o.dilation.h;
                const int64_t col = at.w * o.stride.w - left + b * o.dilation.w;
                if (x.inside(row, col)) out.push_back({x.at(at.n, group * k.ins + ci, row, col), k.at(at.c, ci, a, b)});
            }
    return out;
}

// z = w·x + w·x + … + b over the taps, in the kernel's order.
Expr ConvLayer::pre_activation(const std::vector<Operand>& in, const std::vector<Operand>& p, const ImageBatch& xi,
                               const ImageBatch& yi, size_t flat, const Convention& c) const {
    std::vector<Expr> terms;
    for (const auto& t : taps(xi, yi, flat, c)) terms.push_back(p[0].at(t.weight) * in[0].at(t.input));
    if (o.use_bias) terms.push_back(p[1].at(static_cast<size_t>(yi.position(flat).c)));
    return terms.empty() ? Expr::real(0) : Expr::sum(terms);
}

Expr ConvLayer::explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor& y, size_t flat,
                        const NumericMode&, const Convention& c) const {
    const ImageBatch xi = image_batch(in[0].tensor->shape, c), yi = image_batch(y.shape, c);
    if (o.activation != "softmax") return activation_of(fused(o, c), {pre_activation(in, p, xi, yi, flat, c)}, 0);
    std::vector<Expr> group;
    size_t position = 0;
    for (size_t k : SoftmaxGroups(y.shape, c).members(flat)) {
        if (k == flat) position = group.size();
        group.push_back(pre_activation(in, p, xi, yi, k, c));
    }
    return activation_of(fused(o, c), group, position);
}

// ∂y/∂x = f′·w, ∂y/∂w = f′·x, ∂y/∂b = f′ (f′ = 1 without an activation).
std::vector<Link> ConvLayer::links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand& y, size_t flat,
                                   const NumericMode&, const Convention& c) const {
    if (o.activation == "softmax") throw LayerError("write the softmax as its own layer to see the chain rule through it");
    const ImageBatch xi = image_batch(in[0].tensor->shape, c), yi = image_batch(y.tensor->shape, c);
    const bool linear = o.activation == "linear";
    const Expr slope = linear ? Expr(1) : elementwise_slope(fused(o, c), Expr::real(y.to_double(flat)), y.at(flat));
    const auto times = [&](const Expr& e) { return linear ? e : slope * e; };
    std::vector<Link> out;
    for (const auto& t : taps(xi, yi, flat, c)) {
        out.push_back({0, t.input, times(p[0].at(t.weight))});
        out.push_back({-1, t.weight, times(in[0].at(t.input))});
    }
    if (o.use_bias) out.push_back({-2, static_cast<size_t>(yi.position(flat).c), times(Expr(1))});
    return out;
}

}  // namespace dlsolve
