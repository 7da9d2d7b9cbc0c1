// The worksheet as LaTeX: sections, booktabs tables (longtable, so a 170-layer network
// breaks across pages), every figure in math mode through Expr's LaTeX notation, tensors
// as pmatrix, prose escaped. Plain pdflatex compiles it: no Unicode character is left.
#include <fmt/format.h>

#include "expr/latex_symbols.h"
#include "render/render.h"

namespace dlsolve {
namespace {

// amsmath's matrices hold 10 columns unless MaxMatrixCols is raised; wider ones are arrays,
// so a fragment needs nothing beyond the documented packages.
constexpr size_t kMatrixColumns = 10;

std::string matrix_latex(const Matrix& m) {
    const size_t cols = m.columns, rows = m.values.size() / cols;
    const bool wide = cols > kMatrixColumns;
    std::string out = wide ? "\\left(\\begin{array}{" + std::string(cols, 'r') + "}" : "\\begin{pmatrix}";
    for (size_t r = 0; r < rows; ++r) {
        out += r ? " \\\\ " : " ";
        for (size_t c = 0; c < cols; ++c) out += (c ? " & " : "") + latex_math(format_real(m.values[r * cols + c]));
    }
    return out + (wide ? " \\end{array}\\right)" : " \\end{pmatrix}");
}

std::string part_latex(const Part& part) {
    Part shown = part;
    if (!shown.label.empty()) shown.label = latex_math(shown.label);
    return "$" + render_part(shown, Notation::latex()) + "$";
}

// `newline`: what a line break in the text becomes (a space in a table cell).
std::string cell_latex(const Cell& cell, const std::string& newline) {
    std::string out = latex_text(cell.text, newline);
    if (cell.matrix.columns > 0) out += "$" + matrix_latex(cell.matrix) + "$";
    for (size_t i = 0; i < cell.parts.size(); ++i) {
        if (i > 0) out += ", ";
        else if (!out.empty() && out.back() != ' ') out += ' ';
        out += part_latex(cell.parts[i]);
    }
    return out;
}

// A label that is one symbol (h1, ŷ1, ∂L/∂w11, W_h) is set as mathematics, a phrase as text.
std::string label_latex(const std::string& label) {
    if (label.empty()) return "";
    if (label.find(' ') == std::string::npos) return "$" + latex_math(label) + "$";
    return latex_text(label);
}

std::string table_latex(const Table& table) {
    std::string spec;
    for (bool right : table.right_aligned) spec += right ? 'r' : 'l';
    std::string out = fmt::format("\\begin{{longtable}}{{@{{}}{}@{{}}}}\n\\toprule\n", spec);
    std::vector<std::string> head;
    for (const auto& column : table.columns) head.push_back(latex_text(column, " "));
    out += fmt::format("{} \\\\\n\\midrule\n\\endhead\n", fmt::join(head, " & "));
    for (const auto& row : table.rows) {
        std::vector<std::string> cells;
        for (const auto& cell : row) cells.push_back(cell_latex(cell, " "));
        out += fmt::format("{} \\\\\n", fmt::join(cells, " & "));
    }
    return out + "\\bottomrule\n\\end{longtable}\n";
}

std::string line_latex(const Line& line) {
    size_t indent = 0;
    while (indent < line.label.size() && line.label[indent] == ' ') ++indent;
    std::string out = "\\noindent ";
    if (indent > 0) out += fmt::format("\\hspace*{{{}em}}", indent);
    const std::string cell = cell_latex(line.cell, "\\newline ");
    out += label_latex(line.label.substr(indent));
    if (!cell.empty()) out += latex_text(line.separator) + cell;
    return out + "\\par\n";
}

const char* const kPreamble =
    "\\documentclass[11pt]{article}\n"
    "\\usepackage{amsmath}\n"
    "\\usepackage{booktabs}\n"
    "\\usepackage{longtable}\n"
    "\\usepackage[margin=2cm]{geometry}\n"
    "\\setlength{\\parskip}{0.4ex}\n"
    "\\begin{document}\n";

}  // namespace

std::string render_latex(const Worksheet& sheet, bool standalone) {
    std::string out = standalone ? kPreamble : "";
    out += "\\section*{" + latex_text(sheet.title, " ") + "}\n";
    for (const auto& note : sheet.notes) out += "\\noindent\\textbf{Note:} " + latex_text(note) + "\\par\n";
    for (const auto& section : sheet.sections) {
        out += "\n\\subsection*{" + latex_text(section.heading, " ") + "}\n";
        for (const auto& table : section.tables) out += table_latex(table);
        for (const auto& line : section.lines) out += line_latex(line);
    }
    if (standalone) out += "\n\\end{document}\n";
    return out;
}

}  // namespace dlsolve
