#include "expr/latex_symbols.h"

#include <fmt/format.h>
#include <utf8proc.h>

#include <map>
#include <vector>

namespace dlsolve {
namespace {

using Points = std::vector<char32_t>;

// UTF-8 to code points (utf8proc, as the renderers and messages read text); a byte that
// starts no valid sequence stands for itself as U+FFFD.
Points decode(const std::string& s) {
    Points out;
    const auto* at = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    auto left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t cp;
        const utf8proc_ssize_t length = utf8proc_iterate(at, left, &cp);
        if (length <= 0) {
            out.push_back(0xFFFD), ++at, --left;
            continue;
        }
        out.push_back(static_cast<char32_t>(cp));
        at += length, left -= length;
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    utf8proc_uint8_t bytes[4];
    const utf8proc_ssize_t length = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), bytes);
    out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
}

// Letters that may start or continue a name, in math mode.
const std::map<char32_t, const char*>& letters() {
    static const std::map<char32_t, const char*> m{
        {U'α', "\\alpha"},  {U'β', "\\beta"},     {U'γ', "\\gamma"}, {U'δ', "\\delta"}, {U'ε', "\\varepsilon"},
        {U'ζ', "\\zeta"},   {U'η', "\\eta"},      {U'θ', "\\theta"}, {U'ι', "\\iota"},  {U'κ', "\\kappa"},
        {U'λ', "\\lambda"}, {U'μ', "\\mu"},       {U'ν', "\\nu"},    {U'ξ', "\\xi"},    {U'π', "\\pi"},
        {U'ρ', "\\rho"},    {U'σ', "\\sigma"},    {U'τ', "\\tau"},   {U'φ', "\\varphi"}, {U'χ', "\\chi"},
        {U'ψ', "\\psi"},    {U'ω', "\\omega"},    {U'Γ', "\\Gamma"}, {U'Δ', "\\Delta"}, {U'Θ', "\\Theta"},
        {U'Λ', "\\Lambda"}, {U'Π', "\\Pi"},       {U'Σ', "\\Sigma"}, {U'Φ', "\\Phi"},   {U'Ψ', "\\Psi"},
        {U'Ω', "\\Omega"},  {U'ŷ', "\\hat{y}"},   {U'ϵ', "\\epsilon"},
    };
    return m;
}

// Operators, relations and signs, in math mode.
const std::map<char32_t, const char*>& symbols() {
    static const std::map<char32_t, const char*> m{
        {U'×', "\\times"},  {U'−', "-"},        {U'·', "\\cdot"},    {U'∂', "\\partial"}, {U'⌊', "\\lfloor"},
        {U'⌋', "\\rfloor"}, {U'⌈', "\\lceil"},  {U'⌉', "\\rceil"},   {U'←', "\\leftarrow"}, {U'→', "\\rightarrow"},
        {U'∇', "\\nabla"},  {U'√', "\\surd"},   {U'≥', "\\geq"},     {U'≤', "\\leq"},     {U'≠', "\\neq"},
        {U'≈', "\\approx"}, {U'⊙', "\\odot"},   {U'∘', "\\circ"},    {U'±', "\\pm"},      {U'∏', "\\prod"},
        {U'∑', "\\sum"},    {U'∞', "\\infty"},  {U'‖', "\\|"},       {U'′', "'"},         {U'…', "\\ldots"},
        {U'½', "\\frac{1}{2}"}, {U'÷', "\\div"}, {U'∈', "\\in"},     {U'⊗', "\\otimes"},  {U'∀', "\\forall"},
        {U'⋯', "\\cdots"},  {U'⇒', "\\Rightarrow"}, {U'≡', "\\equiv"}, {U'∝', "\\propto"}, {U'⟨', "\\langle"},
        {U'⟩', "\\rangle"}, {U'²', "^{2}"},     {U'³', "^{3}"},      {U'¹', "^{1}"},      {U'⁰', "^{0}"},
        {U'⁴', "^{4}"},     {U'⁵', "^{5}"},     {U'⁶', "^{6}"},      {U'⁷', "^{7}"},      {U'⁸', "^{8}"},
        {U'⁹', "^{9}"},     {U'ᵀ', "^{\\top}"}, {U'ᵗ', "^{t}"},      {U'⁻', "^{-}"},      {U'₀', "_{0}"},
        {U'₁', "_{1}"},     {U'₂', "_{2}"},     {U'₃', "_{3}"},      {U'₄', "_{4}"},      {U'ᵢ', "_{i}"},
        {U'ⱼ', "_{j}"},     {U'⁽', "^{(}"},     {U'⁾', "^{)}"},
    };
    return m;
}

// Text-mode renderings of characters that are not mathematics.
const std::map<char32_t, const char*>& text_only() {
    static const std::map<char32_t, const char*> m{
        {U'–', "--"},   {U'—', "---"},  {U'§', "\\S{}"}, {U'\u00A0', "~"}, {U'“', "``"},
        {U'”', "''"},   {U'‘', "`"},    {U'’', "'"},     {U'…', "\\ldots{}"},
    };
    return m;
}

bool ascii_letter(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }
bool digit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool letter(char32_t c) { return ascii_letter(c) || letters().count(c) > 0; }
constexpr char32_t kHat = 0x0302;  // combining circumflex: m̂

std::string unknown(char32_t c) { return fmt::format("\\langle\\mathrm{{U{{+}}{:04X}}}\\rangle", static_cast<uint32_t>(c)); }

std::string math_of(const Points& p, size_t begin, size_t end);

// A command followed by a letter needs a space: \partial L, not \partialL.
void append_command(std::string& out, const std::string& command, char32_t next) {
    out += command;
    if (!command.empty() && ascii_letter(static_cast<char32_t>(command.back())) && command[0] == '\\' && ascii_letter(next)) out += ' ';
}


// One letter, with its accent: ŷ, m̂, α, x.
std::string letter_latex(const Points& p, size_t& i) {
    std::string out;
    if (ascii_letter(p[i])) out = std::string(1, static_cast<char>(p[i]));
    else out = letters().at(p[i]);
    ++i;
    if (i < p.size() && p[i] == kHat) out = "\\hat{" + out + "}", ++i;
    return out;
}

std::string escape_word(const Points& p, size_t begin, size_t end) {
    std::string out;
    for (size_t i = begin; i < end; ++i) {
        if (p[i] == U'_') out += "\\_";
        else if (p[i] < 0x80) out += static_cast<char>(p[i]);
        else if (auto it = letters().find(p[i]); it != letters().end()) out += it->second, out += ' ';
        else if (p[i] != kHat) out += unknown(p[i]);
    }
    return out;
}

// A subscript: digits and one-letter names as they are, a word upright, the rest as math.
std::string subscript_of(const Points& p, size_t begin, size_t end) {
    if (end - begin >= 2 && p[begin] == U'{' && p[end - 1] == U'}') ++begin, --end;
    size_t letters_count = 0;
    bool plain = true;
    for (size_t i = begin; i < end; ++i) {
        plain = plain && (ascii_letter(p[i]) || digit(p[i]));
        letters_count += ascii_letter(p[i]) ? 1 : 0;
    }
    if (plain && letters_count >= 2 && !digit(p[begin])) {
        size_t k = begin;
        while (k < end && ascii_letter(p[k])) ++k;
        if (k == end) return "\\mathrm{" + escape_word(p, begin, end) + "}";
    }
    return math_of(p, begin, end);
}

// A name: one letter with digits takes them as a subscript (w11 → w_{11}), a word is
// upright (lr, h.weights), and what follows an underscore is a subscript.
std::string name_of(const Points& p, size_t begin, size_t end) {
    size_t underscore = begin;
    while (underscore < end && p[underscore] != U'_') ++underscore;
    std::string out;
    std::string digits;
    size_t i = begin;
    const std::string first = letter_latex(p, i);
    size_t k = i;
    while (k < underscore && digit(p[k])) ++k;
    if (k == underscore) {
        out = first;
        for (size_t d = i; d < k; ++d) digits += static_cast<char>(p[d]);
    } else {  // a word
        bool ascii = true;
        for (size_t j = begin; j < underscore; ++j) ascii = ascii && p[j] < 0x80;
        if (ascii) out = "\\mathrm{" + escape_word(p, begin, underscore) + "}";
        else {
            for (size_t j = begin; j < underscore;) {
                if (letter(p[j])) append_command(out, letter_latex(p, j), j < underscore ? p[j] : 0);
                else out += std::string(1, static_cast<char>(p[j] < 0x80 ? p[j] : U'?')), ++j;
            }
        }
    }
    std::string sub = underscore < end ? subscript_of(p, underscore + 1, end) : "";
    if (!digits.empty() && !sub.empty()) return out + "_{" + digits + "," + sub + "}";
    if (!digits.empty()) return out + "_{" + digits + "}";
    if (!sub.empty()) return out + "_{" + sub + "}";
    return out;
}

// The end of the name starting at i: letters, digits, accents, dots between letters, and
// an underscore with its subscript (a braced group or a run of letters and digits).
size_t name_end(const Points& p, size_t i) {
    while (i < p.size()) {
        if (letter(p[i]) || digit(p[i]) || p[i] == kHat) ++i;
        else if (p[i] == U'.' && i + 1 < p.size() && letter(p[i + 1])) ++i;
        else if (p[i] == U'_' && i + 1 < p.size() && p[i + 1] == U'{') {
            int depth = 0;
            size_t j = i + 1;
            for (; j < p.size(); ++j) {
                depth += p[j] == U'{' ? 1 : p[j] == U'}' ? -1 : 0;
                if (depth == 0) break;
            }
            if (j == p.size()) return i;  // unbalanced: the underscore ends the name
            i = j + 1;
        } else if (p[i] == U'_' && i + 1 < p.size() && (letter(p[i + 1]) || digit(p[i + 1]))) ++i;
        else break;
    }
    return i;
}

// ⁽…⁾ → ^{(…)} when the closing one follows; `i` is at ⁽.
bool superscript_group(const Points& p, size_t& i, size_t end, std::string& out) {
    for (size_t j = i + 1; j < end; ++j)
        if (p[j] == U'⁾') {
            out += "^{(" + math_of(p, i + 1, j) + ")}";
            i = j + 1;
            return true;
        }
    return false;
}

std::string math_of(const Points& p, size_t begin, size_t end) {
    std::string out;
    for (size_t i = begin; i < end;) {
        const char32_t c = p[i];
        if (letter(c)) {
            const size_t e = std::min(name_end(p, i), end);
            out += name_of(p, i, e);
            i = e;
            if (i < end && (letter(p[i]) || digit(p[i]))) out += ' ';
            continue;
        }
        if (c == U'⁽' && superscript_group(p, i, end, out)) continue;
        ++i;
        if (auto it = symbols().find(c); it != symbols().end()) append_command(out, it->second, i < end ? p[i] : 0);
        else if (c == U'%' || c == U'#' || c == U'&' || c == U'$' || c == U'{' || c == U'}' || c == U'_') out += '\\', out += static_cast<char>(c);
        else if (c == U'\\') out += "\\backslash ";
        else if (c == U'~') out += "\\sim ";
        else if (c == U'^') out += "\\wedge ";
        else if (c == U'\n') out += ' ';
        else if (c < 0x80) out += static_cast<char>(c);
        else if (c == kHat) out += "\\hat{}";
        else out += unknown(c);
    }
    return out;
}

}  // namespace

std::string latex_math(const std::string& text) {
    const Points p = decode(text);
    return math_of(p, 0, p.size());
}

std::string latex_text(const std::string& text, const std::string& newline) {
    const Points p = decode(text);
    std::string out;
    bool quote_open = false;  // "…" as ``…''
    for (size_t i = 0; i < p.size();) {
        const char32_t c = p[i];
        if (c == U'⁽') {
            std::string group;
            if (superscript_group(p, i, p.size(), group)) {
                out += "\\ensuremath{" + group + "}";
                continue;
            }
        }
        ++i;
        switch (c) {
            case U'\\': out += "\\textbackslash{}"; continue;
            case U'~': out += "\\textasciitilde{}"; continue;
            case U'^': out += "\\textasciicircum{}"; continue;
            case U'<': out += "\\textless{}"; continue;
            case U'>': out += "\\textgreater{}"; continue;
            case U'|': out += "\\textbar{}"; continue;
            case U'\n': out += newline; continue;
            case U'-': out += i < p.size() && p[i] == U'-' ? "-{}" : "-"; continue;
            case U'"': out += (quote_open = !quote_open) ? "``" : "''"; continue;
            case U'_': case U'%': case U'&': case U'#': case U'$': case U'{': case U'}':
                out += '\\', out += static_cast<char>(c);
                continue;
            default: break;
        }
        if (ascii_letter(c) && i < p.size() && p[i] == kHat) out += "\\ensuremath{\\hat{" + std::string(1, static_cast<char>(c)) + "}}", ++i;
        else if (c < 0x80) out += static_cast<char>(c);
        else if (auto t = text_only().find(c); t != text_only().end()) out += t->second;
        else if (letters().count(c)) {
            size_t j = i - 1;
            out += "\\ensuremath{" + letter_latex(p, j) + "}";
            i = j;
        } else if (auto s = symbols().find(c); s != symbols().end()) out += "\\ensuremath{" + std::string(s->second) + "}";
        else if (c == kHat) out += "\\^{}";
        else if (c >= 0xC0 && c <= 0xFF) append_utf8(out, c);  // Latin-1 letters: LaTeX reads UTF-8 for these
        else out += "\\ensuremath{" + unknown(c) + "}";
    }
    return out;
}

}  // namespace dlsolve
