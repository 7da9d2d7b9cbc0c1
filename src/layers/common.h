// Arithmetic shared by the layer kinds that slide a window over H and W (convolution,
// transposed convolution, pooling), and the words they share. Each formula is built as
// an Expr, so the output size shows how it was computed: ⌊(28 − 5 + 2·2)/1⌋ + 1 = 28.
#pragma once

#include <string>

#include "expr/expr.h"
#include "ir/convention.h"
#include "problem/fields.h"

namespace dlsolve {

struct Padding {
    enum class Kind { Valid, Same, Explicit };
    Kind kind = Kind::Valid;
    Pair pixels{0, 0};  // per side, for Explicit
};

// Reads "padding": "valid" | "same" | pixels (pixels only where the convention has them).
Padding read_padding(Fields& fields, const Convention& convention, bool same_allowed);

// One spatial axis of a sliding window.
struct Window {
    int64_t kernel;
    int64_t stride;
    int64_t dilation;
    int64_t pad;  // explicit pixels on each side
};

struct Axis {
    const char* size;    // "H" or "W"
    const char* suffix;  // "h" or "w"
};
inline constexpr Axis kHeight{"H", "h"};
inline constexpr Axis kWidth{"W", "w"};

// k_eff = d·(k − 1) + 1, or just k when d = 1.
Expr effective_kernel(const Window& window, const Axis& axis);

// Output size of a convolution or pooling window along one axis. `same`: ⌈n/s⌉;
// otherwise ⌊(n − k_eff + 2·p)/s⌋ + 1 (⌈…⌉ with ceil_mode, as PyTorch pools).
// Throws LayerError when the window does not fit in the padded input.
Expr sliding_output(int64_t n, const Window& window, Padding::Kind padding, const Axis& axis, bool ceil_mode,
                    const char* window_name);

// Output size of a transposed convolution along one axis.
Expr transposed_output(int64_t n, const Window& window, Padding::Kind padding, int64_t output_padding,
                       bool output_padding_given, const Axis& axis);

// Activation words accepted by "activation" keys and the activation layer.
std::string read_activation(Fields& fields, bool required);

}  // namespace dlsolve
