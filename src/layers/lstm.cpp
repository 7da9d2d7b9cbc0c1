// LSTM / nn.LSTM: four gates (Keras i, f, c, o; PyTorch i, f, g, o), each a
// units × (features + units) weight and its bias: 4 × (2 × (3 + 2) + 2) = 48 in Keras,
// 4 × (2 × (3 + 2) + 2 + 2) = 56 in PyTorch (bias_ih and bias_hh).
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace dlsolve {

std::unique_ptr<Layer> parse_lstm(Fields& fields, const Convention& convention, std::string_view) {
    return std::make_unique<Recurrent>(CellKind::Lstm, fields, convention);
}

}  // namespace dlsolve
