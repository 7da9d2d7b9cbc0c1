#include "numeric/tensor.h"

#include <fmt/format.h>

namespace dlsolve {

Tensor::Tensor(Dims s, double fill) : shape(std::move(s)) {
    size_t n = 1;
    for (auto d : shape) n *= static_cast<size_t>(d);
    data.assign(n, fill);
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
