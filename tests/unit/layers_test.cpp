// Each layer kind's output-shape and parameter rule, in both conventions. Expected
// figures are worked by hand from the Keras and PyTorch documentation formulas.
#include <catch2/catch.hpp>

#include "helpers.h"

using dlsolve::Dims;
using dlsolve::test::error_of;
using dlsolve::test::solve;

TEST_CASE("conv2d, Keras: valid, same, strides, dilation", "[layers][conv2d]") {
    auto s = solve("keras", "[28, 28, 1]", R"([
        {"name": "valid", "type": "conv2d", "filters": 32, "kernel": 3},
        {"name": "same2", "type": "conv2d", "filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
        {"name": "valid2", "type": "conv2d", "filters": 8, "kernel": 3, "stride": 2},
        {"name": "dilated", "type": "conv2d", "filters": 4, "kernel": 3, "dilation": 2}])");
    CHECK(s.shape("valid") == Dims{26, 26, 32});
    CHECK(s.params("valid") == 320);  // 32 × (3 × 3 × 1 + 1)
    CHECK(s.shape("same2") == Dims{13, 13, 8});  // ⌈26/2⌉
    CHECK(s.shape("valid2") == Dims{6, 6, 8});   // ⌊(13 − 3)/2⌋ + 1
    CHECK(s.shape("dilated") == Dims{2, 2, 4});  // k_eff = 2·(3 − 1) + 1 = 5 > … 6 − 5 + 1
    CHECK(s.layer("same2").output.dims[0].worked() == "⌈26/2⌉ = 13");
    CHECK(s.layer("dilated").output.dims[0].worked() == "⌊(6 − (2·(3 − 1) + 1))/1⌋ + 1 = 2");
    CHECK(s.layer("valid").params.total.worked() == "32 × (3 × 3 × 1 + 1) = 320");
}

TEST_CASE("conv2d, PyTorch: explicit padding, h ≠ w, groups, no bias", "[layers][conv2d]") {
    auto s = solve("pytorch", "[3, 224, 224]", R"([
        {"name": "alex1", "type": "conv2d", "filters": 64, "kernel": 11, "stride": 4, "padding": 2},
        {"name": "rect", "type": "conv2d", "filters": 32, "kernel": [3, 5], "padding": [1, 2]},
        {"name": "grouped", "type": "conv2d", "filters": 64, "kernel": 3, "groups": 4},
        {"name": "depthwise", "type": "conv2d", "filters": 64, "kernel": 3, "groups": 64, "use_bias": false}])");
    CHECK(s.shape("alex1") == Dims{64, 55, 55});  // ⌊(224 − 11 + 2·2)/4⌋ + 1
    CHECK(s.params("alex1") == 23296);
    CHECK(s.layer("alex1").output.dims[1].worked() == "⌊(224 − 11 + 2·2)/4⌋ + 1 = 55");
    CHECK(s.shape("rect") == Dims{32, 55, 55});
    CHECK(s.params("rect") == 32 * (3 * 5 * 64 + 1));
    CHECK(s.shape("grouped") == Dims{64, 53, 53});
    CHECK(s.params("grouped") == 64 * (3 * 3 * 8 + 1));
    CHECK(s.layer("grouped").params.total.worked() == "64 × (3 × 3 × 32/4 + 1) = 4672");
    CHECK(s.params("depthwise") == 64 * 3 * 3);
}

TEST_CASE("conv2d rejects what the framework rejects", "[layers][conv2d]") {
    CHECK(error_of("keras", "[4, 4, 3]", R"([{"type": "conv2d", "filters": 2, "kernel": 5}])") ==
          "layer \"conv2d\" (/layers/0): kernel 5 (height) is larger than the input H = 4");
    CHECK(error_of("pytorch", "[3, 4, 4]", R"([{"type": "conv2d", "filters": 2, "kernel": 7, "padding": 1}])") ==
          "layer \"0\" (/layers/0): kernel 7 (height) is larger than the padded input H = 4 + 2·1 = 6");
    CHECK(error_of("pytorch", "[3, 8, 8]", R"([{"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": "same"}])") ==
          "/layers/0/padding: PyTorch does not support padding=\"same\" with stride > 1; give the padding in pixels");
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "conv2d", "filters": 2, "kernel": 3, "padding": 1}])") ==
          "/layers/0/padding: expected \"valid\" or \"same\", found 1");
    CHECK(error_of("pytorch", "[6, 8, 8]", R"([{"type": "conv2d", "filters": 4, "kernel": 3, "groups": 4}])") ==
          "layer \"0\" (/layers/0): input channels (6) must be divisible by groups (4)");
    CHECK(error_of("pytorch", "[6, 8, 8]", R"([{"type": "conv2d", "filters": 4, "kernel": 3, "in_channels": 3}])") ==
          "layer \"0\" (/layers/0): in_channels is 3 but the input has 6 channels");
    CHECK(error_of("keras", "[100]", R"([{"type": "conv2d", "filters": 4, "kernel": 3}])") ==
          "layer \"conv2d\" (/layers/0): expected an image input [H, W, C], found shape [100]");
}

TEST_CASE("conv2d_transpose in both conventions", "[layers][conv2d_transpose]") {
    auto k = solve("keras", "[3, 3, 128]", R"([
        {"name": "valid", "type": "conv2d_transpose", "filters": 64, "kernel": 3, "stride": 2},
        {"name": "same", "type": "conv2d_transpose", "filters": 32, "kernel": 3, "stride": 2, "padding": "same"},
        {"name": "outpad", "type": "conv2d_transpose", "filters": 16, "kernel": 3, "stride": 2, "padding": "same", "output_padding": 1}])");
    CHECK(k.shape("valid") == Dims{7, 7, 64});  // 3·2 + max(3 − 2, 0)
    CHECK(k.layer("valid").output.dims[0].worked() == "3 × 2 + max(3 − 2, 0) = 7");
    CHECK(k.params("valid") == 64 * (3 * 3 * 128 + 1));
    CHECK(k.shape("same") == Dims{14, 14, 32});
    CHECK(k.shape("outpad") == Dims{28, 28, 16});  // (14 − 1)·2 + 3 − 2·1 + 1
    auto t = solve("pytorch", "[16, 7, 7]", R"([
        {"name": "up", "type": "conv2d_transpose", "filters": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}])");
    CHECK(t.shape("up") == Dims{8, 14, 14});  // (7 − 1)·2 − 2·1 + 3 + 1
    CHECK(t.params("up") == 16 * 8 * 9 + 8);
    CHECK(error_of("pytorch", "[16, 7, 7]", R"([{"type": "conv2d_transpose", "filters": 8, "kernel": 3, "stride": 2, "output_padding": 2}])") ==
          "/layers/0/output_padding: output_padding must be smaller than the stride or the dilation, found [2, 2]");
}

TEST_CASE("pooling: Keras defaults, PyTorch ceil_mode and padding", "[layers][pool]") {
    CHECK(solve("keras", "[7, 7, 8]", R"([{"name": "p", "type": "maxpool2d"}])").shape("p") == Dims{3, 3, 8});
    CHECK(solve("keras", "[7, 7, 8]", R"([{"name": "p", "type": "avgpool2d", "padding": "same"}])").shape("p") == Dims{4, 4, 8});
    CHECK(solve("keras", "[7, 7, 8]", R"([{"name": "p", "type": "maxpool2d", "pool": 3, "stride": 1}])").shape("p") == Dims{5, 5, 8});
    auto t = solve("pytorch", "[64, 112, 112]", R"([
        {"name": "ceil", "type": "maxpool2d", "pool": 3, "stride": 2, "ceil_mode": true},
        {"name": "padded", "type": "maxpool2d", "pool": 3, "stride": 2, "padding": 1},
        {"name": "dropped", "type": "maxpool2d", "pool": 2, "stride": 2, "padding": 1, "ceil_mode": true}])");
    CHECK(t.shape("ceil") == Dims{64, 56, 56});    // ⌈(112 − 3)/2⌉ + 1
    CHECK(t.shape("padded") == Dims{64, 28, 28});  // ⌊(56 − 3 + 2)/2⌋ + 1
    CHECK(t.shape("dropped") == Dims{64, 15, 15}); // the last window would start in the padding
    CHECK(error_of("pytorch", "[3, 8, 8]", R"([{"type": "maxpool2d"}])") ==
          "/layers/0: missing required key \"pool\" (a positive integer or [h, w])");
    CHECK(error_of("pytorch", "[3, 8, 8]", R"([{"type": "maxpool2d", "pool": 2, "padding": 2}])") ==
          "/layers/0/padding: padding must be at most half the pool size 2×2, found [2, 2]");
    CHECK(error_of("pytorch", "[3, 8, 8]", R"([{"type": "avgpool2d", "pool": 2, "dilation": 2}])") ==
          "/layers/0/dilation: unknown key \"dilation\"");
    CHECK(error_of("keras", "[1, 1, 3]", R"([{"type": "maxpool2d"}])") ==
          "layer \"max_pooling2d\" (/layers/0): pool 2 (height) is larger than the input H = 1");
}

TEST_CASE("global and adaptive pooling", "[layers][pool]") {
    CHECK(solve("keras", "[8, 8, 24]", R"([{"name": "g", "type": "global_avgpool2d"}])").shape("g") == Dims{24});
    CHECK(solve("pytorch", "[24, 8, 8]", R"([{"name": "g", "type": "global_maxpool2d"}])").shape("g") == Dims{24, 1, 1});
    CHECK(solve("pytorch", "[256, 13, 13]", R"([{"name": "a", "type": "adaptive_avgpool2d", "output": 6}])").shape("a") == Dims{256, 6, 6});
    CHECK(error_of("keras", "[8, 8, 3]", R"([{"type": "adaptive_avgpool2d", "output": 6}])") ==
          "/layers/0/type: adaptive_avgpool2d is a PyTorch layer; Keras has no such class");
}

TEST_CASE("upsampling, zero padding, flatten, reshape", "[layers]") {
    auto s = solve("keras", "[7, 7, 64]", R"([
        {"name": "up", "type": "upsampling2d"},
        {"name": "pad", "type": "zeropadding2d", "padding": [1, 2]},
        {"name": "pad4", "type": "zeropadding2d", "padding": [0, 1, 2, 3]},
        {"name": "flat", "type": "flatten"},
        {"name": "back", "type": "reshape", "target_shape": [-1, 64]}])");
    CHECK(s.shape("up") == Dims{14, 14, 64});
    CHECK(s.shape("pad") == Dims{16, 18, 64});
    CHECK(s.shape("pad4") == Dims{17, 23, 64});
    CHECK(s.shape("flat") == Dims{17 * 23 * 64});
    CHECK(s.layer("flat").output.dims[0].worked() == "17 × 23 × 64 = 25024");
    CHECK(s.shape("back") == Dims{391, 64});
    CHECK(error_of("keras", "[10]", R"([{"type": "reshape", "target_shape": [3, -1]}])") ==
          "layer \"reshape\" (/layers/0): cannot reshape 10 elements into [3, -1]: 10 is not divisible by 3");
    CHECK(error_of("keras", "[10]", R"([{"type": "reshape", "target_shape": [3, 3]}])") ==
          "layer \"reshape\" (/layers/0): cannot reshape [10] (10 elements) into [3, 3] (9 elements)");
}

TEST_CASE("dense acts on the last axis", "[layers][dense]") {
    auto s = solve("keras", "[3584]", R"([
        {"name": "d1", "type": "dense", "units": 1024, "activation": "relu"},
        {"name": "d2", "type": "dense", "units": 43, "use_bias": false}])");
    CHECK(s.shape("d1") == Dims{1024});
    CHECK(s.params("d1") == 3671040);  // 1024 × (3584 + 1), the exam's key
    CHECK(s.layer("d1").params.total.worked() == "1024 × (3584 + 1) = 3671040");
    CHECK(s.params("d2") == 1024 * 43);
    CHECK(solve("pytorch", "[5, 7]", R"([{"name": "l", "type": "dense", "units": 3}])").shape("l") == Dims{5, 3});
}

TEST_CASE("batchnorm: Keras 4·C with 2·C non-trainable, PyTorch 2·C plus 2·C buffers", "[layers][batchnorm]") {
    auto k = solve("keras", "[32, 64, 128]", R"([{"name": "bn", "type": "batchnorm"}])");
    CHECK(k.params("bn") == 512);
    CHECK(k.layer("bn").params.trainable.value() == 256);
    CHECK(k.layer("bn").params.non_trainable.value() == 256);
    CHECK(k.layer("bn").class_name == "BatchNormalization");
    CHECK(k.analysis.totals.non_trainable.worked() == "2 × 128 = 256");
    auto t = solve("pytorch", "[3, 32, 64]", R"([{"name": "bn", "type": "batchnorm"}, {"type": "flatten"}, {"name": "bn1", "type": "batchnorm"}])");
    CHECK(t.params("bn") == 6);
    CHECK(t.layer("bn").params.buffers.value() == 6);  // running mean and variance, 001 7.3
    CHECK(t.layer("bn").params.non_trainable.value() == 0);
    CHECK(t.layer("bn").class_name == "BatchNorm2d");
    CHECK(t.layer("bn1").class_name == "BatchNorm1d");
    CHECK(t.params("bn1") == 2 * 3 * 32 * 64);
}

TEST_CASE("layernorm, dropout and activations keep the shape", "[layers]") {
    auto k = solve("keras", "[10, 64]", R"([
        {"name": "ln", "type": "layernorm"}, {"name": "drop", "type": "dropout", "rate": 0.5},
        {"name": "act", "type": "activation", "activation": "relu"}, {"name": "r", "type": "relu"},
        {"name": "lr", "type": "leaky_relu", "alpha": 0.2}, {"name": "sm", "type": "softmax"},
        {"name": "ht", "type": "hard_threshold"}])");
    CHECK(k.params("ln") == 128);
    for (const char* name : {"drop", "act", "r", "lr", "sm", "ht"}) {
        CHECK(k.shape(name) == Dims{10, 64});
        CHECK(k.params(name) == 0);
    }
    CHECK(k.layer("act").class_name == "Activation");
    CHECK(k.layer("r").class_name == "ReLU");
    auto t = solve("pytorch", "[8, 4, 4]", R"([{"name": "ln", "type": "layernorm", "normalized_shape": [8, 4, 4]}, {"name": "s", "type": "sigmoid"}])");
    CHECK(t.params("ln") == 256);
    CHECK(t.layer("s").class_name == "Sigmoid");
    CHECK(error_of("pytorch", "[8, 4, 4]", R"([{"type": "layernorm", "normalized_shape": [4, 8]}])") ==
          "layer \"0\" (/layers/0): normalized_shape [4, 8] does not match the trailing axes of the input [8, 4, 4]");
    CHECK(error_of("keras", "[8]", R"([{"type": "dropout", "rate": 1}])") ==
          "/layers/0/rate: expected a number ≥ 0 and < 1, found 1");
}

TEST_CASE("concat and add over a DAG", "[layers][merge]") {
    auto k = solve("keras", "[16, 16, 3]", R"([
        {"name": "a", "type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"},
        {"name": "b", "type": "conv2d", "filters": 64, "kernel": 3, "padding": "same", "inputs": ["x"]},
        {"name": "cat", "type": "concat", "inputs": ["a", "b"]},
        {"name": "c", "type": "conv2d", "filters": 96, "kernel": 1, "inputs": ["x"]},
        {"name": "sum", "type": "add", "inputs": ["cat", "c"]}])");
    CHECK(k.shape("cat") == Dims{16, 16, 96});
    CHECK(k.layer("cat").output.dims[2].worked() == "32 + 64 = 96");
    CHECK(k.shape("sum") == Dims{16, 16, 96});
    auto t = solve("pytorch", "[3, 16, 16]", R"([
        {"name": "a", "type": "conv2d", "filters": 8, "kernel": 3, "padding": 1},
        {"name": "b", "type": "maxpool2d", "pool": 1, "inputs": ["x"]},
        {"name": "cat", "type": "concat", "inputs": ["a", "b", "x"]}])");
    CHECK(t.shape("cat") == Dims{14, 16, 16});
    CHECK(error_of("keras", "[16, 16, 3]", R"([
        {"name": "p", "type": "maxpool2d"}, {"name": "cat", "type": "concat", "inputs": ["x", "p"]}])") ==
          "layer \"cat\" (/layers/1): cannot concatenate along C: input \"x\" has shape [16, 16, 3] but \"p\" has shape [8, 8, 3]");
    CHECK(error_of("keras", "[16, 16, 3]", R"([
        {"name": "c", "type": "conv2d", "filters": 4, "kernel": 1}, {"name": "s", "type": "add", "inputs": ["x", "c"]}])") ==
          "layer \"s\" (/layers/1): cannot add tensors of different shapes: input \"x\" has shape [16, 16, 3] but \"c\" has shape [16, 16, 4]");
    CHECK(error_of("keras", "[16, 16, 3]", R"([{"type": "concat"}])") ==
          "layer \"concatenate\" (/layers/0): concat takes at least 2 inputs (list them in \"inputs\"), found 1");
}

TEST_CASE("a frozen layer's parameters are non-trainable", "[layers][params]") {
    auto k = solve("keras", "[10]", R"([{"name": "d", "type": "dense", "units": 4, "trainable": false}, {"name": "e", "type": "dense", "units": 2}])");
    CHECK(k.analysis.totals.total.value() == 44 + 10);
    CHECK(k.analysis.totals.trainable.value() == 10);
    CHECK(k.analysis.totals.non_trainable.value() == 44);
}
