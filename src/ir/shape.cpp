#include "ir/shape.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

Dims ShapeExpr::values() const {
    Dims out;
    out.reserve(dims.size());
    for (const auto& d : dims) out.push_back(d.value());
    return out;
}

Image as_image(const Dims& dims, const Convention& convention) {
    if (dims.size() != 3)
        throw LayerError(fmt::format("expected an image input {}, found shape {}",
                                     convention.channels_last ? "[H, W, C]" : "[C, H, W]", format_dims(dims)));
    if (convention.channels_last) return {dims[2], dims[0], dims[1]};
    return {dims[0], dims[1], dims[2]};
}

ShapeExpr image_shape(Expr channels, Expr height, Expr width, const Convention& convention) {
    if (convention.channels_last) return {{std::move(height), std::move(width), std::move(channels)}, {"H", "W", "C"}};
    return {{std::move(channels), std::move(height), std::move(width)}, {"C", "H", "W"}};
}

std::vector<std::string> dim_labels(size_t rank, const Convention& convention) {
    if (rank == 3) return convention.channels_last ? std::vector<std::string>{"H", "W", "C"}
                                                   : std::vector<std::string>{"C", "H", "W"};
    if (rank == 1) return {"features"};
    std::vector<std::string> labels;
    for (size_t i = 0; i < rank; ++i) labels.push_back(fmt::format("d{}", i + 1));
    return labels;
}

ShapeExpr same_shape(const Dims& dims, const Convention& convention) {
    ShapeExpr out;
    out.labels = dim_labels(dims.size(), convention);
    for (size_t i = 0; i < dims.size(); ++i) out.dims.push_back(Expr::sym(out.labels[i], dims[i]));
    return out;
}

Expr element_count(const Dims& dims, const Convention& convention) {
    const auto labels = dim_labels(dims.size(), convention);
    Expr product = Expr::sym(labels[0], dims[0]);
    for (size_t i = 1; i < dims.size(); ++i) product = product * Expr::sym(labels[i], dims[i]);
    return product;
}

size_t channel_axis(size_t rank, const Convention& convention) { return convention.channels_last ? rank - 1 : 0; }

std::string format_shape(const Dims& dims, const Convention& convention, const int64_t* batch) {
    std::string out(convention.shape_open);
    out += batch ? std::to_string(*batch) : std::string(convention.batch_symbol);
    for (auto d : dims) out += fmt::format(", {}", d);
    out += convention.shape_close;
    return out;
}

std::string format_dims(const Dims& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

}  // namespace dlsolve
