// Framework conventions as data. Keras and PyTorch differ in layout, class names,
// padding words, defaults and what counts as a parameter; layers read those
// differences from here instead of branching on the framework name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dlsolve {

enum class Framework { Keras = 0, PyTorch = 1 };

// Where BatchNorm's moving mean and variance are counted.
enum class RunningStats { NonTrainableParams, Buffers };

// How a convolution kernel is stored. A transposed convolution stores the kernel of
// the convolution it transposes (C_out → C_in), so its in and out swap places.
enum class KernelLayout {
    SpatialFirst,  // Keras: [k_h][k_w][in][out]
    ChannelsFirst, // PyTorch: [out][in/groups][k_h][k_w]
};

enum class Naming {
    PerClassCounter,  // Keras: conv2d, conv2d_1, … (snake case of the class name)
    SequentialIndex,  // PyTorch nn.Sequential: "0", "1", …
};

// The optimizers' defaults and update rules: torch.optim or keras.optimizers.
struct OptimizerRules {
    std::string_view source;          // "torch.optim" / "keras.optimizers"
    double eps;                       // RMSprop, Adam, AdamW: 1e-8 / 1e-7
    double adagrad_eps;               // 1e-10 / 1e-7
    double rmsprop_rho;               // torch's alpha 0.99 / Keras's rho 0.9
    double adagrad_initial;           // the accumulator's start: 0 / initial_accumulator_value 0.1
    double adamw_weight_decay;        // 0.01 / 0.004
    // The rules themselves differ too (numeric/optimizer.cpp): Keras puts ε inside the
    // square roots of RMSprop and Adagrad, adds Adam's ε to √v before the bias correction
    // (ε̂), keeps lr inside SGD's and RMSprop's momentum buffers, and decouples every
    // optimizer's weight decay (w ← w − α·λ·w before the step).
};

// How a recurrent layer (SimpleRNN / LSTM / GRU) stores its weights: the gate blocks'
// order, which axis of a weight matrix is the input, and the bias vectors. dlsolve
// computes in Keras's gate order (LSTM i, f, c, o; GRU z, r, h); `gru_block` says which
// of those gates each stored block of a GRU holds.
struct RecurrentLayout {
    std::string_view lstm_gates;   // "i, f, c, o" / "i, f, g, o"
    std::string_view gru_gates;    // "z, r, h" / "r, z, n"
    int gru_block[3];              // stored block k holds gate gru_block[k] of (z, r, h)
    bool input_major;              // Keras kernel [features, g·units]; PyTorch weight_ih [g·units, features]
    bool bias_pair;                // PyTorch: bias_ih and bias_hh, both always
    bool gru_reset_after_choice;   // Keras GRU(reset_after=…); PyTorch always applies r after W_hn·h
    std::string_view input_weights, recurrent_weights, bias, recurrent_bias;  // value names
    std::string_view reverse_prefix, reverse_suffix;  // names of the backward direction's values
    bool bidirectional_last_is_final;  // return_sequences false: Keras ends both directions; PyTorch output[:, -1]
    // The worked chain's names: the candidates' values (Keras c̃_t, h̃_t; PyTorch g_t, n_t) and
    // one gate's slice of each value, {} standing for the gate's stored letter (Keras W_f, U_f,
    // b_f and reset_after's recurrent b_Uf; PyTorch's documentation W_if, W_hf, b_if, b_hf).
    std::string_view lstm_candidate, gru_candidate;
    std::string_view gate_input_weight, gate_recurrent_weight, gate_bias, gate_recurrent_bias;
    // initial_state's order: Keras's list (Bidirectional: the forward layer's states, then the
    // backward's: h_fw, c_fw, h_bw, c_bw); PyTorch's (h0, c0), each [directions, units].
    bool initial_state_by_direction;
};

// How a multi-head attention layer (Keras MultiHeadAttention / nn.MultiheadAttention)
// takes its inputs and stores its projections. dlsolve computes with input-major
// matrices (Q = X·A_q + b_q, the columns head by head); these say where each element
// of those matrices lives in the framework's tensors.
struct AttentionLayout {
    std::string_view class_name;      // "MultiHeadAttention" / "MultiheadAttention"
    std::string_view call_order;      // "[query, value, key]" / "[query, key, value]"
    int key_input;                    // position of the key among three inputs
    int value_input;                  // position of the value among three inputs
    bool key_defaults_to_value;       // Keras call(query, value): key = value
    bool output_major;                // PyTorch weights are [out, in]; Keras kernels [in, …, out]
    bool heads_in_kernel_shape;       // Keras kernels [d_in, num_heads, key_dim] and [num_heads, value_dim, d_out]
    std::string_view projection_weight[3];  // query, key, value
    std::string_view projection_bias[3];    // empty: one packed bias for all three
    std::string_view packed_weight;   // all three widths equal embed_dim: one [3E, E] tensor; empty: never
    std::string_view packed_bias;
    std::string_view output_weight, output_bias;
};

struct Convention {
    Framework framework;
    std::string_view name;           // "keras" / "pytorch"
    bool channels_last;              // [H, W, C] rather than [C, H, W]
    std::string_view batch_symbol;   // "None" / "N"
    std::string_view shape_open;     // "(" / "["
    std::string_view shape_close;
    Naming naming;
    std::string_view sequential_input_name;  // the model input under SequentialIndex naming
    RunningStats running_stats;
    bool integer_padding;            // padding may be a number of pixels
    bool pooling_accepts_same;       // MaxPooling2D(padding='same') exists
    bool same_conv_needs_stride_1;   // nn.Conv2d(padding='same') rejects strides
    bool strided_dilation_allowed;   // tf.keras 2 rejects strides > 1 with dilation > 1
    bool pooling_has_ceil_mode;
    int64_t default_pool_size;       // 0: the pool size must be given
    double running_stats_weight;     // BatchNorm's moving statistics take this share of the batch's
    bool running_variance_unbiased;  // … with the batch variance divided by M − 1 (PyTorch)
    double leaky_relu_alpha;         // the LeakyReLU layer's default slope
    double fused_leaky_relu_alpha;   // activation="leaky_relu" (tf.nn.leaky_relu: 0.2)
    bool global_pool_keeps_spatial;  // AdaptiveAvgPool2d(1) gives [C, 1, 1]
    KernelLayout kernel_layout;
    bool avg_pool_counts_padding;    // AvgPool2d(count_include_pad=True) divides by the padded window
    double batchnorm_epsilon;        // BatchNormalization 1e-3, BatchNorm2d 1e-5
    double layernorm_epsilon;        // LayerNormalization 1e-3, LayerNorm 1e-5
    double probability_clip;         // cross-entropy on probabilities: Keras clips ŷ to ≥ ε = 1e-7; 0: none (PyTorch: log 0 = −∞)
    // Where a cross-entropy finds the classes of an output with several long axes (a
    // sequence [T, C], a map): "last" (Keras's losses, axis=-1), or "" when the file must
    // say (nn.CrossEntropyLoss takes dim 1, the first sample axis, but a [N, T, C] sequence
    // is usually transposed or reshaped first, so either could be meant).
    std::string_view class_axis;
    OptimizerRules optimizer;
    std::string_view total_label;    // "Total params" in both
    std::string_view table_title;    // "Model" / "Network"
    RecurrentLayout recurrent;
    AttentionLayout attention;

    static const Convention& keras();
    static const Convention& pytorch();
    static const Convention& of(Framework f);

    // Pick the framework's word from a per-kind pair {keras, pytorch}.
    template <typename T>
    const T& pick(const T& keras_value, const T& pytorch_value) const {
        return framework == Framework::Keras ? keras_value : pytorch_value;
    }
};

}  // namespace dlsolve
