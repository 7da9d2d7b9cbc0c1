// MaxPooling2D / nn.MaxPool2d and AveragePooling2D / nn.AvgPool2d: a window with no
// parameters; the stride defaults to the pool size.
#include <algorithm>

#include <fmt/format.h>

#include "layers/pooling.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Pool2D : public CellPool {
public:
    Pair pool{2, 2};
    Pair stride{2, 2};
    Pair dilation{1, 1};
    Padding padding;
    bool ceil_mode = false;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        if (is_max) return std::string(c.pick<std::string_view>("MaxPooling2D", "MaxPool2d"));
        return std::string(c.pick<std::string_view>("AveragePooling2D", "AvgPool2d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        const auto axis = [&](int64_t n, int64_t k, int64_t s, int64_t d, int64_t p, const Axis& a) {
            return sliding_output(n, {k, s, d, p}, padding.kind, a, ceil_mode, "pool");
        };
        // Height first, so an error names the height when both are wrong.
        Expr height = axis(image.height, pool.h, stride.h, dilation.h, padding.pixels.h, kHeight);
        Expr width = axis(image.width, pool.w, stride.w, dilation.w, padding.pixels.w, kWidth);
        return image_shape(Expr::sym("C", image.channels), std::move(height), std::move(width), c);
    }

    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Image i = as_image(in[0], c), x = as_image(out, c);
        return {SpatialMap::Kind::Window,
                window_axis(i.height, x.height, {pool.h, stride.h, dilation.h, padding.pixels.h}, padding.kind),
                window_axis(i.width, x.width, {pool.w, stride.w, dilation.w, padding.pixels.w}, padding.kind)};
    }

    // Max: k_h·k_w − 1 comparisons per output; average: k_h·k_w − 1 adds and a division.
    Cost cost(const std::vector<Dims>&, const Dims& out, const Convention& c) const override {
        const Expr window = Expr::sym("k_h", pool.h) * Expr::sym("k_w", pool.w);
        const Expr outputs = element_count(out, c);
        if (is_max) return {Expr(), outputs * (window - 1), "k_h·k_w − 1 comparisons per output"};
        return {Expr(), outputs * window, "k_h·k_w − 1 additions and 1 division per output"};
    }

    // One output element's window: the input cells it reads (padding holds none: −∞ for
    // max, 0 for average). Output (n, c, i, j) reads rows i·s − pad + a·d (a < k_h),
    // likewise columns.
    // PyTorch's AvgPool2d (count_include_pad=True) divides by the window clipped to the
    // padded input, Keras by the input cells it holds ("same" averages only those).
    PoolCells cells(const Dims& x_shape, const Dims& y_shape, size_t flat, const Convention& c) const override {
        const ImageBatch x(x_shape, c), y(y_shape, c);
        const auto at = y.position(flat);
        const int64_t kh = dilation.h * (pool.h - 1) + 1, kw = dilation.w * (pool.w - 1) + 1;
        const int64_t top = pad_before(padding, padding.pixels.h, x.height, y.height, kh, stride.h);
        const int64_t left = pad_before(padding, padding.pixels.w, x.width, y.width, kw, stride.w);
        const int64_t row0 = at.h * stride.h - top, col0 = at.w * stride.w - left;
        PoolCells w;
        for (int64_t a = 0; a < pool.h; ++a)
            for (int64_t b = 0; b < pool.w; ++b) {
                const int64_t row = row0 + a * dilation.h, col = col0 + b * dilation.w;
                if (x.inside(row, col)) w.cells.push_back(x.at(at.n, at.c, row, col));
            }
        if (c.avg_pool_counts_padding) {
            const int64_t rows = std::min(row0 + pool.h, x.height + padding.pixels.h) - row0;
            const int64_t cols = std::min(col0 + pool.w, x.width + padding.pixels.w) - col0;
            w.divisor = rows * cols;
        } else {
            w.divisor = static_cast<int64_t>(w.cells.size());
        }
        return w;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_pool2d(Fields& fields, const Convention& convention, std::string_view type) {
    auto layer = std::make_unique<Pool2D>();
    layer->is_max = type == "maxpool2d";
    const int64_t fallback = convention.default_pool_size;
    if (fallback > 0) {
        layer->pool = fields.pair("pool", {fallback, fallback});
    } else {
        auto pool = fields.optional_pair("pool");
        if (!pool) fields.missing("pool", "a positive integer or [h, w]");
        layer->pool = *pool;
    }
    layer->stride = fields.pair("stride", layer->pool);
    layer->padding = read_padding(fields, convention, convention.pooling_accepts_same);
    if (convention.pooling_has_ceil_mode) {
        layer->ceil_mode = fields.boolean("ceil_mode", false);
        if (layer->is_max) layer->dilation = fields.pair("dilation", {1, 1});
    }
    const auto& p = layer->padding.pixels;
    const auto& k = layer->pool;
    // PyTorch: "pad should be at most half of effective kernel size".
    if (p.h > k.h / 2 || p.w > k.w / 2)
        throw ProblemError(fields.path_of("padding"),
                           fmt::format("padding must be at most half the pool size {}×{}, found [{}, {}]", k.h, k.w, p.h, p.w));
    return layer;
}

}  // namespace dlsolve
