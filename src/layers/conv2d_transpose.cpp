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
