// UpSampling2D / nn.Upsample(scale_factor): repeats rows and columns; no parameters.
#include "layers/registry.h"

namespace dlsolve {
namespace {

class UpSampling2D : public Layer {
public:
    Pair size{2, 2};
    bool bilinear = false;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("UpSampling2D", "Upsample"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        return image_shape(Expr::sym("C", image.channels), Expr::sym("H", image.height) * Expr::sym("s_h", size.h),
                           Expr::sym("W", image.width) * Expr::sym("s_w", size.w), c);
    }

    // Nearest neighbour: each output copies one input pixel. Bilinear reads two per axis.
    SpatialMap spatial_map(const std::vector<Dims>&, const Dims&, const Convention&) const override {
        const int64_t kernel = bilinear ? 2 : 1;
        return {SpatialMap::Kind::Window, {AxisMap::Kind::Upsample, kernel, size.h, 0},
                {AxisMap::Kind::Upsample, kernel, size.w, 0}};
    }

    // Nearest copies; bilinear: 4 products and 3 sums per output (weights precomputed).
    Cost cost(const std::vector<Dims>&, const Dims& out, const Convention& c) const override {
        if (!bilinear) return {Expr(), Expr(), "none: nearest-neighbour copies"};
        return {Expr(), Expr(7) * element_count(out, c), "7 per output (4 products, 3 sums)"};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_upsampling2d(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<UpSampling2D>();
    layer->size = fields.pair("size", {2, 2});
    layer->bilinear = fields.word("interpolation", {"nearest", "bilinear"}, "nearest") == "bilinear";
    return layer;
}

}  // namespace dlsolve
