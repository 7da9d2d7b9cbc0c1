// What a command answers, ready to print: tables and lines whose numbers are Exprs
// (so each renderer writes the formula in its own notation), the answers by dotted
// key, and the worked steps. Built from an Analysis; renderers only format it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "expr/expr.h"
#include "problem/fields.h"

namespace dlsolve {

// One figure in a cell: `H = ⌈128/2⌉ = 64`, or only the value (`1,216`).
struct Part {
    std::string label;          // "H", or empty
    Expr expr;
    bool worked = true;         // formula = value; false: the value alone
    bool group_digits = false;  // 52,163 as Keras prints counts
    bool symbolic = false;      // written in symbols first: F × (k × C + 1) = 16 × (5 × 3 + 1) = 256
};

// A tensor's values as rows of columns (a vector is one row); the renderers lay it out:
// text as [[a, b]\n  [c, d]] (or on one line), LaTeX as a pmatrix.
struct Matrix {
    std::vector<double> values;
    size_t columns = 0;  // 0: no matrix
    bool one_line = false;  // text: [[a, b], [c, d]]
};

struct Cell {
    std::string text;          // plain text (names, shapes)
    std::vector<Part> parts;   // figures after the text, joined by ", "
    Matrix matrix = {};        // values after the text
};

struct Table {
    std::vector<std::string> columns;
    std::vector<bool> right_aligned;
    std::vector<std::vector<Cell>> rows;
};

struct Line {
    std::string label;  // "Total params"
    Cell cell;
    std::string separator = ": ";  // between label and cell; " ← " for an assignment
};

struct Section {
    std::string heading;
    std::vector<Table> tables;
    std::vector<Line> lines;
};

struct Step {
    std::string key;    // the answer key the step supports, e.g. params.conv1
    std::string label;  // what is computed, e.g. "H" or "params"
    Expr expr;
};

// Appends an answer whose key is new, without the ordered map's linear search (which
// made 1000-layer answers quadratic).
inline void append_answer(Json& answers, std::string key, Json value) {
    using Entries = std::vector<std::pair<const std::string, Json>>;
    static_cast<Entries&>(answers.get_ref<Json::object_t&>()).emplace_back(std::move(key), std::move(value));
}

// A summary laid out as a framework's own tool prints it (dlsolve params --style): the
// cells and lines already in that tool's words and number formats, so the renderer only
// places them; dlsolve's worked formula of each row and total rides beside them.
struct FrameworkSummary {
    enum class Layout { Keras3, Keras2, Torchinfo };
    Layout layout = Layout::Keras3;
    std::string heading;                        // Model: "sequential" (Keras); empty for torchinfo
    std::vector<std::string> columns;           // the tool's column names
    std::vector<bool> right_aligned;
    std::vector<std::vector<std::string>> rows; // one table line per row (Keras 2: extra connections are rows too)
    std::vector<Cell> formulas;                 // per row: dlsolve's worked figures (empty: none)
    std::vector<std::string> totals;            // "Total params: 1,216 (4.75 KB)"
    std::vector<std::string> sizes;             // torchinfo's memory block
    size_t name_width = 0;                      // torchinfo's layer column (every row, shown or not, sets it)
    std::vector<Line> worked;                   // the totals' derivations, printed with the formulas
    bool show_formulas = false;
};

// The network as a picture (dlsolve graph): every node of the IR with what the passes
// found for it, and every edge with the shape it carries. A renderer draws it (DOT) or
// lists it (JSON).
struct PictureNode {
    enum class Kind { Input, Parameter, Layer };
    Kind kind = Kind::Layer;
    std::string name;
    std::string type;        // the problem-file word, e.g. "conv2d"
    std::string class_name;  // the framework's, e.g. Conv2D
    Expr params, trainable, non_trainable, buffers;
    std::vector<int64_t> shape;  // output shape, batch axis first when the problem has a batch
    std::string shape_text;      // as the tables write it: (None, 32, 32, 16)
};

struct PictureEdge {
    size_t from, to;  // node indices
    size_t input;     // which input of `to` the edge feeds (0 for the first)
    bool batch_only;  // into a parameter node: it carries only the batch size the value is repeated over
};

struct Picture {
    std::vector<PictureNode> nodes;  // in the graph's topological order
    std::vector<PictureEdge> edges;  // each node's inputs in order
    size_t output = 0;               // the model's output node
};

struct Worksheet {
    std::string title;
    std::vector<std::string> notes;
    std::vector<Section> sections;
    Json answers = Json::object();
    std::vector<Step> steps;
    // Further machine-readable results, printed by --format json beside "answers" and
    // "steps" (train: "training", every element's value, gradient and state per step).
    Json data = Json::object();
    std::optional<Picture> picture;  // dlsolve graph
    // Set by --style: the text renderer prints this layout instead of the sections.
    std::optional<FrameworkSummary> framework_summary;
};

}  // namespace dlsolve
