#include "report/symbolic_params.h"

#include <fmt/format.h>

#include "equations/sizes.h"
#include "passes/analysis.h"
#include "passes/symbolic_shapes.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

constexpr int64_t kNodes[] = {8, 9, 10, 11};  // a cubic in each symbol at most
constexpr size_t kNodeCount = std::size(kNodes);
// Nodes and probes move up by this where 8 is too small for the network's kernels and
// strides (as the shapes' sample moves to 64).
constexpr int64_t kLargerNodes = 56;

// A layer's count: its formula at the first sample, every figure of it in symbols (a
// polynomial here; symbolic_counts() keeps floors where a count is no polynomial).
using Figure = SymbolicCount;

GiNaC::ex exact(const Expr& e, const std::string& where) {
    if (e.is_real()) throw ProblemError("/dims", fmt::format("{}: a figure is not an exact number, so it cannot be written in symbols", where));
    return GiNaC::numeric(static_cast<long>(e.numerator()), static_cast<long>(e.denominator()));
}

class Interpolation {
public:
    explicit Interpolation(const Problem::SizeSymbols& s) : s_(s) {
        for (const auto& name : s.names) symbols_.emplace_back(name);
        std::map<std::string, int64_t> smallest;
        for (const auto& name : s.names) smallest[name] = kNodes[0];
        try {
            counts_at(smallest);
        } catch (const ProblemError&) {
            offset_ = kLargerNodes;  // and if the network is invalid there too, counts_at says so
        }
    }

    // The counts as polynomials, or none when one is not (polynomial()).
    std::optional<std::vector<Figure>> polynomials() {
        // Every point of the grid kNodes^k, its counts, and Lagrange's basis there.
        const std::vector<size_t> active = counted_symbols();
        if (active.size() > 3) throw ProblemError("/dims", "parameter counts in symbols take at most 3 sizes without a value");
        size_t points = 1;
        for (size_t i = 0; i < active.size(); ++i) points *= kNodeCount;
        std::vector<Figure> out;
        for (size_t g = 0; g < points; ++g) {
            std::map<std::string, int64_t> values;
            for (const auto& name : s_.names) values[name] = node(0);
            GiNaC::ex basis = 1;
            size_t rest = g;
            for (size_t i : active) {
                const size_t at = rest % kNodeCount;
                rest /= kNodeCount;
                values[s_.names[i]] = node(at);
                for (size_t j = 0; j < kNodeCount; ++j)
                    if (j != at) basis *= (symbols_[i] - node(j)) / GiNaC::numeric(node(at) - node(j));
            }
            const auto counts = counts_at(values);
            if (g == 0) {
                for (const auto& [layer, e] : counts) out.push_back({layer, e, std::vector<GiNaC::ex>(e.leaves().size(), 0), 0});
            }
            for (size_t l = 0; l < out.size(); ++l) {
                const auto leaves = counts[l].second.leaves();
                if (leaves.size() != out[l].leaves.size())
                    throw ProblemError("/dims", fmt::format("the formula of {} changes with the sizes {}: give them values", out[l].layer,
                                                            fmt::join(s_.names, ", ")));
                for (size_t i = 0; i < leaves.size(); ++i) out[l].leaves[i] += basis * exact(leaves[i], out[l].layer);
                out[l].total += basis * exact(counts[l].second, out[l].layer);
            }
        }
        for (auto& f : out) {
            for (auto& leaf : f.leaves) leaf = leaf.expand();
            f.total = f.total.expand();
        }
        if (!polynomial(out)) return std::nullopt;
        return out;
    }

private:
    const Problem::SizeSymbols& s_;
    std::vector<GiNaC::symbol> symbols_;
    int64_t offset_ = 0;

    int64_t node(size_t k) const { return kNodes[k] + offset_; }

    // The symbols that change a count or its formula (a batch N changes none): the grid
    // spans only these; polynomial() still moves every symbol.
    std::vector<size_t> counted_symbols() const {
        std::map<std::string, int64_t> base;
        for (const auto& name : s_.names) base[name] = node(0);
        const auto written = [](const std::vector<std::pair<std::string, Expr>>& counts) {
            std::vector<std::string> out;
            for (const auto& [layer, e] : counts) out.push_back(layer + " " + e.worked());
            return out;
        };
        const auto at_base = written(counts_at(base));
        std::vector<size_t> out;
        for (size_t i = 0; i < s_.names.size(); ++i)
            for (int64_t moved : {node(1), node(2)}) {
                auto values = base;
                values[s_.names[i]] = moved;
                if (written(counts_at(values)) != at_base) {
                    out.push_back(i);
                    break;
                }
            }
        return out;
    }

    std::vector<std::pair<std::string, Expr>> counts_at(const std::map<std::string, int64_t>& values) const {
        const Problem p = parse_problem_at(s_, values);
        const Analysis a = analyse(p, false);
        std::vector<std::pair<std::string, Expr>> out;
        for (size_t i : p.graph.order()) {
            const auto& r = a.layers[i];
            if (p.graph.is_input(i) || (r.params.total.is_leaf() && r.params.total.value() == 0)) continue;  // no parameters
            out.emplace_back(fmt::format("{} ({})", p.graph.layer(i).name, r.class_name), r.params.total);
        }
        return out;
    }
    // Beyond the grid: a polynomial of degree ≤ 3 in each symbol is fixed by the grid, so
    // a disagreement here means the count is not one.
    bool polynomial(const std::vector<Figure>& figures) const {
        for (int64_t probe : {13 + offset_, 17 + offset_}) {
            std::map<std::string, int64_t> values;
            GiNaC::exmap at;
            for (size_t i = 0; i < symbols_.size(); ++i) {
                values[s_.names[i]] = probe + static_cast<int64_t>(i);
                at[symbols_[i]] = probe + static_cast<int64_t>(i);
            }
            const auto counts = counts_at(values);
            for (size_t l = 0; l < figures.size(); ++l)
                if (counts.size() != figures.size() || !(exact(counts[l].second, figures[l].layer) - figures[l].total.subs(at)).expand().is_zero())
                    return false;
        }
        return true;
    }
};

Json answer_of(const GiNaC::ex& e) {
    if (GiNaC::is_a<GiNaC::numeric>(e) && GiNaC::ex_to<GiNaC::numeric>(e).is_integer()) return GiNaC::ex_to<GiNaC::numeric>(e).to_long();
    return equations::size_text(e);
}

// The layer's formula with each figure that depends on the symbols written in them.
std::string worked(const Figure& f) {
    const auto leaf = [&](size_t i) -> std::optional<std::string> {
        const GiNaC::ex& e = f.leaves[i];
        if (GiNaC::is_a<GiNaC::numeric>(e)) return std::nullopt;
        const std::string text = equations::size_text(e);
        return GiNaC::is_a<GiNaC::add>(e) ? fmt::format("({})", text) : text;
    };
    const std::string formula = f.worked.is_leaf() ? "" : f.worked.formula_with(leaf);
    const std::string total = equations::size_text(f.total);
    return formula.empty() || formula == total ? total : formula + " = " + total;
}

// Each count as a polynomial in the sizes (27C²) or, when one is not (an output size behind
// a floor feeds it), written in the layer's input dimensions, floors included.
std::vector<Figure> figures_of(const Problem& problem) {
    if (auto figures = Interpolation(*problem.size_symbols).polynomials()) return std::move(*figures);
    return symbolic_counts(problem);
}

}  // namespace

void add_symbolic_param_answers(Json& answers, const Problem& problem) {
    const auto figures = figures_of(problem);
    GiNaC::ex total = 0;
    for (const auto& f : figures) {
        answers["params." + f.layer.substr(0, f.layer.find(' '))] = answer_of(f.total);
        total += f.total;
    }
    answers["params.total"] = answer_of(total.expand());
}

Worksheet symbolic_params_worksheet(const Problem& problem) {
    const auto figures = figures_of(problem);
    Worksheet sheet;
    sheet.title = fmt::format("{}: \"{}\" ({}), sizes in symbols: {}", problem.convention->table_title, problem.title, problem.convention->name,
                              fmt::join(problem.size_symbols->names, ", "));
    sheet.notes = problem.notes;
    Section section{"Parameters", {}, {}};
    Table table{{"Layer (type)", "Param #"}, {false, false}, {}};
    std::vector<std::string> parts;
    GiNaC::ex total = 0;
    for (const auto& f : figures) {
        table.rows.push_back({{f.layer, {}}, {worked(f), {}}});
        if (!f.total.is_zero()) parts.push_back(equations::size_text(f.total));
        total += f.total;
    }
    section.tables.push_back(std::move(table));
    const std::string simplified = equations::size_text(total.expand());
    if (parts.size() > 1)
        for (size_t i = 0; i < parts.size(); ++i)
            if (parts[i].find(' ') != std::string::npos) parts[i] = fmt::format("({})", parts[i]);
    const std::string sum = fmt::format("{}", fmt::join(parts, " + "));
    section.lines.push_back({"Total params", {sum == simplified ? simplified : sum + " = " + simplified, {}}});
    sheet.sections.push_back(std::move(section));
    add_symbolic_param_answers(sheet.answers, problem);
    return sheet;
}

}  // namespace dlsolve
