// Keras layer classes. Signatures as in keras/src/layers (Keras 3; Keras 2's
// tensorflow/python/keras/layers take the same leading parameters), e.g.
// convolutional/conv2d.py: Conv2D(filters, kernel_size, strides=(1, 1), padding="valid",
// data_format=None, dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, ...);
// core/dense.py: Dense(units, activation=None, use_bias=True, ...);
// pooling/max_pooling2d.py: MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid", data_format=None).
#include <cctype>

#include "import/layers.h"

namespace dlsolve::code {
namespace {

void data_format(const Args& a) {
    if (!is_none(a, "data_format") && to_text(a, "data_format") != "channels_last")
        throw CodeError(a.where.at("data_format"), "data_format='" + to_text(a, "data_format") + "': Keras's channels_last layout is supported");
}

std::string padding_word(const Args& a) {
    const std::string p = to_text(a, "padding");
    if (p != "valid" && p != "same") throw CodeError(a.where.at("padding"), "padding='" + p + "': 'valid' and 'same' are supported");
    return p;
}

void conv_keys(Json& j, const Args& a) {
    data_format(a);
    j["filters"] = to_int(a, "filters");
    j["kernel"] = to_size(a, "kernel_size");
    if (a.has("strides")) j["stride"] = to_size(a, "strides");
    if (a.has("padding")) j["padding"] = padding_word(a);
    if (a.has("dilation_rate")) j["dilation"] = to_size(a, "dilation_rate");
    if (a.has("groups")) j["groups"] = to_int(a, "groups");
    if (a.has("use_bias")) j["use_bias"] = to_bool(a, "use_bias");
    if (!is_none(a, "activation")) j["activation"] = activation_word(a, "activation");
}

Json pool(const std::string& type, const Args& a) {
    data_format(a);
    Json j{{"type", type}};
    if (a.has("pool_size")) j["pool"] = to_size(a, "pool_size");
    if (!is_none(a, "strides")) j["stride"] = to_size(a, "strides");
    if (a.has("padding")) j["padding"] = padding_word(a);
    return j;
}

Json global_pool(const std::string& type, const Args& a) {
    data_format(a);
    if (a.has("keepdims") && to_bool(a, "keepdims")) throw CodeError(a.where.at("keepdims"), "keepdims=True: the [C] output is supported");
    return Json{{"type", type}};
}

Json recurrent(const std::string& type, const Args& a) {
    Json j{{"type", type}, {"units", to_int(a, "units")}};
    if (a.has("activation")) j["activation"] = activation_word(a, "activation");
    if (a.has("recurrent_activation")) j["recurrent_activation"] = activation_word(a, "recurrent_activation");
    if (a.has("use_bias")) j["use_bias"] = to_bool(a, "use_bias");
    if (a.has("return_sequences")) j["return_sequences"] = to_bool(a, "return_sequences");
    if (a.has("reset_after")) j["reset_after"] = to_bool(a, "reset_after");
    if (a.has("return_state") && to_bool(a, "return_state"))
        throw CodeError(a.where.at("return_state"), "return_state=True: the layer's output sequence or last state is supported");
    return j;
}

Json merge(const std::string& type, const Args& a) {
    Json j{{"type", type}};
    if (a.has("axis")) j["axis"] = to_int(a, "axis");
    return j;
}

const std::vector<std::string> kRecurrent{"units", "activation", "recurrent_activation", "use_bias", "return_sequences", "return_state",
                                          "go_backwards", "stateful", "unroll", "reset_after", "dropout", "recurrent_dropout"};

const std::vector<LayerClass>& classes() {
    static const std::vector<LayerClass> table{
        {"Conv2D", {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"},
         [](const Args& a) { Json j{{"type", "conv2d"}}; conv_keys(j, a); return j; }},
        {"Conv1D", {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"},
         [](const Args& a) { Json j{{"type", "conv1d"}}; conv_keys(j, a); return j; }},
        // convolutional/conv2d_transpose.py: (filters, kernel_size, strides, padding, output_padding, data_format, dilation_rate, activation, use_bias)
        {"Conv2DTranspose", {"filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias"},
         [](const Args& a) {
             Json j{{"type", "conv2d_transpose"}};
             conv_keys(j, a);
             if (!is_none(a, "output_padding")) j["output_padding"] = to_size(a, "output_padding");
             return j;
         }},
        {"MaxPooling2D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("maxpool2d", a); }},
        {"AveragePooling2D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("avgpool2d", a); }},
        {"MaxPool2D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("maxpool2d", a); }},
        {"AvgPool2D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("avgpool2d", a); }},
        // pooling/max_pooling1d.py: MaxPooling1D(pool_size=2, strides=None, padding="valid", data_format=None), likewise average.
        {"MaxPooling1D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("maxpool1d", a); }},
        {"AveragePooling1D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("avgpool1d", a); }},
        {"MaxPool1D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("maxpool1d", a); }},
        {"AvgPool1D", {"pool_size", "strides", "padding", "data_format"}, [](const Args& a) { return pool("avgpool1d", a); }},
        // pooling/global_max_pooling1d.py: (data_format=None, keepdims=False), likewise average.
        {"GlobalMaxPooling1D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_maxpool1d", a); }},
        {"GlobalAveragePooling1D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_avgpool1d", a); }},
        {"GlobalMaxPool1D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_maxpool1d", a); }},
        {"GlobalAvgPool1D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_avgpool1d", a); }},
        // pooling/global_average_pooling2d.py: (data_format=None, keepdims=False)
        {"GlobalAveragePooling2D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_avgpool2d", a); }},
        {"GlobalMaxPooling2D", {"data_format", "keepdims"}, [](const Args& a) { return global_pool("global_maxpool2d", a); }},
        // reshaping/up_sampling2d.py: (size=(2, 2), data_format=None, interpolation="nearest")
        {"UpSampling2D", {"size", "data_format", "interpolation"},
         [](const Args& a) {
             data_format(a);
             Json j{{"type", "upsampling2d"}};
             if (a.has("size")) j["size"] = to_size(a, "size");
             if (a.has("interpolation")) j["interpolation"] = to_text(a, "interpolation");
             return j;
         }},
        {"ZeroPadding2D", {"padding", "data_format"},
         [](const Args& a) {
             data_format(a);
             Json j{{"type", "zeropadding2d"}};
             if (a.has("padding")) j["padding"] = to_size(a, "padding");
             return j;
         }},
        {"Flatten", {"data_format"}, [](const Args& a) { data_format(a); return Json{{"type", "flatten"}}; }},
        {"Reshape", {"target_shape"}, [](const Args& a) { return Json{{"type", "reshape"}, {"target_shape", to_int_list(a, "target_shape")}}; }},
        {"Dense", {"units", "activation", "use_bias"},
         [](const Args& a) {
             Json j{{"type", "dense"}, {"units", to_int(a, "units")}};
             if (!is_none(a, "activation")) j["activation"] = activation_word(a, "activation");
             if (a.has("use_bias")) j["use_bias"] = to_bool(a, "use_bias");
             return j;
         }},
        // normalization/batch_normalization.py: (axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, ...)
        {"BatchNormalization", {"axis", "momentum", "epsilon", "center", "scale"},
         [](const Args& a) {
             if (a.has("axis") && to_int(a, "axis") != -1) throw CodeError(a.where.at("axis"), "axis other than -1: the channel axis is supported");
             for (const char* k : {"center", "scale"})
                 if (a.has(k) && !to_bool(a, k)) throw CodeError(a.where.at(k), std::string(k) + "=False: both gamma and beta are supported");
             Json j{{"type", "batchnorm"}};
             if (a.has("epsilon")) j["epsilon"] = to_real(a, "epsilon");
             return j;
         }},
        {"LayerNormalization", {"axis", "epsilon", "center", "scale"},
         [](const Args& a) {
             if (a.has("axis") && to_int(a, "axis") != -1) throw CodeError(a.where.at("axis"), "axis other than -1: the last axis is supported");
             Json j{{"type", "layernorm"}};
             if (a.has("epsilon")) j["epsilon"] = to_real(a, "epsilon");
             return j;
         }},
        {"Dropout", {"rate", "noise_shape", "seed"}, [](const Args& a) { return Json{{"type", "dropout"}, {"rate", to_real(a, "rate")}}; }},
        {"Activation", {"activation"}, [](const Args& a) { return Json{{"type", "activation"}, {"activation", activation_word(a, "activation")}}; }},
        {"ReLU", {"max_value", "negative_slope", "threshold"},
         [](const Args& a) {
             for (const char* k : {"max_value", "negative_slope", "threshold"})
                 if (!is_none(a, k) && to_real(a, k) != 0) throw CodeError(a.where.at(k), std::string(k) + ": the plain ReLU is supported");
             return Json{{"type", "relu"}};
         }},
        // Keras 3: LeakyReLU(negative_slope=0.3); Keras 2: LeakyReLU(alpha=0.3)
        {"LeakyReLU", {"negative_slope", "alpha"},
         [](const Args& a) {
             Json j{{"type", "leaky_relu"}};
             for (const char* k : {"negative_slope", "alpha"})
                 if (a.has(k)) j["alpha"] = to_real(a, k);
             return j;
         }},
        {"Softmax", {"axis"},
         [](const Args& a) {
             if (a.has("axis") && to_int(a, "axis") != -1) throw CodeError(a.where.at("axis"), "axis other than -1: the last axis is supported");
             return Json{{"type", "softmax"}};
         }},
        {"Embedding", {"input_dim", "output_dim"},
         [](const Args& a) { return Json{{"type", "embedding"}, {"input_dim", to_int(a, "input_dim")}, {"output_dim", to_int(a, "output_dim")}}; }},
        {"SimpleRNN", kRecurrent, [](const Args& a) { return recurrent("simple_rnn", a); }},
        {"LSTM", kRecurrent, [](const Args& a) { return recurrent("lstm", a); }},
        {"GRU", kRecurrent, [](const Args& a) { return recurrent("gru", a); }},
        {"Concatenate", {"axis"}, [](const Args& a) { return merge("concat", a); }},
        {"Add", {}, [](const Args& a) { return merge("add", a); }},
        {"Subtract", {}, [](const Args& a) { return merge("subtract", a); }},
        {"Multiply", {}, [](const Args& a) { return merge("multiply", a); }},
        // layers/preprocessing/rescaling.py: Rescaling(scale, offset=0.0)
        {"Rescaling", {"scale", "offset"},
         [](const Args& a) {
             if (a.has("offset") && to_real(a, "offset") != 0) throw CodeError(a.where.at("offset"), "an offset: Rescaling(scale) is supported");
             return Json{{"type", "scale"}, {"factor", to_real(a, "scale")}};
         }},
        // attention/attention.py: Attention(use_scale=False, score_mode="dot", dropout=0.0); called on [query, value] or [query, value, key]
        {"Attention", {"use_scale", "score_mode", "dropout"},
         [](const Args& a) {
             if (a.has("use_scale") && to_bool(a, "use_scale")) throw CodeError(a.where.at("use_scale"), "use_scale=True (a learned scale): Attention() without a scale is supported");
             if (a.has("score_mode") && to_text(a, "score_mode") != "dot") throw CodeError(a.where.at("score_mode"), "score_mode='" + to_text(a, "score_mode") + "': 'dot' is supported");
             return Json{{"type", "attention"}, {"scale", "none"}};
         }},
        // attention/multi_head_attention.py: (num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None, ...)
        {"MultiHeadAttention", {"num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape"},
         [](const Args& a) {
             Json j{{"type", "multi_head_attention"}, {"num_heads", to_int(a, "num_heads")}, {"key_dim", to_int(a, "key_dim")}};
             if (!is_none(a, "value_dim")) j["value_dim"] = to_int(a, "value_dim");
             if (a.has("use_bias")) j["use_bias"] = to_bool(a, "use_bias");
             if (!is_none(a, "output_shape")) j["output_shape"] = to_int(a, "output_shape");
             return j;
         }},
    };
    return table;
}

}  // namespace

const LayerClass* keras_class(const std::string& name) {
    for (const auto& c : classes())
        if (c.name == name) return &c;
    return nullptr;
}

const std::vector<std::string>& keras_ignored() {
    static const std::vector<std::string> words{"kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                                                "activity_regularizer", "kernel_constraint", "bias_constraint", "dtype",
                                                "embeddings_initializer", "recurrent_initializer", "beta_initializer",
                                                "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                                                "depthwise_initializer", "recurrent_regularizer", "recurrent_constraint"};
    return words;
}

std::string keras_snake_name(const std::string& s) {
    // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name), then re.sub("([a-z])([A-Z])", r"\1_\2", …).lower()
    std::string first;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && std::isupper(static_cast<unsigned char>(s[i])) && i + 1 < s.size() && std::islower(static_cast<unsigned char>(s[i + 1])))
            first += '_';
        first += s[i];
    }
    std::string out;
    for (size_t i = 0; i < first.size(); ++i) {
        if (i > 0 && std::islower(static_cast<unsigned char>(first[i - 1])) && std::isupper(static_cast<unsigned char>(first[i]))) out += '_';
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(first[i])));
    }
    return out;
}

std::string activation_word(const Args& a, const std::string& key) {
    if (!a.has(key)) throw CodeError(a.call, a.callee + " without its argument " + key + ": give " + key + "='relu' or another activation");
    const auto& v = *a.named.at(key);
    if (v.kind == V::None) return "linear";
    const std::string word = to_text(a, key);
    for (const char* known : {"relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu"})
        if (word == known) return word;
    throw CodeError(a.where.count(key) ? a.where.at(key) : a.call,
                    "the activation '" + word + "': relu, sigmoid, tanh, softmax, linear and leaky_relu are supported");
}

}  // namespace dlsolve::code
