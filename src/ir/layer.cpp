#include "ir/layer.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

namespace {
[[noreturn]] void no_rule(const Layer& layer, const char* what) {
    throw LayerError(fmt::format("dlsolve has no {} rule for {} layers yet", what, layer.type));
}
}  // namespace

Tensor Layer::forward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const NumericMode&,
                      const Convention&) const {
    no_rule(*this, "forward");
}

void Layer::backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const Tensor&, const Tensor&,
                     const NumericMode&, const Convention&, std::vector<Tensor>&, std::vector<Tensor>&) const {
    no_rule(*this, "backward");
}

Expr Layer::explain(const std::vector<Operand>&, const std::vector<Operand>&, const Tensor&, size_t, const NumericMode&,
                    const Convention&) const {
    no_rule(*this, "worked forward");
}

std::vector<Link> Layer::links(const std::vector<Operand>&, const std::vector<Operand>&, const Operand&, size_t,
                               const NumericMode&, const Convention&) const {
    no_rule(*this, "chain rule");
}

}  // namespace dlsolve
