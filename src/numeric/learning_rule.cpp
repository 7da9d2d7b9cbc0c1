#include "numeric/learning_rule.h"

#include <cmath>

#include <fmt/format.h>

#include "numeric/loss.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)}); }

}  // namespace

void check_rule_network(const Graph& graph, const Convention& convention, const NumericSpec& numeric) {
    const RuleSpec& rule = *numeric.rule;
    const std::string what = fmt::format("the {} rule", rule.type);
    const Layer& dense = graph.layer(1);
    if (dense.type != "dense")
        throw ProblemError(dense.path + "/type", fmt::format("expected \"dense\" ({} trains one dense layer), found \"{}\"", what, dense.type));
    if (graph.size() > 2) {
        const Layer& extra = graph.layer(2);
        throw ProblemError(extra.path, fmt::format("expected no layer after \"{}\" ({} trains a single dense layer), found \"{}\" ({})",
                                                   dense.name, what, extra.name, extra.type));
    }
    const Dims input = graph.layer(0).output_shape({}, convention).values();
    if (input.size() != 1)
        throw ProblemError("/input", fmt::format("expected a vector input for {} (one dense layer on it), found shape {}", what,
                                                 format_dims(input)));
    if (!dense.trainable) throw ProblemError(dense.path + "/trainable", fmt::format("expected a trainable layer for {}, found false", what));
    if (rule.type != "perceptron") return;
    if (dense.fused_activation() != "hard_threshold")
        throw ProblemError(dense.path + "/activation", fmt::format("expected \"hard_threshold\" for the perceptron rule (y = step(w·x + b)), "
                                                                   "found \"{}\"",
                                                                   dense.fused_activation()));
    for (const Batch& b : numeric.batches)
        for (double t : b.target.data)
            if (t != 0 && t != 1)
                throw ProblemError(b.target_path(), fmt::format("expected targets 0 or 1 (the perceptron's step outputs), found {}", format_real(t)));
}

RuleStep rule_step(const RuleSpec& rule, Engine& engine, const Pass& pass, size_t sample, const std::vector<ScalarRef>& shown) {
    const size_t node = engine.problem().graph.output();  // the dense layer (check_rule_network)
    const Tensor& x = pass.outputs[0];
    const Tensor& y = pass.outputs[node];
    const size_t n_in = x.sample_size(), units = y.sample_size();
    const Tensor t = target_like("", engine.batch(), y, ClassLayout{y.sample_size(), y.sample_size(), 1, false});
    const bool perceptron = rule.type == "perceptron";
    RuleStep step{node, {}, {}, {}, false};
    for (size_t j = 0; j < units; ++j) {
        step.output.push_back(y[sample * units + j]);
        step.target.push_back(t[sample * units + j]);
    }
    const Operand inputs = engine.output_operand(pass, 0);
    const Expr eta = Expr::real("η", rule.lr);
    // t, or t − y, of unit j: what the rule multiplies the input by.
    const auto signal = [&](size_t j) {
        const Expr target = Expr::real(units == 1 ? std::string("t") : fmt::format("t{}", j + 1), step.target[j]);
        return perceptron ? target - Expr::real(engine.output_name(node, sample * units + j), step.output[j]) : target;
    };
    auto& values = engine.params[node];
    for (size_t r = 0; r < values.size(); ++r) {
        const bool bias = r == 1;  // dense: weights (inputs × units), then bias (units)
        const Operand current = engine.param_operand(node, r);
        std::vector<RuleElement> updated;
        for (size_t f = 0; f < values[r].size(); ++f) {
            const size_t i = f / units, j = bias ? f : f % units;
            RuleElement e{r, f, values[r][f], bias ? 1.0 : x[sample * n_in + i], 0, 0, 0, std::nullopt};
            e.signal = perceptron ? step.target[j] - step.output[j] : step.target[j];
            e.delta = rule.lr * e.input * e.signal + 0.0;  // + 0: no −0 for a zero input
            e.after = e.before + e.delta;
            const bool show = std::any_of(shown.begin(), shown.end(), [&](const ScalarRef& s) {
                return s.kind == ScalarRef::Kind::Param && s.node == node && s.role == r && s.flat == f;
            });
            if (show) {
                e.worked = bias ? current.at(f) + eta * signal(j) : current.at(f) + eta * inputs.at(sample * n_in + i) * signal(j);
                if (!close(e.worked->to_double(), e.after))
                    throw std::logic_error(fmt::format("worked update of {} differs from the computed one", engine.param_name(node, r, f)));
            }
            step.changed = step.changed || e.delta != 0;
            updated.push_back(std::move(e));
        }
        for (const auto& e : updated) values[r][e.flat] = e.after;  // after every formula read the old values
        for (auto& e : updated) step.elements.push_back(std::move(e));
    }
    return step;
}

std::string describe_rule(const RuleSpec& rule) {
    if (rule.type == "hebbian")
        return fmt::format("Hebbian rule w ← w + η·x·t, b ← b + η·t (t the desired output), η = {}", format_real(rule.lr));
    return fmt::format("perceptron rule w ← w + η·x·(t − y), b ← b + η·(t − y), y = step(w·x + b), η = {}", format_real(rule.lr));
}

}  // namespace dlsolve
