// Output shapes of a network of layers whose sizes are symbols: each layer's dimensions
// in its own formula with the symbols in place (⌊(H − 3 + 2·0)/1⌋ + 1) beside the
// simplified size (H − 2). The symbols are read back by passes/symbolic_shapes.
#include <fmt/format.h>

#include "equations/sizes.h"
#include "passes/symbolic_shapes.h"
#include "report/symbolic_params.h"

namespace dlsolve {
namespace {

std::string shape_in_symbols(const Problem& problem, const SymbolicShapes& shapes, const std::vector<SymbolicDim>& dims) {
    const Convention& c = *problem.convention;
    std::string out(c.shape_open);
    out += shapes.batch ? equations::size_text(*shapes.batch) : std::string(c.batch_symbol);
    for (const auto& d : dims) out += ", " + equations::product_text(d.size);
    return out + std::string(c.shape_close);
}

}  // namespace

void add_symbolic_shape_answers(Json& answers, const Problem& problem) {
    const std::lock_guard lock(equations::symbolic_lock());
    const SymbolicShapes shapes = symbolic_shapes(problem);
    for (size_t i = 0; i < shapes.layers.size(); ++i) {
        Json shape = Json::array();
        if (shapes.batch) shape.push_back(size_answer(*shapes.batch));
        for (const auto& d : shapes.layers[i]) shape.push_back(size_answer(d.size));
        answers["shapes." + problem.graph.layer(i).name] = std::move(shape);
    }
}

Worksheet symbolic_shapes_worksheet(const Problem& problem, const Analysis& sample) {
    const std::lock_guard lock(equations::symbolic_lock());
    const SymbolicShapes shapes = symbolic_shapes(problem);
    Worksheet sheet;
    sheet.title = fmt::format("{}: \"{}\" ({}), sizes in symbols: {}", problem.convention->table_title, problem.title, problem.convention->name,
                              fmt::join(problem.size_symbols->names, ", "));
    sheet.notes = problem.notes;
    Table table{{"Layer (type)", "Input Shape", "Output Shape", "Arithmetic"}, {false, false, false, false}, {}};
    for (size_t i : problem.graph.order()) {
        std::vector<std::string> inputs, labels, worked;
        for (size_t src : problem.graph.inputs_of(i)) inputs.push_back(shape_in_symbols(problem, shapes, shapes.layers[src]));
        for (const auto& d : shapes.layers[i]) {
            if (inputs.empty() || d.passed_through) continue;
            const std::string size = equations::product_text(d.size);
            std::string text = d.worked.empty() || d.worked == size ? size : d.worked + " = " + size;
            // H = W: ⌈64/2⌉ = 32 when both are worked alike.
            if (!worked.empty() && worked.back() == text) {
                labels.back() += " = " + d.label;
                continue;
            }
            labels.push_back(d.label);
            worked.push_back(std::move(text));
        }
        for (size_t k = 0; k < worked.size(); ++k) worked[k] = labels[k] + ": " + worked[k];
        std::string arithmetic = inputs.empty() ? "given" : worked.empty() ? "unchanged" : fmt::format("{}", fmt::join(worked, ", "));
        table.rows.push_back({{fmt::format("{} ({})", problem.graph.layer(i).name, sample.layers[i].class_name), {}},
                              {fmt::format("{}", fmt::join(inputs, " + ")), {}},
                              {shape_in_symbols(problem, shapes, shapes.layers[i]), {}},
                              {std::move(arithmetic), {}}});
    }
    sheet.sections.push_back({"Output shapes", {std::move(table)}, {}});
    add_symbolic_shape_answers(sheet.answers, problem);
    return sheet;
}

}  // namespace dlsolve
