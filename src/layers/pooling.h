// The numeric rule every pooling layer shares: each output element reduces a set of input
// cells, by their maximum (the gradient goes to the first maximum in row-major order, as
// PyTorch's kernels) or their average (sum / divisor, the gradient 1/divisor to each cell).
// The kinds differ only in which cells an output reads and what it divides by.
#pragma once

#include <string>
#include <vector>

#include "layers/common.h"

namespace dlsolve {

// The cells output element `flat` reads (row-major over its window) and an average's divisor.
struct PoolCells {
    std::vector<size_t> cells;
    int64_t divisor = 1;
    std::string divisor_name;  // a symbol for the divisor in worked formulas ("H·W"), or none
};

class CellPool : public Layer {
public:
    bool is_max = false;

    // `x` and `y` are the batched input and output shapes.
    virtual PoolCells cells(const Dims& x, const Dims& y, size_t flat, const Convention& c) const = 0;

    Tensor forward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params,
                   const NumericMode& mode, const Convention& convention) const override;
    void backward(const std::vector<const Tensor*>& inputs, const std::vector<const Tensor*>& params, const Tensor& output,
                  const Tensor& grad_output, const NumericMode& mode, const Convention& convention,
                  std::vector<Tensor>& grad_inputs, std::vector<Tensor>& grad_params) const override;
    // max(x1, x2, x3, x4) or (x1 + x2 + x3 + x4)/4.
    Expr explain(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Tensor& output, size_t flat,
                 const NumericMode& mode, const Convention& convention) const override;
    // ∂y/∂x is 1 for the window's (first) maximum and 0 for the rest; 1/divisor for an average.
    std::vector<Link> links(const std::vector<Operand>& inputs, const std::vector<Operand>& values, const Operand& output,
                            size_t flat, const NumericMode& mode, const Convention& convention) const override;
};

}  // namespace dlsolve
