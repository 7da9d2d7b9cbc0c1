#include "layers/common.h"

#include <fmt/format.h>

#include "problem/error.h"

namespace dlsolve {

Padding read_padding(Fields& fields, const Convention& convention, bool same_allowed) {
    // Where padding is counted in pixels (PyTorch), "valid" is 0 pixels and the
    // explicit-padding formulas apply, e.g. (n − 1)·s + k for a transposed convolution.
    const Padding none = convention.integer_padding ? Padding{Padding::Kind::Explicit, {0, 0}} : Padding{};
    const Json* value = fields.raw("padding");
    if (!value) return none;
    if (value->is_string()) {
        const auto word = value->get<std::string>();
        if (word == "valid") return none;
        if (word == "same" && same_allowed) return {Padding::Kind::Same, {0, 0}};
    } else if (convention.integer_padding) {
        return {Padding::Kind::Explicit, fields.pair("padding", {0, 0}, 0)};
    }
    std::string expected = same_allowed ? "\"valid\" or \"same\"" : "\"valid\"";
    if (convention.integer_padding) expected += " or a number of pixels (int or [h, w])";
    fields.fail("padding", expected);
}

Expr effective_kernel(const Window& window, const Axis& axis) {
    Expr k = Expr::sym(fmt::format("k_{}", axis.suffix), window.kernel);
    if (window.dilation == 1) return k;
    return Expr::tight_product(Expr::sym(fmt::format("d_{}", axis.suffix), window.dilation), k - 1) + 1;
}

Expr sliding_output(int64_t n, const Window& window, Padding::Kind padding, const Axis& axis, bool ceil_mode,
                    const char* window_name) {
    const Expr size = Expr::sym(axis.size, n);
    const Expr stride = Expr::sym(fmt::format("s_{}", axis.suffix), window.stride);
    if (padding == Padding::Kind::Same) return ceil_div(size, stride);

    const Expr kernel = effective_kernel(window, axis);
    Expr span = size - kernel;
    if (window.pad > 0) span = span + Expr::tight_product(2, Expr::sym(fmt::format("p_{}", axis.suffix), window.pad));
    if (span.value() < 0 && !(ceil_mode && (ceil_div(span, stride) + 1).value() >= 1)) {
        const char* side = axis.size[0] == 'H' ? "height" : "width";
        if (window.pad == 0)
            throw LayerError(fmt::format("{} {} ({}) is larger than the input {} = {}", window_name, kernel.value(), side, axis.size, n));
        const Expr padded = size + Expr::tight_product(2, window.pad);
        throw LayerError(fmt::format("{} {} ({}) is larger than the padded input {} = {}", window_name, kernel.value(), side,
                                     axis.size, padded.worked()));
    }
    if (!ceil_mode) return floor_div(span, stride) + 1;
    // PyTorch drops a last window that would start in the right padding, which can happen
    // only when the stride exceeds k_eff − p. Then the windows are those starting at 0, s,
    // 2s, … before H + p: ⌈(H + p)/s⌉ of them for every H (one formula, so that a size in
    // symbols keeps it); otherwise ⌈(H + 2p − k_eff)/s⌉ + 1, as PyTorch's docs write.
    if (window.stride > kernel.value() - window.pad)
        return ceil_div(window.pad > 0 ? size + Expr::sym(fmt::format("p_{}", axis.suffix), window.pad) : size, stride);
    return ceil_div(span, stride) + 1;
}

Expr transposed_output(int64_t n, const Window& window, Padding::Kind padding, int64_t output_padding,
                       bool output_padding_given, const Axis& axis) {
    const Expr size = Expr::sym(axis.size, n);
    const Expr stride = Expr::sym(fmt::format("s_{}", axis.suffix), window.stride);
    const Expr kernel = effective_kernel(window, axis);
    if (!output_padding_given && padding == Padding::Kind::Same) return size * stride;
    if (!output_padding_given && padding == Padding::Kind::Valid) return size * stride + max(kernel - stride, 0);

    // (n − 1)·s + k_eff − 2·pad + output_padding; Keras pads ⌊k_eff/2⌋ for "same".
    Expr out = (size - 1) * stride + kernel;
    int64_t pad = window.pad;
    if (padding == Padding::Kind::Same) pad = kernel.value() / 2;
    if (pad > 0) out = out - Expr::tight_product(2, Expr::sym(fmt::format("p_{}", axis.suffix), pad));
    if (output_padding > 0) out = out + Expr::sym(fmt::format("op_{}", axis.suffix), output_padding);
    if (out.value() < 1)
        throw LayerError(fmt::format("transposed convolution output {} = {} is not positive", axis.size, out.value()));
    return out;
}

int64_t same_pad_before(int64_t n, int64_t out, int64_t kernel, int64_t stride) {
    const int64_t total = (out - 1) * stride + kernel - n;
    return total > 0 ? total / 2 : 0;
}

int64_t pad_before(const Padding& padding, int64_t pad_pixels, int64_t n, int64_t out, int64_t kernel_eff, int64_t stride) {
    switch (padding.kind) {
        case Padding::Kind::Valid: return 0;
        case Padding::Kind::Same: return same_pad_before(n, out, kernel_eff, stride);
        case Padding::Kind::Explicit: return pad_pixels;
    }
    return 0;
}

ImageBatch::ImageBatch(const Dims& s, const Convention& convention) : channels_last(convention.channels_last) {
    if (s.size() != 4) throw LayerError(fmt::format("expected a batch of images, found shape {}", format_dims(s)));
    batch = s[0];
    if (channels_last) height = s[1], width = s[2], channels = s[3];
    else channels = s[1], height = s[2], width = s[3];
}

size_t ImageBatch::at(int64_t n, int64_t c, int64_t h, int64_t w) const {
    const int64_t flat = channels_last ? ((n * height + h) * width + w) * channels + c : ((n * channels + c) * height + h) * width + w;
    return static_cast<size_t>(flat);
}

ImageBatch::Position ImageBatch::position(size_t flat) const {
    auto f = static_cast<int64_t>(flat);
    Position p{};
    if (channels_last) {
        p.c = f % channels, f /= channels;
        p.w = f % width, f /= width;
        p.h = f % height, p.n = f / height;
    } else {
        p.w = f % width, f /= width;
        p.h = f % height, f /= height;
        p.c = f % channels, p.n = f / channels;
    }
    return p;
}

Dims batched_output(const Layer& layer, const std::vector<const Tensor*>& inputs, const Convention& convention) {
    std::vector<Dims> samples;
    for (const Tensor* t : inputs) samples.emplace_back(t->shape.begin() + 1, t->shape.end());
    Dims out = layer.output_shape(samples, convention).values();
    out.insert(out.begin(), inputs[0]->batch());
    return out;
}

AxisMap window_axis(int64_t n, int64_t out, const Window& window, Padding::Kind padding) {
    const int64_t kernel = window.dilation * (window.kernel - 1) + 1;
    const int64_t pad = padding == Padding::Kind::Same ? same_pad_before(n, out, kernel, window.stride) : window.pad;
    return {AxisMap::Kind::Window, kernel, window.stride, pad};
}

Cost weighted_sum_cost(const Expr& macs, const Expr& outputs, bool use_bias) {
    const Expr named = Expr::sym("MACs", macs.value());
    if (use_bias) return {macs, Expr(2) * named, "2 per MAC (multiply and add; the bias add completes each sum)"};
    return {macs, Expr(2) * named - Expr::sym("outputs", outputs.value()), "2 per MAC, less one add per output (no bias)"};
}

Cost activation_cost(const std::string& activation, const Expr& elements) {
    struct PerElement {
        const char* word;
        int64_t flops;
        const char* rule;
    };
    static constexpr PerElement kRules[] = {
        {"relu", 1, "1 comparison per element"},
        {"hard_threshold", 1, "1 comparison per element"},
        {"leaky_relu", 4, "4 per element (two comparisons, a product, a sum)"},
        {"sigmoid", 4, "4 per element (negate, exp, add 1, divide)"},
        {"tanh", 6, "6 per element (two exps, a negation, a sum, a difference, a division)"},
        {"softmax", 3, "3 per element (exp, sum, divide)"},
        {"linear", 0, "none"},
    };
    for (const auto& r : kRules)
        if (activation == r.word) return {Expr(), r.flops == 0 ? Expr() : Expr(r.flops) * elements, r.rule};
    return {};
}

Tensor SameElements::forward(const std::vector<const Tensor*>& in, const std::vector<const Tensor*>&, const NumericMode&,
                             const Convention& c) const {
    Tensor y = *in[0];
    y.shape = batched_output(*this, in, c);
    return y;
}

void SameElements::backward(const std::vector<const Tensor*>&, const std::vector<const Tensor*>&, const Tensor&,
                            const Tensor& grad_y, const NumericMode&, const Convention&, std::vector<Tensor>& grad_in,
                            std::vector<Tensor>&) const {
    grad_in[0].data = grad_y.data;
}

Expr SameElements::explain(const std::vector<Operand>& in, const std::vector<Operand>&, const Tensor&, size_t flat,
                           const NumericMode&, const Convention&) const {
    return in[0].at(flat);
}

std::vector<Link> SameElements::links(const std::vector<Operand>&, const std::vector<Operand>&, const Operand&, size_t flat,
                                      const NumericMode&, const Convention&) const {
    return {{0, flat, Expr(1)}};
}

std::string read_activation(Fields& fields, bool required) {
    return fields.word("activation", {"relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu", "hard_threshold"},
                       required ? "" : "linear");
}

std::vector<Link> links_from_backward(const Layer& layer, const std::vector<Operand>& inputs,
                                      const std::vector<Operand>& values, size_t flat, const NumericMode& mode,
                                      const Convention& convention) {
    std::vector<const Tensor*> tensors, params;
    for (const auto& o : inputs) tensors.push_back(o.tensor);
    for (const auto& o : values) params.push_back(o.tensor);
    const Tensor y = layer.forward(tensors, params, mode, convention);
    Tensor one_hot(y.shape);
    one_hot[flat] = 1.0;
    std::vector<Tensor> grad_in, grad_p;
    for (const Tensor* t : tensors) grad_in.emplace_back(t->shape);
    for (const Tensor* t : params) grad_p.emplace_back(t->shape);
    layer.backward(tensors, params, y, one_hot, mode, convention, grad_in, grad_p);
    std::vector<Link> out;
    for (size_t k = 0; k < grad_in.size(); ++k)
        for (size_t e = 0; e < grad_in[k].size(); ++e)
            if (grad_in[k][e] != 0.0) out.push_back({static_cast<int>(k), e, Expr::real(grad_in[k][e])});
    for (size_t r = 0; r < grad_p.size(); ++r)
        for (size_t e = 0; e < grad_p[r].size(); ++e)
            if (grad_p[r][e] != 0.0) out.push_back({-1 - static_cast<int>(r), e, Expr::real(grad_p[r][e])});
    return out;
}

}  // namespace dlsolve
