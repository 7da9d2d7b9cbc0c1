// MatMul / torch.matmul: the matrix product of two inputs, per sample. Each input's last
// two axes are the matrix (rows × columns; transpose_a / transpose_b swap them first, as
// tf.linalg.matmul's flags do) and any axes before them are leading (batch) axes that
// broadcast as NumPy does; a 1-D input is a row vector on the left and a column vector
// on the right, and that axis is dropped from the result (torch.matmul's rule).
#include <fmt/format.h>

#include "layers/broadcast.h"
#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// One input seen as a stack of matrices.
struct Operand2D {
    Dims lead;            // leading axes (the batch axis included at run time)
    int64_t rows = 1, cols = 1;  // after the transpose
    bool vector = false;  // a 1-D input
    bool transposed = false;

    // Flat index of (stack s, row r, column c) in the stored tensor.
    size_t at(size_t stack, int64_t r, int64_t c) const {
        const size_t stored_cols = static_cast<size_t>(transposed ? rows : cols);
        const size_t matrix = static_cast<size_t>(rows * cols);
        const size_t row = static_cast<size_t>(transposed ? c : r), col = static_cast<size_t>(transposed ? r : c);
        return stack * matrix + row * stored_cols + col;
    }
};

Operand2D as_matrix(const Dims& shape, bool transpose, bool left) {
    Operand2D m;
    m.transposed = transpose;
    if (shape.size() == 1) {
        m.vector = true;
        m.rows = left ? 1 : shape[0];
        m.cols = left ? shape[0] : 1;
        return m;
    }
    m.lead.assign(shape.begin(), shape.end() - 2);
    m.rows = shape[shape.size() - 2];
    m.cols = shape.back();
    if (transpose) std::swap(m.rows, m.cols);
    return m;
}

// The product's layout: stacks of n × p matrices from (n × k)(k × p).
struct Product {
    Operand2D a, b;
    Dims lead;  // broadcast leading axes
    Dims shape;
    int64_t n = 1, k = 1, p = 1;
    size_t stacks = 1;
};

class MatMul : public Layer {
public:
    bool transpose_a = false;
    bool transpose_b = false;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("MatMul", "matmul"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return 2; }

    std::string input_name(size_t k) const { return k < inputs.size() ? inputs[k] : (k ? "b" : "a"); }

    // `leading` counts the batch axis at run time (1) or not (0, per-sample shapes).
    Product product(const Dims& a_shape, const Dims& b_shape, size_t leading) const {
        Product m;
        const Dims a_sample(a_shape.begin() + static_cast<std::ptrdiff_t>(leading), a_shape.end());
        const Dims b_sample(b_shape.begin() + static_cast<std::ptrdiff_t>(leading), b_shape.end());
        if (a_sample.empty() || b_sample.empty()) throw LayerError("matmul needs inputs with at least one axis per sample");
        if (a_sample.size() == 1 && b_sample.size() == 1)
            throw LayerError(fmt::format("matmul of two vectors (\"{}\" {} and \"{}\" {}) is a dot product: write it as multiply of the two",
                                         input_name(0), format_dims(a_sample), input_name(1), format_dims(b_sample)));
        if (a_sample.size() == 1 && transpose_a) throw LayerError(fmt::format("transpose_a needs a matrix but \"{}\" is a vector {}", input_name(0), format_dims(a_sample)));
        if (b_sample.size() == 1 && transpose_b) throw LayerError(fmt::format("transpose_b needs a matrix but \"{}\" is a vector {}", input_name(1), format_dims(b_sample)));
        m.a = as_matrix(a_sample, transpose_a, true);
        m.b = as_matrix(b_sample, transpose_b, false);
        if (m.a.cols != m.b.rows)
            throw LayerError(fmt::format("matmul needs the inner dimensions equal: \"{}\" {}{} is {} × {} and \"{}\" {}{} is {} × {} ({} ≠ {})",
                                         input_name(0), format_dims(a_sample), transpose_a ? " transposed" : "", m.a.rows, m.a.cols,
                                         input_name(1), format_dims(b_sample), transpose_b ? " transposed" : "", m.b.rows, m.b.cols,
                                         m.a.cols, m.b.rows));
        // Leading axes line up from the right within a sample, then the batch axis before them.
        while (m.a.lead.size() < m.b.lead.size()) m.a.lead.insert(m.a.lead.begin(), 1);
        while (m.b.lead.size() < m.a.lead.size()) m.b.lead.insert(m.b.lead.begin(), 1);
        if (leading) m.a.lead.insert(m.a.lead.begin(), a_shape[0]), m.b.lead.insert(m.b.lead.begin(), b_shape[0]);
        const auto lead = broadcast_dims(m.a.lead, m.b.lead);
        if (!lead)
            throw LayerError(fmt::format("matmul's leading axes {} of \"{}\" and {} of \"{}\" do not broadcast: {}", format_dims(m.a.lead),
                                         input_name(0), format_dims(m.b.lead), input_name(1), kBroadcastRule));
        m.lead = *lead;
        m.n = m.a.rows, m.k = m.a.cols, m.p = m.b.cols;
        m.shape = m.lead;
        if (!m.a.vector) m.shape.push_back(m.n);
        if (!m.b.vector) m.shape.push_back(m.p);
        for (auto d : m.lead) m.stacks *= static_cast<size_t>(d);
        return m;
    }
    Product product(const std::vector<const Tensor*>& in) const { return product(in[0]->shape, in[1]->shape, 1); }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const Product m = product(in[0], in[1], 0);
        ShapeExpr out = same_shape(m.shape, c);
        for (size_t d = 0; d < m.lead.size(); ++d) out.labels[d] = fmt::format("d{}", d + 1), out.dims[d] = Expr::sym(out.labels[d], m.lead[d]);
        if (!m.a.vector) out.dims[m.lead.size()] = Expr::sym("n", m.n), out.labels[m.lead.size()] = "n";
        if (!m.b.vector) out.dims.back() = Expr::sym("p", m.p), out.labels.back() = "p";
        return out;
    }

    // n·k·p multiply-adds per matrix, times the stacked matrices.
    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        const Product m = product(in[0], in[1], 0);
        Expr macs = Expr::sym("n", m.n) * Expr::sym("k", m.k) * Expr::sym("p", m.p);
        for (size_t d = 0; d < m.lead.size(); ++d) macs = Expr::sym(fmt::format("d{}", d + 1), m.lead[d]) * macs;
        Cost cost = weighted_sum_cost(macs, element_count(out, c), false);
        cost.rule = "n·k·p multiply-adds per matrix (2 FLOPs each, one fewer per output: no bias)";
        return cost;
    }

    // Output element `flat` → (stack, row, column) and each input's stack.
    struct Place {
        size_t a_stack, b_stack;
        int64_t row, col;
    };
    Place place(const Product& m, size_t flat) const {
        const size_t matrix = static_cast<size_t>(m.n * m.p);
        const size_t stack = flat / matrix, within = flat % matrix;
        return {BroadcastIndex(m.a.lead, m.lead)(stack), BroadcastIndex(m.b.lead, m.lead)(stack),
                static_cast<int64_t>(within) / m.p, static_cast<int64_t>(within) % m.p};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        const Product m = product(in);
        Tensor y(m.shape);
        for (size_t i = 0; i < y.size(); ++i) {
            const Place at = place(m, i);
            double sum = 0;
            for (int64_t t = 0; t < m.k; ++t) sum += (*in[0])[m.a.at(at.a_stack, at.row, t)] * (*in[1])[m.b.at(at.b_stack, t, at.col)];
            y[i] = sum;
        }
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        const Product m = product(in);
        for (size_t i = 0; i < y.size(); ++i) {
            const Place at = place(m, i);
            for (int64_t t = 0; t < m.k; ++t) {
                const size_t ia = m.a.at(at.a_stack, at.row, t), ib = m.b.at(at.b_stack, t, at.col);
                grad_in[0][ia] += grad_y[i] * (*in[1])[ib];
                grad_in[1][ib] += grad_y[i] * (*in[0])[ia];
            }
        }
    }
    std::vector<const Tensor*> tensors(const std::vector<Operand>& in) const { return {in[0].tensor, in[1].tensor}; }

    // y_ij = a_i1·b_1j + … + a_ik·b_kj
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        const Product m = product(tensors(in));
        const Place at = place(m, flat);
        std::vector<Expr> terms;
        for (int64_t t = 0; t < m.k; ++t) terms.push_back(in[0].at(m.a.at(at.a_stack, at.row, t)) * in[1].at(m.b.at(at.b_stack, t, at.col)));
        return Expr::sum(terms);
    }
    // ∂y_ij/∂a_it = b_tj, ∂y_ij/∂b_tj = a_it
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        const Product m = product(tensors(in));
        const Place at = place(m, flat);
        std::vector<Link> out;
        for (int64_t t = 0; t < m.k; ++t) {
            const size_t ia = m.a.at(at.a_stack, at.row, t), ib = m.b.at(at.b_stack, t, at.col);
            out.push_back({0, ia, in[1].at(ib)});
            out.push_back({1, ib, in[0].at(ia)});
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_matmul(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<MatMul>();
    layer->transpose_a = fields.boolean("transpose_a", false);
    layer->transpose_b = fields.boolean("transpose_b", false);
    return layer;
}

}  // namespace dlsolve
