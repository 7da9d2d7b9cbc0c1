// Renderers format a Worksheet; they never compute. Same worksheet, same bytes.
#pragma once

#include <string>

#include "report/worksheet.h"

namespace dlsolve {

enum class Format { Text, Markdown, Json };

std::string render(const Worksheet& sheet, Format format);
std::string render_text(const Worksheet& sheet);
// A worksheet with a framework_summary, in that tool's own layout (render/framework_layout.cpp).
std::string render_framework_summary(const Worksheet& sheet);
std::string render_markdown(const Worksheet& sheet);
std::string render_json(const Worksheet& sheet);

// One figure as text: "H = ⌈128/2⌉ = 64", "1,216", "16 × (5 × 5 × 3 + 1) = 1216".
std::string render_part(const Part& part, const Notation& notation);
std::string render_cell(const Cell& cell, const Notation& notation);

}  // namespace dlsolve
