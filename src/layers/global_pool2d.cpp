// GlobalAveragePooling2D / GlobalMaxPooling2D: one value per channel. PyTorch has no
// global pooling class; AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1) keep a 1×1 map.
// Also nn.AdaptiveAvgPool2d(output) with a chosen output size.
#include <fmt/format.h>

#include "layers/pooling.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class GlobalPool2D : public CellPool {
public:

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        if (is_max) return std::string(c.pick<std::string_view>("GlobalMaxPooling2D", "AdaptiveMaxPool2d"));
        return std::string(c.pick<std::string_view>("GlobalAveragePooling2D", "AdaptiveAvgPool2d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        Expr channels = Expr::sym("C", image.channels);
        if (c.global_pool_keeps_spatial) return image_shape(channels, 1, 1, c);
        return {{channels}, {"C"}};
    }

    SpatialMap spatial_map(const std::vector<Dims>&, const Dims&, const Convention&) const override {
        return {SpatialMap::Kind::Global, {}, {}};
    }

    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const Image i = as_image(in[0], c);
        const Expr area = Expr::sym("H", i.height) * Expr::sym("W", i.width);
        const Expr channels = Expr::sym("C", i.channels);
        if (is_max) return {Expr(), channels * (area - 1), "H·W − 1 comparisons per channel"};
        return {Expr(), channels * area, "H·W − 1 additions and 1 division per channel"};
    }

    // Output (n, c) — [N, C] in Keras, [N, C, 1, 1] in PyTorch — reads every cell of channel c.
    PoolCells cells(const Dims& x_shape, const Dims&, size_t flat, const Convention& c) const override {
        const ImageBatch x(x_shape, c);
        const auto n = static_cast<int64_t>(flat) / x.channels, ch = static_cast<int64_t>(flat) % x.channels;
        PoolCells w;
        for (int64_t h = 0; h < x.height; ++h)
            for (int64_t col = 0; col < x.width; ++col) w.cells.push_back(x.at(n, ch, h, col));
        w.divisor = static_cast<int64_t>(w.cells.size());
        w.divisor_name = "H·W";
        return w;
    }
};

class AdaptiveAvgPool2D : public CellPool {
public:
    Pair output{1, 1};

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "AdaptiveAvgPool2d"; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        return image_shape(Expr::sym("C", image.channels), output.h, output.w, c);
    }

    // With sizes that divide, output cell i averages input cells [i·n/o, (i + 1)·n/o):
    // a window of n/o with stride n/o. Otherwise PyTorch's windows overlap unevenly;
    // ⌈n/o⌉ + 1 bounds them, with stride ⌊n/o⌋.
    static AxisMap axis(int64_t n, int64_t o) { return {AxisMap::Kind::Window, n / o, n / o, 0}; }

    // Sizes that do not divide give windows ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ of different sizes:
    // no single receptive field, and dlsolve says so rather than print one.
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const Image i = as_image(in[0], c);
        if (output.h == 1 && output.w == 1) return {SpatialMap::Kind::Global, {}, {}, ""};
        if (i.height % output.h != 0 || i.width % output.w != 0)
            return {SpatialMap::Kind::Undefined, {}, {}, fmt::format("adaptive pooling from {}×{} to {}×{} uses windows of different sizes: no single receptive field",
                                                                    i.height, i.width, output.h, output.w)};
        return {SpatialMap::Kind::Window, axis(i.height, output.h), axis(i.width, output.w), ""};
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Image i = as_image(in[0], c);
        const SpatialMap map = spatial_map(in, out, c);
        const bool window = map.kind == SpatialMap::Kind::Window;  // else: global, or uneven windows (their largest)
        const int64_t kh = map.kind == SpatialMap::Kind::Global ? i.height : window ? map.h.kernel : (i.height + output.h - 1) / output.h + 1;
        const int64_t kw = map.kind == SpatialMap::Kind::Global ? i.width : window ? map.w.kernel : (i.width + output.w - 1) / output.w + 1;
        return {Expr(), element_count(out, c) * (Expr::sym("k_h", kh) * Expr::sym("k_w", kw)),
                "k_h·k_w − 1 additions and 1 division per output"};
    }

    // Output cell i of o averages input cells ⌊i·n/o⌋ … ⌈(i + 1)·n/o⌉ − 1, as PyTorch.
    PoolCells cells(const Dims& x_shape, const Dims& y_shape, size_t flat, const Convention& c) const override {
        const ImageBatch x(x_shape, c), y(y_shape, c);
        const auto at = y.position(flat);
        const int64_t r0 = at.h * x.height / y.height, r1 = ((at.h + 1) * x.height + y.height - 1) / y.height;
        const int64_t c0 = at.w * x.width / y.width, c1 = ((at.w + 1) * x.width + y.width - 1) / y.width;
        PoolCells w;
        for (int64_t h = r0; h < r1; ++h)
            for (int64_t col = c0; col < c1; ++col) w.cells.push_back(x.at(at.n, at.c, h, col));
        w.divisor = static_cast<int64_t>(w.cells.size());
        return w;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_global_pool2d(Fields&, const Convention&, std::string_view type) {
    auto layer = std::make_unique<GlobalPool2D>();
    layer->is_max = type == "global_maxpool2d";
    return layer;
}

std::unique_ptr<Layer> parse_adaptive_avgpool2d(Fields& fields, const Convention& convention, std::string_view) {
    if (!convention.global_pool_keeps_spatial)
        throw ProblemError(fields.path_of("type"), "adaptive_avgpool2d is a PyTorch layer; Keras has no such class");
    auto layer = std::make_unique<AdaptiveAvgPool2D>();
    auto output = fields.optional_pair("output");
    if (!output) fields.missing("output", "a positive integer or [h, w]");
    layer->output = *output;
    return layer;
}

}  // namespace dlsolve
