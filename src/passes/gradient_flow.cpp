#include "passes/gradient_flow.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Eigenvalues>
#include <fmt/format.h>

#include "ir/graph.h"
#include "layers/recurrent.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// max f′ exactly: σ′(0) = 1/4; tanh′(0) = 1; ReLU and the identity have slope 1.
Expr largest_slope(const std::string& activation) {
    if (activation == "sigmoid") return Expr::named("max σ′", divide(Expr(1), Expr(4)));
    if (activation == "tanh") return Expr::named("max tanh′", Expr(1));
    return Expr::named(activation == "relu" ? "max ReLU′" : "max f′", Expr(1));
}

// f′(a) from the state h = f(a): tanh 1 − h², σ h·(1 − h), ReLU 1 or 0, the identity 1.
Expr slope_from_state(const std::string& activation, const Expr& h) {
    if (activation == "tanh") return Expr(1) - square(h);
    if (activation == "sigmoid") return h * (Expr(1) - h);
    if (activation == "relu") return Expr(h.to_double() > 0 ? 1 : 0);
    return Expr(1);
}

// ∂h_T/∂h_t = J_T ⋯ J_{t+1} with J_k = diag(f′(a_k))·W_h, built from k = T down.
void along_sequence(GradientFlow& g, const Recurrent& layer, const CellMatrix& w, const Tensor& input, const Convention& c) {
    const CellTrace trace = layer.forward_trace(input, 0, c);
    const auto steps = static_cast<int64_t>(trace.h.size()) - 1;
    g.slopes.resize(static_cast<size_t>(steps));
    g.sequence_singular_values.resize(static_cast<size_t>(steps));
    CellMatrix product = CellMatrix::Identity(w.rows(), w.cols());
    for (int64_t k = steps; k >= 1; --k) {
        const CellVector& h = trace.h[static_cast<size_t>(k)];
        CellVector slope(h.size());
        std::vector<Expr> named;
        for (Eigen::Index j = 0; j < h.size(); ++j) {
            const std::string name = h.size() == 1 ? fmt::format("h{}", k) : fmt::format("h{}[{}]", k, j + 1);
            named.push_back(slope_from_state(g.activation, Expr::real(name, h[j])));
            slope[j] = named.back().to_double();
        }
        g.slopes[static_cast<size_t>(k - 1)] = std::move(named);
        product = product * (slope.asDiagonal() * w);
        const Eigen::JacobiSVD<CellMatrix> svd(product);
        const auto& s = svd.singularValues();
        g.sequence_singular_values[static_cast<size_t>(k - 1)].assign(s.data(), s.data() + s.size());
    }
}

}  // namespace

GradientFlow gradient_flow(const Problem& problem, const Analysis& analysis, size_t node) {
    const Layer& layer = problem.graph.layer(node);
    const auto* recurrent = dynamic_cast<const Recurrent*>(&layer);
    if (!recurrent) throw ProblemError(describe_layer(layer), "the gradient-flow analysis is asked of a recurrent layer (simple_rnn)");
    CellMatrix w;
    try {
        w = recurrent->recurrent_matrix(*problem.convention);
    } catch (const LayerError& e) {
        throw ProblemError(describe_layer(layer), e.what());
    }
    GradientFlow g;
    g.layer = layer.name;
    g.activation = recurrent->spec.activation;
    g.units = recurrent->spec.units;
    g.steps = analysis.layers[node].input_shapes[0][0];
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
        std::vector<double> row;
        for (Eigen::Index k = 0; k < w.cols(); ++k) row.push_back(w(r, k));
        g.w_h.push_back(std::move(row));
    }

    // σ_i² are the eigenvalues of W_hᵀ·W_h; the SVD gives them without squaring errors.
    const Eigen::JacobiSVD<CellMatrix> svd(w);
    const auto& sigma = svd.singularValues();
    for (Eigen::Index i = 0; i < sigma.size(); ++i) {
        const double s = sigma[i];
        g.singular_values.push_back(apply("sqrt", Expr::real(fmt::format("λ{}(W_hᵀW_h)", i + 1), s * s)));
    }
    Eigen::EigenSolver<CellMatrix> eigen(w, false);
    std::vector<std::complex<double>> lambda(eigen.eigenvalues().begin(), eigen.eigenvalues().end());
    std::sort(lambda.begin(), lambda.end(), [](auto a, auto b) { return a.real() != b.real() ? a.real() < b.real() : a.imag() < b.imag(); });
    for (size_t i = 0; i < lambda.size(); ++i) {
        g.eigen_real.push_back(lambda[i].real());
        g.eigen_imag.push_back(lambda[i].imag());
        const Expr re = Expr::real(fmt::format("Re λ{}", i + 1), lambda[i].real());
        g.eigen_moduli.push_back(lambda[i].imag() == 0.0 ? Expr::real(fmt::format("|λ{}|", i + 1), std::abs(lambda[i].real()))
                                                         : apply("sqrt", square(re) + square(Expr::real(fmt::format("Im λ{}", i + 1), lambda[i].imag()))));
    }
    g.spectral_radius = Expr::maximum(g.eigen_moduli);
    g.max_slope = largest_slope(g.activation);
    const Expr sigma_max = Expr::named("σ_max", g.singular_values.front());
    g.bound = g.max_slope * sigma_max;
    CellMatrix power = CellMatrix::Identity(w.rows(), w.cols());
    for (int64_t t = 0; t < g.steps; ++t) power = w * power;
    g.product_norm = Expr::real(fmt::format("‖W_h^{}‖₂", g.steps), Eigen::JacobiSVD<CellMatrix>(power).singularValues()[0]);
    if (g.units == 1) g.threshold = divide(Expr(1), g.max_slope);
    if (problem.numeric.has_values && !problem.numeric.batches.empty() && problem.graph.inputs_of(node) == std::vector<size_t>{0})
        along_sequence(g, *recurrent, w, problem.numeric.batches[0].input, *problem.convention);

    const double rho = g.spectral_radius.to_double(), bound = g.bound.to_double();
    const std::string rho_text = format_real(rho), sigma_text = format_real(sigma_max.to_double());
    if (g.activation == "linear") {
        if (rho > 1) {
            g.verdict = "explodes";
            g.reason = fmt::format("with the identity ∂h_T/∂h_0 = W_h^T, and ‖W_h^T‖^(1/T) → ρ(W_h) = {} > 1 as T → ∞, so the gradient "
                                   "grows like {}^T; the spectral radius decides, not the largest singular value ({})",
                                   rho_text, rho_text, sigma_text);
        } else if (rho < 1) {
            g.verdict = "vanishes";
            g.reason = fmt::format("with the identity ∂h_T/∂h_0 = W_h^T, and ‖W_h^T‖^(1/T) → ρ(W_h) = {} < 1 as T → ∞, so the gradient "
                                   "shrinks like {}^T, even though the largest singular value is {}", rho_text, rho_text, sigma_text);
        } else {
            g.verdict = "neither";
            g.reason = "with the identity ∂h_T/∂h_0 = W_h^T and ρ(W_h) = 1: the gradient neither vanishes nor explodes exponentially";
        }
    } else if (bound < 1) {
        g.verdict = "vanishes";
        g.reason = fmt::format("every factor diag(f′(a_t))·W_h has norm at most max f′ · σ_max = {} < 1, so the product over T "
                               "steps shrinks at least like {}^T", format_real(bound), format_real(bound));
    } else {
        g.verdict = "may explode";
        g.reason = fmt::format("max f′ · σ_max = {} ≥ 1, so the bound allows growth; f′ falls below its maximum away from 0, so "
                               "whether the gradient explodes depends on the states (below 1/max f′ = {} it would vanish)",
                               format_real(bound), format_real(1.0 / g.max_slope.to_double()));
    }
    return g;
}

}  // namespace dlsolve
