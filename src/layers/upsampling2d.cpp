// UpSampling2D / nn.Upsample(scale_factor): repeats rows and columns; no parameters.
#include <algorithm>

#include "layers/common.h"
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

    // Where output row i reads along one axis of n input rows upsampled by s. Nearest:
    // row ⌊i/s⌋. Bilinear (half-pixel centres: PyTorch's align_corners=False and
    // tf.image.resize): source (i + ½)/s − ½, clamped at 0, between rows ⌊·⌋ and ⌊·⌋ + 1
    // (the last row repeats), weighted by the distance.
    struct Blend {
        int64_t lower, upper;
        double upper_weight;
    };
    Blend blend(int64_t i, int64_t n, int64_t s) const {
        if (!bilinear) return {i / s, i / s, 0.0};
        const double source = std::max((static_cast<double>(i) + 0.5) / static_cast<double>(s) - 0.5, 0.0);
        const auto lower = static_cast<int64_t>(source);
        return {lower, std::min(lower + 1, n - 1), source - static_cast<double>(lower)};
    }

    // The input cells of output `flat` with their weights (zero weights left out).
    std::vector<Tap> taps(const ImageBatch& x, const ImageBatch& y, size_t flat) const {
        const auto at = y.position(flat);
        const Blend rows = blend(at.h, x.height, size.h), cols = blend(at.w, x.width, size.w);
        std::vector<Tap> out;
        const auto add = [&](int64_t h, int64_t w, double weight) {
            if (weight == 0) return;
            const size_t k = x.at(at.n, at.c, h, w);
            for (auto& t : out)
                if (t.input == k) return void(t.weight += weight);
            out.push_back({k, weight});
        };
        add(rows.lower, cols.lower, (1 - rows.upper_weight) * (1 - cols.upper_weight));
        add(rows.lower, cols.upper, (1 - rows.upper_weight) * cols.upper_weight);
        add(rows.upper, cols.lower, rows.upper_weight * (1 - cols.upper_weight));
        add(rows.upper, cols.upper, rows.upper_weight * cols.upper_weight);
        return out;
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention& c) const override {
        Tensor y(batched_output(*this, in, c));
        const ImageBatch xi(in[0]->shape, c), yi(y.shape, c);
        for (size_t i = 0; i < y.size(); ++i)
            for (const auto& t : taps(xi, yi, i)) y[i] += t.weight * (*in[0])[t.input];
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        const ImageBatch xi(in[0]->shape, c), yi(y.shape, c);
        for (size_t i = 0; i < y.size(); ++i)
            for (const auto& t : taps(xi, yi, i)) grad_in[0][t.input] += t.weight * grad_y[i];
    }
    // Nearest: the copied cell; bilinear: 0.5625 × x1 + 0.1875 × x2 + ….
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor& y, size_t flat, const NumericMode&,
                 const Convention& c) const override {
        std::vector<Expr> terms;
        for (const auto& t : taps(ImageBatch(in[0].tensor->shape, c), ImageBatch(y.shape, c), flat))
            terms.push_back(t.weight == 1 ? in[0].at(t.input) : Expr::real(t.weight) * in[0].at(t.input));
        return terms.empty() ? Expr::real(0) : Expr::sum(terms);
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& y, size_t flat,
                            const NumericMode&, const Convention& c) const override {
        std::vector<Link> out;
        for (const auto& t : taps(ImageBatch(in[0].tensor->shape, c), ImageBatch(y.tensor->shape, c), flat))
            out.push_back({0, t.input, t.weight == 1 ? Expr(1) : Expr::real(t.weight)});
        return out;
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
