#include "report/framework_summary.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "problem/error.h"
#include "report/analysis_reports.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

using Layout = FrameworkSummary::Layout;

// Keras 3: keras/src/utils/summary_utils.py (print_summary, readable_memory_size);
// Keras 2: tf.keras 2.x utils/layer_utils.py print_summary; torchinfo:
// torchinfo/model_statistics.py, layer_info.py and formatting.py.
constexpr SummaryTool kTools[] = {
    {"keras", Layout::Keras3, Framework::Keras, "sequential", "functional", true, false, true, false, 4, 0},
    {"keras2", Layout::Keras2, Framework::Keras, "sequential", "model", false, true, false, false, 4, 0},
    {"torchinfo", Layout::Torchinfo, Framework::PyTorch, "Sequential", "Sequential", true, false, false, true, 4, 56},
};

// 1234567.891 → "1,234,567.89" (Python's f"{x:,.2f}").
std::string grouped_fixed(double value) {
    std::string text = fmt::format("{:.2f}", value);
    const size_t dot = text.find('.');
    std::string whole = text.substr(0, dot);
    const bool negative = !whole.empty() && whole[0] == '-';
    if (negative) whole.erase(0, 1);
    std::string grouped;
    for (size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
        grouped += whole[i];
    }
    return (negative ? "-" : "") + grouped + text.substr(dot);
}

// Keras 3's readable_memory_size: powers of 1024, two decimals: "136.04 KB", "0.00 B".
std::string keras_size(int64_t bytes) {
    static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double size = static_cast<double>(bytes);
    for (const char* unit : units) {
        if (size / 1024 < 1) return fmt::format("{:.2f} {}", size, unit);
        size /= 1024;
    }
    return fmt::format("{:.2f} PB", size);
}

// torchinfo's format_output_num with Units.AUTO: ": 64", " (kB): 6.33", " (M): 2.44";
// powers of 10³, an integer when the quotient is whole.
std::string torchinfo_number(int64_t value, bool bytes) {
    static const std::pair<double, const char*> units[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (const auto& unit : units) {
        if (static_cast<double>(value) < unit.first) continue;
        const double converted = static_cast<double>(value) / unit.first;
        const std::string number = converted == std::floor(converted) ? group_digits(static_cast<int64_t>(converted)) : grouped_fixed(converted);
        return fmt::format(" ({}{}): {}", unit.second, bytes ? "B" : "", number);
    }
    return ": " + group_digits(value);
}

std::string repeat_text(const std::string& piece, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += piece;
    return out;
}

int64_t product(const Dims& dims, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t i = from; i < to && i < dims.size(); ++i) p *= dims[i];
    return p;
}

std::string torch_shape(int64_t batch, const Dims& dims) {
    std::string out = fmt::format("[{}", batch);
    for (auto d : dims) out += fmt::format(", {}", d);
    return out + "]";
}

bool is_chain(const Problem& problem) {
    std::vector<int> consumers(problem.graph.size(), 0);
    for (size_t i = 0; i < problem.graph.size(); ++i) {
        if (problem.graph.inputs_of(i).size() > 1) return false;
        for (size_t src : problem.graph.inputs_of(i))
            if (++consumers[src] > 1) return false;
    }
    return true;
}

Cell formula_cell(const LayerResult& r) {
    if (r.params.total.value() == 0) return {"", {}};
    Cell cell{"", {{"", r.params.total}}};
    if (r.params.non_trainable.value() != 0) cell.parts.push_back({"non-trainable", r.params.non_trainable});
    return cell;
}

void keras_rows(FrameworkSummary& out, const Problem& problem, const Analysis& analysis, const SummaryTool& tool) {
    const bool functional = problem.model.functional || problem.graph.has_explicit_inputs();
    const bool chain = is_chain(problem);
    const std::string name = problem.model.name.empty() ? std::string(functional ? tool.functional_name : tool.sequential_name)
                                                        : problem.model.name;
    out.heading = fmt::format("Model: \"{}\"", name);
    out.columns = {"Layer (type)", "Output Shape", "Param #"};
    out.right_aligned = {false, false, tool.layout == Layout::Keras3};
    if (!chain) out.columns.push_back("Connected to"), out.right_aligned.push_back(false);
    for (size_t i : problem.graph.order()) {
        const auto& r = analysis.layers[i];
        const bool input = problem.graph.inputs_of(i).empty();
        if (input && !functional) continue;  // Sequential models do not list their input
        std::string shape = format_shape(r.output.values(), *problem.convention, nullptr);
        if (input && tool.input_shape_in_list) shape = "[" + shape + "]";
        const int64_t params = r.params.total.value();
        std::vector<std::string> row{layer_heading(problem, i, analysis), shape,
                                     tool.group_param_digits ? group_digits(params) : std::to_string(params)};
        std::vector<std::string> sources;
        for (size_t src : problem.graph.inputs_of(i)) sources.push_back(problem.graph.layer(src).name + "[0][0]");
        if (!chain && tool.layout == Layout::Keras3) row.push_back(sources.empty() ? "-" : fmt::format("{}", fmt::join(sources, ", ")));
        if (!chain && tool.layout == Layout::Keras2) row.push_back(sources.empty() ? "" : sources[0]);
        out.rows.push_back(std::move(row));
        out.formulas.push_back(formula_cell(r));
        // Keras 2 writes each further connection on a line of its own.
        for (size_t k = 1; !chain && tool.layout == Layout::Keras2 && k < sources.size(); ++k) {
            out.rows.push_back({"", "", "", sources[k]});
            out.formulas.push_back({"", {}});
        }
    }
    const auto& t = analysis.totals;
    const auto line = [&](const char* label, const Expr& count) {
        std::string text = fmt::format("{}: {}", label, group_digits(count.value()));
        if (tool.weight_sizes) text = fmt::format(" {} ({})", text, keras_size(count.value() * tool.bytes_per_value));
        out.totals.push_back(text);
    };
    line("Total params", t.total);
    line("Trainable params", t.trainable);
    line("Non-trainable params", t.non_trainable);
    out.worked.push_back({"Total params", {"", {{"", t.total, true, true}}}});
    if (tool.weight_sizes) {
        out.worked.push_back({"Total params size (bytes)", {"", {{"", Expr::sym("params", t.total.value()) * Expr::sym("float32", tool.bytes_per_value)}}}});
        out.worked.push_back({"Units", {"KB = 1024 B, MB = 1024 KB (Keras 3's readable_memory_size)", {}}});
    }
}

// One row of torchinfo's summary_list: the root (depth 0), a container module entered
// (nn.Sequential, a block class) or a module that computes (one of the graph's layers).
struct TreeRow {
    int depth = 0;
    std::string class_name;
    std::optional<size_t> layer;  // the graph's layer; none for the root and containers
    std::vector<size_t> members;  // a container's layers, in order
    bool called = true;           // nn.ModuleList / nn.ModuleDict have no forward(): no output
};

// PyTorch containers without forward(): torchinfo prints "--" for their output.
bool uncallable(const std::string& cls) { return cls == "ModuleList" || cls == "ModuleDict"; }

// torchinfo's summary_list in forward order: a container's row where its first layer runs,
// its layers (and inner containers) below it one level deeper.
std::vector<TreeRow> module_tree(const Problem& problem, const std::vector<size_t>& modules, bool root,
                                 const std::function<std::string(size_t)>& class_of) {
    std::vector<TreeRow> rows;
    if (root) rows.push_back({0, "", std::nullopt, modules});
    std::vector<std::string> open;     // container paths entered, outermost first
    std::vector<size_t> open_rows;     // their rows
    std::set<std::string> closed;
    for (size_t i : modules) {
        auto it = problem.model.modules.find(problem.graph.layer(i).name);
        const std::vector<std::string> chain = it == problem.model.modules.end() ? std::vector<std::string>{} : container_paths(it->second);
        size_t keep = 0;
        while (keep < open.size() && keep < chain.size() && open[keep] == chain[keep]) ++keep;
        for (size_t k = keep; k < open.size(); ++k) closed.insert(open[k]);
        open.resize(keep), open_rows.resize(keep);
        for (size_t k = keep; k < chain.size(); ++k) {
            if (closed.count(chain[k]))
                throw ProblemError("/model/modules", fmt::format("the layers of container \"{}\" do not run one after another; "
                                                                 "torchinfo's tree needs each container's layers together", chain[k]));
            auto cls = problem.model.classes.find(chain[k]);
            const std::string name = cls != problem.model.classes.end() ? cls->second : "Sequential";
            open.push_back(chain[k]), open_rows.push_back(rows.size());
            rows.push_back({static_cast<int>(k) + (root ? 1 : 0), name, std::nullopt, {}, !uncallable(name)});
        }
        for (size_t r : open_rows) rows[r].members.push_back(i);
        rows.push_back({static_cast<int>(chain.size()) + (root ? 1 : 0), class_of(i), i, {i}});
    }
    return rows;
}

size_t code_points(const std::string& s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void torchinfo_rows(FrameworkSummary& out, const Problem& problem, const Analysis& analysis, const SummaryTool& tool, int max_depth) {
    const int64_t batch = problem.batch.value_or(1);
    const Expr n = Expr::sym("N", batch);
    const Expr bytes = Expr::sym("float32", tool.bytes_per_value);
    out.columns = {"Output Shape", "Param #"};
    std::vector<size_t> modules;
    for (size_t i : problem.graph.order()) {
        if (problem.graph.inputs_of(i).empty()) continue;
        const auto& calls = problem.model.calls;
        if (std::find(calls.begin(), calls.end(), problem.graph.layer(i).name) == calls.end()) modules.push_back(i);
    }
    const auto class_of = [&](size_t i) {
        auto it = problem.model.classes.find(problem.graph.layer(i).name);
        return it != problem.model.classes.end() ? it->second : analysis.layers[i].class_name;
    };
    // formatting.py num_params_to_str: "--" for none, "(n)" when none is trainable; a
    // container shows its layers' sum only at the deepest level shown (its own
    // parameters otherwise, and dlsolve's containers own none).
    const auto param_text = [](int64_t total, int64_t trainable) {
        if (total == 0) return std::string("--");
        return trainable == 0 ? fmt::format("({})", group_digits(total)) : group_digits(total);
    };
    const bool root = !(modules.size() == 1 && problem.model.name.empty() && problem.model.modules.empty());
    const std::vector<TreeRow> tree = module_tree(problem, modules, root, class_of);
    // torchinfo.py set_children_layers: one counter per depth over the whole list;
    // formatting.py set_layer_name_width: every row, shown or not, "title" + depth × 5 + 1.
    std::map<int, int> counters;
    size_t longest = 0;
    std::vector<std::string> titles;
    for (const auto& row : tree) {
        const std::string cls = row.depth == 0 && !row.layer ? (problem.model.name.empty() ? std::string(tool.sequential_name) : problem.model.name) : row.class_name;
        titles.push_back(row.depth == 0 || !root ? cls : fmt::format("{}: {}-{}", cls, row.depth, ++counters[row.depth]));
        longest = std::max(longest, code_points(titles.back()) + static_cast<size_t>(row.depth) * 5 + 1);
    }
    out.name_width = longest >= 40 ? (longest + 4) / 5 * 5 : 40;
    std::vector<Expr> macs, activations;
    for (size_t r = 0; r < tree.size(); ++r) {
        const TreeRow& row = tree[r];
        const bool shown = row.depth <= max_depth;
        // formatting.py get_start_str: "├─" at depth 1, "│    " per further level and "└─".
        const std::string start = row.depth == 1  ? "├─"
                                  : row.depth > 1 ? repeat_text("│    ", static_cast<size_t>(row.depth - 1)) + "└─"
                                                  : "";
        if (!row.layer) {  // the root or a container
            if (!shown) continue;
            std::vector<Expr> counts;
            int64_t total = 0, trainable = 0;
            for (size_t i : row.members) {
                total += analysis.layers[i].params.total.value(), trainable += analysis.layers[i].params.trainable.value();
                if (analysis.layers[i].params.total.value() != 0) counts.push_back(Expr::sym(problem.graph.layer(i).name, analysis.layers[i].params.total.value()));
            }
            const bool summed = row.depth == max_depth;
            std::string shape = "--";
            if (row.depth == 0) shape = torch_shape(batch, analysis.layers[problem.graph.output()].output.values());
            else if (row.called && !row.members.empty()) shape = torch_shape(batch, analysis.layers[row.members.back()].output.values());
            out.rows.push_back({start + titles[r], shape, summed ? param_text(total, trainable) : "--"});
            out.formulas.push_back(summed && !counts.empty() ? Cell{"", {{"", Expr::sum(counts)}}} : Cell{"", {}});
            continue;
        }
        const size_t i = *row.layer;
        const auto& lr = analysis.layers[i];
        const Dims dims = lr.output.values();
        Cell formula = formula_cell(lr);
        if (const int64_t p = lr.params.total.value(); p != 0) {
            // layer_info.py calculate_macs: every parameter once per output position,
            // the batch included; Conv skips the channel axis, Linear the last axis.
            const std::string cls = class_of(i);
            const Expr params = Expr::sym("params", p);
            Expr m = cls.find("Conv") != std::string::npos     ? params * n * Expr::sym("positions", product(dims, 1, dims.size()))
                     : cls.find("Linear") != std::string::npos ? params * n * Expr::sym("positions", product(dims, 0, dims.size() - 1))
                                                               : params * n;
            macs.push_back(Expr::sym(problem.graph.layer(i).name, m.value()));
            formula.parts.push_back({"mult-adds", m});
            // model_statistics.py: outputs of layers with parameters, ×2 for their gradients
            // (every leaf counts, shown at this depth or not).
            activations.push_back(Expr::sym(problem.graph.layer(i).name, (n * Expr::sym("elements", product(dims, 0, dims.size())) * bytes).value()));
        }
        if (!shown) continue;
        out.rows.push_back({start + titles[r], torch_shape(batch, dims), param_text(lr.params.total.value(), lr.params.trainable.value())});
        out.formulas.push_back(std::move(formula));
    }
    const auto& t = analysis.totals;
    out.totals = {"Total params: " + group_digits(t.total.value()), "Trainable params: " + group_digits(t.trainable.value()),
                  "Non-trainable params: " + group_digits(t.non_trainable.value())};
    const Expr total_macs = macs.empty() ? Expr(0) : Expr::sum(macs);
    out.totals.push_back("Total mult-adds" + torchinfo_number(total_macs.value(), false));
    const Expr input = n * Expr::sym("elements", product(analysis.layers[0].output.values(), 0, 99)) * bytes +
                       Expr::sym("object header", tool.input_object_bytes);
    const Expr forward_backward = Expr(2) * (activations.empty() ? Expr(0) : Expr::sum(activations));
    const Expr params_size = Expr::sym("params", t.total.value()) * bytes;
    const Expr all = Expr::sym("input", input.value()) + Expr::sym("forward/backward", forward_backward.value()) +
                     Expr::sym("params", params_size.value());
    out.sizes = {"Input size" + torchinfo_number(input.value(), true), "Forward/backward pass size" + torchinfo_number(forward_backward.value(), true),
                 "Params size" + torchinfo_number(params_size.value(), true), "Estimated Total Size" + torchinfo_number(all.value(), true)};
    out.worked = {{"Total mult-adds", {"", {{"", total_macs, true, true}}}},
                  {"Input size (bytes)", {"", {{"", input}}}},
                  {"Forward/backward pass size (bytes: outputs of layers with parameters, and their gradients)", {"", {{"", forward_backward}}}},
                  {"Params size (bytes)", {"", {{"", params_size}}}},
                  {"Estimated Total Size (bytes)", {"", {{"", all}}}},
                  {"Units", {"k = 10³, M = 10⁶, G = 10⁹ (torchinfo's Units.AUTO)", {}}},
                  {"Batch", {problem.batch ? fmt::format("N = {}, the problem's batch", batch) : "N = 1 (the problem gives no batch)", {}}}};
}

}  // namespace

const SummaryTool* find_summary_tool(std::string_view name) {
    for (const auto& tool : kTools)
        if (tool.name == name) return &tool;
    return nullptr;
}

Worksheet framework_summary_worksheet(const Problem& problem, const Analysis& analysis, const SummaryTool& tool, bool formulas,
                                      int depth) {
    if (problem.equations || problem.size_symbols)
        throw ProblemError("", fmt::format("--style {} lays out a network of layers with numbers, not equations or sizes in symbols", tool.name));
    if (problem.convention->framework != tool.framework)
        throw ProblemError("/framework", fmt::format("--style {} summarises {} models; this file is {} (use --style {})", tool.name,
                                                     tool.framework == Framework::Keras ? "Keras" : "PyTorch", problem.convention->name,
                                                     tool.framework == Framework::Keras ? "torchinfo" : "keras"));
    Worksheet sheet = params_worksheet(problem, analysis);  // the answers and steps of `params`
    FrameworkSummary out;
    out.layout = tool.layout;
    out.show_formulas = formulas;
    if (tool.layout == Layout::Torchinfo) torchinfo_rows(out, problem, analysis, tool, depth);
    else keras_rows(out, problem, analysis, tool);
    sheet.data["style"] = {{"tool", tool.name}, {"heading", out.heading}, {"columns", out.columns}, {"rows", out.rows},
                           {"totals", out.totals}, {"sizes", out.sizes}};
    sheet.framework_summary = std::move(out);
    return sheet;
}

}  // namespace dlsolve
