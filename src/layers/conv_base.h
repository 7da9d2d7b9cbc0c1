// What Conv2D and Conv2DTranspose share, as Keras's base Conv class does: the keys,
// the channel checks and the parameter count F × (k_h × k_w × C_in/g + 1).
#pragma once

#include <optional>
#include <string>

#include "ir/layer.h"
#include "layers/common.h"

namespace dlsolve {

struct ConvOptions {
    int64_t filters = 1;
    Pair kernel{1, 1};
    Pair stride{1, 1};
    Pair dilation{1, 1};
    Padding padding;
    int64_t groups = 1;
    bool use_bias = true;
    std::string activation;
    std::optional<int64_t> in_channels;
};

ConvOptions read_conv_options(Fields& fields, const Convention& convention, bool same_allowed);

// Checks in_channels and the groups against the input's channels.
void check_conv_channels(const ConvOptions& options, int64_t channels);

// F × (k_h × k_w × C_in/g + 1), without the + 1 when there is no bias.
ParamCount conv_params(const ConvOptions& options, int64_t channels);

// k_h × k_w × C_in/g × F × H × W multiply-accumulates, where H × W is the output of a
// convolution and the input of a transposed convolution (each input value meets
// every weight of its group once), plus the fused activation.
Cost conv_cost(const ConvOptions& options, int64_t channels, int64_t height, int64_t width, const Dims& output,
               const Convention& convention);

}  // namespace dlsolve
