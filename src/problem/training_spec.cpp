// The numeric part of a problem: samples, targets, the loss, the optimizer or learning
// rule, steps and epochs, read into a NumericSpec with the JSON path of every error.
#include "problem/training_spec.h"

#include <cmath>

#include <fmt/format.h>

#include "numeric/learning_rule.h"
#include "problem/error.h"
#include "problem/values.h"

namespace dlsolve {
namespace {

// The problem's framework picks whose rule and defaults apply; "framework" in the
// optimizer object picks the other one explicitly.
OptimizerSpec read_optimizer(const Json& value, const Convention& convention) {
    Fields f(value, "/optimizer");
    OptimizerSpec o;
    o.type = f.word("type", {"sgd", "rmsprop", "adam", "adamw", "adagrad"}, "");
    const std::string framework = f.word("framework", {"keras", "pytorch"}, std::string(convention.name));
    o.framework = framework == "keras" ? Framework::Keras : Framework::PyTorch;
    const OptimizerRules& rules = Convention::of(o.framework).optimizer;
    // lr 0 is allowed: the step is worked and changes nothing (an exam's "loss after an epoch with lr = 0").
    if (!f.has("lr")) f.missing("lr", "the learning rate, a number ≥ 0");
    o.lr = f.number("lr", 0, 0, 1e6);
    o.eps = o.type == "adagrad" ? rules.adagrad_eps : rules.eps;
    o.alpha = rules.rmsprop_rho;
    if (o.type == "adamw") o.weight_decay = rules.adamw_weight_decay;
    if (o.type == "adagrad") o.initial_accumulator = f.number("initial_accumulator", rules.adagrad_initial, 0, 1e6);
    o.weight_decay = f.number("weight_decay", o.weight_decay, 0, 1e6);
    if (o.type == "sgd" || o.type == "rmsprop") o.momentum = f.number("momentum", 0, 0, 1);
    if (o.type == "sgd") {
        o.dampening = f.number("dampening", 0, 0, 1);
        o.nesterov = f.boolean("nesterov", false);
        if (o.dampening != 0 && o.framework == Framework::Keras)
            throw ProblemError("/optimizer/dampening", "keras.optimizers.SGD has no dampening (give \"framework\": \"pytorch\" for torch's rule)");
        if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
            throw ProblemError("/optimizer/nesterov", "Nesterov momentum needs a momentum > 0 and no dampening (as torch.optim.SGD)");
    }
    if (o.type == "adam" || o.type == "adamw") {
        o.beta1 = f.number("beta1", 0.9, 0, 1, false);
        o.beta2 = f.number("beta2", 0.999, 0, 1, false);
    }
    if (o.type == "rmsprop") o.alpha = f.number("beta", o.alpha, 0, 1, false);
    if (o.type != "sgd") o.eps = f.number("eps", o.eps, 0, 1);
    f.finish();
    return o;
}

RuleSpec read_rule(const Json& value) {
    Fields f(value, "/rule");
    RuleSpec r;
    r.type = f.word("type", {"hebbian", "perceptron"}, "");
    if (!f.has("lr")) f.missing("lr", "the learning rate η, a number > 0");
    r.lr = f.number("lr", 0, 0, 1e6);
    if (r.lr <= 0) f.fail("lr", "a number > 0");
    if (r.type == "perceptron") r.until_converged = f.boolean("until_converged", false);
    f.finish();
    return r;
}

// Values like the output, or class indices: {"class": 1} or {"classes": [1, 0, 2]} (0-based,
// one per sample), or the exam's 1-based labels {"label": 2} or {"labels": [2, 1, 3]}.
void read_target(const Json& t, const std::string& path, Batch& batch) {
    batch.has_target = true;
    if (!t.is_object()) {
        batch.target = read_tensor(t, path);
        return;
    }
    Fields f(t, path);
    if (f.has("class")) batch.classes = {f.integer("class", 0, 0, INT64_MAX)};
    else if (f.has("label")) batch.classes = {f.integer("label", 1, 1, INT64_MAX) - 1};
    else if (f.has("classes") || f.has("labels")) {
        const bool labels = !f.has("classes");  // labels count from 1: label k is class k − 1
        const char* key = labels ? "labels" : "classes";
        const Json* list = f.raw(key);
        if (!list->is_array() || list->empty()) f.fail(key, labels ? "an array of 1-based labels" : "an array of class indices");
        // One per sample, or per sample a list of one per position (a sequence's steps),
        // read in row-major order.
        const auto read = [&](const auto& self, const Json& items, const std::string& at) -> void {
            for (size_t i = 0; i < items.size(); ++i) {
                const Json& item = items[i];
                const std::string here = fmt::format("{}/{}", at, i);
                if (item.is_array() && !item.empty() && at == fmt::format("{}/{}", path, key)) {
                    self(self, item, here);
                    continue;
                }
                if (!item.is_number_integer() || item.get<int64_t>() < (labels ? 1 : 0))
                    throw ProblemError(here, labels ? "expected a label ≥ 1 (1-based), found " + describe(item)
                                                    : "expected a class index ≥ 0, found " + describe(item));
                batch.classes.push_back(item.get<int64_t>() - (labels ? 1 : 0));
            }
        };
        read(read, *list, fmt::format("{}/{}", path, key));
    } else {
        f.missing("class", "a class index ≥ 0 counted from 0 (or \"classes\": one per sample; or the 1-based \"label\" / \"labels\")");
    }
    f.finish();
}

}  // namespace

// A batch's input numbers: "batch" samples along a leading axis when the problem gives
// "batch", else one sample (the axis is added); each sample shaped like the input.
Tensor read_samples(const Json& value, const std::string& path, std::optional<int64_t> batch) {
    Tensor values = read_tensor(value, path);
    if (batch && (values.shape.empty() || values.shape[0] != *batch))
        throw ProblemError(path, fmt::format("expected {} samples (\"batch\"), found shape {}", *batch, format_dims(values.shape)));
    if (!batch) values.shape.insert(values.shape.begin(), 1);
    return values;
}

// target, loss, optimizer or rule, steps, epochs, batches, training. `sample` is the
// input's shape (one sample), for the values of "batches".
void read_training(Fields& top, NumericSpec& numeric, std::optional<int64_t> batch, const Dims& sample, const Convention& convention,
                   bool symbolic) {
    numeric.loss = top.word("loss", {"mse", "mae", "sse", "half_sse", "bce", "bce_logits", "cross_entropy", "cross_entropy_logits", "hinge",
                                     "multi_margin"},
                            "none");
    if (numeric.loss == "none") numeric.loss.clear();
    if (top.has("reduction")) {
        numeric.loss_options.reduction = top.word("reduction", {"mean", "sum", "none"}, "mean");
        if (numeric.loss == "sse" || numeric.loss == "half_sse")
            throw ProblemError("/reduction", fmt::format("expected no reduction with {} (it is a sum by definition; mse with "
                                                         "\"reduction\": \"sum\" is the plain sum), found \"{}\"",
                                                         numeric.loss, numeric.loss_options.reduction));
        if (numeric.loss.empty()) top.missing("loss", "the loss the reduction is for");
    }
    if (top.has("class_axis")) {
        numeric.loss_options.class_axis = top.word("class_axis", {"last", "first"}, "last");
        if (numeric.loss != "cross_entropy" && numeric.loss != "cross_entropy_logits")
            throw ProblemError("/class_axis", fmt::format("expected \"class_axis\" only with cross_entropy or cross_entropy_logits, found {}",
                                                          numeric.loss.empty() ? "no loss" : "loss " + numeric.loss));
    }
    if (const Json* weights = top.raw("sample_weights")) {
        if (!weights->is_array() || weights->empty()) top.fail("sample_weights", "a list of numbers, one weight per sample");
        for (size_t i = 0; i < weights->size(); ++i) {
            const Json& w = (*weights)[i];
            if (!w.is_number() || !std::isfinite(w.get<double>()) || w.get<double>() < 0)
                throw ProblemError(fmt::format("/sample_weights/{}", i), "expected a weight ≥ 0, found " + describe(w));
            numeric.loss_options.sample_weights.push_back(w.get<double>());
        }
        if (numeric.loss.empty()) top.missing("loss", "the loss the sample weights are for");
    }
    if (const Json* o = top.raw("optimizer")) numeric.optimizer = read_optimizer(*o, convention);
    if (numeric.optimizer && numeric.loss_options.reduction == "none")
        throw ProblemError("/reduction", "expected a scalar loss for the optimizer (\"mean\" or \"sum\"), found \"none\": one loss per "
                                         "element or sample has no single gradient, as PyTorch's backward() refuses a non-scalar");
    if (const Json* r = top.raw("rule")) numeric.rule = read_rule(*r);
    numeric.steps = top.integer("steps", 1, 1, 100000);
    if (top.has("epochs")) numeric.epochs = top.integer("epochs", 1, 1, 100000);
    numeric.training = top.boolean("training", false);

    const Json* target = top.raw("target");
    if (const Json* list = top.raw("batches")) {
        if (numeric.has_values)
            throw ProblemError("/batches", "expected the samples either in \"batches\" or in \"input.values\" and \"target\", found both");
        if (target) throw ProblemError("/target", "expected each batch's target inside \"batches\", found a \"target\" beside them");
        if (!list->is_array() || list->empty()) top.fail("batches", "a non-empty array of {\"values\": …, \"target\": …} objects");
        for (size_t i = 0; i < list->size(); ++i) {
            Fields f((*list)[i], fmt::format("/batches/{}", i));
            Batch b;
            b.path = f.path();
            const Json* values = f.raw("values");
            if (!values) f.missing("values", "the batch's input numbers");
            b.input = read_samples(*values, f.path_of("values"), batch);
            const Dims given(b.input.shape.begin() + 1, b.input.shape.end());
            if (given != sample)
                throw ProblemError(f.path_of("values"), fmt::format("expected samples of the input's shape {}, found {}", format_dims(sample),
                                                                    format_dims(given)));
            if (const Json* t = f.raw("target")) read_target(*t, f.path_of("target"), b);
            if (!b.has_target && (!numeric.loss.empty() || numeric.rule))
                f.missing("target", numeric.rule ? "the desired outputs the rule learns" : "the target values of the loss");
            f.finish();
            numeric.batches.push_back(std::move(b));
        }
        numeric.has_values = numeric.batch_list = true;
    } else if (target) {
        if (numeric.batches.empty()) numeric.batches.emplace_back();  // a target without input values: the engine says so
        read_target(*target, "/target", numeric.batches[0]);
    }
    const bool has_target = std::any_of(numeric.batches.begin(), numeric.batches.end(), [](const Batch& b) { return b.has_target; });

    if (numeric.rule) {
        const std::string rule = numeric.rule->type;
        if (numeric.optimizer)
            throw ProblemError("/rule", "expected either an \"optimizer\" (gradient descent on a loss) or a learning \"rule\", found both");
        if (!numeric.loss.empty())
            throw ProblemError("/loss", fmt::format("expected no loss with the {} rule (it learns from the target directly, not from a "
                                                    "gradient), found \"{}\"", rule, numeric.loss));
        if (top.has("steps"))
            throw ProblemError("/steps", fmt::format("expected \"epochs\" with the {} rule (one step per sample), found \"steps\"", rule));
        if (!has_target) top.missing("target", "the desired outputs the rule learns");
        for (const Batch& b : numeric.batches)
            if (!b.classes.empty())
                throw ProblemError(b.target_path(), "expected target values like the output (the rule's desired outputs), found class indices");
    } else {
        if (!numeric.loss.empty() && !has_target && !symbolic) top.missing("target", "the target values of the loss");
        if (numeric.loss.empty() && has_target) top.missing("loss", "the loss the target is for: mse, cross_entropy, …");
        if (numeric.optimizer && numeric.loss.empty()) top.missing("loss", "the loss the optimizer minimises");
        if (top.has("steps") && !numeric.optimizer) top.missing("optimizer", "the optimizer the steps are taken with");
        if (numeric.epochs && !numeric.optimizer)
            top.missing("optimizer", "the optimizer the epochs train with, or a learning \"rule\"");
    }
    if (top.has("steps") && numeric.batch_list)
        throw ProblemError("/steps", "expected \"epochs\" with \"batches\" (one step per batch, in order), found \"steps\"");
    if (top.has("steps") && numeric.epochs) throw ProblemError("/epochs", "expected either \"steps\" or \"epochs\", found both");
}

}  // namespace dlsolve
