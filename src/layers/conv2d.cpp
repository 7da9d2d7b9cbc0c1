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

    // Output (n, f, i, j) reads input rows i·s − pad + a·d (a < k_h), likewise columns,
    // of the C_in/g channels in filter f's group; rows in the padding read zeros.
    std::vector<ConvTap> taps(const ImageBatch& x, const ImageBatch& y, size_t flat, const Convention& c) const override {
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
