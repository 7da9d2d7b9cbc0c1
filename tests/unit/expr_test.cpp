#include <catch2/catch.hpp>

#include "expr/expr.h"

using dlsolve::ArithmeticError;
using dlsolve::Expr;
using dlsolve::Notation;

TEST_CASE("a conv parameter count renders as the exam writes it", "[expr]") {
    const Expr count = Expr::sym("F", 16) * (Expr::sym("k", 5) * Expr::sym("k", 5) * Expr::sym("C", 3) + 1);
    CHECK(count.value() == 1216);
    CHECK(count.formula() == "16 × (5 × 5 × 3 + 1)");
    CHECK(count.worked() == "16 × (5 × 5 × 3 + 1) = 1216");
    CHECK(count.symbolic() == "F × (k × k × C + 1)");
}

TEST_CASE("output-size arithmetic uses floor and ceiling brackets", "[expr]") {
    const Expr floor_size = floor_div(Expr::sym("H", 28) - Expr::sym("k", 5) + Expr::tight_product(2, Expr::sym("p", 2)),
                                      Expr::sym("s", 1)) + 1;
    CHECK(floor_size.worked() == "⌊(28 − 5 + 2·2)/1⌋ + 1 = 28");
    CHECK(floor_size.symbolic() == "⌊(H − k + 2·p)/s⌋ + 1");
    const Expr ceil_size = ceil_div(Expr::sym("H", 128), Expr::sym("s", 2));
    CHECK(ceil_size.worked() == "⌈128/2⌉ = 64");
    CHECK(ceil_div(Expr(7), Expr(2)).value() == 4);
    CHECK(floor_div(Expr(-7), Expr(2)).value() == -4);
    CHECK(ceil_div(Expr(-7), Expr(2)).value() == -3);
}

TEST_CASE("brackets appear only where precedence needs them", "[expr]") {
    const Expr a = Expr::sym("a", 10), b = Expr::sym("b", 4), c = Expr::sym("c", 3);
    CHECK((a - (b - c)).formula() == "10 − (4 − 3)");
    CHECK((a - b - c).formula() == "10 − 4 − 3");
    CHECK((a * (b + c)).formula() == "10 × (4 + 3)");
    CHECK((a * b + c).formula() == "10 × 4 + 3");
    CHECK(exact_div(a * b, Expr(5) * Expr(2)).formula() == "10 × 4/(5 × 2)");
    CHECK((Expr(3) * Expr(-2)).formula() == "3 × (−2)");
    CHECK(max(a - b, Expr(0)).worked() == "max(10 − 4, 0) = 6");
}

TEST_CASE("a leaf has nothing to show but its value", "[expr]") {
    CHECK(Expr::sym("F", 32).worked() == "32");
    CHECK(Expr(52163).worked(Notation::unicode(), true) == "52,163");
    CHECK(Expr::sum({Expr(1216), Expr(4640), Expr(46307)}).worked(Notation::unicode(), true) == "1216 + 4640 + 46307 = 52,163");
    CHECK(Expr::sum({}).value() == 0);
    const Expr lone = Expr(2) * Expr::sym("C", 128);
    CHECK(Expr::sum({lone}).worked() == "2 × 128 = 256");
}

TEST_CASE("digit grouping follows Keras", "[expr]") {
    CHECK(dlsolve::group_digits(0) == "0");
    CHECK(dlsolve::group_digits(999) == "999");
    CHECK(dlsolve::group_digits(1000) == "1,000");
    CHECK(dlsolve::group_digits(138357544) == "138,357,544");
    CHECK(dlsolve::group_digits(-1234567) == "-1,234,567");
}

TEST_CASE("LaTeX notation", "[expr]") {
    const Expr e = floor_div(Expr::sym("H", 28) - Expr::sym("k", 5), Expr::sym("s", 2)) + 1;
    CHECK(e.worked(Notation::latex()) == "\\lfloor (28 - 5)/2 \\rfloor + 1 = 12");
    CHECK((Expr(3) * Expr(4)).formula(Notation::latex()) == "3 \\times 4");
}

TEST_CASE("integer overflow and division by zero are errors, never wrong numbers", "[expr]") {
    const Expr big = Expr::sym("n", 3'000'000'000);
    CHECK_THROWS_AS(big * big * big, ArithmeticError);
    CHECK_THROWS_AS(Expr(INT64_MAX) + 1, ArithmeticError);
    CHECK_THROWS_AS(Expr(INT64_MIN) - 1, ArithmeticError);
    CHECK_THROWS_AS(floor_div(Expr(1), Expr(0)), ArithmeticError);
    CHECK_THROWS_AS(exact_div(Expr(7), Expr(2)), ArithmeticError);
    CHECK_THROWS_AS(Expr::sum({Expr(INT64_MAX), Expr(1)}), ArithmeticError);
    CHECK((big * big).value() == 9'000'000'000'000'000'000LL);  // just below 2^63
}

TEST_CASE("fractions stay exact and render as exams write them", "[expr]") {
    const Expr half = divide(Expr(1), Expr(2));
    CHECK(half.value_text() == "1/2");
    CHECK(!half.is_integer());
    CHECK_THROWS_AS(half.value(), std::logic_error);
    const Expr start = Expr::named("start", half) + (divide(Expr::sym("k", 3) - 1, 2) - Expr::sym("p", 1)) * Expr::sym("j", 2);
    CHECK(start.worked() == "1/2 + ((3 − 1)/2 − 1) × 2 = 1/2");
    CHECK((Expr(3) * Expr::named("j", half)).formula() == "3 × (1/2)");
    CHECK((divide(Expr(6), Expr(4)) + divide(Expr(1), Expr(2))).value() == 2);
    CHECK(divide(Expr(-3), Expr(6)).value_text() == "−1/2");
    CHECK((Expr::named("r", Expr(12)) + (Expr::sym("k", 3) - 1)).formula() == "12 + (3 − 1)");
    CHECK(max(divide(Expr(7), Expr(2)), Expr(3)).value_text() == "7/2");
    CHECK_THROWS_AS(divide(Expr(1), Expr(0)), ArithmeticError);
}

TEST_CASE("a sum with too many terms keeps its formula in Σ form", "[expr]") {
    // 1000 terms of 0.5: three written, the last written, 996 between them.
    const std::vector<Expr> shown{Expr::real(0.5), Expr::real(0.5), Expr::real(0.5), Expr::real(0.5)};
    const Expr mean = divide(Expr::series(shown, 996, 500.0, "Σ_i e_i", "\\sum_i e_i"), Expr::sym("n", 1000));
    CHECK(mean.to_double() == 0.5);
    CHECK(mean.formula() == "(0.5 + 0.5 + 0.5 + … (996 more) … + 0.5)/1000");
    CHECK(mean.symbolic() == "(Σ_i e_i)/n");
    CHECK(mean.symbolic(Notation::latex()) == "\\frac{\\sum_i e_i}{n}");
    CHECK(mean.formula(Notation::latex()) == "\\frac{0.5 + 0.5 + 0.5 + \\cdots \\text{(996 more)} \\cdots + 0.5}{1000}");
    // Nothing elided: every term is written.
    CHECK(Expr::series({Expr::real(1), Expr::real(2)}, 0, 3.0, "Σ", "\\sum").formula() == "1 + 2");
}
