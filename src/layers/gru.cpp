// GRU / nn.GRU: three gates (Keras z, r, h; PyTorch r, z, n). Keras's default
// reset_after=True keeps a second (recurrent) bias, as PyTorch always does: 3 × (u × (f + u)
// + u + u); reset_after=False has one bias and applies the reset gate before W_h.
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace dlsolve {

std::unique_ptr<Layer> parse_gru(Fields& fields, const Convention& convention, std::string_view) {
    return std::make_unique<Recurrent>(CellKind::Gru, fields, convention);
}

}  // namespace dlsolve
