// dlsolve's Unicode (×, −, ∂, ŷ, α, ⌊, ², ᵀ) written as LaTeX that plain pdflatex
// compiles without Unicode support: every symbol becomes a command, never a character.
#pragma once

#include <string>

namespace dlsolve {

// A formula or a symbol's name in math mode: identifiers take subscripts and accents
// (w11 → w_{11}, ŷ1 → \hat{y}_{1}, m̂ → \hat{m}, α → \alpha, W_h → W_{h}, a word such
// as lr or h.weights → \mathrm{lr}), operators their commands (∂L/∂w11 →
// \partial L/\partial w_{11}, − → -, ⌊ → \lfloor, y⁽2⁾ → y^{(2)}).
std::string latex_math(const std::string& text);

// Prose in text mode: LaTeX's special characters escaped (_ % & # $ { } ~ ^ \) and
// every mathematical symbol in \ensuremath{…}, so the text also reads in a table cell.
// A newline becomes `newline` (one line break in a paragraph, a space in a table).
std::string latex_text(const std::string& text, const std::string& newline = "\\newline ");

}  // namespace dlsolve
