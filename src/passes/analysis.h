// Solver passes: short walks over the graph in topological order that ask each layer
// for its part. They compute; they never print.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/layer.h"
#include "problem/problem.h"

namespace dlsolve {

struct LayerResult {
    std::string class_name;
    std::vector<Dims> input_shapes;
    ShapeExpr output;
    ParamCount params;
    Cost cost;  // filled by count_costs
};

// The receptive field of one output unit along one axis, in input pixels (Araujo,
// Norris and Sim, Distill 2019): its size r, the jump j between neighbouring units
// (effective stride) and the centre of the first unit (start). Each is an Expr of
// the recurrence step that produced it.
struct AxisField {
    Expr size;
    Expr jump;
    Expr start;
    Expr effective_padding() const;  // (r − 1)/2 − start
};

struct ReceptiveField {
    bool whole_input = false;  // dense on vectors, global pooling and after
    AxisField h, w;
    std::string misaligned;    // merged paths whose units are not centred alike
    std::optional<std::pair<AxisField, AxisField>> coverage;  // what all the units together see

    ReceptiveField() = default;
    ReceptiveField(bool whole, AxisField height, AxisField width, std::string note,
                   std::optional<std::pair<AxisField, AxisField>> covers = std::nullopt)
        : whole_input(whole), h(std::move(height)), w(std::move(width)), misaligned(std::move(note)), coverage(std::move(covers)) {}
};

// One step of the backward walk, "start from the end": r before the layer, from r after it.
struct BackwardStep {
    size_t layer;
    Expr h, w;
};

struct ParamTotals {
    Expr total;
    Expr trainable;
    Expr non_trainable;
    Expr buffers;
};

struct Analysis {
    std::vector<LayerResult> layers;  // indexed like the graph
    ParamTotals totals;
};

// Shapes and parameters, and the costs when `with_costs`: the passes that cannot fail
// on a valid graph.
Analysis analyse(const Problem& problem, bool with_costs = true);

// Value tensors the file gives have the shapes their layers need, and no exam symbol
// names two elements. Throws ProblemError naming the place (both places for a symbol).
void check_given_values(const Problem& problem, const Analysis& analysis);
// Output shapes of every layer. Throws ProblemError naming the layer that cannot be built.
Analysis infer_shapes(const Problem& problem);
// Parameter counts of every layer and the totals; needs infer_shapes first.
void count_params(const Problem& problem, Analysis& analysis);
// MACs and FLOPs of every layer; needs infer_shapes first.
void count_costs(const Problem& problem, Analysis& analysis);

// Receptive fields of every layer; needs infer_shapes. Throws ProblemError when the
// model input is not an image.
std::vector<ReceptiveField> receptive_fields(const Problem& problem, const Analysis& analysis);
// The exam's backward walk from `target` to the input, or nothing when the path is not
// a chain of windows (a merge, a transposed convolution or upsampling on the way).
std::optional<std::vector<BackwardStep>> backward_walk(const Problem& problem, const Analysis& analysis, size_t target);

}  // namespace dlsolve
