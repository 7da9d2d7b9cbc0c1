// ZeroPadding2D / nn.ZeroPad2d: adds rows and columns of zeros; no parameters.
#include <optional>

#include <fmt/format.h>

#include "layers/common.h"
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

    // Output (n, c, i, j) copies input (n, c, i − top, j − left), or is a padded zero.
    std::optional<size_t> source(const ImageBatch& x, const ImageBatch& y, size_t flat) const {
        const auto at = y.position(flat);
        if (!x.inside(at.h - top, at.w - left)) return std::nullopt;
        return x.at(at.n, at.c, at.h - top, at.w - left);
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention& c) const override {
        Tensor y(batched_output(*this, in, c));
        const ImageBatch xi(in[0]->shape, c), yi(y.shape, c);
        for (size_t i = 0; i < y.size(); ++i)
            if (auto k = source(xi, yi, i)) y[i] = (*in[0])[*k];
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        const ImageBatch xi(in[0]->shape, c), yi(y.shape, c);
        for (size_t i = 0; i < y.size(); ++i)
            if (auto k = source(xi, yi, i)) grad_in[0][*k] += grad_y[i];
    }
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor& y, size_t flat, const NumericMode&,
                 const Convention& c) const override {
        const auto k = source(ImageBatch(in[0].tensor->shape, c), ImageBatch(y.shape, c), flat);
        return k ? in[0].at(*k) : Expr::real(0);
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& y, size_t flat,
                            const NumericMode&, const Convention& c) const override {
        const auto k = source(ImageBatch(in[0].tensor->shape, c), ImageBatch(y.tensor->shape, c), flat);
        if (!k) return {};
        return {{0, *k, Expr(1)}};
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
