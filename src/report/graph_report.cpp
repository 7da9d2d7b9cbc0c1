#include "report/graph_report.h"

#include "report/analysis_reports.h"

#include <fmt/format.h>

namespace dlsolve {

Worksheet graph_worksheet(const Problem& problem, const Analysis& analysis) {
    Worksheet sheet = titled(problem);
    const Graph& graph = problem.graph;
    Picture picture;
    std::vector<size_t> position(graph.size());
    for (size_t i : graph.order()) {
        position[i] = picture.nodes.size();
        const Layer& layer = graph.layer(i);
        const LayerResult& r = analysis.layers[i];
        PictureNode node;
        node.kind = graph.is_input(i) ? PictureNode::Kind::Input
                  : layer.type == "parameter" ? PictureNode::Kind::Parameter
                                              : PictureNode::Kind::Layer;
        node.name = layer.name;
        node.type = layer.type;
        node.class_name = r.class_name;
        node.params = r.params.total;
        node.trainable = r.params.trainable;
        node.non_trainable = r.params.non_trainable;
        node.buffers = r.params.buffers;
        const Dims dims = r.output.values();
        if (problem.batch) node.shape.push_back(*problem.batch);
        node.shape.insert(node.shape.end(), dims.begin(), dims.end());
        node.shape_text = format_shape(dims, *problem.convention, problem.batch ? &*problem.batch : nullptr);
        picture.nodes.push_back(std::move(node));
    }
    for (size_t i : graph.order())
        for (size_t k = 0; k < graph.inputs_of(i).size(); ++k)
            picture.edges.push_back({position[graph.inputs_of(i)[k]], position[i], k, graph.layer(i).type == "parameter"});
    picture.output = position[graph.output()];
    sheet.picture = std::move(picture);
    return sheet;
}

}  // namespace dlsolve
