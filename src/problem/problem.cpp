#include "problem/problem.h"
#include "problem/model_info.h"

#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "check/expect.h"
#include "equations/lower.h"
#include "equations/system.h"
#include "layers/registry.h"
#include "numeric/learning_rule.h"
#include "problem/json_text.h"
#include "problem/sized_layers.h"
#include "problem/training_spec.h"
#include "problem/values.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

// Keras's generic_utils.to_snake_case: Conv2D → conv2d, MaxPooling2D → max_pooling2d.
std::string to_snake_case(const std::string& class_name) {
    thread_local std::map<std::string, std::string> cache;  // per thread: `check` parses files on several
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

// An input among the layers (a second model input, or Q, K and V of an attention
// problem) may carry its own "values" (with the batch axis when "batch" is given, the
// same samples for every training batch) and "symbols" for its elements, as the model's
// "input" does. Returns the values, if given.
std::optional<Tensor> read_input_values(Fields& fields, Layer& layer, const Convention& convention, std::optional<int64_t> batch) {
    std::optional<Tensor> values;
    if (const Json* v = fields.raw("values")) {
        values = read_samples(*v, fields.path_of("values"), batch);
        const Dims sample(values->shape.begin() + 1, values->shape.end());
        const Dims given = layer.output_shape({}, convention).values();
        if (sample != given)
            throw ProblemError(fields.path_of("values"),
                               fmt::format("expected values of shape {} (\"shape\"), found {}", format_dims(given), format_dims(sample)));
    }
    if (const Json* s = fields.raw("symbols")) {
        if (s->is_object()) {  // {"output": …}, as every layer names its output
            read_values(fields, layer);
        } else {
            if (!values) throw ProblemError(fields.path_of("symbols"), "names values that are not given: give \"values\" too");
            layer.output_symbols = read_symbols(*s, fields.path_of("symbols"), layer.output_shape({}, convention).values());
        }
    }
    return values;
}

std::unique_ptr<Layer> parse_layer(const Json& object, const std::string& path, const Convention& convention,
                                   std::optional<int64_t> batch, std::optional<Tensor>& input_values) {
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
    auto tied_to = fields.optional_string("tied_to");
    if (tied_to && (tied_to->empty() || *tied_to == name)) fields.fail("tied_to", "the name of another layer, whose weights this layer reuses");
    std::unique_ptr<Layer> layer;
    if (type == "input") {
        // Values may stand in for the shape, as in the model's "input".
        const Json* v = fields.raw("values");
        if (v && !fields.has("shape")) {
            const Tensor given = read_samples(*v, fields.path_of("values"), batch);
            layer = make_input(Dims(given.shape.begin() + 1, given.shape.end()));
        } else {
            layer = kind->parse(fields, convention, type);
        }
        input_values = read_input_values(fields, *layer, convention, batch);
    } else {
        layer = kind->parse(fields, convention, type);
        read_values(fields, *layer);
    }
    fields.finish();
    layer->type = type;
    layer->path = path;
    layer->name = name.value_or("");
    layer->inputs = std::move(inputs);
    layer->trainable = trainable;
    layer->tied_to = tied_to.value_or("");
    return layer;
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

// An answer in symbols, for a network given as equations: "27*C^2", ["D_a1", "D"].

std::vector<Question> read_ask(const Json* ask, const Graph& graph, const NumericSpec& numeric, const equations::System* system) {
    std::vector<Question> questions;
    if (!ask) return questions;
    static const std::vector<std::string> answered{"shapes", "params",  "buffers",   "receptive_field", "flops", "memory",
                                                   "forward", "loss", "gradients", "updates",       "grad",  "update",
                                                   "gradient_flow", "jacobian"};
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
        if (numeric_question && system && !system->numeric())
            throw ProblemError(path, fmt::format("\"{}\" needs numbers, but {}", q.topic, system->why_symbolic()));
        if (numeric_question && !numeric.has_values)
            throw ProblemError(path, fmt::format("\"{}\" needs numbers: give the input's \"values\" and the layers' weights", q.topic));
        const bool update_question = q.topic == "updates" || q.topic == "update";
        if ((q.topic == "loss" || q.topic == "gradients" || q.topic == "grad" || (update_question && !numeric.rule)) && numeric.loss.empty())
            throw ProblemError(path, fmt::format("\"{}\" needs a \"loss\" and a \"target\"", q.topic));
        if (update_question && !numeric.optimizer && !numeric.rule)
            throw ProblemError(path, fmt::format("\"{}\" needs an \"optimizer\" or a learning \"rule\"", q.topic));
        if (q.topic == "jacobian") {
            if (!system) throw ProblemError(path, "\"jacobian\" is asked of a network written as \"equations\"");
            const size_t slash = q.layer.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == q.layer.size())
                throw ProblemError(path, "write {\"jacobian\": \"OF/WRT\"}, e.g. {\"jacobian\": \"a/z2\"}");
            questions.push_back(std::move(q));
            continue;
        }
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


void Problem::require_numbers(const std::string& command) const {
    if (size_symbols)
        throw ProblemError("/dims", fmt::format("{} needs numbers, but the size{} {} {} no value: give {} in \"dims\" (shapes and params answer in symbols)",
                                                command, size_symbols->names.size() > 1 ? "s" : "", fmt::join(size_symbols->names, ", "),
                                                size_symbols->names.size() > 1 ? "have" : "has", size_symbols->names.size() > 1 ? "them" : "it"));
    if (!equations || equations->numeric()) return;
    throw ProblemError("/dims", fmt::format("{} needs numbers, but {} (shapes, params and backward answer in symbols)", command,
                                            equations->why_symbolic()));
}

Problem parse_problem(const std::string& text) {
    const Json root = parse_json(text);
    // Layers with sizes in symbols: parsed at a sample of the symbols and kept as written.
    if (auto sized = parse_sized_layers(root)) return std::move(*sized);
    Fields top(root, "");
    const std::string title = top.string("title");
    const std::string source = top.optional_string("source").value_or("");
    const std::string framework = top.word("framework", {"keras", "pytorch"}, "keras");
    const Convention& convention = framework == "pytorch" ? Convention::pytorch() : Convention::keras();
    const auto batch = top.optional_positive("batch");
    const auto notes = read_notes(top);
    double tolerance = 1e-6;
    Tolerance compare;
    if (const Json* t = top.raw("tolerance")) {
        compare = read_tolerance(*t, "/tolerance");
        if (!compare.named()) tolerance = compare.rtol;
    }

    NumericSpec numeric;
    std::vector<std::unique_ptr<Layer>> layers;
    // A network given as equations is lowered onto layers when its sizes have numbers.
    std::shared_ptr<equations::System> system;
    equations::Lowered lowered;
    const Json* input = nullptr;
    std::string input_path = "/input";
    if (top.has("equations")) {
        if (top.has("layers")) top.fail("layers", "no \"layers\" beside \"equations\": a network is given one way");
        if (top.has("input")) top.fail("input", "no \"input\" beside \"equations\": give the inputs in \"inputs\"");
        system = std::make_shared<equations::System>(equations::read_system(top));
        if (system->numeric()) {
            lowered = equations::lower(*system, convention);
        } else {
            // Only symbols: a stand-in input, never shown (every command but shapes and params refuses).
            const auto& first = *std::find_if(system->tensors.begin(), system->tensors.end(),
                                              [](const equations::Tensor& t) { return t.role == equations::Tensor::Role::Input; });
            lowered.input = Json{{"name", first.name}, {"shape", Json::array({1})}};
            lowered.input_path = first.path;
        }
        input = &lowered.input;
        input_path = lowered.input_path;
    } else {
        input = top.raw("input");
        if (!input) top.missing("input", "an object with \"shape\"");
    }
    {
        Fields fields(*input, input_path);
        auto name = fields.optional_string("name");
        if (name && name->empty()) fields.fail("name", "a non-empty string");
        // Values may stand in for the shape: [N, …] when "batch" is given.
        Tensor values;
        if (const Json* v = fields.raw("values")) values = read_samples(*v, input_path + "/values", batch);
        auto layer = !values.shape.empty() && !fields.has("shape") ? make_input(Dims(values.shape.begin() + 1, values.shape.end()))
                                                                    : parse_input(fields, convention, "input");
        if (!values.shape.empty()) {
            const Dims sample(values.shape.begin() + 1, values.shape.end());
            const Dims given = layer->output_shape({}, convention).values();
            if (sample != given)
                throw ProblemError(input_path + "/values", fmt::format("expected values of shape {} (\"shape\"), found {}",
                                                                       format_dims(given), format_dims(sample)));
            numeric.has_values = true;
            numeric.batches.push_back({std::move(values), false, {}, {}, ""});
        }
        if (const Json* s = fields.raw("symbols")) {
            const Dims sample = layer->output_shape({}, convention).values();
            numeric.input_symbols = read_symbols(*s, input_path + "/symbols", sample);
        }
        fields.finish();
        layer->type = "input";
        layer->path = input_path;
        layer->name = name.value_or("");
        layers.push_back(std::move(layer));
    }

    Namer namer(convention);
    if (layers[0]->name.empty()) layers[0]->name = namer.next(*layers[0], std::nullopt), layers[0]->auto_named = true;
    // Layers from the file, or the lowering of its equations; input layers may carry values.
    const auto add_layer = [&](const Json& object, const std::string& path, std::optional<size_t> position) {
        std::optional<Tensor> input_values;
        auto layer = parse_layer(object, path, convention, batch, input_values);
        if (input_values) numeric.given_inputs.emplace_back(layers.size(), std::move(*input_values));
        if (layer->name.empty()) layer->name = namer.next(*layer, position), layer->auto_named = true;
        layers.push_back(std::move(layer));
    };
    if (system) {
        for (size_t i = 0; i < lowered.layers.size(); ++i) add_layer(lowered.layers[i], lowered.paths[i], i);
    } else {
        const Json* list = top.raw("layers");
        if (!list) top.missing("layers", "an array of layer objects");
        if (!list->is_array() || list->empty()) top.fail("layers", "a non-empty array of layer objects");
        for (size_t i = 0; i < list->size(); ++i) add_layer((*list)[i], fmt::format("/layers/{}", i), i);
    }

    Json expect;
    std::map<std::string, Tolerance> key_tolerances;
    if (const Json* e = top.raw("expect"))
        expect = read_expect(*e, key_tolerances, [&](const std::string& key, const Json& value) {
            if (!is_answer_value(value) && !(value.is_string() && key.ends_with(".verdict")) && !(system && is_symbolic_answer(value)))
                throw ProblemError("/expect/" + key, "expected a number or an array of numbers, found " + describe(value));
        });
    // What `dlsolve vary` may change: read there (src/vary/spec.cpp); a problem only carries it.
    if (const Json* v = top.raw("vary"); v && !v->is_object())
        top.fail("vary", "an object: the numbers a variant may change and the rules every variant keeps");
    const Json* ask = top.raw("ask");
    read_training(top, numeric, batch, layers[0]->output_shape({}, convention).values(), convention, system && !system->numeric());
    const Json* model = top.raw("model");
    top.finish();

    Graph graph(std::move(layers));
    if (numeric.rule) check_rule_network(graph, convention, numeric);
    auto questions = read_ask(ask, graph, numeric, system.get());
    Problem problem{title,     source,  notes, &convention, batch, std::move(graph), std::move(questions), std::move(expect),
                    tolerance, std::move(numeric), std::move(system), nullptr, compare, std::move(key_tolerances), {}};
    if (model) problem.model = read_model(*model, problem.graph, convention);
    return problem;
}

}  // namespace dlsolve
