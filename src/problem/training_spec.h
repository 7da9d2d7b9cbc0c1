// Reading what a problem gives the numeric engine: samples, target, loss, optimizer or
// learning rule, steps and epochs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ir/convention.h"
#include "ir/shape.h"
#include "numeric/spec.h"
#include "problem/fields.h"

namespace dlsolve {

Tensor read_samples(const Json& value, const std::string& path, std::optional<int64_t> batch);
// The top-level training keys (target, loss, optimizer, rule, batches, steps, epochs) for
// samples of shape `sample`.
// `symbolic`: a network of equations whose sizes are symbols, whose loss is derived in
// symbols and needs no target values.
void read_training(Fields& top, NumericSpec& numeric, std::optional<int64_t> batch, const Dims& sample, const Convention& convention,
                   bool symbolic = false);

}  // namespace dlsolve
