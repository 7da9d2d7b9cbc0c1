// NumPy's broadcasting rule, as torch.mul / tf.multiply apply it: align the shapes on
// their last axis; along each axis the sizes must be equal or one of them 1 (which
// repeats), and a missing leading axis counts as 1. Used by the element-wise combining
// layers (multiply, subtract) and by matmul's leading (batch) axes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/shape.h"

namespace dlsolve {

// The broadcast shape of `a` and `b`, or nothing when they do not broadcast.
std::optional<Dims> broadcast_dims(const Dims& a, const Dims& b);

// The rule in words, for error messages.
inline constexpr const char* kBroadcastRule =
    "aligned on the last axis, each pair of sizes must be equal or one of them 1";

// Maps elements of a broadcast result back to one operand: the flat index in `from`
// of the element that result element `flat` (of shape `to`) reads.
class BroadcastIndex {
public:
    BroadcastIndex(const Dims& from, const Dims& to);
    size_t operator()(size_t flat) const;

private:
    Dims to_;
    std::vector<size_t> strides_;  // per axis of `to`: the stride in `from`, 0 where it repeats
};

}  // namespace dlsolve
