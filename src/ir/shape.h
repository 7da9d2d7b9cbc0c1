// Shapes are written in the framework's own layout and without the batch axis:
// Keras [H, W, C], PyTorch [C, H, W]; a feature vector is [N] in both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "expr/expr.h"
#include "ir/convention.h"

namespace dlsolve {

using Dims = std::vector<int64_t>;

// An output shape whose every dimension carries its derivation.
struct ShapeExpr {
    std::vector<Expr> dims;
    std::vector<std::string> labels;  // "H", "W", "C", or "features", "d1", …

    Dims values() const;
};

struct Image {
    int64_t channels;
    int64_t height;
    int64_t width;
};

// Read an [H, W, C] / [C, H, W] input; throws LayerError for other ranks.
Image as_image(const Dims& dims, const Convention& convention);
// Assemble an image shape in the convention's layout.
ShapeExpr image_shape(Expr channels, Expr height, Expr width, const Convention& convention);
// A shape whose dimensions are passed through unchanged (dropout, activations, …).
ShapeExpr same_shape(const Dims& dims, const Convention& convention);
// Index of the channel axis in a shape of this rank (last for Keras, first for PyTorch).
size_t channel_axis(size_t rank, const Convention& convention);
// Labels for a shape of this rank: images get H/W/C, vectors "features", others d1…dn.
std::vector<std::string> dim_labels(size_t rank, const Convention& convention);

// H × W × C: the number of elements, each factor named by its axis.
Expr element_count(const Dims& dims, const Convention& convention);

// "(None, 128, 256, 16)" / "[N, 16, 128, 256]".
std::string format_shape(const Dims& dims, const Convention& convention, const int64_t* batch);
// "[128, 256, 16]" for messages.
std::string format_dims(const Dims& dims);

}  // namespace dlsolve
