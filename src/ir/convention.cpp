#include "ir/convention.h"

namespace dlsolve {

const Convention& Convention::keras() {
    static const Convention c{
        .framework = Framework::Keras,
        .name = "keras",
        .channels_last = true,
        .batch_symbol = "None",
        .shape_open = "(",
        .shape_close = ")",
        .naming = Naming::PerClassCounter,
        .sequential_input_name = "",
        .running_stats = RunningStats::NonTrainableParams,
        .integer_padding = false,
        .pooling_accepts_same = true,
        .same_conv_needs_stride_1 = false,
        .strided_dilation_allowed = false,
        .pooling_has_ceil_mode = false,
        .default_pool_size = 2,
        .running_stats_weight = 0.01,  // momentum 0.99: moving ← 0.99·moving + 0.01·batch
        .running_variance_unbiased = false,
        .leaky_relu_alpha = 0.3,
        .fused_leaky_relu_alpha = 0.2,
        .global_pool_keeps_spatial = false,
        .kernel_layout = KernelLayout::SpatialFirst,
        .avg_pool_counts_padding = false,  // padding="same" averages only the input cells
        .batchnorm_epsilon = 1e-3,
        .layernorm_epsilon = 1e-3,
        .probability_clip = 1e-7,  // keras.backend.epsilon(): categorical_crossentropy clips ŷ to [ε, 1 − ε]
        .class_axis = "last",      // keras.losses.categorical_crossentropy(axis=-1), sparse_categorical_crossentropy likewise
        // keras/src/optimizers/{sgd,rmsprop,adam,adamw,adagrad}.py and base_optimizer.py (_apply_weight_decay).
        .optimizer = {.source = "keras.optimizers",
                      .eps = 1e-7,
                      .adagrad_eps = 1e-7,
                      .rmsprop_rho = 0.9,
                      .adagrad_initial = 0.1,
                      .adamw_weight_decay = 0.004},
        .total_label = "Total params",
        .table_title = "Model",
        .recurrent = {.lstm_gates = "i, f, c, o", .gru_gates = "z, r, h", .gru_block = {0, 1, 2},
                      .input_major = true, .bias_pair = false, .gru_reset_after_choice = true,
                      .input_weights = "kernel", .recurrent_weights = "recurrent_kernel", .bias = "bias",
                      .recurrent_bias = "", .reverse_prefix = "backward_", .reverse_suffix = "",
                      .bidirectional_last_is_final = true, .lstm_candidate = "c̃", .gru_candidate = "h̃",
                      .gate_input_weight = "W_{}", .gate_recurrent_weight = "U_{}", .gate_bias = "b_{}",
                      .gate_recurrent_bias = "b_U{}", .initial_state_by_direction = true},
        // keras/src/layers/attention/multi_head_attention.py: build() makes EinsumDense
        // sublayers "query", "key", "value" with kernels [d_in, num_heads, key_dim|value_dim]
        // and biases [num_heads, key_dim|value_dim]; "attention_output" [num_heads, value_dim, d_out] + [d_out].
        .attention = {.class_name = "MultiHeadAttention", .call_order = "[query, value, key]",
                      .key_input = 2, .value_input = 1, .key_defaults_to_value = true,
                      .output_major = false, .heads_in_kernel_shape = true,
                      .projection_weight = {"query_kernel", "key_kernel", "value_kernel"},
                      .projection_bias = {"query_bias", "key_bias", "value_bias"},
                      .packed_weight = "", .packed_bias = "",
                      .output_weight = "attention_output_kernel", .output_bias = "attention_output_bias"},
    };
    return c;
}

const Convention& Convention::pytorch() {
    static const Convention c{
        .framework = Framework::PyTorch,
        .name = "pytorch",
        .channels_last = false,
        .batch_symbol = "N",
        .shape_open = "[",
        .shape_close = "]",
        .naming = Naming::SequentialIndex,
        .sequential_input_name = "input",
        .running_stats = RunningStats::Buffers,
        .integer_padding = true,
        .pooling_accepts_same = false,
        .same_conv_needs_stride_1 = true,
        .strided_dilation_allowed = true,
        .pooling_has_ceil_mode = true,
        .default_pool_size = 0,
        .running_stats_weight = 0.1,  // momentum 0.1: running ← 0.9·running + 0.1·batch
        .running_variance_unbiased = true,
        .leaky_relu_alpha = 0.01,
        .fused_leaky_relu_alpha = 0.01,
        .global_pool_keeps_spatial = true,
        .kernel_layout = KernelLayout::ChannelsFirst,
        .avg_pool_counts_padding = true,
        .batchnorm_epsilon = 1e-5,
        .layernorm_epsilon = 1e-5,
        .probability_clip = 0,
        .class_axis = "",  // nn.CrossEntropyLoss: dim 1 of [N, C, d1, …]; a sequence [N, T, C] is transposed or reshaped by its user
        .optimizer = {.source = "torch.optim",
                      .eps = 1e-8,
                      .adagrad_eps = 1e-10,
                      .rmsprop_rho = 0.99,
                      .adagrad_initial = 0,
                      .adamw_weight_decay = 0.01},
        .total_label = "Total params",
        .table_title = "Network",
        .recurrent = {.lstm_gates = "i, f, g, o", .gru_gates = "r, z, n", .gru_block = {1, 0, 2},
                      .input_major = false, .bias_pair = true, .gru_reset_after_choice = false,
                      .input_weights = "weight_ih", .recurrent_weights = "weight_hh", .bias = "bias_ih",
                      .recurrent_bias = "bias_hh", .reverse_prefix = "", .reverse_suffix = "_reverse",
                      .bidirectional_last_is_final = false, .lstm_candidate = "g", .gru_candidate = "n",
                      .gate_input_weight = "W_i{}", .gate_recurrent_weight = "W_h{}", .gate_bias = "b_i{}",
                      .gate_recurrent_bias = "b_h{}", .initial_state_by_direction = false},
        // torch/nn/modules/activation.py, MultiheadAttention.__init__: in_proj_weight [3E, E]
        // when kdim = vdim = E, else q_proj_weight [E, E], k_proj_weight [E, kdim],
        // v_proj_weight [E, vdim]; in_proj_bias [3E]; out_proj = Linear(E, E).
        .attention = {.class_name = "MultiheadAttention", .call_order = "[query, key, value]",
                      .key_input = 1, .value_input = 2, .key_defaults_to_value = false,
                      .output_major = true, .heads_in_kernel_shape = false,
                      .projection_weight = {"q_proj_weight", "k_proj_weight", "v_proj_weight"},
                      .projection_bias = {"", "", ""},
                      .packed_weight = "in_proj_weight", .packed_bias = "in_proj_bias",
                      .output_weight = "out_proj.weight", .output_bias = "out_proj.bias"},
    };
    return c;
}

const Convention& Convention::of(Framework f) { return f == Framework::Keras ? keras() : pytorch(); }

}  // namespace dlsolve
