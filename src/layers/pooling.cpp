#include "layers/pooling.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {
namespace {

// The first maximum in row-major order, as PyTorch's kernels (ties go to the first).
size_t argmax(const Tensor& x, const std::vector<size_t>& cells) {
    size_t best = cells.front();
    for (size_t k : cells)
        if (x[k] > x[best]) best = k;
    return best;
}

Expr divisor_of(const PoolCells& w) { return w.divisor_name.empty() ? Expr(w.divisor) : Expr::sym(w.divisor_name, w.divisor); }

}  // namespace

Tensor CellPool::forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                         const Convention& c) const {
    const Tensor& x = *in[0];
    Tensor y(batched_output(*this, in, c));
    for (size_t i = 0; i < y.size(); ++i) {
        const PoolCells w = cells(x.shape, y.shape, i, c);
        if (is_max && w.cells.empty())
            throw LayerError(fmt::format("the window of output element {} (in row-major order) holds only padding, so its "
                                         "maximum is −∞ as PyTorch gives it; make the padding, dilation or ceil_mode "
                                         "leave every window an input cell", i + 1));
        if (is_max) {
            y[i] = x[argmax(x, w.cells)];
        } else {
            double total = 0;
            for (size_t k : w.cells) total += x[k];
            y[i] = total / static_cast<double>(w.divisor);
        }
    }
    return y;
}

void CellPool::backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y,
                        const Tensor& grad_y, const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in,
                        std::vector<Tensor>&) const {
    const Tensor& x = *in[0];
    for (size_t i = 0; i < y.size(); ++i) {
        const PoolCells w = cells(x.shape, y.shape, i, c);
        if (is_max) {
            grad_in[0][argmax(x, w.cells)] += grad_y[i];
        } else {
            for (size_t k : w.cells) grad_in[0][k] += grad_y[i] / static_cast<double>(w.divisor);
        }
    }
}

Expr CellPool::explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor& y, size_t flat,
                       const NumericMode&, const Convention& c) const {
    const PoolCells w = cells(in[0].tensor->shape, y.shape, flat, c);
    std::vector<Expr> terms;
    for (size_t k : w.cells) terms.push_back(in[0].at(k));
    if (is_max) return Expr::maximum(terms);
    return divide(Expr::sum(terms), divisor_of(w));
}

std::vector<Link> CellPool::links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand& y, size_t flat,
                                  const NumericMode&, const Convention& c) const {
    const PoolCells w = cells(in[0].tensor->shape, y.tensor->shape, flat, c);
    if (is_max) return {{0, argmax(*in[0].tensor, w.cells), Expr(1)}};
    std::vector<Link> out;
    for (size_t k : w.cells) out.push_back({0, k, divide(Expr(1), Expr(w.divisor))});
    return out;
}

}  // namespace dlsolve
