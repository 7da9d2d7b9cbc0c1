// Output shapes of a network of layers whose sizes are symbols ("shape": ["H", "W", 3],
// "filters": "C", "batch": "N"). Each layer file computes its shape in numbers as
// always; this pass runs the network at several samples of the symbols and reads each
// dimension's worked formula back in symbols: a figure that follows a symbol becomes the
// symbol, one that follows an input dimension becomes that dimension's expression, a
// division becomes ⌊…⌋ or ⌈…⌉ (equations/rounding.h). The result is checked against the
// numbers at other samples, so a shape whose formula changes with the sizes is refused
// rather than guessed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ginac/ginac.h>

#include "expr/expr.h"
#include "problem/problem.h"

namespace dlsolve {

struct SymbolicDim {
    std::string label;   // H, W, C, features, d1 …
    GiNaC::ex size;      // simplified: H − 2, ⌈H/2⌉, 16·⌊H/4⌋·⌊W/4⌋
    std::string worked;  // the layer's formula in symbols, ⌊(H − 3 + 2·0)/1⌋ + 1; empty for a leaf
    bool passed_through = false;  // the input's dimension, unchanged
};

struct SymbolicShapes {
    std::optional<GiNaC::ex> batch;
    std::vector<std::vector<SymbolicDim>> layers;  // indexed like the graph
    std::map<std::string, GiNaC::symbol> symbols;
};

// Callers hold equations::symbolic_lock() while they use the result (GiNaC is not thread-safe).
// Throws ProblemError("/dims", …) when a shape cannot be written in the symbols.
SymbolicShapes symbolic_shapes(const Problem& problem);

// A layer's parameter count in symbols: its formula at the first sample, each figure of
// it in symbols (`leaves`, in Expr::leaves() order), and the count.
struct SymbolicCount {
    std::string layer;  // "fc (Dense)"
    Expr worked;
    std::vector<GiNaC::ex> leaves;
    GiNaC::ex total;
};

// The counts read back like the shapes, each figure a number, a symbol or one of the
// layer's input dimensions (floors included), for counts that are no polynomial in the
// sizes: a dense layer after a strided convolution of a symbolic H has
// 10 × (4 × (⌊(H − 3)/2⌋ + 1)² + 1). Layers without parameters are left out. Checked
// against the numbers at other samples; throws ProblemError("/dims", …) when a count
// cannot be written so. Takes equations::symbolic_lock().
std::vector<SymbolicCount> symbolic_counts(const Problem& problem);

// A shape's size for answers: an integer when it is one, else its text ("H − 2").
Json size_answer(const GiNaC::ex& size);

}  // namespace dlsolve
