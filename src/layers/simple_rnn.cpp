// SimpleRNN / nn.RNN: h_t = f(W_x·x_t + W_h·h_{t−1} + b); units × (features + units) + bias.
#include "layers/recurrent.h"
#include "layers/registry.h"

namespace dlsolve {

std::unique_ptr<Layer> parse_simple_rnn(Fields& fields, const Convention& convention, std::string_view) {
    return std::make_unique<Recurrent>(CellKind::Simple, fields, convention);
}

}  // namespace dlsolve
