// A parameter as a node of the graph: a named tensor (W1, b1) whose value the problem
// gives and the optimizer trains. A network written as equations uses one node per
// parameter, so a weight used twice (the twins of a Siamese network) is one tensor with
// two consumers, and its gradient is the sum over both uses. Its optional input only
// says how many samples the batch holds: the value is the same for every sample.
#include <fmt/format.h>

#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Parameter : public Layer {
public:
    Dims shape;

    std::string class_name(const Convention&, const std::vector<Dims>&) const override { return "Parameter"; }
    size_t min_inputs() const override { return 0; }
    size_t max_inputs() const override { return 1; }
    ShapeExpr output_shape(const std::vector<Dims>&, const Convention& c) const override { return same_shape(shape, c); }
    ParamCount params(const std::vector<Dims>&, const Convention& c) const override {
        return ParamCount::trainable_only(element_count(shape, c));
    }
    std::vector<std::string> value_roles() const override { return {"value"}; }
    std::vector<Dims> value_shapes(const std::vector<Dims>&, const Convention&) const override { return {shape}; }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention&) const override {
        const int64_t batch = in.empty() ? 1 : in[0]->batch();
        Dims dims{batch};
        dims.insert(dims.end(), shape.begin(), shape.end());
        Tensor y(dims);
        const size_t n = p[0]->size();
        for (size_t i = 0; i < y.size(); ++i) y[i] = (*p[0])[i % n];
        return y;
    }
    // Every sample's copy feeds the one tensor: ∂L/∂W sums over the batch.
    void backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>& p, const Tensor&, const Tensor& grad_y,
                  const NumericMode&, const Convention&, std::vector<Tensor>&, std::vector<Tensor>& grad_p) const override {
        const size_t n = p[0]->size();
        for (size_t i = 0; i < grad_y.size(); ++i) grad_p[0][i % n] += grad_y[i];
    }
    Expr explain(const std::vector<Operand>&, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention&) const override {
        return p[0].at(flat % p[0].tensor->size());
    }
    std::vector<Link> links(const std::vector<Operand>&, const std::vector<Operand>& p, const Operand&, size_t flat,
                            const NumericMode&, const Convention&) const override {
        return {{-1, flat % p[0].tensor->size(), Expr(1)}};
    }
};

}  // namespace

std::unique_ptr<Layer> parse_parameter(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Parameter>();
    if (!fields.has("shape")) fields.missing("shape", "the parameter's shape, e.g. [3, 2]");
    layer->shape = fields.int_list("shape", false);
    if (layer->shape.empty()) fields.fail("shape", "a non-empty list of positive sizes");
    return layer;
}

}  // namespace dlsolve
