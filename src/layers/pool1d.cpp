// Pooling over a sequence: MaxPooling1D / nn.MaxPool1d and AveragePooling1D /
// nn.AvgPool1d (a window with no parameters, the stride defaulting to the pool size), and
// GlobalMaxPooling1D / GlobalAveragePooling1D, whose PyTorch forms AdaptiveMaxPool1d(1) /
// AdaptiveAvgPool1d(1) keep a length-1 axis. Keras reads [T, C], PyTorch [C, T].
#include <algorithm>

#include <fmt/format.h>

#include "layers/pooling.h"
#include "layers/registry.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

constexpr Axis kTime{"T", "t"};

// A batch of sequences, [N, T, C] (Keras) or [N, C, T] (PyTorch), and where (n, c, t) lives.
struct SequenceBatch {
    int64_t batch, steps, channels;
    bool channels_last;
    SequenceBatch(const Dims& shape, const Convention& c)
        : batch(shape[0]), steps(c.channels_last ? shape[1] : shape[2]), channels(c.channels_last ? shape[2] : shape[1]),
          channels_last(c.channels_last) {}
    size_t at(int64_t n, int64_t ch, int64_t t) const {
        return static_cast<size_t>(channels_last ? (n * steps + t) * channels + ch : (n * channels + ch) * steps + t);
    }
    // (n, c, t) of a flat index.
    std::array<int64_t, 3> position(size_t flat) const {
        const auto f = static_cast<int64_t>(flat);
        if (channels_last) return {f / (steps * channels), f % channels, f / channels % steps};
        return {f / (steps * channels), f / steps % channels, f % steps};
    }
};

// (steps, channels) of one sample's sequence.
std::pair<int64_t, int64_t> sequence(const Dims& in, const Convention& c, const char* what) {
    if (in.size() != 2)
        throw LayerError(fmt::format("{} reads a sequence {}, found {}", what, c.channels_last ? "[T, C]" : "[C, T]", format_dims(in)));
    return c.channels_last ? std::pair{in[0], in[1]} : std::pair{in[1], in[0]};
}

ShapeExpr sequence_shape(Expr steps, int64_t channels, const Convention& c) {
    Expr ch = Expr::sym("C", channels);
    if (c.channels_last) return {{std::move(steps), std::move(ch)}, {"T", "C"}};
    return {{std::move(ch), std::move(steps)}, {"C", "T"}};
}

class Pool1D : public CellPool {
public:
    int64_t pool = 2, stride = 2, dilation = 1;
    Padding padding;
    bool ceil_mode = false;

    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        if (is_max) return std::string(c.pick<std::string_view>("MaxPooling1D", "MaxPool1d"));
        return std::string(c.pick<std::string_view>("AveragePooling1D", "AvgPool1d"));
    }

    Expr steps_out(const Dims& in, const Convention& c) const {
        return sliding_output(sequence(in, c, "1-D pooling").first, {pool, stride, dilation, padding.pixels.w}, padding.kind, kTime,
                              ceil_mode, "pool");
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        return sequence_shape(steps_out(in[0], c), sequence(in[0], c, "1-D pooling").second, c);
    }

    // Max: k − 1 comparisons per output; average: k − 1 additions and a division.
    Cost cost(const std::vector<Dims>&, const Dims& out, const Convention& c) const override {
        const Expr window = Expr::sym("k", pool), outputs = element_count(out, c);
        if (is_max) return {Expr(), outputs * (window - 1), "k − 1 comparisons per output"};
        return {Expr(), outputs * window, "k − 1 additions and 1 division per output"};
    }

    // Output (n, c, i) reads steps i·s − pad + a·d (a < k); padding holds no cell. The
    // divisor of an average is Pool2D's: PyTorch's window clipped to the padded input,
    // Keras's the cells it holds.
    PoolCells cells(const Dims& x_shape, const Dims& y_shape, size_t flat, const Convention& c) const override {
        const SequenceBatch x(x_shape, c), y(y_shape, c);
        const auto [n, ch, i] = y.position(flat);
        const int64_t span = dilation * (pool - 1) + 1;
        const int64_t first = i * stride - pad_before(padding, padding.pixels.w, x.steps, y.steps, span, stride);
        PoolCells w;
        for (int64_t a = 0; a < pool; ++a) {
            const int64_t t = first + a * dilation;
            if (t >= 0 && t < x.steps) w.cells.push_back(x.at(n, ch, t));
        }
        w.divisor = c.avg_pool_counts_padding ? std::min(first + pool, x.steps + padding.pixels.w) - first
                                              : static_cast<int64_t>(w.cells.size());
        return w;
    }
};

class GlobalPool1D : public CellPool {
public:
    std::string class_name(const Convention& c, const std::vector<Dims>&) const override {
        if (is_max) return std::string(c.pick<std::string_view>("GlobalMaxPooling1D", "AdaptiveMaxPool1d"));
        return std::string(c.pick<std::string_view>("GlobalAveragePooling1D", "AdaptiveAvgPool1d"));
    }

    ShapeExpr output_shape(const std::vector<Dims>& in, const Convention& c) const override {
        const int64_t channels = sequence(in[0], c, "global 1-D pooling").second;
        if (c.global_pool_keeps_spatial) return sequence_shape(Expr(1), channels, c);
        return {{Expr::sym("C", channels)}, {"C"}};
    }

    Cost cost(const std::vector<Dims>& in, const Dims&, const Convention& c) const override {
        const auto [steps, channels] = sequence(in[0], c, "global 1-D pooling");
        const Expr t = Expr::sym("T", steps), ch = Expr::sym("C", channels);
        if (is_max) return {Expr(), ch * (t - 1), "T − 1 comparisons per channel"};
        return {Expr(), ch * t, "T − 1 additions and 1 division per channel"};
    }

    // Output (n, c) reads every step of channel c.
    PoolCells cells(const Dims& x_shape, const Dims&, size_t flat, const Convention& c) const override {
        const SequenceBatch x(x_shape, c);
        const auto n = static_cast<int64_t>(flat) / x.channels, ch = static_cast<int64_t>(flat) % x.channels;
        PoolCells w;
        for (int64_t t = 0; t < x.steps; ++t) w.cells.push_back(x.at(n, ch, t));
        w.divisor = x.steps;
        w.divisor_name = "T";
        return w;
    }
};

}  // namespace

std::unique_ptr<Layer> parse_pool1d(Fields& fields, const Convention& convention, std::string_view type) {
    auto layer = std::make_unique<Pool1D>();
    layer->is_max = type == "maxpool1d";
    const int64_t fallback = convention.default_pool_size;
    layer->pool = fallback > 0 ? fields.positive("pool", fallback) : fields.positive("pool");
    layer->stride = fields.positive("stride", layer->pool);
    layer->padding = read_padding(fields, convention, convention.pooling_accepts_same);
    if (layer->padding.kind == Padding::Kind::Explicit && layer->padding.pixels.h != layer->padding.pixels.w)
        fields.fail("padding", "a number of steps (one integer)");
    if (convention.pooling_has_ceil_mode) {
        layer->ceil_mode = fields.boolean("ceil_mode", false);
        if (layer->is_max) layer->dilation = fields.positive("dilation", 1);
    }
    // PyTorch: "pad should be at most half of effective kernel size".
    if (layer->padding.pixels.w > layer->pool / 2)
        throw ProblemError(fields.path_of("padding"), fmt::format("padding must be at most half the pool size {}, found {}",
                                                                  layer->pool, layer->padding.pixels.w));
    return layer;
}

std::unique_ptr<Layer> parse_global_pool1d(Fields&, const Convention&, std::string_view type) {
    auto layer = std::make_unique<GlobalPool1D>();
    layer->is_max = type == "global_maxpool1d";
    return layer;
}

}  // namespace dlsolve
