// UpSampling2D / nn.Upsample(scale_factor): repeats rows and columns; no parameters.
#include "layers/registry.h"

namespace dlsolve {
namespace {

class UpSampling2D : public Layer {
public:
    Pair size{2, 2};

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("UpSampling2D", "Upsample"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        return image_shape(Expr::sym("C", image.channels), Expr::sym("H", image.height) * Expr::sym("s_h", size.h),
                           Expr::sym("W", image.width) * Expr::sym("s_w", size.w), c);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_upsampling2d(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<UpSampling2D>();
    layer->size = fields.pair("size", {2, 2});
    fields.word("interpolation", {"nearest", "bilinear"}, "nearest");  // changes values, not shapes
    return layer;
}

}  // namespace dlsolve
