#include "layers/registry.h"

namespace dlsolve {

const std::vector<LayerKind>& layer_kinds() {
    static const std::vector<LayerKind> kinds{
        {"input", parse_input},
        {"conv2d", parse_conv2d},
        {"conv1d", parse_conv1d},  // after conv2d: "conv" suggests the common one
        {"conv2d_transpose", parse_conv2d_transpose},
        {"maxpool2d", parse_pool2d},
        {"avgpool2d", parse_pool2d},
        {"global_avgpool2d", parse_global_pool2d},
        {"global_maxpool2d", parse_global_pool2d},
        {"adaptive_avgpool2d", parse_adaptive_avgpool2d},
        {"maxpool1d", parse_pool1d},
        {"avgpool1d", parse_pool1d},
        {"global_maxpool1d", parse_global_pool1d},
        {"global_avgpool1d", parse_global_pool1d},
        {"upsampling2d", parse_upsampling2d},
        {"zeropadding2d", parse_zeropadding2d},
        {"flatten", parse_flatten},
        {"reshape", parse_reshape},
        {"dense", parse_dense},
        {"batchnorm", parse_batchnorm},
        {"layernorm", parse_layernorm},
        {"dropout", parse_dropout},
        {"activation", parse_activation},
        {"relu", parse_activation},
        {"leaky_relu", parse_activation},
        {"sigmoid", parse_activation},
        {"tanh", parse_activation},
        {"softmax", parse_activation},
        {"linear", parse_activation},
        {"hard_threshold", parse_activation},
        {"embedding", parse_embedding},
        {"simple_rnn", parse_simple_rnn},
        {"lstm", parse_lstm},
        {"gru", parse_gru},
        {"concat", parse_concat},
        {"add", parse_add},
        {"parameter", parse_parameter},
        {"subtract", parse_subtract},
        {"multiply", parse_multiply},
        {"matmul", parse_matmul},
        {"scale", parse_scale},
        {"attention", parse_attention},
        {"multi_head_attention", parse_multi_head_attention},
        {"transformer_encoder", parse_transformer_encoder},
        {"transformer_decoder", parse_transformer_decoder},
        {"positional_encoding", parse_positional_encoding},
    };
    return kinds;
}

const LayerKind* find_layer_kind(std::string_view type) {
    for (const auto& kind : layer_kinds())
        if (kind.type == type) return &kind;
    return nullptr;
}

}  // namespace dlsolve
