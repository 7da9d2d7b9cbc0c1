// The text of a FrameworkSummary in its tool's own layout: Keras 3's rich box table,
// Keras 2's ruled columns, torchinfo's fixed-width rows. Only placement happens here;
// every cell arrives formatted by report/framework_summary.cpp.
#include <algorithm>
#include <cmath>

#include "render/render.h"

namespace dlsolve {
namespace {

using Layout = FrameworkSummary::Layout;

size_t width_of(const std::string& s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string left(const std::string& s, size_t width) { return width_of(s) >= width ? s : s + std::string(width - width_of(s), ' '); }
std::string right(const std::string& s, size_t width) { return width_of(s) >= width ? s : std::string(width - width_of(s), ' ') + s; }

// The first `n` code points of s.
std::string prefix(const std::string& s, size_t n) {
    size_t points = 0, i = 0;
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && points++ == n) break;
    }
    return s.substr(0, i);
}

std::string repeat(const std::string& piece, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += piece;
    return out;
}

std::vector<std::string> formula_texts(const FrameworkSummary& s) {
    std::vector<std::string> out;
    for (const auto& cell : s.formulas) out.push_back(render_cell(cell, Notation::unicode()));
    return out;
}

// rich's word wrap with overflow="ellipsis": words move to the next line when they do not
// fit; a word longer than the column is cut to width − 1 and ends in "…".
std::vector<std::string> wrap(const std::string& text, size_t width) {
    std::vector<std::string> words;
    for (size_t i = 0; i < text.size();) {
        size_t j = text.find(' ', i);
        j = j == std::string::npos ? text.size() : text.find_first_not_of(' ', j);
        if (j == std::string::npos) j = text.size();
        words.push_back(text.substr(i, j - i));
        i = j;
    }
    std::vector<std::string> lines{""};
    for (const auto& word : words) {
        std::string bare = word.substr(0, word.find_last_not_of(' ') + 1);
        if (!lines.back().empty() && width_of(lines.back()) + width_of(bare) > width) lines.emplace_back();
        lines.back() += word;
    }
    for (auto& line : lines) {
        line = line.substr(0, line.find_last_not_of(' ') + 1);
        if (width_of(line) > width) line = prefix(line, width - 1) + "…";
    }
    return lines;
}

// Keras 3: columns at `positions` of a line of 76 (88 or 108, capped at a terminal's
// 80 − 4 when not interactive), then rich shrinks them evenly to fit (ratio_reduce).
std::string keras3(const FrameworkSummary& s) {
    const bool connected = s.columns.size() == 4;
    const std::vector<double> positions = connected ? std::vector<double>{0.3, 0.56, 0.74, 1.0} : std::vector<double>{0.45, 0.80, 1.0};
    const int length = 76;
    std::vector<int> widths;
    int current = 0;
    for (double p : positions) {
        const int w = static_cast<int>(p * length) - current;
        widths.push_back(w + 2);
        current += w;
    }
    const int limit = length - static_cast<int>(widths.size()) - 1;
    int total = 0;
    for (int w : widths) total += w;
    if (total > limit) {
        int remaining = total - limit, ratio = static_cast<int>(widths.size());
        for (auto& w : widths) {
            const int cut = std::min(w, static_cast<int>(std::nearbyint(static_cast<double>(remaining) / ratio)));
            w -= cut, remaining -= cut, --ratio;
        }
    }
    std::vector<size_t> content;
    for (int w : widths) content.push_back(static_cast<size_t>(w - 2));
    std::vector<std::string> columns = s.columns;
    std::vector<bool> right_aligned = s.right_aligned;
    const auto formulas = formula_texts(s);
    if (s.show_formulas) {
        size_t widest = width_of("Formula");
        for (const auto& f : formulas) widest = std::max(widest, width_of(f));
        columns.push_back("Formula"), right_aligned.push_back(false), content.push_back(widest);
    }
    const auto rule = [&](const char* l, const char* fill, const char* mid, const char* r) {
        std::string out = l;
        for (size_t c = 0; c < content.size(); ++c) out += repeat(fill, content[c] + 2) + (c + 1 < content.size() ? mid : r);
        return out + "\n";
    };
    const auto row = [&](const std::vector<std::string>& cells, const char* bar) {
        std::vector<std::vector<std::string>> wrapped;
        size_t height = 1;
        for (size_t c = 0; c < cells.size(); ++c) wrapped.push_back(wrap(cells[c], content[c])), height = std::max(height, wrapped.back().size());
        std::string out;
        for (size_t line = 0; line < height; ++line) {
            out += bar;
            for (size_t c = 0; c < cells.size(); ++c) {
                const std::string text = line < wrapped[c].size() ? wrapped[c][line] : "";
                out += " " + (right_aligned[c] ? right(text, content[c]) : left(text, content[c])) + " " + bar;
            }
            out += "\n";
        }
        return out;
    };
    std::string out = s.heading + "\n" + rule("┏", "━", "┳", "┓") + row(columns, "┃") + rule("┡", "━", "╇", "┩");
    for (size_t r = 0; r < s.rows.size(); ++r) {
        if (r > 0) out += rule("├", "─", "┼", "┤");
        std::vector<std::string> cells = s.rows[r];
        if (s.show_formulas) cells.push_back(formulas[r]);
        out += row(cells, "│");
    }
    out += rule("└", "─", "┴", "┘");
    for (const auto& line : s.totals) out += line + "\n";
    return out;
}

// Keras 2 (tf.keras 2.x print_summary): each field cut at its column's end, the last
// character before the next field replaced by a space; rules of "_" and "=".
std::string keras2(const FrameworkSummary& s) {
    const bool connected = s.columns.size() == 4;
    const size_t length = connected ? 98 : 65;
    const std::vector<double> fractions = connected ? std::vector<double>{0.33, 0.55, 0.67, 1.0} : std::vector<double>{0.45, 0.85, 1.0};
    std::vector<size_t> positions;
    for (double f : fractions) positions.push_back(static_cast<size_t>(static_cast<double>(length) * f));
    const auto formulas = formula_texts(s);
    size_t total = length;
    std::vector<std::string> columns = s.columns;
    if (s.show_formulas) {
        size_t widest = width_of("Formula");
        for (const auto& f : formulas) widest = std::max(widest, width_of(f));
        total = length + widest + 1, positions.push_back(total), columns.push_back("Formula");
    }
    const auto line = [&](const std::vector<std::string>& fields) {
        std::string text;
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) text = prefix(text, width_of(text) - 1) + " ";
            text += fields[i];
            text = prefix(text, positions[i]);
            text = left(text, positions[i]);
        }
        return text + "\n";
    };
    std::string out = s.heading + "\n" + std::string(total, '_') + "\n" + line(columns) + std::string(total, '=') + "\n";
    for (size_t r = 0; r < s.rows.size(); ++r) {
        std::vector<std::string> cells = s.rows[r];
        if (s.show_formulas) cells.push_back(formulas[r]);
        out += line(cells);
        const bool last = r + 1 == s.rows.size();
        const bool continued = !last && s.rows[r + 1][0].empty();  // a further connection of this layer
        if (!continued) out += std::string(total, last ? '=' : '_') + "\n";
    }
    for (const auto& l : s.totals) out += l + "\n";
    return out + std::string(total, '_') + "\n";
}

// torchinfo (formatting.py): the name column as wide as the report found (40, or the
// longest title and indent rounded up to a multiple of 5), every other column 25, each
// cell followed by a space, lines stripped.
std::string torchinfo(const FrameworkSummary& s) {
    const size_t name_width = s.name_width;
    std::vector<std::string> columns = s.columns;
    const auto formulas = formula_texts(s);
    if (s.show_formulas) columns.push_back("Formula");
    const std::string divider = std::string(name_width + 25 * columns.size(), '=') + "\n";
    const auto line = [&](const std::string& name, const std::vector<std::string>& cells) {
        std::string text = left(name, name_width) + " ";
        for (const auto& c : cells) text += left(c, 25) + " ";
        return text.substr(0, text.find_last_not_of(' ') + 1) + "\n";
    };
    std::string out = divider + line("Layer (type:depth-idx)", columns) + divider;
    for (size_t r = 0; r < s.rows.size(); ++r) {
        std::vector<std::string> cells(s.rows[r].begin() + 1, s.rows[r].end());
        if (s.show_formulas) cells.push_back(formulas[r]);
        out += line(s.rows[r][0], cells);
    }
    out += divider;
    for (const auto& l : s.totals) out += l + "\n";
    out += divider;
    for (const auto& l : s.sizes) out += l + "\n";
    return out + divider;
}

}  // namespace

std::string render_framework_summary(const Worksheet& sheet) {
    const FrameworkSummary& s = *sheet.framework_summary;
    std::string out = s.layout == Layout::Keras3 ? keras3(s) : s.layout == Layout::Keras2 ? keras2(s) : torchinfo(s);
    if (s.show_formulas) {
        out += "\nFormulas (dlsolve)\n";
        for (const auto& l : s.worked) {
            const std::string cell = render_cell(l.cell, Notation::unicode());
            out += l.label + l.separator + cell + "\n";
        }
    }
    for (const auto& note : sheet.notes) out += "Note: " + note + "\n";
    return out;
}

}  // namespace dlsolve
