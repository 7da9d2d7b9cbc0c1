// The gradient-flow verdict of a recurrent layer against the exams: 003 2c-ii (its
// singular values; eigenvalues from numpy.linalg.eigvals) and 002 3c (σ′(0) = 1/4, α = 4).
#include <catch2/catch.hpp>

#include "helpers.h"
#include "passes/gradient_flow.h"

using Catch::Matchers::WithinRel;

TEST_CASE("gradient flow: exam 003 2c-ii explodes from the spectral radius, a sigmoid's threshold is 4", "[recurrent][gradient_flow]") {
    // Exam 003 2c-ii: singular values ≈ 1.98, 1.38, 0.58; eigenvalues (numpy) −1.341, 0.861, 1.390.
    const auto s = dlsolve::test::solve_text(R"({"title": "t", "framework": "pytorch", "input": {"shape": [10, 1]},
        "layers": [{"name": "rnn", "type": "simple_rnn", "units": 3, "activation": "linear", "use_bias": false,
                    "weight_ih": [[1.0], [0.0], [0.0]], "weight_hh": [[1.03, 0.65, -0.5], [-0.08, -0.31, 1.37], [0.59, 1.45, 0.19]]}]})");
    const auto g = dlsolve::gradient_flow(s.problem, s.analysis, 1);
    CHECK_THAT(g.singular_values[0].to_double(), WithinRel(1.98558896, 1e-6));
    CHECK_THAT(g.singular_values[2].to_double(), WithinRel(0.58395352, 1e-6));
    CHECK_THAT(g.eigen_real[0], WithinRel(-1.34105129, 1e-6));
    CHECK_THAT(g.spectral_radius.to_double(), WithinRel(1.39016263, 1e-6));
    CHECK(g.verdict == "explodes");
    CHECK(g.reason.find("spectral radius decides") != std::string::npos);
    // Exam 002 3c: σ′(0) = 1/4, so the threshold on the scalar weight is 4.
    const auto scalar = dlsolve::test::solve_text(R"({"title": "t", "framework": "keras", "input": {"shape": [8, 1]},
        "layers": [{"name": "rnn", "type": "simple_rnn", "units": 1, "activation": "sigmoid", "use_bias": false,
                    "kernel": [[1.0]], "recurrent_kernel": [[3.0]]}]})");
    const auto t = dlsolve::gradient_flow(scalar.problem, scalar.analysis, 1);
    REQUIRE(t.threshold);
    CHECK(t.threshold->worked() == "1/(1/4) = 4");
    CHECK(t.verdict == "vanishes");
}
