// The network as Graphviz DOT (dlsolve graph), and as JSON. Prints the Picture that
// report/graph_report.cpp built; computes nothing.
#include <fmt/format.h>

#include "render/render.h"

namespace dlsolve {
namespace {

// A DOT quoted string whose text Graphviz shows as written. The DOT language
// (https://graphviz.org/doc/info/lang.html): "In quoted strings in DOT, the only escaped
// character is double-quote ("). That is, in quoted strings, the dyad \" is converted
// to "; all other characters are left unchanged." A label is then read as an escString
// (https://graphviz.org/docs/attr-types/escString/), where \n, \l, \r end lines and \N,
// \G, \E, \H, \T stand for names, so a backslash of the text is doubled ("\\" is one
// backslash) and a line break of the text becomes \n. Other control characters would
// reach the layout engine as they are: they become spaces.
std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\', out += c;
        else if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) out += ' ';
        else out += c;
    }
    return out + "\"";
}

std::string count_text(const Expr& e, const Notation& n) { return group_digits(e.value(), n.thousands); }

std::string node_label(const PictureNode& node, const Notation& n) {
    std::string label = node.name + "\n" + node.class_name;
    if (node.kind == PictureNode::Kind::Input) return label;
    label += "\nparams: " + count_text(node.params, n);
    if (node.non_trainable.value() != 0)
        label += fmt::format(" ({} trainable, {} non-trainable)", count_text(node.trainable, n), count_text(node.non_trainable, n));
    if (node.buffers.value() != 0) label += "\nbuffers: " + count_text(node.buffers, n);
    return label;
}

const char* node_style(const PictureNode& node) {
    switch (node.kind) {
        case PictureNode::Kind::Input: return "shape=oval, style=filled, fillcolor=\"#dbe9f6\"";
        case PictureNode::Kind::Parameter: return "shape=note, style=filled, fillcolor=\"#fdf1d6\"";
        case PictureNode::Kind::Layer: break;
    }
    return node.params.value() != 0 && node.trainable.value() == 0 ? "shape=box, style=\"rounded,dashed\"" : "shape=box, style=rounded";
}

const char* kind_word(PictureNode::Kind kind) {
    switch (kind) {
        case PictureNode::Kind::Input: return "input";
        case PictureNode::Kind::Parameter: return "parameter";
        case PictureNode::Kind::Layer: break;
    }
    return "layer";
}

}  // namespace

std::string render_dot(const Worksheet& sheet) {
    if (!sheet.picture) return "";
    const Notation& n = Notation::unicode();
    const Picture& picture = *sheet.picture;
    std::vector<size_t> inputs(picture.nodes.size(), 0);
    for (const auto& e : picture.edges) ++inputs[e.to];
    std::string out = "digraph dlsolve {\n";
    out += fmt::format("  graph [label={}, labelloc=t, fontname=\"Helvetica\"];\n", quoted(sheet.title));
    out += "  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (size_t i = 0; i < picture.nodes.size(); ++i)
        out += fmt::format("  n{} [label={}, {}];\n", i, quoted(node_label(picture.nodes[i], n)), node_style(picture.nodes[i]));
    for (const auto& e : picture.edges) {
        if (e.batch_only) {  // no data flows: a dotted line without a shape
            out += fmt::format("  n{} -> n{} [style=dotted, arrowhead=odot];\n", e.from, e.to);
            continue;
        }
        // A merge's inputs are numbered from 1 at the arrow's head: concatenation keeps their order.
        const std::string head = inputs[e.to] > 1 ? fmt::format(", headlabel=\"{}\"", e.input + 1) : "";
        out += fmt::format("  n{} -> n{} [label={}{}];\n", e.from, e.to, quoted(picture.nodes[e.from].shape_text), head);
    }
    out += "  output [label=\"output\", shape=plaintext];\n";
    out += fmt::format("  n{} -> output [label={}];\n", picture.output, quoted(picture.nodes[picture.output].shape_text));
    return out + "}\n";
}

Json picture_json(const Picture& picture) {
    Json nodes = Json::array();
    for (const auto& node : picture.nodes) {
        Json j = Json::object();
        j["name"] = node.name;
        j["kind"] = kind_word(node.kind);
        j["type"] = node.type;
        j["class_name"] = node.class_name;
        j["params"] = node.params.value();
        j["trainable"] = node.trainable.value();
        j["non_trainable"] = node.non_trainable.value();
        j["buffers"] = node.buffers.value();
        j["output_shape"] = node.shape;
        nodes.push_back(std::move(j));
    }
    Json edges = Json::array();
    for (const auto& e : picture.edges) {
        Json j = Json::object();
        j["from"] = picture.nodes[e.from].name;
        j["to"] = picture.nodes[e.to].name;
        j["input"] = e.input;
        j["shape"] = picture.nodes[e.from].shape;
        j["batch_only"] = e.batch_only;
        edges.push_back(std::move(j));
    }
    Json out = Json::object();
    out["nodes"] = std::move(nodes);
    out["edges"] = std::move(edges);
    out["output"] = picture.nodes[picture.output].name;
    return out;
}

}  // namespace dlsolve
