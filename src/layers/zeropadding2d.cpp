// ZeroPadding2D / nn.ZeroPad2d: adds rows and columns of zeros; no parameters.
#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class ZeroPadding2D : public Layer {
public:
    int64_t top = 1, bottom = 1, left = 1, right = 1;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("ZeroPadding2D", "ZeroPad2d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        return image_shape(Expr::sym("C", image.channels),
                           Expr::sym("H", image.height) + Expr::sym("p_top", top) + Expr::sym("p_bottom", bottom),
                           Expr::sym("W", image.width) + Expr::sym("p_left", left) + Expr::sym("p_right", right), c);
    }

    SpatialMap spatial_map(const std::vector<Dims>&, const Dims&, const Convention&) const override {
        return {SpatialMap::Kind::Window, {AxisMap::Kind::Window, 1, 1, top}, {AxisMap::Kind::Window, 1, 1, left}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_zeropadding2d(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<ZeroPadding2D>();
    const Json* value = fields.raw("padding");
    if (!value) return layer;
    const std::string expected = "a non-negative integer, [h, w] or [top, bottom, left, right]";
    if (value->is_array() && value->size() == 4) {
        int64_t v[4];
        for (size_t i = 0; i < 4; ++i) {
            if (!(*value)[i].is_number_integer() || (*value)[i].get<int64_t>() < 0) fields.fail("padding", expected);
            v[i] = (*value)[i].get<int64_t>();
        }
        layer->top = v[0], layer->bottom = v[1], layer->left = v[2], layer->right = v[3];
        return layer;
    }
    if (!value->is_number_integer() && !(value->is_array() && value->size() == 2)) fields.fail("padding", expected);
    const Pair p = fields.pair("padding", {1, 1}, 0);
    layer->top = layer->bottom = p.h;
    layer->left = layer->right = p.w;
    return layer;
}

}  // namespace dlsolve
