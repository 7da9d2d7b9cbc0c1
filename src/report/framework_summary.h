// dlsolve params --style keras | keras2 | torchinfo: the summary table as Keras 3's
// model.summary(), Keras 2's, or torchinfo's summary() prints it, with every figure
// computed here (the renderer only places the cells).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

// What a summary tool prints and how it counts, as data.
struct SummaryTool {
    std::string_view name;            // "keras", "keras2", "torchinfo"
    FrameworkSummary::Layout layout;
    Framework framework;              // the framework whose models it summarises
    std::string_view sequential_name; // the model's default name (Keras)
    std::string_view functional_name;
    bool group_param_digits;          // 4,640 (Keras 3, torchinfo) / 4640 (Keras 2)
    bool input_shape_in_list;         // Keras 2's InputLayer: [(None, 28, 28, 1)]
    bool weight_sizes;                // Keras 3: "(136.04 KB)" after each total
    bool memory_block;                // torchinfo: mult-adds, input, forward/backward, params sizes
    int64_t bytes_per_value;          // float32 weights and activations: 4
    // torchinfo's Input size is sys.getsizeof(tensor.untyped_storage()): the data plus
    // CPython's object header, 56 bytes in its published outputs (an input [1, 2] float32,
    // 8 bytes, prints "Input size: 64").
    int64_t input_object_bytes;
};

// "keras", "keras2", "torchinfo"; nullopt for another word.
const SummaryTool* find_summary_tool(std::string_view name);

// torchinfo's summary(depth=3): rows nested deeper are hidden, and a container at the
// deepest level shown carries its layers' summed parameters.
constexpr int kTorchinfoDepth = 3;

// Throws ProblemError when the tool does not summarise the file's framework (torchinfo
// on a Keras file) or the network is given as equations. `depth` is torchinfo's.
Worksheet framework_summary_worksheet(const Problem& problem, const Analysis& analysis, const SummaryTool& tool,
                                      bool formulas, int depth = kTorchinfoDepth);

}  // namespace dlsolve
