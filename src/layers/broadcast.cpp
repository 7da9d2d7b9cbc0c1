#include "layers/broadcast.h"

#include <algorithm>

namespace dlsolve {

std::optional<Dims> broadcast_dims(const Dims& a, const Dims& b) {
    const size_t rank = std::max(a.size(), b.size());
    Dims out(rank);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
        const int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (x != y && x != 1 && y != 1) return std::nullopt;
        out[rank - 1 - i] = x == 1 ? y : x;
    }
    return out;
}

BroadcastIndex::BroadcastIndex(const Dims& from, const Dims& to) : to_(to), strides_(to.size(), 0) {
    size_t stride = 1;
    for (size_t i = 0; i < from.size(); ++i) {
        const size_t axis_from = from.size() - 1 - i, axis_to = to.size() - 1 - i;
        if (from[axis_from] != 1) strides_[axis_to] = stride;
        stride *= static_cast<size_t>(from[axis_from]);
    }
}

size_t BroadcastIndex::operator()(size_t flat) const {
    size_t at = 0;
    for (size_t i = to_.size(); i-- > 0;) {
        const size_t n = static_cast<size_t>(to_[i]);
        at += (flat % n) * strides_[i];
        flat /= n;
    }
    return at;
}

}  // namespace dlsolve
