// Reshape / nn.Unflatten: the same elements in a new shape; one -1 is inferred.
#include <fmt/format.h>

#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// d1 × d2 × … of a shape, each factor named by its label.
Expr element_count(const Dims& dims, const std::vector<std::string>& labels) {
    Expr product = Expr::sym(labels[0], dims[0]);
    for (size_t i = 1; i < dims.size(); ++i) product = product * Expr::sym(labels[i], dims[i]);
    return product;
}

class Reshape : public SameElements {
public:
    std::vector<int64_t> target;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Reshape", "Unflatten"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const int64_t elements = element_count(in[0], dim_labels(in[0].size(), c)).value();
        Dims known;
        for (auto d : target)
            if (d > 0) known.push_back(d);
        const int64_t known_product = known.empty() ? 1 : element_count(known, std::vector<std::string>(known.size())).value();

        ShapeExpr out;
        out.labels = dim_labels(target.size(), c);
        for (auto d : target) {
            if (d > 0) {
                out.dims.emplace_back(d);
            } else if (elements % known_product != 0) {
                throw LayerError(fmt::format("cannot reshape {} elements into {}: {} is not divisible by {}", elements,
                                             format_dims(target), elements, known_product));
            } else {
                out.dims.push_back(exact_div(Expr::sym("elements", elements), known_product));
            }
        }
        const int64_t product = element_count(out.values(), out.labels).value();
        if (product != elements)
            throw LayerError(fmt::format("cannot reshape {} ({} elements) into {} ({} elements)", format_dims(in[0]),
                                         elements, format_dims(target), product));
        return out;
    }

    SpatialMap spatial_map(const std::vector<Dims>&, const Dims&, const Convention&) const override {
        return {SpatialMap::Kind::Global, {}, {}};
    }

    // Row-major order in the framework's layout is kept: only the shape changes (SameElements).
};

}  // namespace

std::unique_ptr<Layer> parse_reshape(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Reshape>();
    layer->target = fields.int_list("target_shape", true);
    return layer;
}

}  // namespace dlsolve
