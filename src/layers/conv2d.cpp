// Conv2D / nn.Conv2d.
#include <fmt/format.h>

#include "layers/conv_base.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Conv2D : public ConvLayer {
public:

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Conv2D", "Conv2d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        check_conv_channels(o, image.channels);
        const auto axis = [&](int64_t n, int64_t k, int64_t s, int64_t d, int64_t p, const Axis& a) {
            return sliding_output(n, {k, s, d, p}, o.padding.kind, a, false, "kernel");
        };
        // Height first, so an error names the height when both are wrong.
        Expr height = axis(image.height, o.kernel.h, o.stride.h, o.dilation.h, o.padding.pixels.h, kHeight);
        Expr width = axis(image.width, o.kernel.w, o.stride.w, o.dilation.w, o.padding.pixels.w, kWidth);
        return image_shape(Expr::sym("F", o.filters), std::move(height), std::move(width), c);
    }

    ParamCount params(const std::vector<Dims>& in, const Convention& c) const override {
        return conv_params(o, as_image(in[0], c).channels);
    }

    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Image i = as_image(in[0], c), x = as_image(out, c);
        return {SpatialMap::Kind::Window,
                window_axis(i.height, x.height, {o.kernel.h, o.stride.h, o.dilation.h, o.padding.pixels.h}, o.padding.kind),
                window_axis(i.width, x.width, {o.kernel.w, o.stride.w, o.dilation.w, o.padding.pixels.w}, o.padding.kind)};
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Image x = as_image(out, c);
        return conv_cost(o, as_image(in[0], c).channels, x.height, x.width, out, c);
    }

    // PyTorch's weight [F][C_in/g][k_h][k_w], Keras's kernel [k_h][k_w][C_in/g][F].
    KernelShape kernel(int64_t channels, const Convention& c) const override {
        return {c.kernel_layout, o.filters, channels / o.groups, o.kernel.h, o.kernel.w};
    }

    std::vector<ConvTap> taps(const ImageBatch& x, const ImageBatch& y, size_t flat, const Convention& c) const override {
        return window_taps(x, y, flat, c);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_conv2d(Fields& fields, const Convention& convention, std::string_view) {
    auto layer = std::make_unique<Conv2D>();
    layer->o = read_conv_options(fields, convention, true);
    const auto& o = layer->o;
    if (convention.same_conv_needs_stride_1 && o.padding.kind == Padding::Kind::Same && (o.stride.h > 1 || o.stride.w > 1))
        throw ProblemError(fields.path_of("padding"),
                           "PyTorch does not support padding=\"same\" with stride > 1; give the padding in pixels");
    if (!convention.strided_dilation_allowed && (o.stride.h > 1 || o.stride.w > 1) && (o.dilation.h > 1 || o.dilation.w > 1))
        throw ProblemError(fields.path_of("dilation"), "Keras does not support a stride > 1 together with a dilation > 1");
    return layer;
}

}  // namespace dlsolve
