// Numbers given in a problem file: nested arrays of reals (input values, weights,
// targets), checked to be rectangular and finite.
#pragma once

#include <string>
#include <vector>

#include "ir/shape.h"
#include "numeric/tensor.h"
#include "problem/fields.h"

namespace dlsolve {

// A number or a rectangular nested array; `shape` is empty for a single number.
Tensor read_tensor(const Json& value, const std::string& path);
// Every number of a (nested) array, in row-major order.
std::vector<double> flatten_numbers(const Json& value, const std::string& path);

// Exam names of a tensor's elements from "symbols": a prefix ("w" → w11, w12, … for a
// matrix, b1, b2, … for a vector; indices ≥ 10 are written w_{10,2}) or a list of names.
std::vector<std::string> read_symbols(const Json& value, const std::string& path, const Dims& shape);
std::vector<std::string> prefixed_names(const std::string& prefix, const Dims& shape);

}  // namespace dlsolve
