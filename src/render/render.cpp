#include "render/render.h"

#include <algorithm>

#include <fmt/format.h>
#include <utf8proc.h>

namespace dlsolve {
namespace {

// Columns are aligned to cells up to this wide; a wider cell overflows its column.
constexpr size_t kWidestAligned = 160;

std::string pad(const std::string& s, size_t width, bool right) {
    const size_t w = display_width(s);
    if (w >= width) return s;
    return right ? std::string(width - w, ' ') + s : s + std::string(width - w, ' ');
}

std::string rstrip(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

std::string markdown_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|' || c == '*' || c == '`' || c == '<') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::string matrix_text(const Matrix& m) {
    const size_t cols = m.columns, rows = m.values.size() / cols;
    std::vector<std::string> cells;
    size_t width = 0;
    for (double x : m.values) cells.push_back(format_real(x)), width = std::max(width, cells.back().size());
    if (m.one_line) {  // [[a, b], [c, d]], [[3]] for one element
        std::vector<std::string> parts;
        for (size_t r = 0; r < rows; ++r)
            parts.push_back(fmt::format("[{}]", fmt::join(cells.begin() + static_cast<std::ptrdiff_t>(r * cols),
                                                         cells.begin() + static_cast<std::ptrdiff_t>((r + 1) * cols), ", ")));
        return fmt::format("[{}]", fmt::join(parts, ", "));
    }
    const bool aligned = rows > 1;
    std::string out;
    for (size_t r = 0; r < rows; ++r) {
        out += rows > 1 ? (r == 0 ? "[[" : "\n  [") : "[";
        for (size_t c = 0; c < cols; ++c) {
            const std::string& cell = cells[r * cols + c];
            out += (c ? ", " : "") + (aligned ? std::string(width - cell.size(), ' ') : "") + cell;
        }
        out += rows > 1 ? (r + 1 == rows ? "]]" : "]") : "]";
    }
    return out;
}

size_t display_width(const std::string& s) {
    const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    auto left = static_cast<utf8proc_ssize_t>(s.size());
    size_t width = 0;
    while (left > 0) {
        utf8proc_int32_t code;
        const utf8proc_ssize_t length = utf8proc_iterate(at, left, &code);
        if (length < 1) {  // a byte that is not UTF-8: one column, as a terminal shows its replacement
            ++width, ++at, --left;
            continue;
        }
        width += static_cast<size_t>(std::max(0, utf8proc_charwidth(code)));
        at += length, left -= length;
    }
    return width;
}

std::string render_part(const Part& part, const Notation& notation) {
    std::string figure = part.worked                                   ? part.expr.worked(notation, part.group_digits)
                         : part.group_digits && part.expr.is_integer() ? group_digits(part.expr.value(), notation.thousands)
                                                                       : part.expr.value_text(notation);
    if (part.symbolic) figure = part.expr.symbolic(notation) + notation.equals + figure;
    return part.label.empty() ? figure : part.label + notation.equals + figure;
}

std::string render_cell(const Cell& cell, const Notation& notation) {
    std::string out = cell.text;
    if (cell.matrix.columns > 0) out += matrix_text(cell.matrix);
    for (size_t i = 0; i < cell.parts.size(); ++i) {
        if (i > 0) out += ", ";
        else if (!out.empty() && out.back() != ' ') out += "  ";
        out += render_part(cell.parts[i], notation);
    }
    return out;
}

std::string render_text(const Worksheet& sheet) {
    if (sheet.framework_summary) return render_framework_summary(sheet);
    const Notation& n = Notation::unicode();
    std::string out = sheet.title + "\n";
    for (const auto& note : sheet.notes) out += "Note: " + note + "\n";
    for (const auto& section : sheet.sections) {
        out += "\n" + section.heading + "\n";
        for (const auto& table : section.tables) {
            std::vector<std::vector<std::string>> cells;
            std::vector<size_t> widths;
            for (const auto& c : table.columns) widths.push_back(display_width(c));
            for (const auto& row : table.rows) {
                cells.emplace_back();
                for (size_t c = 0; c < row.size(); ++c) {
                    cells.back().push_back(render_cell(row[c], n));
                    // A cell wider than kWidestAligned runs past its column instead of widening it:
                    // one huge cell (an add of 10,000 inputs) would pad every row to its width.
                    if (const size_t w = display_width(cells.back().back()); w <= kWidestAligned) widths[c] = std::max(widths[c], w);
                }
            }
            size_t total = 0;
            for (auto w : widths) total += w + 2;
            const auto line = [&](const std::vector<std::string>& row) {
                std::string text;
                for (size_t c = 0; c < row.size(); ++c)
                    text += pad(row[c], widths[c], table.right_aligned[c]) + (c + 1 < row.size() ? "  " : "");
                return rstrip(text) + "\n";
            };
            const std::string rule(std::min<size_t>(total - 2, 120), '=');
            out += line(table.columns) + rule + "\n";
            for (const auto& row : cells) out += line(row);
            out += rule + "\n";
        }
        for (const auto& l : section.lines) {
            const std::string cell = render_cell(l.cell, n);
            out += cell.empty() ? l.label + "\n" : l.label + l.separator + cell + "\n";
        }
    }
    return out;
}

std::string render_markdown(const Worksheet& sheet) {
    // A framework's layout is kept verbatim in a code block.
    if (sheet.framework_summary) return fmt::format("## {}\n\n```\n{}```\n", markdown_escape(sheet.title), render_framework_summary(sheet));
    const Notation& n = Notation::unicode();
    std::string out = fmt::format("## {}\n", markdown_escape(sheet.title));
    for (const auto& note : sheet.notes) out += "\n> **Note:** " + markdown_escape(note) + "\n";
    for (const auto& section : sheet.sections) {
        out += "\n### " + section.heading + "\n";
        for (const auto& table : section.tables) {
            out += "\n|";
            for (const auto& c : table.columns) out += " " + c + " |";
            out += "\n|";
            for (bool right : table.right_aligned) out += right ? " ---: |" : " --- |";
            out += "\n";
            for (const auto& row : table.rows) {
                out += "|";
                for (const auto& cell : row) out += fmt::format(" {} |", markdown_escape(render_cell(cell, n)));
                out += "\n";
            }
        }
        if (!section.lines.empty()) out += "\n";
        for (const auto& l : section.lines) {
            const std::string cell = markdown_escape(render_cell(l.cell, n));
            out += l.separator == ": " ? "- **" + markdown_escape(l.label) + ":** " + cell + "\n"
                                       : "- **" + markdown_escape(l.label) + "**" + l.separator + cell + "\n";
        }
    }
    return out;
}

std::string render_json(const Worksheet& sheet) {
    const Notation& n = Notation::unicode();
    Json steps = Json::array();
    for (const auto& step : sheet.steps) {
        Json s = Json::object();
        s["key"] = step.key;
        s["label"] = step.label;
        s["formula"] = step.expr.formula(n);
        s["symbolic"] = step.expr.symbolic(n);
        if (step.expr.is_integer()) {
            s["value"] = step.expr.value();
        } else {  // a fraction: the nearest double, and the exact value
            s["value"] = step.expr.to_double();
            s["exact"] = step.expr.value_text(n);
        }
        steps.push_back(std::move(s));
    }
    Json out = Json::object();
    out["format_version"] = kJsonFormatVersion;
    out["answers"] = sheet.answers;
    out["steps"] = std::move(steps);
    for (const auto& [key, value] : sheet.data.items()) out[key] = value;
    if (sheet.picture) out["graph"] = picture_json(*sheet.picture);
    return out.dump(2, ' ', false, Json::error_handler_t::strict) + "\n";
}

std::string render(const Worksheet& sheet, Format format, bool standalone) {
    switch (format) {
        case Format::Markdown: return render_markdown(sheet);
        case Format::Latex: return render_latex(sheet, standalone);
        case Format::Json: return render_json(sheet);
        case Format::Dot: return render_dot(sheet);
        case Format::Text: break;
    }
    return render_text(sheet);
}

}  // namespace dlsolve
