#include "numeric/tensor.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

std::optional<size_t> checked_size(const Dims& shape) {
    uint64_t n = 1;
    for (auto d : shape)
        if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) || n > static_cast<uint64_t>(INT64_MAX))
            return std::nullopt;
    return static_cast<size_t>(n);
}

Tensor::Tensor(Dims s, double fill) : shape(std::move(s)) {
    const auto n = checked_size(shape);
    if (!n) throw LayerError(fmt::format("a tensor of shape {} has more elements than 64-bit sizes can count", format_dims(shape)));
    data.assign(*n, fill);
}

std::vector<int64_t> unravel(size_t flat, const Dims& shape) {
    std::vector<int64_t> index(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
        index[d] = static_cast<int64_t>(flat % static_cast<size_t>(shape[d]));
        flat /= static_cast<size_t>(shape[d]);
    }
    return index;
}

size_t ravel(const std::vector<int64_t>& index, const Dims& shape) {
    size_t flat = 0;
    for (size_t d = 0; d < shape.size(); ++d) flat = flat * static_cast<size_t>(shape[d]) + static_cast<size_t>(index[d]);
    return flat;
}

std::string element_name(const std::string& base, size_t flat, const Dims& shape) {
    const auto index = unravel(flat, shape);
    std::vector<int64_t> one_based;
    for (auto i : index) one_based.push_back(i + 1);
    return fmt::format("{}[{}]", base, fmt::join(one_based, ", "));
}

}  // namespace dlsolve
