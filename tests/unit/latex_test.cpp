// Expr's LaTeX notation and the Unicode-to-LaTeX conversion of names and prose
// (src/expr/latex_symbols.h): every expected string is written out by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "expr/expr.h"
#include "expr/latex_symbols.h"
#include "render/render.h"

using dlsolve::Expr;
using dlsolve::latex_math;
using dlsolve::latex_text;
using dlsolve::Notation;

TEST_CASE("a parameter count in LaTeX, worked and in symbols", "[latex]") {
    const Expr count = Expr::sym("F", 16) * (Expr::sym("k", 5) * Expr::sym("k", 5) * Expr::sym("C", 3) + 1);
    CHECK(count.worked(Notation::latex()) == "16 \\times (5 \\times 5 \\times 3 + 1) = 1216");
    CHECK(count.symbolic(Notation::latex()) == "F \\times (k \\times k \\times C + 1)");
    CHECK(count.worked(Notation::latex(), true) == "16 \\times (5 \\times 5 \\times 3 + 1) = 1{,}216");
}

TEST_CASE("floors, ceilings, fractions, roots, squares and functions in LaTeX", "[latex]") {
    const Notation& n = Notation::latex();
    CHECK(ceil_div(Expr::sym("H", 128), Expr::sym("s", 2)).worked(n) == "\\lceil 128/2 \\rceil = 64");
    CHECK(divide(Expr(3), Expr(2)).worked(n) == "\\frac{3}{2} = \\frac{3}{2}");
    CHECK(divide(Expr(-3), Expr(4)).value_text(n) == "-\\frac{3}{4}");
    CHECK((divide(Expr(1), Expr(2)) * Expr::sym("x", 4)).formula(n) == "\\frac{1}{2} \\times 4");
    CHECK(apply("sqrt", Expr::real(0.25) + Expr::real(1e-8)).formula(n) == "\\sqrt{0.25 + 1e-08}");
    CHECK(square(Expr::real(2) - Expr::real(1)).worked(n) == "(2 - 1)^{2} = 1");
    CHECK(apply("sigmoid", Expr::real(0)).worked(n) == "\\sigma(0) = 0.5");
    CHECK(apply("exp", Expr::real(0)).formula(n) == "\\exp(0)");
    CHECK(min(Expr(3), Expr(2)).formula(n) == "\\min(3, 2)");
    CHECK(Expr::maximum({Expr(1), Expr(3), Expr(2)}).worked(n) == "\\max(1, 3, 2) = 3");
    CHECK((Expr(2) - Expr(-3)).formula(n) == "2 - (-3)");
}

TEST_CASE("symbol names take subscripts, hats and Greek letters in math mode", "[latex]") {
    const Expr chain = Expr::real("w11", 0.5) * Expr::real("ŷ1", 2) - Expr::real("α", 0.1) * Expr::real("m̂", 1);
    CHECK(chain.symbolic(Notation::latex()) == "w_{11} \\times \\hat{y}_{1} - \\alpha \\times \\hat{m}");
    CHECK(chain.symbolic() == "w11 × ŷ1 − α × m̂");  // the Unicode notation is unchanged
    CHECK(latex_math("∂L/∂w11") == "\\partial L/\\partial w_{11}");
    CHECK(latex_math("W_h") == "W_{h}");
    CHECK(latex_math("C_in") == "C_{\\mathrm{in}}");
    CHECK(latex_math("h_{t−1}") == "h_{t-1}");
    CHECK(latex_math("lr") == "\\mathrm{lr}");
    CHECK(latex_math("∂L/∂h.weights") == "\\partial L/\\partial \\mathrm{h.weights}");
    CHECK(latex_math("y⁽2⁾") == "y^{(2)}");
    CHECK(latex_math("Wᵀ") == "W^{\\top}");
    CHECK(latex_math("⌊x⌋ ≥ 0") == "\\lfloor x\\rfloor \\geq 0");
}

TEST_CASE("prose escapes LaTeX's special characters and sets symbols in math", "[latex]") {
    CHECK(latex_text("50% of a_b & {x} #1 $2 ~ ^ \\") ==
          "50\\% of a\\_b \\& \\{x\\} \\#1 \\$2 \\textasciitilde{} \\textasciicircum{} \\textbackslash{}");
    CHECK(latex_text("(ŷ − y)² over θ") == "(\\ensuremath{\\hat{y}} \\ensuremath{-} y)\\ensuremath{^{2}} over \\ensuremath{\\theta}");
    CHECK(latex_text("\"a\" --format") == "``a'' -{}-format");
    CHECK(latex_text("a\nb") == "a\\newline b");
    CHECK(latex_text("a\nb", " ") == "a b");
    // A character with no LaTeX command is named, never passed through to break pdflatex.
    CHECK(latex_text("☃") == "\\ensuremath{\\langle\\mathrm{U{+}2603}\\rangle}");
}

TEST_CASE("a worksheet in LaTeX: booktabs table, math parts, pmatrix, standalone document", "[latex]") {
    dlsolve::Worksheet sheet;
    sheet.title = "Network: \"t_1\"";
    dlsolve::Section section{"Params & shapes", {}, {}};
    section.tables.push_back({{"Layer", "Param #"}, {false, true}, {{{"conv_1", {}}, {"", {{"", Expr::sym("F", 16) * Expr::sym("C", 3), true, true}}}}}});
    section.lines.push_back({"W_h", {"", {}, {{1, -2, 3, 4}, 2}}});
    section.lines.push_back({"  h1", {"", {{"", Expr::real(2)}}}});
    sheet.sections.push_back(section);
    const std::string fragment = dlsolve::render_latex(sheet, false);
    CHECK(fragment ==
          "\\section*{Network: ``t\\_1''}\n\n\\subsection*{Params \\& shapes}\n"
          "\\begin{longtable}{@{}lr@{}}\n\\toprule\nLayer & Param \\# \\\\\n\\midrule\n\\endhead\n"
          "conv\\_1 & $16 \\times 3 = 48$ \\\\\n\\bottomrule\n\\end{longtable}\n"
          "\\noindent $W_{h}$: $\\begin{pmatrix} 1 & -2 \\\\ 3 & 4 \\end{pmatrix}$\\par\n"
          "\\noindent \\hspace*{2em}$h_{1}$: $2$\\par\n");
    const std::string document = dlsolve::render_latex(sheet, true);
    CHECK(document.rfind("\\documentclass[11pt]{article}\n", 0) == 0);
    CHECK(document.find("\\usepackage{booktabs}") != std::string::npos);
    CHECK(document.find(fragment) != std::string::npos);
    CHECK(document.substr(document.size() - 15) == "\\end{document}\n");
}

TEST_CASE("symbols, names and broken UTF-8 become ASCII LaTeX, never a stray character", "[latex]") {
    // Fixed-seed pseudo-random strings over ASCII, the symbols dlsolve prints, and broken UTF-8.
    const std::vector<std::string> pieces{"a", "w", "1", "_", "{", "}", ".", " ", "\\", "^", "%", "ŷ", "m̂", "α", "∂", "⁽", "⁾",
                                          "²", "ᵀ", "−", "×", "\xff", "\xe2\x88", "☃", "\n", "\"", "-", "_{", "h_{t"};
    uint64_t state = 12345;
    for (int n = 0; n < 2000; ++n) {
        std::string s;
        for (int k = 0; k < 12; ++k) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            s += pieces[(state >> 33) % pieces.size()];
        }
        for (const std::string& out : {latex_math(s), latex_text(s)}) {
            const bool ascii = std::all_of(out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
            if (!ascii) FAIL_CHECK("not ASCII: " << out << " from " << s);
        }
    }
}
