// Worksheets of the analysis commands: receptive fields, costs, the combined summary
// and the comparison of two networks.
#pragma once

#include <string>

#include "passes/analysis.h"
#include "problem/problem.h"
#include "report/worksheet.h"

namespace dlsolve {

struct DataType {
    std::string name;  // "float32"
    int64_t bytes;
};
// float32 (default), float16, bfloat16, float64, int8; nullopt for another word.
std::optional<DataType> data_type(const std::string& name);

// Every layer, or only `layer` with its recurrence worked forward and backward.
Worksheet rf_worksheet(const Problem& problem, const Analysis& analysis, const std::string& layer);
Worksheet flops_worksheet(const Problem& problem, const Analysis& analysis);
// In summary_report.cpp.
Worksheet summary_worksheet(const Problem& problem, const Analysis& analysis, const DataType& dtype);
// In compare_report.cpp.
Worksheet compare_worksheet(const Problem& a, const Analysis& analysis_a, const Problem& b, const Analysis& analysis_b,
                            const DataType& dtype);

// Answers of these passes for check: receptive_field.*, effective_stride.*,
// effective_padding.* (image inputs only), macs.*, flops.*.
void add_analysis_answers(Json& answers, const Problem& problem, const Analysis& analysis);
// The same with receptive fields already computed (nothing when the network has none).
void add_analysis_answers(Json& answers, const Problem& problem, const Analysis& analysis,
                          const std::optional<std::vector<ReceptiveField>>& fields);

// Shared by the worksheets.
// "conv1 (Conv2D)".
std::string layer_heading(const Problem& problem, size_t i, const Analysis& analysis);
// A layer's output as the framework's tables write it: (None, 32, 32, 16), [N, 16, 32, 32].
std::string shape_text(const Problem& problem, const Dims& dims);
// An empty worksheet titled with the network and its framework, with the file's notes.
Worksheet titled(const Problem& problem);
// One number for square receptive fields, "h × w" otherwise.
std::string pair_text(const Expr& h, const Expr& w);
// … and as an answer: a number, or [h, w].
Json pair_answer(const Expr& h, const Expr& w);
// A cost summed over the layers, each term named by its layer.
Expr cost_total(const Problem& problem, const Analysis& analysis, Expr Cost::*field);
// Two exact numbers are equal (3/2 and 6/4 are).
bool same_value(const Expr& a, const Expr& b);
// An answer's JSON number: an integer when it is one, else a double.
Json answer_number(const Expr& e);
// Receptive fields when the network has them (an image input, and no layer such as
// uneven adaptive pooling that has no single field); `dlsolve rf` says why not.
std::optional<std::vector<ReceptiveField>> fields_if_defined(const Problem& problem, const Analysis& analysis);

}  // namespace dlsolve
