// Dense / nn.Linear: acts on the last axis; units × (inputs + 1) parameters.
#include <fmt/format.h>

#include <Eigen/Dense>

#include "layers/activation_math.h"
#include "layers/common.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

class Dense : public Layer {
public:
    int64_t units = 1;
    bool use_bias = true;
    std::string activation;
    std::optional<int64_t> in_features;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        return std::string(c.pick<std::string_view>("Dense", "Linear"));
    }

    std::string fused_activation() const override { return activation; }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        if (in_features && *in_features != in[0].back())
            throw LayerError(fmt::format("in_features is {} but the input has {} features", *in_features, in[0].back()));
        ShapeExpr out = same_shape(in[0], c);
        out.dims.back() = Expr::sym("units", units);
        out.labels.back() = "features";
        return out;
    }

    // On a vector every unit sees every input; on an image the units act on the last
    // axis: per position on Keras's [H, W, C], mixing the whole width of PyTorch's [C, H, W].
    SpatialMap spatial_map(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        if (in[0].size() == 1) return {SpatialMap::Kind::Global, {}, {}, ""};
        if (in[0].size() == 3 && !c.channels_last)
            return {SpatialMap::Kind::Window, {}, {AxisMap::Kind::Whole, in[0][2], 1, 0}, ""};
        return {};
    }

    Cost cost(const std::vector<Dims>& in, const Dims& out, const Convention& c) const override {
        Expr macs = Expr::sym("n_in", in[0].back()) * Expr::sym("units", units);
        for (size_t d = in[0].size() - 1; d-- > 0;) macs = macs * in[0][d];  // positions
        Cost cost = weighted_sum_cost(macs, element_count(out, c), use_bias);
        const Cost act = activation_cost(activation, Expr::sym("outputs", element_count(out, c).value()));
        if (act.flops.value() != 0) cost.flops = cost.flops + act.flops, cost.rule += "; " + activation + ": " + act.rule;
        return cost;
    }

    // Y = f(X·W + b): X is rows × n_in (every leading axis is a row), W is n_in × units.
    using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Map = Eigen::Map<Matrix>;
    using ConstMap = Eigen::Map<const Matrix>;

    Activation fused(const Convention& c) const { return {activation, c.fused_leaky_relu_alpha, 0.0, std::nullopt}; }
    int64_t rows(const Tensor& x) const { return static_cast<int64_t>(x.size()) / x.shape.back(); }

    Tensor forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const NumericMode&,
                   const Convention& c) const override {
        const Tensor& x = *in[0];
        const int64_t n_in = x.shape.back();
        Dims shape = x.shape;
        shape.back() = units;
        Tensor y(shape);
        Map(y.data.data(), rows(x), units) = ConstMap(x.data.data(), rows(x), n_in) * ConstMap(p[0]->data.data(), n_in, units);
        if (use_bias)
            Map(y.data.data(), rows(x), units).rowwise() += Eigen::Map<const Eigen::RowVectorXd>(p[1]->data.data(), units);
        activate(fused(c), y, c, true);  // a softmax normalises the units
        return y;
    }

    void backward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>& p, const Tensor& y,
                  const Tensor& grad_y, const NumericMode&, const Convention& c, std::vector<Tensor>& grad_in,
                  std::vector<Tensor>& grad_p) const override {
        const Tensor& x = *in[0];
        const int64_t n_in = x.shape.back(), r = rows(x);
        const Tensor grad_z = activation_backward(fused(c), y, y, grad_y, c, true);
        const ConstMap dz(grad_z.data.data(), r, units);
        Map(grad_in[0].data.data(), r, n_in) = dz * ConstMap(p[0]->data.data(), n_in, units).transpose();
        Map(grad_p[0].data.data(), n_in, units) = ConstMap(x.data.data(), r, n_in).transpose() * dz;
        if (use_bias) Eigen::Map<Eigen::RowVectorXd>(grad_p[1].data.data(), units) = dz.colwise().sum();
    }

    // z_j = w_1j·x_1 + … + w_nj·x_n + b_j for the element's row.
    Expr pre_activation(const std::vector<Operand>& in, const std::vector<Operand>& p, size_t flat) const {
        const size_t n_in = static_cast<size_t>(in[0].tensor->shape.back());
        const size_t row = flat / static_cast<size_t>(units), j = flat % static_cast<size_t>(units);
        std::vector<Expr> terms;
        for (size_t i = 0; i < n_in; ++i) terms.push_back(p[0].at(i * static_cast<size_t>(units) + j) * in[0].at(row * n_in + i));
        if (use_bias) terms.push_back(p[1].at(j));
        return Expr::sum(terms);
    }

    Expr explain(const std::vector<Operand>& in, const std::vector<Operand>& p, const Tensor&, size_t flat, const NumericMode&,
                 const Convention& c) const override {
        if (activation != "softmax") return activation_of(fused(c), {pre_activation(in, p, flat)}, 0);
        const size_t first = flat - flat % static_cast<size_t>(units);
        std::vector<Expr> group;
        for (size_t k = 0; k < static_cast<size_t>(units); ++k) group.push_back(pre_activation(in, p, first + k));
        return activation_of(fused(c), group, flat - first);
    }

    // ∂y_j/∂x_i = f′·w_ij, ∂y_j/∂w_ij = f′·x_i, ∂y_j/∂b_j = f′ (f′ = 1 without an activation).
    std::vector<Link> links(const std::vector<Operand>& in, const std::vector<Operand>& p, const Operand& y, size_t flat,
                            const NumericMode&, const Convention& c) const override {
        if (activation == "softmax") throw LayerError("write the softmax as its own layer to see the chain rule through it");
        const size_t n_in = static_cast<size_t>(in[0].tensor->shape.back());
        const size_t row = flat / static_cast<size_t>(units), j = flat % static_cast<size_t>(units);
        const bool linear = activation == "linear";
        const Expr slope = linear ? Expr(1) : elementwise_slope(fused(c), Expr::real(y.to_double(flat)), y.at(flat));
        const auto times = [&](const Expr& e) { return linear ? e : slope * e; };
        std::vector<Link> out;
        for (size_t i = 0; i < n_in; ++i) {
            out.push_back({0, row * n_in + i, times(p[0].at(i * static_cast<size_t>(units) + j))});
            out.push_back({-1, i * static_cast<size_t>(units) + j, times(in[0].at(row * n_in + i))});
        }
        if (use_bias) out.push_back({-2, j, times(Expr(1))});
        return out;
    }

    std::vector<std::string> value_roles() const override {
        if (use_bias) return {"weights", "bias"};
        return {"weights"};
    }
    std::vector<Dims> value_shapes(const std::vector<Dims>& in, const Convention&) const override {
        return {{in[0].back(), units}, {units}};  // W is inputs × units (Y = XW + b)
    }

    ParamCount params(const std::vector<Dims>& in, const Convention&) const override {
        Expr inputs = Expr::sym("n_in", in[0].back());
        if (use_bias) inputs = inputs + 1;
        return ParamCount::trainable_only(Expr::sym("units", units) * inputs);
    }
};

}  // namespace

std::unique_ptr<Layer> parse_dense(Fields& fields, const Convention&, std::string_view) {
    auto layer = std::make_unique<Dense>();
    layer->units = fields.positive("units");
    layer->use_bias = fields.boolean("use_bias", true);
    layer->activation = read_activation(fields, false);
    layer->in_features = fields.optional_positive("in_features");
    return layer;
}

}  // namespace dlsolve
