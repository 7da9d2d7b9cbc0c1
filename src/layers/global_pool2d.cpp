// GlobalAveragePooling2D / GlobalMaxPooling2D: one value per channel. PyTorch has no
// global pooling class; AdaptiveAvgPool2d(1) / AdaptiveMaxPool2d(1) keep a 1×1 map.
// Also nn.AdaptiveAvgPool2d(output) with a chosen output size.
#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class GlobalPool2D : public Layer {
public:
    bool is_max = false;

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
};

class AdaptiveAvgPool2D : public Layer {
public:
    Pair output{1, 1};

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "AdaptiveAvgPool2d"; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Image image = as_image(in[0], c);
        return image_shape(Expr::sym("C", image.channels), output.h, output.w, c);
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
