// Conv2DTranspose / nn.ConvTranspose2d.
#include <fmt/format.h>

#include "layers/conv_base.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Conv2DTranspose : public Layer {
public:
    ConvOptions o;
    Pair output_padding{0, 0};
    bool output_padding_given = false;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Conv2DTranspose", "ConvTranspose2d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        check_conv_channels(o, image.channels);
        const auto axis = [&](int64_t n, int64_t k, int64_t s, int64_t d, int64_t p, int64_t op, const Axis& a) {
            return transposed_output(n, {k, s, d, p}, o.padding.kind, op, output_padding_given, a);
        };
        // Height first, so an error names the height when both are wrong.
        Expr height = axis(image.height, o.kernel.h, o.stride.h, o.dilation.h, o.padding.pixels.h, output_padding.h, kHeight);
        Expr width = axis(image.width, o.kernel.w, o.stride.w, o.dilation.w, o.padding.pixels.w, output_padding.w, kWidth);
        return image_shape(Expr::sym("F", o.filters), std::move(height), std::move(width), c);
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        return conv_params(o, as_image(in[0], c).channels);
    }

    // Zero insertion between inputs, then a stride-1 convolution: the jump is divided
    // by the stride. Keras "same" pads ⌊max(k − s, 0)/2⌋ in the equivalent convolution.
    SpatialMap spatial_map(const std::vector<Dims>&, const Dims&, const Convention&) const override {
        const auto axis = [&](int64_t k, int64_t s, int64_t d, int64_t p) {
            const int64_t kernel = d * (k - 1) + 1;
            const int64_t pad = o.padding.kind == Padding::Kind::Same ? std::max<int64_t>(kernel - s, 0) / 2 : p;
            return AxisMap{AxisMap::Kind::Transposed, kernel, s, pad};
        };
        return {SpatialMap::Kind::Window, axis(o.kernel.h, o.stride.h, o.dilation.h, o.padding.pixels.h),
                axis(o.kernel.w, o.stride.w, o.dilation.w, o.padding.pixels.w)};
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Image i = as_image(in[0], c);
        ConvOptions per_input = o;  // each input value meets k_h × k_w × F/g weights
        per_input.filters = o.filters / o.groups;
        per_input.groups = 1;
        return conv_cost(per_input, i.channels, i.height, i.width, out, c);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_conv2d_transpose(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<Conv2DTranspose>();
    // PyTorch's ConvTranspose2d takes its padding in pixels only.
    layer->o = read_conv_options(fields, convention, !convention.integer_padding);
    layer->output_padding_given = fields.has("output_padding");
    layer->output_padding = fields.pair("output_padding", {0, 0}, 0);
    const auto& o = layer->o;
    const auto& op = layer->output_padding;
    if (op.h >= std::max(o.stride.h, o.dilation.h) || op.w >= std::max(o.stride.w, o.dilation.w))
        throw ProblemError(fields.path_of("output_padding"),
                           fmt::format("output_padding must be smaller than the stride or the dilation, found [{}, {}]",
                                       op.h, op.w));
    return layer;
}

}  // namespace dlsolve
