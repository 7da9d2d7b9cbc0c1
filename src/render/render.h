// Renderers format a Worksheet; they never compute. Same worksheet, same bytes.
#pragma once

#include <string>

#include "report/worksheet.h"

namespace dlsolve {

enum class Format { Text, Markdown, Json, Dot, Latex };

// `standalone`: LaTeX as a whole document rather than a fragment to \input.
std::string render(const Worksheet& sheet, Format format, bool standalone = false);
std::string render_text(const Worksheet& sheet);
// A worksheet with a framework_summary, in that tool's own layout (render/framework_layout.cpp).
std::string render_framework_summary(const Worksheet& sheet);
std::string render_markdown(const Worksheet& sheet);
std::string render_json(const Worksheet& sheet);
// Sections and tables (booktabs) with every formula in math mode; a fragment needs
// \usepackage{amsmath,booktabs,longtable}, which the standalone document loads.
std::string render_latex(const Worksheet& sheet, bool standalone);
// The worksheet's picture as Graphviz DOT (dlsolve graph); empty without one.
std::string render_dot(const Worksheet& sheet);
Json picture_json(const Picture& picture);

// The version of the JSON answer format (schemas/answers.schema.json): raised when a key
// changes meaning or goes away, not when one is added.
inline constexpr int kJsonFormatVersion = 1;

// Columns a terminal gives UTF-8 text, by Unicode's East Asian Width and general
// category (utf8proc_charwidth): combining marks (the circumflex of m̂) 0, wide CJK and
// emoji 2, others 1; a byte that is not UTF-8 counts 1.
size_t display_width(const std::string& s);

// One figure as text: "H = ⌈128/2⌉ = 64", "1,216", "16 × (5 × 5 × 3 + 1) = 1216".
std::string render_part(const Part& part, const Notation& notation);
std::string render_cell(const Cell& cell, const Notation& notation);
// A matrix as text: [1, -2], or one aligned row per line.
std::string matrix_text(const Matrix& matrix);

}  // namespace dlsolve
