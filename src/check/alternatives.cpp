#include "check/alternatives.h"

#include <fmt/format.h>

#include "ir/convention.h"

namespace dlsolve {
namespace {

std::string possessive(std::string_view word) {
    return std::string(word) + (word.ends_with('s') ? "'" : "'s");
}

std::string display(const Convention& c) { return c.framework == Framework::Keras ? "Keras" : "PyTorch"; }
const Convention& other_of(const Convention& c) { return Convention::of(c.framework == Framework::Keras ? Framework::PyTorch : Framework::Keras); }

bool has_layer_of(const Json& doc, std::initializer_list<std::string_view> types) {
    if (!doc.contains("layers") || !doc["layers"].is_array()) return false;
    for (const auto& layer : doc["layers"])
        if (layer.is_object() && layer.contains("type"))
            for (auto t : types)
                if (layer["type"] == t) return true;
    return false;
}

// What an optimizer's defaults and rule are, from the convention's data.
std::string optimizer_words(const std::string& type, const OptimizerRules& r) {
    const bool epsilon_inside = r.source == "keras.optimizers";  // numeric/optimizer.cpp: Keras's rules
    if (type == "rmsprop")
        return fmt::format("ρ {:g}, ε {:g} {}", r.rmsprop_rho, r.eps, epsilon_inside ? "inside the square root" : "added to the square root");
    if (type == "adam" || type == "adamw")
        return fmt::format("ε {:g} {}", r.eps, epsilon_inside ? "added to √v before the bias correction (ε̂)" : "added to √v̂");
    if (type == "adagrad")
        return fmt::format("ε {:g}, the accumulator starting at {:g}", r.adagrad_eps, r.adagrad_initial);
    return epsilon_inside ? "lr inside the momentum buffer" : "lr outside the momentum buffer";
}

std::string recurrent_words(const Convention& c) {
    return c.recurrent.bias_pair ? "two bias vectors per gate, bias_ih and bias_hh" : "one bias vector per gate";
}

std::string count_words(const Json& doc, const Convention& other, const Convention& self) {
    std::vector<std::string> why;
    if (has_layer_of(doc, {"lstm", "gru", "simple_rnn"}) && other.recurrent.bias_pair != self.recurrent.bias_pair)
        why.push_back(recurrent_words(other));
    if (has_layer_of(doc, {"batchnorm"}) && other.running_stats != self.running_stats)
        why.push_back(other.running_stats == RunningStats::NonTrainableParams
                          ? "BatchNorm's moving mean and variance counted as non-trainable parameters"
                          : "BatchNorm's running mean and variance kept as buffers, not parameters");
    return why.empty() ? "" : fmt::format(" ({})", fmt::join(why, "; "));
}

}  // namespace

std::vector<Alternative> alternatives(const Convention& self) {
    const Convention& other = other_of(self);
    std::vector<Alternative> list;

    list.push_back({"optimizer", [&self, &other](Json& doc) -> std::optional<std::string> {
        if (!doc.contains("optimizer") || !doc["optimizer"].is_object() || doc["optimizer"].contains("framework")) return std::nullopt;
        const std::string type = doc["optimizer"].value("type", "");
        doc["optimizer"]["framework"] = std::string(other.name);
        return fmt::format("is {} {} ({}); this file uses {} ({})", possessive(other.optimizer.source), type,
                           optimizer_words(type, other.optimizer), possessive(self.optimizer.source), optimizer_words(type, self.optimizer));
    }});
    list.push_back({"rmsprop_rho", [&self, &other](Json& doc) -> std::optional<std::string> {
        if (!doc.contains("optimizer") || !doc["optimizer"].is_object()) return std::nullopt;
        Json& o = doc["optimizer"];
        if (o.value("type", "") != "rmsprop" || o.contains("beta") || o.contains("framework")) return std::nullopt;
        o["beta"] = other.optimizer.rmsprop_rho;
        return fmt::format("uses RMSprop's smoothing constant {:g} ({}'s default) in {} rule; this file's default is {:g}",
                           other.optimizer.rmsprop_rho, display(other), possessive(self.optimizer.source), self.optimizer.rmsprop_rho);
    }});
    list.push_back({"leaky_relu_alpha", [&self, &other](Json& doc) -> std::optional<std::string> {
        bool changed = false;
        if (doc.contains("layers") && doc["layers"].is_array())
            for (auto& layer : doc["layers"])
                if (layer.is_object() && layer.value("type", "") == "leaky_relu" && !layer.contains("alpha")) {
                    layer["alpha"] = other.leaky_relu_alpha;
                    changed = true;
                }
        if (!changed) return std::nullopt;
        return fmt::format("uses LeakyReLU's default slope {:g} ({}); this file is {}: {:g}", other.leaky_relu_alpha, display(other),
                           self.name, self.leaky_relu_alpha);
    }});
    list.push_back({"reduction", [](Json& doc) -> std::optional<std::string> {
        if (!doc.contains("loss") || !doc["loss"].is_string()) return std::nullopt;
        const std::string loss = doc["loss"];
        if (loss == "sse" || loss == "half_sse") return std::nullopt;
        const std::string now = doc.value("reduction", "mean");
        const std::string then = now == "mean" ? "sum" : "mean";
        doc["reduction"] = then;
        return fmt::format("is the {} loss with reduction='{}' (the terms {}); this file's reduction is '{}'", loss, then,
                           then == "sum" ? "added, not averaged" : "averaged, not added", now);
    }});
    list.push_back({"class_index", [](Json& doc) -> std::optional<std::string> {
        std::optional<std::string> said;
        const auto shift = [&said](Json& target) {
            if (!target.is_object()) return;
            if (target.contains("class") && target["class"].is_number_integer()) {
                const int64_t k = target["class"];
                target = Json{{"label", k}};
                if (k >= 1) said = fmt::format("reads class {} as a 1-based label (class {}); this file's classes count from 0", k, k - 1);
                else target = Json{{"class", k}};
            } else if (target.contains("label") && target["label"].is_number_integer()) {
                const int64_t k = target["label"];
                target = Json{{"class", k}};
                said = fmt::format("reads label {} as a 0-based class index (class {}, not {})", k, k, k - 1);
            } else if (target.contains("classes")) {
                Json list = target["classes"];
                target = Json{{"labels", list}};
                said = "reads the classes as 1-based labels (each one class lower); this file's classes count from 0";
            } else if (target.contains("labels")) {
                Json list = target["labels"];
                target = Json{{"classes", list}};
                said = "reads the 1-based labels as 0-based class indices (each one class higher)";
            }
        };
        if (doc.contains("target")) shift(doc["target"]);
        if (doc.contains("batches") && doc["batches"].is_array())
            for (auto& b : doc["batches"])
                if (b.is_object() && b.contains("target")) shift(b["target"]);
        return said;
    }});
    list.push_back({"ceil_mode", [](Json& doc) -> std::optional<std::string> {
        if (doc.value("framework", "keras") != "pytorch" || !doc.contains("layers")) return std::nullopt;
        std::optional<bool> now;
        for (auto& layer : doc["layers"])
            if (layer.is_object() && (layer.value("type", "") == "maxpool2d" || layer.value("type", "") == "avgpool2d")) {
                const bool ceil = layer.value("ceil_mode", false);
                layer["ceil_mode"] = !ceil;
                now = ceil;
            }
        if (!now) return std::nullopt;
        return *now ? std::string("floors the pooled size (ceil_mode=False); this file rounds it up (ceil_mode=True)")
                    : std::string("rounds the pooled size up (ceil_mode=True); this file floors it (ceil_mode=False)");
    }});
    list.push_back({"no_bias", [&self](Json& doc) -> std::optional<std::string> {
        bool changed = false;
        if (doc.contains("layers") && doc["layers"].is_array())
            for (auto& layer : doc["layers"]) {
                if (!layer.is_object()) continue;
                const std::string type = layer.value("type", "");
                const char* key = nullptr;
                if (type == "dense" || type == "conv2d" || type == "conv1d" || type == "conv2d_transpose" || type == "simple_rnn" ||
                    type == "lstm" || type == "gru")
                    key = "use_bias";
                else if (type == "multi_head_attention")
                    key = self.framework == Framework::Keras ? "use_bias" : "bias";
                if (!key || layer.contains(key) || layer.contains("bias")) continue;
                layer[key] = false;
                changed = true;
            }
        if (!changed) return std::nullopt;
        return std::string("leaves out the biases (the weights alone)");
    }});
    list.push_back({"transposed", [](Json& doc) -> std::optional<std::string> {
        bool changed = false;
        if (doc.contains("layers") && doc["layers"].is_array())
            for (auto& layer : doc["layers"]) {
                if (!layer.is_object() || layer.value("type", "") != "dense" || !layer.contains("weights")) continue;
                const Json& w = layer["weights"];
                if (!w.is_array() || w.empty() || !w[0].is_array() || w.size() != w[0].size()) continue;
                Json t = w;
                for (size_t i = 0; i < w.size(); ++i)
                    for (size_t j = 0; j < w.size(); ++j) t[i][j] = w[j][i];
                if (t == w) continue;
                layer["weights"] = t;
                changed = true;
            }
        if (!changed) return std::nullopt;
        return std::string("reads the weight matrix transposed (row i as the weights of unit i, as nn.Linear.weight [out, in] stores them); "
                           "this file's weights[i][j] joins input i to unit j");
    }});
    list.push_back({"framework", [&self, &other](Json& doc) -> std::optional<std::string> {
        if (!doc.contains("layers") || !doc.contains("input") || !doc["input"].is_object()) return std::nullopt;
        for (const auto& layer : doc["layers"])  // a kernel's values are laid out per framework
            if (layer.is_object() && layer.contains("weights") && layer.value("type", "") != "dense") return std::nullopt;
        Json& input = doc["input"];
        if (input.contains("shape") && input["shape"].is_array() && input["shape"].size() == 3) {
            if (input.contains("values")) return std::nullopt;
            Json s = input["shape"];
            input["shape"] = self.channels_last ? Json::array({s[2], s[0], s[1]}) : Json::array({s[1], s[2], s[0]});
        }
        for (auto& layer : doc["layers"])
            if (layer.is_object() && layer.value("type", "") == "maxpool2d" && !layer.contains("pool") && self.default_pool_size > 0)
                layer["pool"] = self.default_pool_size;
        doc["framework"] = std::string(other.name);
        return fmt::format("is {}'s {{what}}{}; this file is {}", display(other), count_words(doc, other, self), self.name);
    }});
    return list;
}

}  // namespace dlsolve
