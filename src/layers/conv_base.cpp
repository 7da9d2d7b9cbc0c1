#include "layers/conv_base.h"

#include <fmt/format.h>

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

}  // namespace dlsolve
