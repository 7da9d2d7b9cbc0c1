// Subtract / torch.sub, Multiply / torch.mul and a constant scale: the element-wise
// layers that combine tensors (a Siamese network's difference of two branches, a
// squeeze-and-excitation module's per-channel product, attention's 1/√d_k). Subtract
// and multiply broadcast as NumPy does (broadcast.h), so [H, W, C] × [1, 1, C] or × [C]
// scales each channel; the batch axis broadcasts too.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "layers/broadcast.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// Every input's element that each output element reads.
struct Elementwise {
    Dims shape;                          // the output, batch axis first
    std::vector<BroadcastIndex> source;  // per input
};

// The shapes line up from the right within a sample, and the batch axes line up first.
Elementwise plan(const std::vector<const Tensor*>& in) {
    size_t rank = 0;
    for (const Tensor* t : in) rank = std::max(rank, t->shape.size());
    std::vector<Dims> padded;
    for (const Tensor* t : in) {
        Dims shape = t->shape;
        shape.insert(shape.begin() + 1, rank - shape.size(), 1);
        padded.push_back(std::move(shape));
    }
    Elementwise p;
    p.shape = padded[0];
    for (size_t k = 1; k < in.size(); ++k) {
        const auto joined = broadcast_dims(p.shape, padded[k]);
        if (!joined) throw LayerError(fmt::format("shapes {} and {} do not broadcast", format_dims(p.shape), format_dims(padded[k])));
        p.shape = *joined;
    }
    for (const Dims& shape : padded) p.source.emplace_back(shape, p.shape);
    return p;
}

std::vector<const Tensor*> tensors(const std::vector<Operand>& in) {
    std::vector<const Tensor*> out;
    for (const auto& o : in) out.push_back(o.tensor);
    return out;
}

// The per-sample output shape; the message names the inputs and says the rule.
ShapeExpr broadcast_shape(const std::vector<std::string>& names, const std::vector<Dims>& in, const Convention& c,
                          const char* verb) {
    Dims shape = in[0];
    for (size_t k = 1; k < in.size(); ++k) {
        const auto joined = broadcast_dims(shape, in[k]);
        if (!joined) {
            std::string shapes;
            for (size_t i = 0; i <= k; ++i)
                shapes += fmt::format("{}\"{}\" {}", i ? ", " : "", i < names.size() ? names[i] : "input", format_dims(in[i]));
            throw LayerError(fmt::format("cannot {} shapes that do not broadcast ({}): {}", verb, shapes, kBroadcastRule));
        }
        shape = *joined;
    }
    return same_shape(shape, c);
}

class Subtract : public Layer {
public:
    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Subtract", "sub"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return 2; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        return broadcast_shape(inputs, in, c, "subtract");
    }
    Cost cost(const std::vector<Dims>&, const Dims& out, const Convention& c) const override {
        return {Expr(), element_count(out, c), "1 subtraction per element"};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        const Elementwise p = plan(in);
        Tensor y(p.shape);
        for (size_t i = 0; i < y.size(); ++i) y[i] = (*in[0])[p.source[0](i)] - (*in[1])[p.source[1](i)];
        return y;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        const Elementwise p = plan(in);
        for (size_t i = 0; i < y.size(); ++i) {
            grad_in[0][p.source[0](i)] += grad_y[i];
            grad_in[1][p.source[1](i)] -= grad_y[i];
        }
    }
    // y = a − b
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        const Elementwise p = plan(tensors(in));
        return in[0].at(p.source[0](flat)) - in[1].at(p.source[1](flat));
    }
    // ∂y/∂a = 1, ∂y/∂b = −1
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        const Elementwise p = plan(tensors(in));
        return {{0, p.source[0](flat), Expr(1)}, {1, p.source[1](flat), Expr(-1)}};
    }
};

class Multiply : public Layer {
public:
    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Multiply", "mul"));
    }
    size_t min_inputs() const override { return 2; }
    size_t max_inputs() const override { return kUnlimitedInputs; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        return broadcast_shape(inputs, in, c, "multiply");
    }
    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        return {Expr(), (Expr::sym("inputs", static_cast<int64_t>(in.size())) - 1) * element_count(out, c),
                "1 multiplication per element for each input after the first"};
    }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        const Elementwise p = plan(in);
        Tensor y(p.shape, 1.0);
        for (size_t k = 0; k < in.size(); ++k)
            for (size_t i = 0; i < y.size(); ++i) y[i] *= (*in[k])[p.source[k](i)];
        return y;
    }
    // ∂y/∂x_k = the product of the other inputs (not y/x_k, which fails at x_k = 0).
    double others(const std::vector<const Tensor*>& in, const Elementwise& p, size_t i, size_t skip) const {
        double product = 1.0;
        for (size_t k = 0; k < in.size(); ++k)
            if (k != skip) product *= (*in[k])[p.source[k](i)];
        return product;
    }
    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        const Elementwise p = plan(in);
        for (size_t i = 0; i < y.size(); ++i)
            for (size_t k = 0; k < in.size(); ++k) grad_in[k][p.source[k](i)] += grad_y[i] * others(in, p, i, k);
    }
    Expr product(const std::vector<Operand>& in, const Elementwise& p, size_t flat, size_t skip) const {
        Expr out;
        bool first = true;
        for (size_t k = 0; k < in.size(); ++k) {
            if (k == skip) continue;
            out = first ? in[k].at(p.source[k](flat)) : out * in[k].at(p.source[k](flat));
            first = false;
        }
        return out;
    }
    // y = a × b × …
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return product(in, plan(tensors(in)), flat, in.size());
    }
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        const Elementwise p = plan(tensors(in));
        std::vector<Link> out;
        for (size_t k = 0; k < in.size(); ++k) out.push_back({static_cast<int>(k), p.source[k](flat), product(in, p, flat, k)});
        return out;
    }
};

class Scale : public Layer {
public:
    double factor = 1.0;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Rescaling", "mul"));
    }
    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override { return same_shape(in[0], c); }
    Cost cost(const std::vector<Dims>&, const Dims& out, const Convention& c) const override {
        return {Expr(), element_count(out, c), "1 multiplication per element"};
    }
    Expr constant() const { return Expr::real(factor); }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                   const Convention&) const override {
        Tensor y = *in[0];
        for (auto& v : y.data) v *= factor;
        return y;
    }
    void backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const Tensor& y, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>& grad_in, std::vector<Tensor>&) const override {
        for (size_t i = 0; i < y.size(); ++i) grad_in[0][i] = factor * grad_y[i];
    }
    // y = c × x
    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return constant() * in[0].at(flat);
    }
    std::vector<Link> links(const std::vector<Operand>&, const std::vector<Operand>&, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        return {{0, flat, constant()}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_subtract(Fields&, const Convention&, std::string_view) { return std::make_unique<Subtract>(); }

std::unique_ptr<Layer> parse_multiply(Fields&, const Convention&, std::string_view) { return std::make_unique<Multiply>(); }

std::unique_ptr<Layer> parse_scale(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Scale>();
    const Json* factor = fields.raw("factor");
    if (!factor) fields.missing("factor", "a number, the constant every element is multiplied by");
    if (!factor->is_number() || !std::isfinite(factor->get<double>())) fields.fail("factor", "a finite number");
    layer->factor = factor->get<double>();
    return layer;
}

}  // namespace dlsolve
