// Receptive fields by the forward recurrence of Araujo, Norris and Sim (Distill, 2019):
// through a window of kernel k, stride s and padding p,
//   r ← r + (k − 1)·j,   j ← j·s,   start ← start + ((k − 1)/2 − p)·j,
// and the exam's backward walk from the layer of interest, r ← (r − 1)·s + k.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "expr/expr.h"
#include "passes/analysis.h"
#include "problem/error.h"

namespace dlsolve {
namespace {

AxisField through(const AxisField& in, const AxisMap& m, const char* suffix) {
    const Expr r = Expr::named(fmt::format("r_{}", suffix), in.size);
    const Expr j = Expr::named(fmt::format("j_{}", suffix), in.jump);
    const Expr start = Expr::named(fmt::format("start_{}", suffix), in.start);
    const Expr k = Expr::sym(fmt::format("k_{}", suffix), m.kernel);
    const Expr s = Expr::sym(fmt::format("s_{}", suffix), m.stride);
    const Expr p = Expr::sym(fmt::format("p_{}", suffix), m.pad);
    const Expr half_window = divide(k - 1, 2);
    switch (m.kind) {
        case AxisMap::Kind::Window:
            return {r + (k - 1) * j, j * s, start + (half_window - p) * j};
        case AxisMap::Kind::Transposed: {
            // Zeros between inputs make a grid of step j/s; a stride-1 window with
            // k − 1 − p padding runs over it. Outputs alternate between window phases that
            // read ⌊k/s⌋ or ⌈k/s⌉ inputs: this continuous field contains each of them.
            const Expr step = divide(j, s);
            return {r + (k - 1) * Expr::named(fmt::format("j'_{}", suffix), step), step,
                    start + (p - half_window) * Expr::named(fmt::format("j'_{}", suffix), step)};
        }
        case AxisMap::Kind::Whole:
            return {Expr::named(fmt::format("r_{}", suffix), in.size), j, start};  // replaced by the caller
        case AxisMap::Kind::Upsample: {
            // Output pixel o reads input (o + ½)/s − ½: the first centre moves back by (s − 1)/(2s).
            return {r + (k - 1) * j, divide(j, s), start - divide(s - 1, Expr(2) * s) * j};
        }
    }
    return in;
}

// A layer that maps each position to itself: the values carry over, nothing to work.
AxisField unchanged(const AxisField& in, const char* suffix) {
    return {Expr::named(fmt::format("r_{}", suffix), in.size), Expr::named(fmt::format("j_{}", suffix), in.jump),
            Expr::named(fmt::format("start_{}", suffix), in.start)};
}

AxisField whole(int64_t size) { return {Expr(size), Expr(0), divide(Expr(size) - 1, 2)}; }

// The pixels both windows contain: what a path sees once an earlier layer dropped some.
// `all` is whole(image): built once, shared by every layer that sees everything.
AxisField intersect(const AxisField& a, const AxisField& b, const AxisField& all) {
    const int64_t image = all.size.value();
    const auto lo = [](const AxisField& f) { return f.start.to_double() - (f.size.to_double() - 1) / 2; };
    const auto hi = [](const AxisField& f) { return f.start.to_double() + (f.size.to_double() - 1) / 2; };
    const int64_t first = static_cast<int64_t>(std::ceil(std::max(lo(a), lo(b))));
    const int64_t last = static_cast<int64_t>(std::floor(std::min(hi(a), hi(b))));
    if (first == 0 && last == image - 1) return all;
    return {Expr::sym("last", last) - Expr::sym("first", first) + 1, Expr(0), divide(Expr(first) + Expr(last), 2)};
}

// What a unit that mixes every position along an axis sees: the union of the windows of
// the n input units, [start − (r − 1)/2, start + (n − 1)·j + (r − 1)/2], within the image.
// Strides that drop the last rows leave them unseen, so this can be less than the image.
AxisField covered(const AxisField& in, const Dims& input, int axis, const Convention& c, const AxisField& all) {
    const int64_t image = all.size.value();
    const Dims* dims = &input;
    if (dims->size() != 3) return all;  // a vector: its units' positions are not known
    const Image map = as_image(*dims, c);
    const int64_t n = axis == 0 ? map.height : map.width;
    const double half = (in.size.to_double() - 1) / 2;
    const double first = in.start.to_double() - half;
    const double last = in.start.to_double() + static_cast<double>(n - 1) * in.jump.to_double() + half;
    const int64_t lo = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(first)));
    const int64_t hi = std::min<int64_t>(image - 1, static_cast<int64_t>(std::floor(last)));
    if (lo == 0 && hi == image - 1) return all;
    // Every unit sees this same window: the jump between units is 0.
    return {Expr::sym("last", hi) - Expr::sym("first", lo) + 1, Expr(0), divide(Expr(lo) + Expr(hi), 2)};
}

// What the units of several merged paths see in all: the hull of each path's coverage
// (every coverage is one window, jump 0), the whole image when it reaches both ends.
AxisField covered_by_all(const std::vector<const AxisField*>& coverages, const AxisField& all) {
    double lo = 1e300, hi = -1e300;
    for (const AxisField* a : coverages) {
        const double half = (a->size.to_double() - 1) / 2;
        lo = std::min(lo, a->start.to_double() - half);
        hi = std::max(hi, a->start.to_double() + half);
    }
    const int64_t first = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(lo)));
    const int64_t last = std::min<int64_t>(all.size.value() - 1, static_cast<int64_t>(std::floor(hi)));
    if (first == 0 && last == all.size.value() - 1) return all;
    return {Expr::sym("last", last) - Expr::sym("first", first) + 1, Expr(0), divide(Expr(first) + Expr(last), 2)};
}

// Several paths meet (concat, add): the unit sees the union of their windows.
ReceptiveField merge(const std::vector<const ReceptiveField*>& in, const Graph& graph, const std::vector<size_t>& sources,
                     const AxisField& whole_h, const AxisField& whole_w) {
    ReceptiveField out;
    for (const auto* f : in)
        if (f->whole_input) return {true, whole_h, whole_w, ""};
    std::vector<std::string> differing;
    const auto axis = [&](AxisField ReceptiveField::*member, const char* name) {
        const AxisField& first = in[0]->*member;
        bool aligned = true;
        for (const auto* f : in) {
            const AxisField& a = f->*member;
            aligned = aligned && a.jump.numerator() == first.jump.numerator() && a.jump.denominator() == first.jump.denominator() &&
                      a.start.numerator() == first.start.numerator() && a.start.denominator() == first.start.denominator();
        }
        std::vector<Expr> left, right;
        for (size_t i = 0; i < in.size(); ++i) {
            const AxisField& a = in[i]->*member;
            const Expr half = divide(Expr::named("r", a.size) - 1, 2);
            left.push_back(Expr::named("start", a.start) - half);
            right.push_back(Expr::named("start", a.start) + half);
        }
        Expr lo = left[0], hi = right[0];
        for (size_t i = 1; i < in.size(); ++i) {
            if (left[i].to_double() < lo.to_double()) lo = left[i];
            if (right[i].to_double() > hi.to_double()) hi = right[i];
        }
        if (!aligned) {
            std::vector<std::string> parts;
            for (size_t i = 0; i < in.size(); ++i) {
                const AxisField& a = in[i]->*member;
                parts.push_back(fmt::format("{}: jump {}, start {}", graph.layer(sources[i]).name, a.jump.value_text(), a.start.value_text()));
            }
            differing.push_back(fmt::format("{} ({})", name, fmt::join(parts, "; ")));
        }
        Expr size = (in[0]->*member).size;
        for (size_t i = 1; i < in.size(); ++i) size = max(size, (in[i]->*member).size);
        if (aligned) return AxisField{size, first.jump, first.start};
        // Union of the windows [start − (r − 1)/2, start + (r − 1)/2].
        Expr largest_jump = first.jump;
        for (const auto* f : in)
            if ((f->*member).jump.to_double() > largest_jump.to_double()) largest_jump = (f->*member).jump;
        return AxisField{Expr::named("right", hi) - Expr::named("left", lo) + 1, largest_jump,
                         divide(Expr::named("left", lo) + Expr::named("right", hi), 2)};
    };
    out.h = axis(&ReceptiveField::h, "H");
    out.w = axis(&ReceptiveField::w, "W");
    if (!differing.empty())
        out.misaligned = fmt::format("the merged paths are not aligned, the field is the union of theirs: {}", fmt::join(differing, "; "));
    return out;
}

}  // namespace

Expr AxisField::effective_padding() const { return divide(Expr::named("r", size) - 1, 2) - Expr::named("start", start); }

std::vector<ReceptiveField> receptive_fields(const Problem& problem, const Analysis& analysis) {
    const Graph& graph = problem.graph;
    const Convention& c = *problem.convention;
    const Dims& input = analysis.layers[0].output.values();
    if (input.size() != 3)
        throw ProblemError("/input/shape", fmt::format("receptive fields need an image input {}, found {}",
                                                       c.channels_last ? "[H, W, C]" : "[C, H, W]", format_dims(input)));
    const Image image = as_image(input, c);
    const AxisField whole_h = whole(image.height), whole_w = whole(image.width);

    std::vector<ReceptiveField> fields(graph.size());
    for (size_t i : graph.order()) {
        const Layer& layer = graph.layer(i);
        const LayerResult& result = analysis.layers[i];
        const auto& sources = graph.inputs_of(i);
        try {
            if (sources.empty()) {
                fields[i] = {false, {1, 1, 0}, {1, 1, 0}, "", std::make_pair(whole_h, whole_w)};
            } else if (sources.size() > 1) {
                std::vector<const ReceptiveField*> in;
                for (size_t s : sources) in.push_back(&fields[s]);
                fields[i] = merge(in, graph, sources, whole_h, whole_w);
                // A pool before the merge may have hidden the last rows from every path.
                std::vector<const AxisField*> hs, ws;
                for (const auto* f : in)
                    if (f->coverage) hs.push_back(&f->coverage->first), ws.push_back(&f->coverage->second);
                if (!fields[i].whole_input && hs.size() == in.size())
                    fields[i].coverage = std::make_pair(covered_by_all(hs, whole_h), covered_by_all(ws, whole_w));
            } else {
                const ReceptiveField& in = fields[sources[0]];
                const SpatialMap map = layer.spatial_map(result.input_shapes, result.output.values(), c);
                if (map.kind == SpatialMap::Kind::Undefined) throw ProblemError(describe_layer(layer), map.reason);
                const Dims& previous = result.input_shapes[0];
                if (in.whole_input || map.kind == SpatialMap::Kind::Global) {
                    if (in.whole_input) {
                        fields[i] = in;
                    } else {
                        // A vector's units have lost their positions: use what the map before it covered.
                        const AxisField& h = in.coverage ? in.coverage->first : whole_h;
                        const AxisField& w = in.coverage ? in.coverage->second : whole_w;
                        const bool everything = h.size.to_double() == static_cast<double>(image.height) &&
                                                w.size.to_double() == static_cast<double>(image.width);
                        fields[i] = {everything, h, w, ""};
                    }
                } else if (map.kind == SpatialMap::Kind::Pointwise) {
                    fields[i] = {false, unchanged(in.h, "h"), unchanged(in.w, "w"), ""};
                } else {
                    fields[i] = {false, through(in.h, map.h, "h"), through(in.w, map.w, "w"), ""};
                    if (map.h.kind == AxisMap::Kind::Whole) fields[i].h = covered(in.h, previous, 0, c, whole_h);
                    if (map.w.kind == AxisMap::Kind::Whole) fields[i].w = covered(in.w, previous, 1, c, whole_w);
                }
                // What all the units together see: their windows' union, within what the
                // input's units saw (a pool that drops the last row hides it from everything after).
                const Dims& out = result.output.values();
                if (!fields[i].whole_input && out.size() == 3) {
                    AxisField h = covered(fields[i].h, out, 0, c, whole_h), w = covered(fields[i].w, out, 1, c, whole_w);
                    if (in.coverage) h = intersect(h, in.coverage->first, whole_h), w = intersect(w, in.coverage->second, whole_w);
                    fields[i].coverage = std::make_pair(h, w);
                } else if (!fields[i].whole_input) {
                    fields[i].coverage = in.coverage;
                }
            }
        } catch (const ArithmeticError& e) {
            throw ProblemError(describe_layer(layer), fmt::format("the receptive field cannot be computed: {}", e.what()));
        }
    }
    return fields;
}

std::optional<std::vector<BackwardStep>> backward_walk(const Problem& problem, const Analysis& analysis, size_t target) {
    const Graph& graph = problem.graph;
    std::vector<std::pair<size_t, SpatialMap>> chain;  // target first
    for (size_t at = target; !graph.inputs_of(at).empty();) {
        if (graph.inputs_of(at).size() > 1) return std::nullopt;
        const LayerResult& r = analysis.layers[at];
        const SpatialMap map = graph.layer(at).spatial_map(r.input_shapes, r.output.values(), *problem.convention);
        if (map.kind == SpatialMap::Kind::Global) return std::nullopt;
        if (map.kind == SpatialMap::Kind::Window) {
            if (map.h.kind != AxisMap::Kind::Window || map.w.kind != AxisMap::Kind::Window) return std::nullopt;
            chain.emplace_back(at, map);
        }
        at = graph.inputs_of(at)[0];
    }
    // r before a window from r after it: r + (k − 1) for stride 1, r·s when the
    // window equals its stride (pooling), (r − 1)·s + k otherwise.
    const auto step = [](const Expr& after, const AxisMap& m) {
        const Expr r = Expr::named("r", after);
        const Expr k = Expr::sym("k", m.kernel), s = Expr::sym("s", m.stride);
        if (m.stride == 1) return r + (k - 1);
        if (m.kernel == m.stride) return r * s;
        return (r - 1) * s + k;
    };
    std::vector<BackwardStep> steps;
    Expr h = 1, w = 1;
    for (const auto& [layer, map] : chain) {
        h = step(h, map.h);
        w = step(w, map.w);
        steps.push_back({layer, h, w});
    }
    return steps;
}

}  // namespace dlsolve
