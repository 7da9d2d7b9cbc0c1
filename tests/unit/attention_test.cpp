// Multi-head attention, transformer blocks and positional encodings: counts worked by
// hand from the frameworks' sources (keras/src/layers/attention/multi_head_attention.py
// MultiHeadAttention.build; torch/nn/modules/activation.py MultiheadAttention.__init__,
// torch/nn/modules/transformer.py), values worked by hand.
#include <cmath>

#include <catch2/catch.hpp>

#include "helpers.h"

using dlsolve::Dims;
using dlsolve::test::error_of;
using dlsolve::test::run_numeric;
using dlsolve::test::solve;
using dlsolve::test::solve_text;

TEST_CASE("multi_head_attention counts: Keras kernels [d, h, k], PyTorch in_proj [3E, E]", "[layers][attention]") {
    // BERT-base: 3 × (768 × 12 × 64 + 12 × 64) + (12 × 64 × 768 + 768) = 2,362,368.
    auto keras = solve("keras", "[128, 768]", R"([{"name": "mha", "type": "multi_head_attention", "num_heads": 12, "key_dim": 64}])");
    CHECK(keras.shape("mha") == Dims{128, 768});
    CHECK(keras.params("mha") == 2362368);
    CHECK(keras.layer("mha").class_name == "MultiHeadAttention");
    auto torch = solve("pytorch", "[128, 768]", R"([{"name": "mha", "type": "multi_head_attention", "embed_dim": 768, "num_heads": 12}])");
    CHECK(torch.layer("mha").params.total.worked() == "4 × (768 × 768 + 768) = 2362368");
    CHECK(torch.layer("mha").class_name == "MultiheadAttention");
    // value_dim and output_shape: 2 × (6 × 2 × 3 + 2 × 3) + (6 × 2 × 5 + 2 × 5) + (2 × 5 × 4 + 4) = 84 + 70 + 44.
    auto sized = solve("keras", "[5, 6]",
                       R"([{"name": "mha", "type": "multi_head_attention", "num_heads": 2, "key_dim": 3, "value_dim": 5, "output_shape": 4}])");
    CHECK(sized.params("mha") == 198);
    CHECK(sized.shape("mha") == Dims{5, 4});
    auto no_bias = solve("keras", "[5, 6]", R"([{"name": "mha", "type": "multi_head_attention", "num_heads": 2, "key_dim": 3, "use_bias": false}])");
    CHECK(no_bias.params("mha") == 3 * 6 * 2 * 3 + 2 * 3 * 6);
}

TEST_CASE("multi_head_attention cross-attention: kdim, vdim and the call orders", "[layers][attention]") {
    // PyTorch [query, key, value]: q_proj 8 × 8 + 8, k_proj 8 × 3 + 8, v_proj 8 × 5 + 8, out_proj 8 × 8 + 8 = 224.
    auto torch = solve_text(R"({"title": "t", "framework": "pytorch", "input": {"name": "q", "shape": [4, 8]}, "layers": [
        {"name": "k", "type": "input", "shape": [6, 3]}, {"name": "v", "type": "input", "shape": [6, 5]},
        {"name": "mha", "type": "multi_head_attention", "embed_dim": 8, "num_heads": 2, "kdim": 3, "vdim": 5, "inputs": ["q", "k", "v"]}]})");
    CHECK(torch.params("mha") == 224);
    CHECK(torch.shape("mha") == Dims{4, 8});
    // MACs: q 4·8·8, k 6·3·8, v 6·5·8, QKᵀ 2·4·6·4, AV 2·4·6·4, out 4·8·8.
    dlsolve::count_costs(torch.problem, torch.analysis);
    CHECK(torch.layer("mha").cost.macs.value() == 256 + 144 + 240 + 192 + 192 + 256);
    // Keras [query, value]: the key is the value.
    auto keras = solve_text(R"({"title": "t", "framework": "keras", "input": {"name": "q", "shape": [4, 8]}, "layers": [
        {"name": "v", "type": "input", "shape": [6, 5]},
        {"name": "mha", "type": "multi_head_attention", "num_heads": 2, "key_dim": 3, "inputs": ["q", "v"]}]})");
    CHECK(keras.params("mha") == (8 * 6 + 6) + (5 * 6 + 6) + (5 * 6 + 6) + (6 * 8 + 8));
}

TEST_CASE("multi_head_attention rejects what the frameworks reject", "[layers][attention]") {
    CHECK(error_of("pytorch", "[4, 10]", R"([{"type": "multi_head_attention", "embed_dim": 10, "num_heads": 3}])") ==
          "/layers/0/num_heads: embed_dim 10 is not divisible by num_heads 3 (embed_dim must be divisible by num_heads)");
    CHECK(error_of("pytorch", "[4, 6]", R"([{"type": "multi_head_attention", "embed_dim": 8, "num_heads": 2}])").find(
              "the query has 6 features but embed_dim is 8") != std::string::npos);
}

TEST_CASE("transformer blocks count as nn.TransformerEncoderLayer and nn.TransformerDecoderLayer", "[layers][attention]") {
    // 12d² + 13d with d = 512, dff = 2048.
    auto enc = solve("pytorch", "[10, 512]", R"([{"name": "enc", "type": "transformer_encoder", "d_model": 512, "nhead": 8}])");
    CHECK(enc.params("enc") == 12 * 512 * 512 + 13 * 512);
    CHECK(enc.layer("enc").params.total.worked() ==
          "4 × (512 × 512 + 512) + 512 × 2048 + 2048 + 2048 × 512 + 512 + 2 × 2 × 512 = 3152384");
    auto dec = solve_text(R"({"title": "t", "framework": "pytorch", "input": {"name": "tgt", "shape": [20, 512]}, "layers": [
        {"name": "memory", "type": "input", "shape": [10, 512]},
        {"name": "dec", "type": "transformer_decoder", "d_model": 512, "nhead": 8, "inputs": ["tgt", "memory"]}]})");
    CHECK(dec.params("dec") == 4204032);
    auto no_bias = solve("pytorch", "[3, 8]", R"([{"name": "enc", "type": "transformer_encoder", "d_model": 8, "nhead": 2, "dim_feedforward": 16, "bias": false}])");
    CHECK(no_bias.params("enc") == 4 * 64 + 2 * 8 * 16 + 2 * 8);
}

TEST_CASE("positional_encoding: sinusoidal values, learned counts", "[layers][attention]") {
    auto learned = solve("pytorch", "[100, 768]", R"([{"name": "pe", "type": "positional_encoding", "kind": "learned", "max_len": 512}])");
    CHECK(learned.params("pe") == 512 * 768);
    auto n = run_numeric(R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "shape": [2, 4], "values": [[0, 0, 0, 0], [1, 1, 1, 1]]},
        "layers": [{"name": "pe", "type": "positional_encoding"}]})");
    const auto& y = n.output("pe");
    CHECK(y[0] == 0.0);
    CHECK(y[1] == 1.0);
    CHECK(y[4] == Approx(1 + std::sin(1.0)).epsilon(1e-15));
    CHECK(y[7] == Approx(1 + std::cos(0.01)).epsilon(1e-15));  // 10000^(2/4) = 100
    CHECK(n.explain("pe", 6).formula() == "1 + sin(1/100)");  // x + sin(pos/10000^(2i/d)), 2i = 2, d = 4
    CHECK(n.explain("pe", 6).symbolic().find("sin(pos1/10000^(2/4))") != std::string::npos);
}

TEST_CASE("multi_head_attention forward: two heads of width 1 on x = I", "[numeric][attention]") {
    // Head 1 sees feature 1: scores [[1, 0], [0, 0]], softmax row 1 = [e/(e + 1), 1/(e + 1)].
    auto n = run_numeric(R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "shape": [2, 2], "values": [[1, 0], [0, 1]]},
        "layers": [{"name": "attn", "type": "multi_head_attention", "embed_dim": 2, "num_heads": 2,
            "in_proj_weight": [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]], "in_proj_bias": [0, 0, 0, 0, 0, 0],
            "out_proj.weight": [[1, 0], [0, 1]], "out_proj.bias": [0, 0]}]})");
    const double e = std::exp(1.0);
    const auto& y = n.output("attn");
    CHECK(y[0] == Approx(e / (e + 1)).epsilon(1e-14));
    CHECK(y[1] == Approx(0.5).epsilon(1e-14));
    CHECK(y[3] == Approx(e / (e + 1)).epsilon(1e-14));
    CHECK(n.explain("attn", 0).to_double() == Approx(e / (e + 1)).epsilon(1e-14));
}

TEST_CASE("transformer_encoder values: zero weights leave two LayerNorms", "[numeric][attention]") {
    // Zero projections: self-attention gives out_proj.bias = 0 (the default); a zero linear1
    // and linear2 with bias 0 give 0. So y = LN2(LN1(x)): x = [1, 3] → LN1 = [−1, 1]/√(1 + ε),
    // then its variance is 1/(1 + ε) and y = [−1, 1]/√(1 + ε)/√(1/(1 + ε) + ε).
    auto n = run_numeric(R"({"title": "t", "framework": "pytorch", "input": {"name": "x", "shape": [1, 2], "values": [[1, 3]]},
        "layers": [{"name": "enc", "type": "transformer_encoder", "d_model": 2, "nhead": 1, "dim_feedforward": 2,
            "self_attn.in_proj_weight": [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], "self_attn.out_proj.weight": [[0, 0], [0, 0]],
            "linear1.weight": [[0, 0], [0, 0]], "linear1.bias": [0, 0], "linear2.weight": [[0, 0], [0, 0]], "linear2.bias": [0, 0]}]})");
    const double eps = 1e-5;
    const double expected = 1 / std::sqrt(1 + eps) / std::sqrt(1 / (1 + eps) + eps);
    CHECK(n.output("enc")[0] == Approx(-expected).epsilon(1e-14));
    CHECK(n.output("enc")[1] == Approx(expected).epsilon(1e-14));
}
