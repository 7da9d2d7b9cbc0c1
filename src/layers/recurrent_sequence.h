// Where a recurrent layer's output elements come from (sample, direction, processing
// step, unit) and how each direction reads its input: shared by the numeric rules
// (recurrent_numeric.cpp) and the worked backpropagation through time (recurrent_chain.cpp).
#pragma once

#include <fmt/format.h>

#include "layers/common.h"
#include "layers/recurrent.h"
#include "problem/error.h"

namespace dlsolve {

// Where each output element comes from: sample, direction, unit, and the step of that
// direction's pass (1 = after its first input) and the time position it reads there.
struct Sequence {
    int64_t batch, steps, features, units, directions;
    bool all_steps, last_is_final;

    // Input row read at processing step s (0-based) by direction d.
    int64_t time_of(int d, int64_t s) const { return d == 0 ? s : steps - 1 - s; }
    // The processing step (0-based) whose state the output at time t / the last output shows.
    int64_t step_at(int d, int64_t t) const { return d == 0 ? t : steps - 1 - t; }
    int64_t last_step(int d) const { return d == 0 || last_is_final ? steps - 1 : 0; }
    size_t output(int64_t n, int64_t t, int d, int64_t j) const {
        const int64_t width = directions * units;
        return static_cast<size_t>(all_steps ? (n * steps + t) * width + d * units + j : n * width + d * units + j);
    }
    size_t input(int64_t n, int64_t t, int64_t i) const { return static_cast<size_t>((n * steps + t) * features + i); }
    // Output element `flat` as its sample n, processing step s, direction d and unit j.
    struct Position {
        int64_t n, s;
        int d;
        int64_t j;
    };
    Position locate(size_t flat) const {
        const int64_t f = static_cast<int64_t>(flat), width = directions * units;
        const int d = static_cast<int>(f / units % directions);
        if (!all_steps) return {f / width, last_step(d), d, f % units};
        const int64_t position = f / width;
        return {position / steps, step_at(d, position % steps), d, f % units};
    }
};

inline Sequence sequence_of(const Recurrent& layer, const Tensor& x, const Convention& c) {
    if (x.shape.size() != 3) throw LayerError(fmt::format("a recurrent layer reads a sequence [T, features], found {}", format_dims(x.shape)));
    return {x.shape[0], x.shape[1], x.shape[2], layer.spec.units, layer.bidirectional ? 2 : 1, layer.return_sequences,
            c.recurrent.bidirectional_last_is_final};
}

inline CellMatrix read_direction(const Tensor& x, const Sequence& q, int64_t n, int d) {
    CellMatrix m(q.steps, q.features);
    for (int64_t s = 0; s < q.steps; ++s)
        for (int64_t i = 0; i < q.features; ++i) m(s, i) = x[q.input(n, q.time_of(d, s), i)];
    return m;
}

}  // namespace dlsolve
