// A small dense tensor of doubles: the batch axis first, then the framework's layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/shape.h"

namespace dlsolve {

// The number of elements of a tensor of this shape, or nothing when it exceeds 64 bits.
// Every tensor is sized through it.
std::optional<size_t> checked_size(const Dims& shape);

struct Tensor {
    Dims shape;                // batch axis first
    std::vector<double> data;  // row-major

    Tensor() = default;
    // Throws LayerError when the element count overflows.
    Tensor(Dims s, double fill = 0.0);

    size_t size() const { return data.size(); }
    int64_t batch() const { return shape.empty() ? 1 : shape[0]; }
    size_t sample_size() const { return shape.empty() || shape[0] == 0 ? 0 : data.size() / static_cast<size_t>(shape[0]); }
    double& operator[](size_t i) { return data[i]; }
    double operator[](size_t i) const { return data[i]; }
};

// Row-major flat index ↔ coordinates.
std::vector<int64_t> unravel(size_t flat, const Dims& shape);
size_t ravel(const std::vector<int64_t>& index, const Dims& shape);

// An element's name in messages and steps: "h[2]", "y[1, 3]" (1-based).
std::string element_name(const std::string& base, size_t flat, const Dims& shape);

}  // namespace dlsolve
