#include "problem/problem.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "layers/registry.h"
#include "numeric/learning_rule.h"
#include "problem/values.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// nlohmann keeps the last of two equal keys; a problem file must not have them. Absurd
// nesting is refused too: no problem needs it, and printing such a value recurses.
constexpr size_t kMaxDepth = 32;

// The DOM builder with the checks added. A SAX handler rather than Json::parse's callback:
// nlohmann 3.11's callback parser rescans the parent container at every end of object,
// which is quadratic in the number of layers.
class CheckedDomBuilder : public nlohmann::detail::json_sax_dom_parser<Json> {
    using Base = nlohmann::detail::json_sax_dom_parser<Json>;

public:
    explicit CheckedDomBuilder(Json& result) : Base(result) {}

    bool null() { return element_done(), Base::null(); }
    bool boolean(bool v) { return element_done(), Base::boolean(v); }
    bool number_integer(Json::number_integer_t v) { return element_done(), Base::number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return element_done(), Base::number_unsigned(v); }
    bool number_float(Json::number_float_t v, const std::string& s) { return element_done(), Base::number_float(v, s); }
    bool string(std::string& v) { return element_done(), Base::string(v); }
    bool start_object(std::size_t n) { return open(false), Base::start_object(n); }
    bool start_array(std::size_t n) { return open(true), Base::start_array(n); }
    bool end_object() { return close(), Base::end_object(); }
    bool end_array() { return close(), Base::end_array(); }
    // The parser reports a number beyond float64 here, while the path still points at it.
    template <class Exception>
    bool parse_error(std::size_t position, const std::string& last_token, const Exception& ex) {
        error_path_ = path();
        return Base::parse_error(position, last_token, ex);
    }
    const std::string& error_path() const { return error_path_; }

    bool key(std::string& k) {
        auto& frame = frames_.back();
        // Objects have a handful of keys: a linear search beats a set.
        if (std::find(frame.keys.begin(), frame.keys.end(), k) != frame.keys.end()) {
            frame.key = k;
            throw ProblemError(path(), "duplicate key");
        }
        frame.keys.push_back(k);
        frame.key = k;
        return Base::key(k);
    }

private:
    struct Frame {
        bool array;
        size_t index = 0;
        std::string key;
        std::vector<std::string> keys;
    };
    void open(bool array) {
        if (frames_.size() >= kMaxDepth)
            throw ProblemError(path(), fmt::format("expected at most {} levels of nested arrays and objects, found more", kMaxDepth));
        frames_.push_back({array, 0, {}, {}});
    }
    void close() {
        frames_.pop_back();
        element_done();
    }
    void element_done() {
        if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    }
    // Pointer to the value being read: the key or index in each enclosing container.
    std::string path() const {
        std::string out;
        for (const auto& frame : frames_) out += "/" + (frame.array ? std::to_string(frame.index) : frame.key);
        return out;
    }
    std::vector<Frame> frames_;
    std::string error_path_;
};

// A file in UTF-16 or UTF-32 (a BOM, or the NUL bytes of ASCII in those encodings)
// is named as such instead of failing as "invalid literal".
void refuse_other_encodings(const std::string& text) {
    const auto starts = [&](std::string_view prefix) { return text.compare(0, prefix.size(), prefix) == 0; };
    const auto nul_at = [&](size_t i) { return i < text.size() && text[i] == '\0'; };
    std::string encoding;
    if (starts(std::string_view("\xFF\xFE\0\0", 4)) || (text.size() >= 4 && !nul_at(0) && nul_at(1) && nul_at(2) && nul_at(3)))
        encoding = "UTF-32LE";
    else if (starts(std::string_view("\0\0\xFE\xFF", 4)) || (text.size() >= 4 && nul_at(0) && nul_at(1) && nul_at(2) && !nul_at(3)))
        encoding = "UTF-32BE";
    else if (starts("\xFF\xFE") || (text.size() >= 2 && !nul_at(0) && nul_at(1)))
        encoding = "UTF-16LE";
    else if (starts("\xFE\xFF") || (text.size() >= 2 && nul_at(0) && !nul_at(1)))
        encoding = "UTF-16BE";
    if (!encoding.empty())
        throw ProblemError("line 1, column 1", fmt::format("the file is {} text; dlsolve reads UTF-8 (convert it: iconv -f {} -t UTF-8)",
                                                           encoding, encoding));
}

Json parse_json(const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw ProblemError("line 1, column 1", "invalid JSON: the file is empty");
    refuse_other_encodings(text);
    Json result;
    CheckedDomBuilder builder(result);
    try {
        Json::sax_parse(text, &builder);
        return result;
    } catch (const Json::parse_error& e) {
        // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error
        // while parsing array - unexpected ']'; expected …; last read: '…'"
        std::string message = e.what();
        std::string where;
        if (auto at = message.find(" at line "); at != std::string::npos) {
            const auto colon = message.find(':', at);
            where = message.substr(at + 4, colon - at - 4);
        }
        if (auto dash = message.find(" - "); dash != std::string::npos) message = message.substr(dash + 3);
        if (auto last = message.find("; last read"); last != std::string::npos) message.erase(last);
        throw ProblemError(where, "invalid JSON: " + message);
    } catch (const Json::out_of_range& e) {
        // "[json.exception.out_of_range.406] number overflow parsing '1e999'"
        std::string message = e.what();
        std::string number;
        if (auto open = message.find('\''); open != std::string::npos) number = message.substr(open + 1, message.find('\'', open + 1) - open - 1);
        throw ProblemError(builder.error_path().empty() ? "/" : builder.error_path(),
                           fmt::format("the number {} is beyond float64's range (about 1.8e308)", number));
    }
}

// Keras's generic_utils.to_snake_case: Conv2D → conv2d, MaxPooling2D → max_pooling2d.
std::string to_snake_case(const std::string& class_name) {
    static std::map<std::string, std::string> cache;
    auto it = cache.find(class_name);
    if (it != cache.end()) return it->second;
    static const std::regex word_start("(.)([A-Z][a-z0-9]+)");
    static const std::regex lower_upper("([a-z])([A-Z])");
    std::string out = std::regex_replace(std::regex_replace(class_name, word_start, "$1_$2"), lower_upper, "$1_$2");
    for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return cache[class_name] = out;
}

class Namer {
public:
    explicit Namer(const Convention& c) : convention_(c) {}
    // `position` is the index in "layers", or nothing for the model input.
    std::string next(const Layer& layer, std::optional<size_t> position) {
        if (convention_.naming == Naming::SequentialIndex)
            return position ? std::to_string(*position) : std::string(convention_.sequential_input_name);
        // Keras names inputs input_1, input_2, … (one-based), other layers conv2d, conv2d_1, …
        if (layer.type == "input") return fmt::format("input_{}", ++counters_["input"]);
        const std::string base = to_snake_case(layer.class_name(convention_, {}));
        const int n = counters_[base]++;
        return n == 0 ? base : fmt::format("{}_{}", base, n);
    }

private:
    const Convention& convention_;
    std::map<std::string, int> counters_;
};

// "weights", "bias", … and "symbols": {"weights": "w", "bias": ["b1", "b2"], "output": "h"}.
void read_values(Fields& fields, Layer& layer) {
    const auto roles = layer.value_roles();
    std::vector<std::string> missing;
    std::string first_given;
    for (const auto& role : roles) {
        const Json* v = fields.raw(role);
        const bool trainable = layer.value_trainable(role);
        if (v) {
            layer.values.push_back({role, read_tensor(*v, fields.path_of(role)), {}, trainable});
            if (first_given.empty()) first_given = role;
        } else if (layer.value_default(role)) {
            layer.values.push_back({role, {}, {}, trainable, false});
        } else {
            missing.push_back(role);
        }
    }
    if (!missing.empty()) {
        if (!first_given.empty())
            throw ProblemError(fields.where(), fmt::format("values are given for \"{}\" but not for \"{}\": give all of them or none",
                                                           first_given, missing.front()));
        layer.values.clear();
    }
    const Json* symbols = fields.raw("symbols");
    if (!symbols) return;
    Fields names(*symbols, fields.path_of("symbols"));
    for (auto& value : layer.values) {
        const Json* s = names.raw(value.role);
        if (!s) continue;
        if (!value.given)
            throw ProblemError(names.path_of(value.role), fmt::format("names values that are not given: give \"{}\" too", value.role));
        value.symbols = read_symbols(*s, names.path_of(value.role), value.value.shape);
    }
    if (const Json* out = names.raw("output")) {
        if (out->is_string() && !out->get<std::string>().empty()) layer.output_prefix = out->get<std::string>();
        else if (out->is_array()) layer.output_symbols = read_symbols(*out, names.path_of("output"), {static_cast<int64_t>(out->size())});
        else names.fail("output", "a name prefix or a list of names");
    }
    names.finish();
}

std::unique_ptr<Layer> parse_layer(const Json& object, const std::string& path, const Convention& convention) {
    Fields fields(object, path);
    const std::string type = fields.string("type");
    const LayerKind* kind = find_layer_kind(type);
    if (!kind) {
        std::vector<std::string> types;
        for (const auto& k : layer_kinds()) types.emplace_back(k.type);
        const std::string hint = closest(type, types);
        const std::string known = fmt::format("the known types: {}", fmt::join(types, ", "));
        throw ProblemError(fields.path_of("type"), hint.empty() ? fmt::format("unknown layer type \"{}\"; {}", type, known)
                                                                : fmt::format("unknown layer type \"{}\" (did you mean \"{}\"?); {}", type, hint, known));
    }
    auto name = fields.optional_string("name");
    if (name && name->empty()) fields.fail("name", "a non-empty string");
    auto inputs = fields.names("inputs");
    const bool trainable = fields.boolean("trainable", true);
    auto layer = kind->parse(fields, convention, type);
    read_values(fields, *layer);
    fields.finish();
    layer->type = type;
    layer->path = path;
    layer->name = name.value_or("");
    layer->inputs = std::move(inputs);
    layer->trainable = trainable;
    return layer;
}

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
        for (size_t i = 0; i < list->size(); ++i) {
            if (!(*list)[i].is_number_integer() || (*list)[i].get<int64_t>() < (labels ? 1 : 0))
                throw ProblemError(fmt::format("{}/{}/{}", path, key, i), labels ? "expected a label ≥ 1 (1-based), found " + describe((*list)[i])
                                                                                 : "expected a class index ≥ 0, found " + describe((*list)[i]));
            batch.classes.push_back((*list)[i].get<int64_t>() - (labels ? 1 : 0));
        }
    } else {
        f.missing("class", "a class index ≥ 0 counted from 0 (or \"classes\": one per sample; or the 1-based \"label\" / \"labels\")");
    }
    f.finish();
}

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
void read_training(Fields& top, NumericSpec& numeric, std::optional<int64_t> batch, const Dims& sample, const Convention& convention) {
    numeric.loss = top.word("loss", {"mse", "mae", "sse", "half_sse", "bce", "bce_logits", "cross_entropy", "cross_entropy_logits", "hinge",
                                     "multi_margin"},
                            "none");
    if (numeric.loss == "none") numeric.loss.clear();
    if (top.has("reduction")) {
        numeric.loss_options.reduction = top.word("reduction", {"mean", "sum"}, "mean");
        if (numeric.loss == "sse" || numeric.loss == "half_sse")
            throw ProblemError("/reduction", fmt::format("expected no reduction with {} (it is a sum by definition; mse with "
                                                         "\"reduction\": \"sum\" is the plain sum), found \"{}\"",
                                                         numeric.loss, numeric.loss_options.reduction));
        if (numeric.loss.empty()) top.missing("loss", "the loss the reduction is for");
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
        if (!numeric.loss.empty() && !has_target) top.missing("target", "the target values of the loss");
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

std::vector<std::string> read_notes(Fields& fields) {
    const Json* note = fields.raw("note");
    if (!note) return {};
    if (note->is_string()) return {note->get<std::string>()};
    std::vector<std::string> notes;
    if (note->is_array())
        for (const auto& item : *note)
            if (item.is_string()) notes.push_back(item.get<std::string>());
    if (!note->is_array() || notes.size() != note->size() || notes.empty()) fields.fail("note", "a string or an array of strings");
    return notes;
}

bool is_answer_value(const Json& v) {
    if (v.is_number()) return true;
    if (!v.is_array() || v.empty()) return false;
    for (const auto& item : v)
        if (!is_answer_value(item)) return false;
    return true;
}

std::vector<Question> read_ask(const Json* ask, const Graph& graph, const NumericSpec& numeric) {
    std::vector<Question> questions;
    if (!ask) return questions;
    static const std::vector<std::string> answered{"shapes", "params",  "buffers",   "receptive_field", "flops", "memory",
                                                   "forward", "loss", "gradients", "updates",       "grad",  "update",
                                                   "gradient_flow"};
    if (!ask->is_array()) throw ProblemError("/ask", "expected an array of questions, found " + describe(*ask));
    for (size_t i = 0; i < ask->size(); ++i) {
        const std::string path = fmt::format("/ask/{}", i);
        const Json& item = (*ask)[i];
        Question q;
        if (item.is_string()) {
            q.topic = item.get<std::string>();
        } else if (item.is_object() && item.size() == 1 && item.begin().value().is_string()) {
            q.topic = item.begin().key();
            q.layer = item.begin().value().get<std::string>();
        } else {
            throw ProblemError(path, "expected a question word or {\"WORD\": \"LAYER\"}, found " + describe(item));
        }
        if (std::find(answered.begin(), answered.end(), q.topic) == answered.end()) {
            const std::string hint = closest(q.topic, answered);
            throw ProblemError(path, hint.empty() ? fmt::format("unknown question \"{}\"", q.topic)
                                                  : fmt::format("unknown question \"{}\" (did you mean \"{}\"?)", q.topic, hint));
        }
        const bool numeric_question = q.topic == "forward" || q.topic == "loss" || q.topic == "gradients" || q.topic == "updates" ||
                                      q.topic == "grad" || q.topic == "update";
        if (numeric_question && !numeric.has_values)
            throw ProblemError(path, fmt::format("\"{}\" needs numbers: give the input's \"values\" and the layers' weights", q.topic));
        const bool update_question = q.topic == "updates" || q.topic == "update";
        if ((q.topic == "loss" || q.topic == "gradients" || q.topic == "grad" || (update_question && !numeric.rule)) && numeric.loss.empty())
            throw ProblemError(path, fmt::format("\"{}\" needs a \"loss\" and a \"target\"", q.topic));
        if (update_question && !numeric.optimizer && !numeric.rule)
            throw ProblemError(path, fmt::format("\"{}\" needs an \"optimizer\" or a learning \"rule\"", q.topic));
        if (!q.layer.empty() && (q.topic == "grad" || q.topic == "update")) {
            questions.push_back(std::move(q));  // a symbol, checked when the engine runs
            continue;
        }
        if (q.layer.empty() && q.topic == "gradient_flow")
            throw ProblemError(path, "\"gradient_flow\" is asked of one recurrent layer: write {\"gradient_flow\": \"LAYER\"}");
        if (q.layer.empty() && (q.topic == "grad" || q.topic == "update"))
            throw ProblemError(path, fmt::format("\"{}\" names one symbol: write {{\"{}\": \"w11\"}}", q.topic, q.topic));
        if (!q.layer.empty() && (q.topic == "flops" || q.topic == "memory" || q.topic == "loss" || q.topic == "gradients" || q.topic == "updates"))
            throw ProblemError(path, fmt::format("\"{}\" is asked of the whole network: write \"{}\"", q.topic, q.topic));
        if (!q.layer.empty() && !graph.find(q.layer)) {
            std::vector<std::string> names;
            for (size_t l = 0; l < graph.size(); ++l) names.push_back(graph.layer(l).name);
            const std::string hint = closest(q.layer, names);
            throw ProblemError(path + "/" + q.topic, hint.empty() ? fmt::format("unknown layer \"{}\"", q.layer)
                                                                  : fmt::format("unknown layer \"{}\" (did you mean \"{}\"?)", q.layer, hint));
        }
        questions.push_back(std::move(q));
    }
    return questions;
}

}  // namespace

std::string read_problem_text(const std::string& path, std::istream& standard_input) {
    if (path == "-") return std::string(std::istreambuf_iterator<char>(standard_input), std::istreambuf_iterator<char>());
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ProblemError("", "cannot read a directory as a problem file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ProblemError("", fmt::format("cannot open the file: {}", std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ProblemError("", "cannot read the file");
    return text.str();
}

Problem parse_problem(const std::string& text) {
    const Json root = parse_json(text);
    Fields top(root, "");
    const std::string title = top.string("title");
    const std::string source = top.optional_string("source").value_or("");
    const std::string framework = top.word("framework", {"keras", "pytorch"}, "keras");
    const Convention& convention = framework == "pytorch" ? Convention::pytorch() : Convention::keras();
    const auto batch = top.optional_positive("batch");
    const auto notes = read_notes(top);
    const double tolerance = top.number("tolerance", 1e-6, 0.0, 1.0);
    if (tolerance <= 0) top.fail("tolerance", "a number greater than 0 and at most 1");

    NumericSpec numeric;
    std::vector<std::unique_ptr<Layer>> layers;
    const Json* input = top.raw("input");
    if (!input) top.missing("input", "an object with \"shape\"");
    {
        Fields fields(*input, "/input");
        auto name = fields.optional_string("name");
        if (name && name->empty()) fields.fail("name", "a non-empty string");
        // Values may stand in for the shape: [N, …] when "batch" is given.
        Tensor values;
        if (const Json* v = fields.raw("values")) values = read_samples(*v, "/input/values", batch);
        auto layer = !values.shape.empty() && !fields.has("shape") ? make_input(Dims(values.shape.begin() + 1, values.shape.end()))
                                                                    : parse_input(fields, convention, "input");
        if (!values.shape.empty()) {
            const Dims sample(values.shape.begin() + 1, values.shape.end());
            const Dims given = layer->output_shape({}, convention).values();
            if (sample != given)
                throw ProblemError("/input/values", fmt::format("expected values of shape {} (\"shape\"), found {}",
                                                                format_dims(given), format_dims(sample)));
            numeric.has_values = true;
            numeric.batches.push_back({std::move(values), false, {}, {}, ""});
        }
        if (const Json* s = fields.raw("symbols")) {
            const Dims sample = layer->output_shape({}, convention).values();
            numeric.input_symbols = read_symbols(*s, "/input/symbols", sample);
        }
        fields.finish();
        layer->type = "input";
        layer->path = "/input";
        layer->name = name.value_or("");
        layers.push_back(std::move(layer));
    }

    const Json* list = top.raw("layers");
    if (!list) top.missing("layers", "an array of layer objects");
    if (!list->is_array() || list->empty()) top.fail("layers", "a non-empty array of layer objects");
    Namer namer(convention);
    if (layers[0]->name.empty()) layers[0]->name = namer.next(*layers[0], std::nullopt), layers[0]->auto_named = true;
    for (size_t i = 0; i < list->size(); ++i) {
        auto layer = parse_layer((*list)[i], fmt::format("/layers/{}", i), convention);
        if (layer->name.empty()) layer->name = namer.next(*layer, i), layer->auto_named = true;
        layers.push_back(std::move(layer));
    }

    Json expect;
    if (const Json* e = top.raw("expect")) {
        if (!e->is_object()) top.fail("expect", "an object of answer keys");
        for (const auto& [key, value] : e->items())
            if (!is_answer_value(value) && !(value.is_string() && key.ends_with(".verdict")))
                throw ProblemError("/expect/" + key, "expected a number or an array of numbers, found " + describe(value));
        expect = *e;
    }
    const Json* ask = top.raw("ask");
    read_training(top, numeric, batch, layers[0]->output_shape({}, convention).values(), convention);
    top.finish();

    Graph graph(std::move(layers));
    if (numeric.rule) check_rule_network(graph, convention, numeric);
    auto questions = read_ask(ask, graph, numeric);
    return Problem{title,   source,    notes,     &convention, batch, std::move(graph), std::move(questions), std::move(expect),
                   tolerance, std::move(numeric)};
}

}  // namespace dlsolve
