// torch.nn layer classes. Signatures as in torch/nn/modules (checked with
// inspect.signature against Debian's python3-torch): conv.py Conv2d(in_channels,
// out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
// padding_mode='zeros'); ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1,
// padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros');
// linear.py Linear(in_features, out_features, bias=True); pooling.py MaxPool2d(kernel_size,
// stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False), AvgPool2d(
// kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
// divisor_override=None); batchnorm.py BatchNorm2d(num_features, eps=1e-5, momentum=0.1,
// affine=True, track_running_stats=True); dropout.py Dropout(p=0.5, inplace=False).
#include <fmt/format.h>

#include "import/layers.h"

namespace dlsolve::code {
namespace {

Json padding(const Args& a) {
    const auto& v = *a.named.at("padding");
    if (v.kind == V::Str) {
        if (v.text != "valid" && v.text != "same") throw CodeError(a.where.at("padding"), "padding='" + v.text + "': 'valid', 'same' or a number is supported");
        return v.text;
    }
    return to_size(a, "padding");
}

void no_padding_mode(const Args& a) {
    if (a.has("padding_mode") && to_text(a, "padding_mode") != "zeros")
        throw CodeError(a.where.at("padding_mode"), "padding_mode='" + to_text(a, "padding_mode") + "': zero padding is supported");
}

Json conv(const std::string& type, const Args& a) {
    no_padding_mode(a);
    Json j{{"type", type}, {"filters", to_int(a, "out_channels")}, {"kernel", to_size(a, "kernel_size")}};
    if (a.has("stride")) j["stride"] = to_size(a, "stride");
    if (a.has("padding")) j["padding"] = padding(a);
    if (a.has("output_padding")) j["output_padding"] = to_size(a, "output_padding");
    if (a.has("dilation")) j["dilation"] = to_size(a, "dilation");
    if (a.has("groups")) j["groups"] = to_int(a, "groups");
    if (a.has("bias")) j["use_bias"] = to_bool(a, "bias");
    j["in_channels"] = to_int(a, "in_channels");
    return j;
}

Json pool(const std::string& type, const Args& a) {
    Json j{{"type", type}, {"pool", to_size(a, "kernel_size")}};
    if (!is_none(a, "stride")) j["stride"] = to_size(a, "stride");
    if (a.has("padding")) j["padding"] = to_size(a, "padding");
    if (a.has("dilation")) j["dilation"] = to_size(a, "dilation");
    if (a.has("ceil_mode")) j["ceil_mode"] = to_bool(a, "ceil_mode");
    if (a.has("return_indices") && to_bool(a, "return_indices"))
        throw CodeError(a.where.at("return_indices"), "return_indices=True: the pooled tensor alone is supported");
    if (a.has("count_include_pad") && !to_bool(a, "count_include_pad"))
        throw CodeError(a.where.at("count_include_pad"), "count_include_pad=False: PyTorch's default (True) is supported");
    if (!is_none(a, "divisor_override")) throw CodeError(a.where.at("divisor_override"), "divisor_override: the default divisor is supported");
    return j;
}

// AdaptiveAvgPool2d(1) is the global pooling; other sizes keep their output size.
Json adaptive(bool average, const Args& a) {
    const Json size = to_size(a, "output_size");
    const bool one = size == Json(1) || size == Json::array({1, 1});
    if (one) return Json{{"type", average ? "global_avgpool2d" : "global_maxpool2d"}};
    if (!average) throw CodeError(a.where.at("output_size"), "AdaptiveMaxPool2d to a size other than 1: AdaptiveMaxPool2d(1) is supported");
    return Json{{"type", "adaptive_avgpool2d"}, {"output", size}};
}

// AdaptiveAvgPool1d(1) / AdaptiveMaxPool1d(1) are the global poolings of a sequence.
Json adaptive_1d(bool average, const Args& a) {
    if (to_size(a, "output_size") != Json(1))
        throw CodeError(a.where.at("output_size"), fmt::format("{} to a size other than 1: {}(1) is supported",
                                                               average ? "AdaptiveAvgPool1d" : "AdaptiveMaxPool1d",
                                                               average ? "AdaptiveAvgPool1d" : "AdaptiveMaxPool1d"));
    if (a.has("return_indices") && to_bool(a, "return_indices"))
        throw CodeError(a.where.at("return_indices"), "return_indices=True: the pooled tensor alone is supported");
    return Json{{"type", average ? "global_avgpool1d" : "global_maxpool1d"}};
}

Json batchnorm(const Args& a) {
    for (const char* k : {"affine", "track_running_stats"})
        if (a.has(k) && !to_bool(a, k)) throw CodeError(a.where.at(k), std::string(k) + "=False: PyTorch's default (True) is supported");
    Json j{{"type", "batchnorm"}};
    if (a.has("eps")) j["epsilon"] = to_real(a, "eps");
    (void)to_int(a, "num_features");  // checked to be an int; the channels come from the input
    return j;
}

Json plain(const char* type) { return Json{{"type", type}}; }

Json transformer(const char* type, const Args& a) {
    if (!a.has("batch_first") || !to_bool(a, "batch_first"))
        throw CodeError(a.has("batch_first") ? a.where.at("batch_first") : a.call,
                        std::string(a.callee) + " without batch_first=True: sequences [batch, T, d_model] (batch_first=True) are supported");
    if (a.has("layer_norm_eps") && to_real(a, "layer_norm_eps") != 1e-5)
        throw CodeError(a.where.at("layer_norm_eps"), "a layer_norm_eps other than 1e-5: PyTorch's default is supported");
    Json j{{"type", type}, {"d_model", to_int(a, "d_model")}, {"nhead", to_int(a, "nhead")}};
    if (a.has("dim_feedforward")) j["dim_feedforward"] = to_int(a, "dim_feedforward");
    if (a.has("activation")) {
        const std::string act = to_text(a, "activation");
        if (act != "relu" && act != "gelu") throw CodeError(a.where.at("activation"), "activation='" + act + "': 'relu' and 'gelu' are supported");
        j["activation"] = act;
    }
    if (a.has("norm_first")) j["norm_first"] = to_bool(a, "norm_first");
    if (a.has("bias")) j["bias"] = to_bool(a, "bias");
    return j;
}

const std::vector<LayerClass>& classes() {
    static const std::vector<LayerClass> table{
        {"Conv2d", {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"},
         [](const Args& a) { return conv("conv2d", a); }},
        {"Conv1d", {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias", "padding_mode"},
         [](const Args& a) { return conv("conv1d", a); }},
        {"ConvTranspose2d", {"in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation", "padding_mode"},
         [](const Args& a) { return conv("conv2d_transpose", a); }},
        {"Linear", {"in_features", "out_features", "bias"},
         [](const Args& a) {
             Json j{{"type", "dense"}, {"units", to_int(a, "out_features")}};
             if (a.has("bias")) j["use_bias"] = to_bool(a, "bias");
             j["in_features"] = to_int(a, "in_features");
             return j;
         }},
        // pooling.py: MaxPool1d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False),
        // AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)
        {"MaxPool1d", {"kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"}, [](const Args& a) { return pool("maxpool1d", a); }},
        {"AvgPool1d", {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"}, [](const Args& a) { return pool("avgpool1d", a); }},
        {"AdaptiveAvgPool1d", {"output_size"}, [](const Args& a) { return adaptive_1d(true, a); }},
        {"AdaptiveMaxPool1d", {"output_size", "return_indices"}, [](const Args& a) { return adaptive_1d(false, a); }},
        {"MaxPool2d", {"kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"}, [](const Args& a) { return pool("maxpool2d", a); }},
        {"AvgPool2d", {"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"}, [](const Args& a) { return pool("avgpool2d", a); }},
        {"AdaptiveAvgPool2d", {"output_size"}, [](const Args& a) { return adaptive(true, a); }},
        {"AdaptiveMaxPool2d", {"output_size", "return_indices"}, [](const Args& a) { return adaptive(false, a); }},
        {"BatchNorm2d", {"num_features", "eps", "momentum", "affine", "track_running_stats"}, batchnorm},
        {"BatchNorm1d", {"num_features", "eps", "momentum", "affine", "track_running_stats"}, batchnorm},
        // normalization.py: LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)
        {"LayerNorm", {"normalized_shape", "eps", "elementwise_affine"},
         [](const Args& a) {
             if (a.has("elementwise_affine") && !to_bool(a, "elementwise_affine"))
                 throw CodeError(a.where.at("elementwise_affine"), "elementwise_affine=False: PyTorch's default (True) is supported");
             Json j{{"type", "layernorm"}};
             if (a.has("eps")) j["epsilon"] = to_real(a, "eps");
             const Json shape = to_int_list(a, "normalized_shape");
             j["normalized_shape"] = shape.size() == 1 ? shape[0] : shape;
             return j;
         }},
        {"Dropout", {"p", "inplace"}, [](const Args& a) { return Json{{"type", "dropout"}, {"rate", a.has("p") ? to_real(a, "p") : 0.5}}; }},
        {"Dropout2d", {"p", "inplace"}, [](const Args& a) { return Json{{"type", "dropout"}, {"rate", a.has("p") ? to_real(a, "p") : 0.5}}; }},
        {"ReLU", {"inplace"}, [](const Args&) { return plain("relu"); }},
        {"Sigmoid", {}, [](const Args&) { return plain("sigmoid"); }},
        {"Tanh", {}, [](const Args&) { return plain("tanh"); }},
        {"LeakyReLU", {"negative_slope", "inplace"},
         [](const Args& a) {
             Json j{{"type", "leaky_relu"}};
             if (a.has("negative_slope")) j["alpha"] = to_real(a, "negative_slope");
             return j;
         }},
        // activation.py: Softmax(dim=None); dlsolve's softmax normalises the features (dim 1 / -1 of a vector)
        {"Softmax", {"dim"},
         [](const Args& a) {
             if (is_none(a, "dim") || (to_int(a, "dim") != 1 && to_int(a, "dim") != -1))
                 throw CodeError(a.has("dim") ? a.where.at("dim") : a.call, "Softmax without dim=1: Softmax(dim=1) on feature vectors is supported");
             return plain("softmax");
         }},
        // flatten.py: Flatten(start_dim=1, end_dim=-1)
        {"Flatten", {"start_dim", "end_dim"},
         [](const Args& a) {
             if ((a.has("start_dim") && to_int(a, "start_dim") != 1) || (a.has("end_dim") && to_int(a, "end_dim") != -1))
                 throw CodeError(a.call, "Flatten over other axes: Flatten() (start_dim=1, end_dim=-1) is supported");
             return plain("flatten");
         }},
        // upsampling.py: Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)
        {"Upsample", {"size", "scale_factor", "mode", "align_corners"},
         [](const Args& a) {
             if (!is_none(a, "size") || is_none(a, "scale_factor")) throw CodeError(a.call, "Upsample without an integer scale_factor: Upsample(scale_factor=2) is supported");
             Json j{{"type", "upsampling2d"}, {"size", to_size(a, "scale_factor")}};
             if (a.has("mode")) j["interpolation"] = to_text(a, "mode");
             if (a.has("align_corners") && !is_none(a, "align_corners") && to_bool(a, "align_corners"))
                 throw CodeError(a.where.at("align_corners"), "align_corners=True: align_corners=False is supported");
             return j;
         }},
        // padding.py: ZeroPad2d(padding), an int or (left, right, top, bottom); dlsolve writes [top, bottom, left, right]
        {"ZeroPad2d", {"padding"},
         [](const Args& a) {
             const Json p = to_int_list(a, "padding");
             if (p.size() == 1) return Json{{"type", "zeropadding2d"}, {"padding", p[0]}};
             if (p.size() != 4) throw CodeError(a.where.at("padding"), "a ZeroPad2d padding of " + std::to_string(p.size()) + " sizes: an int or (left, right, top, bottom) is supported");
             return Json{{"type", "zeropadding2d"}, {"padding", Json::array({p[2], p[3], p[0], p[1]})}};
         }},
        {"Embedding", {"num_embeddings", "embedding_dim"},
         [](const Args& a) { return Json{{"type", "embedding"}, {"input_dim", to_int(a, "num_embeddings")}, {"output_dim", to_int(a, "embedding_dim")}}; }},
        {"Identity", {}, [](const Args&) { return Json(); }},
        // transformer.py: TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
        // layer_norm_eps=1e-5, batch_first=False, norm_first=False); dlsolve reads [T, d_model] per sample: batch_first=True
        {"TransformerEncoderLayer", {"d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps", "batch_first", "norm_first", "bias"},
         [](const Args& a) { return transformer("transformer_encoder", a); }},
        {"TransformerDecoderLayer", {"d_model", "nhead", "dim_feedforward", "dropout", "activation", "layer_norm_eps", "batch_first", "norm_first", "bias"},
         [](const Args& a) { return transformer("transformer_decoder", a); }},
    };
    return table;
}

}  // namespace

const LayerClass* torch_class(const std::string& name) {
    for (const auto& c : classes())
        if (c.name == name) return &c;
    return nullptr;
}

const std::vector<std::string>& torch_ignored() {
    static const std::vector<std::string> words{"device", "dtype", "inplace", "momentum", "dropout"};
    return words;
}

}  // namespace dlsolve::code
