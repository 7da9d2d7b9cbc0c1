// Solver passes: short walks over the graph in topological order that ask each layer
// for its part. They compute; they never print.
#pragma once

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

// Output shapes of every layer. Throws ProblemError naming the layer that cannot be built.
Analysis infer_shapes(const Problem& problem);
// Parameter counts of every layer and the totals; needs infer_shapes first.
void count_params(const Problem& problem, Analysis& analysis);

}  // namespace dlsolve
