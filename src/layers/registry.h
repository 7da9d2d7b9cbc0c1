// The one list of layer kinds: a problem-file word and the function that reads a
// layer of that kind. Adding a kind is one file in src/layers/ and one line in
// registry.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ir/convention.h"
#include "ir/layer.h"
#include "problem/fields.h"

namespace dlsolve {

using LayerParser = std::unique_ptr<Layer> (*)(Fields& fields, const Convention& convention, std::string_view type);

struct LayerKind {
    std::string_view type;
    LayerParser parse;
};

const std::vector<LayerKind>& layer_kinds();
const LayerKind* find_layer_kind(std::string_view type);

// The model input of a given shape (when a problem gives values instead of a shape).
std::unique_ptr<Layer> make_input(Dims shape);

// Parsers, one per file in src/layers/.
std::unique_ptr<Layer> parse_input(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_parameter(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_conv1d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_conv2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_conv2d_transpose(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_pool2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_global_pool2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_pool1d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_global_pool1d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_adaptive_avgpool2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_upsampling2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_zeropadding2d(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_flatten(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_reshape(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_dense(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_batchnorm(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_layernorm(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_dropout(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_activation(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_embedding(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_simple_rnn(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_lstm(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_gru(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_concat(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_add(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_subtract(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_multiply(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_matmul(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_scale(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_attention(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_multi_head_attention(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_transformer_encoder(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_transformer_decoder(Fields&, const Convention&, std::string_view);
std::unique_ptr<Layer> parse_positional_encoding(Fields&, const Convention&, std::string_view);

}  // namespace dlsolve
