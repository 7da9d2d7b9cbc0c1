#include "passes/symbolic_shapes.h"

#include <fmt/format.h>

#include "equations/rounding.h"
#include "equations/sizes.h"
#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

using GiNaC::ex;
using Sample = std::map<std::string, int64_t>;

// Sizes large enough for a few halvings, with mixed residues so that ⌊H/2⌋ and ⌊(H − 1)/2⌋
// differ somewhere, and different for every symbol.
constexpr int kSamples = 6;
Sample sample(const std::vector<std::string>& names, int s) {
    Sample out;
    for (size_t i = 0; i < names.size(); ++i) out[names[i]] = 60 + 11 * s + 7 * static_cast<int>(i) + (s * static_cast<int>(i)) % 5;
    return out;
}
Sample probe(const std::vector<std::string>& names, int p) {
    Sample out;
    for (size_t i = 0; i < names.size(); ++i) out[names[i]] = 101 + 23 * p + 13 * static_cast<int>(i) + (p * static_cast<int>(i)) % 3;
    return out;
}

std::string sizes_text(const Sample& values) {
    std::vector<std::string> parts;
    for (const auto& [name, value] : values) parts.push_back(fmt::format("{} = {}", name, value));
    return fmt::format("{}", fmt::join(parts, ", "));
}

class Reader {
public:
    Reader(const Problem& problem, SymbolicShapes& out) : names_(problem.size_symbols->names), out_(out) {
        for (const auto& name : names_) out_.symbols.emplace(name, GiNaC::symbol(name));
        for (int s = 0; s < kSamples; ++s) {
            values_.push_back(sample(names_, s));
            try {
                problems_.push_back(parse_problem_at(*problem.size_symbols, values_.back()));
                runs_.push_back(infer_shapes(problems_.back()));
            } catch (const ProblemError& e) {
                const std::string what = e.what();
                const std::string bare = e.where().empty() ? what : what.substr(e.where().size() + 2);
                throw ProblemError(e.where(), fmt::format("shapes in symbols are worked at sizes such as {}, and there: {}",
                                                          sizes_text(values_.back()), bare));
            }
        }
    }

    void read() {
        const Graph& graph = problems_[0].graph;
        out_.layers.resize(graph.size());
        if (problems_[0].batch) {
            std::vector<int64_t> batch;
            for (const auto& p : problems_) batch.push_back(*p.batch);
            out_.batch = known(batch, {});
            if (!out_.batch) throw ProblemError("/batch", "the batch is neither a number nor a size in \"dims\"");
        }
        for (size_t i : graph.order()) {
            const std::string& name = graph.layer(i).name;
            const size_t rank = runs_[0].layers[i].output.dims.size();
            for (size_t d = 0; d < rank; ++d) {
                const std::string& label = runs_[0].layers[i].output.labels[d];
                std::vector<const Expr*> trees;
                for (const auto& run : runs_) {
                    if (run.layers[i].output.dims.size() != rank) throw unwritable(name, "output " + label);
                    trees.push_back(&run.layers[i].output.dims[d]);
                }
                std::vector<ex> leaves;
                SymbolicDim dim{label, convert(trees, graph.inputs_of(i), leaves, name, "output " + label), "", false};
                if (trees[0]->is_leaf()) {
                    const auto& inputs = graph.inputs_of(i);
                    dim.passed_through = !inputs.empty() && trees[0]->name() == label && out_.layers[inputs[0]].size() == rank &&
                                         (dim.size - out_.layers[inputs[0]][d].size).is_zero();
                } else {
                    dim.worked = trees[0]->formula_with([&leaves](size_t k) -> std::optional<std::string> {
                        if (k >= leaves.size() || GiNaC::is_a<GiNaC::numeric>(leaves[k])) return std::nullopt;
                        const std::string text = equations::size_text(leaves[k]);
                        return GiNaC::is_a<GiNaC::add>(leaves[k].expand()) ? "(" + text + ")" : text;
                    });
                }
                out_.layers[i].push_back(std::move(dim));
            }
        }
    }

    // Each layer's count, its figures read back as the dimensions' are (after read()).
    std::vector<SymbolicCount> read_counts() {
        const Graph& graph = problems_[0].graph;
        for (size_t s = 0; s < runs_.size(); ++s) count_params(problems_[s], runs_[s]);
        std::vector<SymbolicCount> out;
        for (size_t i : graph.order()) {
            const Expr& first = runs_[0].layers[i].params.total;
            if (graph.is_input(i) || (first.is_leaf() && first.value() == 0)) continue;
            std::vector<const Expr*> trees;
            for (const auto& run : runs_) trees.push_back(&run.layers[i].params.total);
            SymbolicCount count{fmt::format("{} ({})", graph.layer(i).name, runs_[0].layers[i].class_name), first, {}, 0};
            count.total = convert(trees, graph.inputs_of(i), count.leaves, graph.layer(i).name, "parameter count").expand();
            out.push_back(std::move(count));
        }
        return out;
    }

    // The counts against the numbers at sizes none of the samples used.
    void verify_counts(const Problem& problem, const std::vector<SymbolicCount>& counts) const {
        at_probes(problem, true, [&](const Problem& at, const Analysis& run, const auto& agrees) {
            size_t k = 0;
            for (size_t i : at.graph.order()) {
                const Expr& figure = run.layers[i].params.total;
                if (at.graph.is_input(i) || (figure.is_leaf() && figure.value() == 0)) continue;
                if (k >= counts.size() || !agrees(counts[k].total, figure.value())) throw unwritable(at.graph.layer(i).name, "parameter count");
                ++k;
            }
        });
    }

    // The formulas against the numbers at sizes none of the samples used.
    void verify(const Problem& problem) const {
        at_probes(problem, false, [&](const Problem& at, const Analysis& run, const auto& agrees) {
            if (out_.batch && at.batch && !agrees(*out_.batch, *at.batch)) throw ProblemError("/batch", "the batch disagrees with its size");
            for (size_t i = 0; i < out_.layers.size(); ++i) {
                const Dims dims = run.layers[i].output.values();
                for (size_t d = 0; d < out_.layers[i].size(); ++d)
                    if (d >= dims.size() || !agrees(out_.layers[i][d].size, dims[d]))
                        throw unwritable(at.graph.layer(i).name, "output " + out_.layers[i][d].label);
            }
        });
    }

    // The network at three probes of the sizes, shapes (and counts, with `counts`) in numbers,
    // handed to `check` with agrees(symbolic, number): whether a formula gives that number there.
    template <class Check>
    void at_probes(const Problem& problem, bool counts, Check check) const {
        for (int p = 0; p < 3; ++p) {
            const Sample values = probe(names_, p);
            std::optional<Problem> at;
            std::optional<Analysis> run;
            try {
                at = parse_problem_at(*problem.size_symbols, values);
                run = counts ? analyse(*at, false) : infer_shapes(*at);
            } catch (const ProblemError&) {
                continue;  // these sizes do not make a valid network: nothing to compare
            }
            GiNaC::exmap substitution;
            for (const auto& [name, value] : values) substitution[out_.symbols.at(name)] = value;
            const auto agrees = [&](const ex& size, int64_t value) {
                const ex v = size.subs(substitution).eval();
                return GiNaC::is_a<GiNaC::numeric>(v) && GiNaC::ex_to<GiNaC::numeric>(v) == GiNaC::numeric(static_cast<long>(value));
            };
            check(*at, *run, agrees);
        }
    }

private:
    std::vector<std::string> names_;
    SymbolicShapes& out_;
    std::vector<Sample> values_;
    std::vector<Problem> problems_;
    std::vector<Analysis> runs_;

    // `what`: "output H", "parameter count".
    ProblemError unwritable(const std::string& layer, const std::string& what) const {
        const bool one = names_.size() == 1;
        return ProblemError("/dims", fmt::format("the {} of layer \"{}\" follows no single formula in {} (it changes with {} "
                                                 "value{}): give {} in \"dims\"",
                                                 what, layer, fmt::join(names_, ", "), one ? "its" : "their", one ? "" : "s",
                                                 one ? "it a value" : "them values"));
    }

    // A figure that is the same at every sample, follows a symbol, or follows one of the
    // layer's input dimensions.
    std::optional<ex> known(const std::vector<int64_t>& figures, const std::vector<size_t>& inputs) const {
        if (std::all_of(figures.begin(), figures.end(), [&](int64_t v) { return v == figures[0]; }))
            return ex(GiNaC::numeric(static_cast<long>(figures[0])));
        for (size_t src : inputs)
            for (size_t j = 0; j < out_.layers[src].size(); ++j) {
                bool same = true;
                for (size_t s = 0; s < runs_.size() && same; ++s) {
                    const auto& dims = runs_[s].layers[src].output.dims;
                    same = j < dims.size() && dims[j].value() == figures[s];
                }
                if (same) return out_.layers[src][j].size;
            }
        for (const auto& name : names_) {
            bool same = true;
            for (size_t s = 0; s < values_.size() && same; ++s) same = values_[s].at(name) == figures[s];
            if (same) return ex(out_.symbols.at(name));
        }
        return std::nullopt;
    }

    ex convert(const std::vector<const Expr*>& trees, const std::vector<size_t>& inputs, std::vector<ex>& leaves, const std::string& layer,
               const std::string& label) const {
        const Expr& first = *trees[0];
        for (const Expr* t : trees)
            if (t->op() != first.op() || t->children().size() != first.children().size() || !t->is_integer()) throw unwritable(layer, label);
        if (first.is_leaf()) {
            std::vector<int64_t> figures;
            for (const Expr* t : trees) figures.push_back(t->value());
            auto size = known(figures, inputs);
            if (!size) throw unwritable(layer, label);
            leaves.push_back(*size);
            return *size;
        }
        std::vector<ex> kids;
        for (size_t c = 0; c < first.children().size(); ++c) {
            std::vector<const Expr*> child;
            for (const Expr* t : trees) child.push_back(&t->children()[c]);
            kids.push_back(convert(child, inputs, leaves, layer, label));
        }
        switch (first.op()) {
            case Expr::Op::Add: {
                ex sum = 0;
                for (const auto& k : kids) sum += k;
                return sum;
            }
            case Expr::Op::Mul: {
                ex product = 1;
                for (const auto& k : kids) product *= k;
                return product;
            }
            case Expr::Op::Sub: return kids[0] - kids[1];
            case Expr::Op::Neg: return -kids[0];
            case Expr::Op::Square: return GiNaC::pow(kids[0], 2);
            case Expr::Op::FloorDiv: return equations::floor_of(kids[0] / kids[1]);
            case Expr::Op::CeilDiv: return equations::ceil_of(kids[0] / kids[1]);
            case Expr::Op::ExactDiv:
            case Expr::Op::Divide: return (kids[0] / kids[1]).normal();
            case Expr::Op::Max:
            case Expr::Op::Min: {
                // Only between numbers: which side wins may depend on the sizes.
                std::vector<int64_t> figures;
                for (const Expr* t : trees) figures.push_back(t->value());
                for (const auto& k : kids)
                    if (!GiNaC::is_a<GiNaC::numeric>(k)) throw unwritable(layer, label);
                return ex(GiNaC::numeric(static_cast<long>(figures[0])));
            }
            default: throw unwritable(layer, label);
        }
    }
};

}  // namespace

SymbolicShapes symbolic_shapes(const Problem& problem) {
    const std::lock_guard lock(equations::symbolic_lock());
    SymbolicShapes out;
    Reader reader(problem, out);
    reader.read();
    reader.verify(problem);
    return out;
}

std::vector<SymbolicCount> symbolic_counts(const Problem& problem) {
    const std::lock_guard lock(equations::symbolic_lock());
    SymbolicShapes shapes;
    Reader reader(problem, shapes);
    reader.read();
    reader.verify(problem);
    auto counts = reader.read_counts();
    reader.verify_counts(problem, counts);
    return counts;
}

Json size_answer(const GiNaC::ex& size) {
    const std::lock_guard lock(equations::symbolic_lock());
    if (GiNaC::is_a<GiNaC::numeric>(size) && GiNaC::ex_to<GiNaC::numeric>(size).is_integer())
        return GiNaC::ex_to<GiNaC::numeric>(size).to_long();
    return equations::product_text(size);
}

}  // namespace dlsolve
