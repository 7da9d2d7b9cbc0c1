#include "equations/sizes.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "equations/rounding.h"

namespace dlsolve::equations {

using GiNaC::ex;

namespace {

// One term of a polynomial: its coefficient and its factors as text (C², D_a1).
struct Term {
    GiNaC::numeric coefficient = 1;
    std::vector<std::string> factors;  // sorted by name: the output never depends on GiNaC's symbol order
    int degree = 0, highest = 0;       // total degree; the highest single power
};

Term term_of(const ex& t) {
    static const char* superscript[] = {"\u2070", "\u00B9", "\u00B2", "\u00B3", "\u2074", "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"};
    Term out;
    std::vector<ex> parts;
    if (GiNaC::is_a<GiNaC::mul>(t)) for (const auto& f : t) parts.push_back(f);
    else parts.push_back(t);
    for (const auto& f : parts) {
        if (GiNaC::is_a<GiNaC::numeric>(f)) {
            out.coefficient *= GiNaC::ex_to<GiNaC::numeric>(f);
            continue;
        }
        int power = 0;
        if (GiNaC::is_a<GiNaC::symbol>(f) || is_rounding(f)) power = 1;
        else if (GiNaC::is_a<GiNaC::power>(f) && GiNaC::is_a<GiNaC::numeric>(f.op(1)) && GiNaC::ex_to<GiNaC::numeric>(f.op(1)).is_pos_integer())
            power = GiNaC::ex_to<GiNaC::numeric>(f.op(1)).to_int();
        // ⌊H/2⌋ as the exams write it, not GiNaC's floor(1/2*H).
        const auto written = [](const ex& x) {
            if (is_rounding(x)) return rounding_text(x);
            std::ostringstream text;
            text << x;
            return text.str();
        };
        std::ostringstream text;
        if (power > 1 && power < 10) text << written(f.op(0)) << superscript[power];
        else text << written(f);
        out.factors.push_back(text.str());
        out.degree += power;
        out.highest = std::max(out.highest, power);
    }
    std::sort(out.factors.begin(), out.factors.end());
    return out;
}

}  // namespace

std::string size_text(const GiNaC::ex& size) {
    const ex e = size.expand();
    std::vector<Term> terms;
    if (GiNaC::is_a<GiNaC::add>(e)) for (const auto& t : e) terms.push_back(term_of(t));
    else terms.push_back(term_of(e));
    // Highest total degree first; among equals, the highest single power (4n² before 4m·n), then by name.
    std::sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) {
        return std::tie(b.degree, b.highest, a.factors) < std::tie(a.degree, a.highest, b.factors);
    });
    std::string out;
    for (size_t k = 0; k < terms.size(); ++k) {
        GiNaC::numeric coefficient = terms[k].coefficient;
        const auto& factors = terms[k].factors;
        const bool negative = coefficient.is_negative();
        if (negative) coefficient = -coefficient;
        out += k == 0 ? (negative ? "\u2212" : "") : (negative ? " \u2212 " : " + ");
        std::ostringstream c;
        c << coefficient;
        if (factors.empty()) out += c.str();
        else if (coefficient == 1) out += fmt::format("{}", fmt::join(factors, "\u00B7"));
        // 27C², but 2·D_a1: a coefficient joins a one-letter size directly.
        else out += c.str() + (factors.front().size() == 1 || factors.front().find("\u00B2") == 1 || factors.front().find("\u00B3") == 1 ? "" : "\u00B7") +
                    fmt::format("{}", fmt::join(factors, "\u00B7"));
    }
    return out;
}

std::string product_text(const GiNaC::ex& size) {
    if (!GiNaC::is_a<GiNaC::mul>(size)) return size_text(size);
    bool sums = false;
    for (const auto& f : size) sums = sums || GiNaC::is_a<GiNaC::add>(f) || (GiNaC::is_a<GiNaC::power>(f) && GiNaC::is_a<GiNaC::add>(f.op(0)));
    if (!sums) return size_text(size);
    GiNaC::numeric coefficient = 1;
    std::vector<std::string> factors;
    for (const auto& f : size) {
        if (GiNaC::is_a<GiNaC::numeric>(f)) coefficient *= GiNaC::ex_to<GiNaC::numeric>(f);
        else if (GiNaC::is_a<GiNaC::add>(f)) factors.push_back("(" + size_text(f) + ")");
        else if (GiNaC::is_a<GiNaC::power>(f) && GiNaC::is_a<GiNaC::add>(f.op(0)))
            factors.push_back("(" + size_text(f.op(0)) + ")" +
                              (f.op(1).is_equal(2) ? "\u00B2" : f.op(1).is_equal(3) ? "\u00B3" : "^" + size_text(f.op(1))));
        else factors.push_back(size_text(f));
    }
    std::sort(factors.begin(), factors.end());  // GiNaC's factor order follows symbol serials, not the text
    std::ostringstream c;
    c << coefficient;
    if (coefficient != 1) factors.insert(factors.begin(), c.str());
    return fmt::format("{}", fmt::join(factors, "\u00B7"));
}

std::string shape_text(const std::vector<GiNaC::ex>& shape) {
    if (shape.empty()) return "scalar";
    std::vector<std::string> parts;
    for (const auto& d : shape) {
        const std::string t = size_text(d);
        parts.push_back(GiNaC::is_a<GiNaC::add>(d.expand()) ? "(" + t + ")" : t);
    }
    return fmt::format("{}", fmt::join(parts, " \u00D7 "));
}


namespace {

// "27*C^2", "D_a1 × D", "27C²" → a GiNaC expression over the symbols in the text.
std::optional<ex> parse_symbolic(std::string text, GiNaC::symtab& table) {
    const std::vector<std::pair<std::string, std::string>> replace{
        {"\u00D7", "*"}, {"\u00B7", "*"}, {"\u2212", "-"}, {"\u00B2", "^2"}, {"\u00B3", "^3"},
        {"\u230A", "floor("}, {"\u230B", ")"}, {"\u2308", "ceil("}, {"\u2309", ")"}};
    for (const auto& [from, to] : replace)
        for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    // 27C → 27*C: a digit followed by a letter is a coefficient.
    std::string spaced;
    for (size_t i = 0; i < text.size(); ++i) {
        spaced += text[i];
        if (std::isdigit(static_cast<unsigned char>(text[i])) && i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
            size_t j = i;
            while (j > 0 && (std::isalnum(static_cast<unsigned char>(text[j - 1])) || text[j - 1] == '_')) --j;
            if (j == i || !std::isalpha(static_cast<unsigned char>(text[j]))) spaced += '*';
        }
    }
    try {
        GiNaC::parser reader(table);
        ex result = reader(spaced);
        table = reader.get_syms();
        return result;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// ⌊(H − 3)/2⌋ + 1 and ⌊(H − 1)/2⌋ are one size written twice: with floors or ceilings
// a difference that does not simplify to 0 is evaluated at sizes 1…64 and at 600 more
// points (a floor's pattern repeats with its divisor, so every small residue is met).
bool zero_at_sizes(const ex& difference) {
    std::vector<ex> names;
    const std::function<void(const ex&)> collect = [&](const ex& e) {
        if (GiNaC::is_a<GiNaC::symbol>(e)) {
            if (std::find_if(names.begin(), names.end(), [&](const ex& n) { return n.is_equal(e); }) == names.end()) names.push_back(e);
            return;
        }
        for (size_t i = 0; i < e.nops(); ++i) collect(e.op(i));
    };
    collect(difference);
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    for (int point = 0; point < 664; ++point) {
        GiNaC::exmap at;
        for (size_t i = 0; i < names.size(); ++i) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            at[names[i]] = point < 64 ? point + 1 + static_cast<int>(i) : static_cast<int>(1 + (state >> 33) % 4096);
        }
        if (!difference.subs(at).eval().is_zero()) return false;
    }
    return true;
}

}  // namespace

std::recursive_mutex& symbolic_lock() {
    static std::recursive_mutex lock;
    return lock;
}

bool same_symbolic(const Json& expected, const Json& computed, const std::map<std::string, int64_t>& sizes) {
    const std::lock_guard lock(symbolic_lock());
    GiNaC::symtab table;
    const auto as_list = [](const Json& j) {
        std::vector<std::string> parts;
        if (j.is_array()) {
            for (const auto& p : j) parts.push_back(p.is_string() ? p.get<std::string>() : p.dump());
        } else if (j.is_string()) {
            parts.push_back(j.get<std::string>());
        } else {
            parts.push_back(j.dump());
        }
        return parts;
    };
    auto a = as_list(expected), b = as_list(computed);
    // A shape key may be written "D_a1 × D" against the computed ["D_a1", "D"].
    if (a.size() == 1 && b.size() > 1 && computed.is_array()) {
        std::vector<std::string> split;
        std::string rest = a[0];
        for (size_t at; (at = rest.find("\u00D7")) != std::string::npos; rest = rest.substr(at + 2)) split.push_back(rest.substr(0, at));
        split.push_back(rest);
        a = split;
    }
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        const auto x = parse_symbolic(a[i], table), y = parse_symbolic(b[i], table);
        if (!x || !y) return a[i] == b[i];  // not arithmetic (a matrix expression): compared as written
        GiNaC::exmap values;
        for (const auto& [name, value] : sizes)
            if (auto it = table.find(name); it != table.end()) values[it->second] = value;
        const ex difference = (*x - *y).subs(values).expand();
        if (difference.is_zero()) continue;
        if (!has_rounding(difference) || !zero_at_sizes(difference)) return false;
    }
    return true;
}

}  // namespace dlsolve::equations
