// Conv2DTranspose / nn.ConvTranspose2d.
#include <algorithm>

#include <fmt/format.h>

#include "layers/conv_base.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Conv2DTranspose : public ConvLayer {
public:
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

    // The kernel of the convolution this layer transposes (F → C_in): Keras
    // [k_h][k_w][F][C_in], PyTorch [C_in][F/g][k_h][k_w].
    KernelShape kernel(int64_t channels, const Convention& c) const override {
        return {c.kernel_layout, channels, o.filters / o.groups, o.kernel.h, o.kernel.w};
    }

    // Rows cropped from the start of the full transposed convolution: PyTorch's padding;
    // Keras "same" the padding TensorFlow's conv2d would put before an output-sized
    // input, ⌊max((n − 1)·s + k_eff − out, 0)/2⌋; "valid" none.
    int64_t crop(int64_t n, int64_t out, int64_t kernel_eff, int64_t stride, int64_t pixels) const {
        if (o.padding.kind == Padding::Kind::Explicit) return pixels;
        if (o.padding.kind == Padding::Kind::Valid) return 0;
        return std::max<int64_t>((n - 1) * stride + kernel_eff - out, 0) / 2;
    }

    // Input (n, c, i, j) adds x·w[a][b] to output row i·s − crop + a·d, column
    // j·s − crop + b·d: output (n, f, r, q) collects every (c, i, a) with
    // r + crop − a·d = i·s, over the C_in/g input channels of f's group.
    std::vector<ConvTap> taps(const ImageBatch& x, const ImageBatch& y, size_t flat, const Convention& c) const override {
        const auto at = y.position(flat);
        const KernelShape k = kernel(x.channels, c);
        const int64_t top = crop(x.height, y.height, o.dilation.h * (o.kernel.h - 1) + 1, o.stride.h, o.padding.pixels.h);
        const int64_t left = crop(x.width, y.width, o.dilation.w * (o.kernel.w - 1) + 1, o.stride.w, o.padding.pixels.w);
        const int64_t per_group_out = o.filters / o.groups, per_group_in = x.channels / o.groups;
        const int64_t group = at.c / per_group_out, f = at.c % per_group_out;
        std::vector<ConvTap> out;
        // Kernel rows last to first, so the inputs appear in reading order.
        for (int64_t ci = 0; ci < per_group_in; ++ci)
            for (int64_t a = o.kernel.h - 1; a >= 0; --a)
                for (int64_t b = o.kernel.w - 1; b >= 0; --b) {
                    const int64_t rows = at.h + top - a * o.dilation.h, cols = at.w + left - b * o.dilation.w;
                    if (rows < 0 || cols < 0 || rows % o.stride.h != 0 || cols % o.stride.w != 0) continue;
                    const int64_t row = rows / o.stride.h, col = cols / o.stride.w;
                    const int64_t channel = group * per_group_in + ci;
                    if (x.inside(row, col)) out.push_back({x.at(at.n, channel, row, col), k.at(channel, f, a, b)});
                }
        return out;
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
