// Tolerance modes of `check` (check/tolerance.h): PrairieLearn's pl-number-input
// comparisons, worked by hand from its is_correct_scalar_* rules (eps = 0.51 · 10^−n),
// and the per-key tolerance of "expect".
#include <catch2/catch.hpp>

#include "check/tolerance.h"
#include "problem/error.h"
#include "problem/problem.h"

using dlsolve::close_enough;
using dlsolve::Json;
using dlsolve::read_tolerance;
using dlsolve::Tolerance;

TEST_CASE("relabs defaults are PrairieLearn's: rtol 1e-2, atol 1e-8") {
    const Tolerance t = read_tolerance(Json::parse(R"({"mode": "relabs"})"), "/tolerance");
    CHECK(t.rtol == 1e-2);
    CHECK(t.atol == 1e-8);
    CHECK(close_enough(100.9, 100.0, t));   // 0.9 ≤ 1e-8 + 1
    CHECK_FALSE(close_enough(101.1, 100.0, t));
    CHECK(close_enough(5e-9, 0.0, t));      // atol alone near 0
    CHECK_FALSE(close_enough(2e-8, 0.0, t));
}

TEST_CASE("rel and abs") {
    const Tolerance rel = read_tolerance(Json::parse(R"({"mode": "rel", "rtol": 0.001})"), "/tolerance");
    CHECK(close_enough(1000.9, 1000.0, rel));
    CHECK_FALSE(close_enough(1001.1, 1000.0, rel));
    const Tolerance abs = read_tolerance(Json::parse(R"({"mode": "abs", "atol": 0.05})"), "/tolerance");
    CHECK(close_enough(3.19, 3.14159, abs));
    CHECK_FALSE(close_enough(3.2, 3.14159, abs));
}

TEST_CASE("sigfig: 3 digits of 0.123456 allow 0.123 (0.000456 < 0.00051), not 0.124") {
    const Tolerance t = read_tolerance(Json::parse(R"({"mode": "sigfig", "digits": 3})"), "/tolerance");
    CHECK(close_enough(0.123, 0.123456, t));
    CHECK_FALSE(close_enough(0.124, 0.123456, t));
    CHECK(close_enough(12200, 12249, t));  // 49 < 51
    CHECK_FALSE(close_enough(12200, 12252, t));
}

TEST_CASE("decimals: 2 digits of 3.14159 allow 3.14, not 3.15") {
    const Tolerance t = read_tolerance(Json::parse(R"({"mode": "decimals", "digits": 2})"), "/tolerance");
    CHECK(close_enough(3.14, 3.14159, t));
    CHECK_FALSE(close_enough(3.15, 3.14159, t));
}

TEST_CASE("a plain number keeps the relative test, a named mode compares integers too") {
    const Tolerance plain = read_tolerance(Json(1e-3), "/tolerance");
    CHECK_FALSE(plain.named());
    CHECK_FALSE(dlsolve::same_answer(Json(1000), Json(1001), plain, {}));  // integers exact
    CHECK(dlsolve::same_answer(Json(1000.0), Json(1001), plain, {}));
    const Tolerance sig = read_tolerance(Json::parse(R"({"mode": "sigfig", "digits": 2})"), "/tolerance");
    CHECK(dlsolve::same_answer(Json(12000), Json(12200), sig, {}));
    CHECK_THROWS_AS(read_tolerance(Json::parse(R"({"mode": "nearly"})"), "/tolerance"), dlsolve::ProblemError);
    CHECK_THROWS_AS(read_tolerance(Json(0), "/tolerance"), dlsolve::ProblemError);
}

TEST_CASE("a key of expect with its own tolerance") {
    const auto p = dlsolve::parse_problem(R"({"title": "t", "framework": "pytorch", "input": {"shape": [2], "values": [1, 2]},
        "layers": [{"name": "y", "type": "linear"}], "target": [0, 0], "loss": "mse",
        "tolerance": {"mode": "relabs", "rtol": 1e-3},
        "expect": {"loss": {"value": 2.5, "tolerance": {"mode": "sigfig", "digits": 3}}, "forward.y": [1, 2]}})");
    CHECK(p.expect["loss"] == Json(2.5));
    CHECK(p.tolerance_of("loss").mode == Tolerance::Mode::Sigfig);
    CHECK(p.tolerance_of("forward.y").mode == Tolerance::Mode::RelAbs);
    CHECK(p.tolerance_of("forward.y").rtol == 1e-3);
    CHECK_THROWS_AS(dlsolve::parse_problem(R"({"title": "t", "input": {"shape": [2]}, "layers": [{"type": "linear"}],
        "expect": {"shapes.linear": {"tolerance": 0.1}}})"), dlsolve::ProblemError);
}
