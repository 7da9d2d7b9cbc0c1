#!/usr/bin/python3
"""Differential test of receptive fields and MACs (issue 3): dlsolve against PyTorch.

    /usr/bin/python3 tests/diff/torch_rf_macs.py DLSOLVE_BINARY PROBLEMS_DIR|FILE...
    /usr/bin/python3 tests/diff/torch_rf_macs.py --self-test DLSOLVE_BINARY [PROBLEMS_DIR|FILE...]
    /usr/bin/python3 tests/diff/torch_rf_macs.py --print FILE...     (measured numbers only)

Options: --device meta  MACs forward pass on meta tensors (default cpu).
         --verbose      print every measured value and every receptive-field probe.

MACs: the network is built with torch_diff.py's builders; forward hooks on every
Conv2d, ConvTranspose2d and Linear count multiply-accumulates from the module and
the real input / output tensors of a forward pass with batch 1, compared with
`DLSOLVE flops --format json FILE` (macs.LAYER, macs.total).

Receptive fields are measured: a copy of the network has every weight 1 and bias
0, max pooling replaced by average pooling of the same geometry, activations,
BatchNorm and dropout replaced by the identity (every map is then linear with
non-negative coefficients, so no dependency can cancel); an input of ones
(float64) is fed, one output unit is back-propagated and the first and last
input row / column with a non-zero gradient are the unit's measured window.  It
is compared with the window dlsolve predicts from `DLSOLVE rf --format json FILE`:
for unit i, [i·j − p_eff, i·j − p_eff + r − 1] (r receptive_field, j
effective_stride, p_eff effective_padding), clipped to the image.  See README.md.
"""

import copy
import json
import math
import os
import subprocess
import sys
from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_diff as td  # noqa: E402  (the network builders and the graph executor)

Skip, Reject, REQUIRED, OPTIONAL = td.Skip, td.Reject, td.REQUIRED, td.OPTIONAL

MAX_PHASES = 8        # units probed per axis after a transposed convolution / upsampling
MAX_ENLARGED = 4096   # largest enlarged input side


# ---------------------------------------------------------------- Keras files as PyTorch modules
# A Keras problem runs in PyTorch with images channels first ([C, H, W]); every
# other tensor keeps the Keras layout.  Each Keras layer becomes modules that
# compute the same map: 'same' padding is an explicit ZeroPad2d (Keras pads
# total = (out − 1)·s + k_eff − n, the smaller half before), a transposed
# convolution is ConvTranspose2d without padding followed by the crop Keras
# applies, Dense / LayerNormalization on an image act on the channel axis.

KERAS_CLASS = {
    "conv2d": "conv2d", "conv2d_transpose": "conv2d_transpose", "maxpool2d": "max_pooling2d",
    "avgpool2d": "average_pooling2d", "global_avgpool2d": "global_average_pooling2d",
    "global_maxpool2d": "global_max_pooling2d", "upsampling2d": "up_sampling2d",
    "zeropadding2d": "zero_padding2d", "flatten": "flatten", "reshape": "reshape", "dense": "dense",
    "batchnorm": "batch_normalization", "layernorm": "layer_normalization", "dropout": "dropout",
    "concat": "concatenate", "add": "add", "relu": "re_lu", "leaky_relu": "leaky_re_lu", "softmax": "softmax",
    **{t: "activation" for t in ("sigmoid", "tanh", "linear", "hard_threshold", "activation")},
    "embedding": "embedding", "simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru",
}
RECURRENT = ("simple_rnn", "lstm", "gru")


def keras_names(problem):
    """Model-input name and layer names as tf.keras 2 gives them (see README.md)."""
    counters = {"input": 1}

    def fresh(prefix):
        n = counters.get(prefix, 0)
        counters[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    first = problem["input"].get("name") or fresh("input")
    names = []
    for spec in problem["layers"]:
        if spec.get("name"):
            names.append(spec["name"])
        elif spec["type"] == "input":
            names.append(fresh("input"))
        elif spec["type"] in RECURRENT and spec.get("bidirectional"):   # the Bidirectional wrapper
            names.append(fresh("bidirectional"))
        elif spec["type"] in KERAS_CLASS:
            names.append(fresh(KERAS_CLASS[spec["type"]]))
        else:
            raise Skip(f"layer type '{spec['type']}' is not modelled for Keras")
    return first, names


def chw(shape):
    """Keras sample shape -> the PyTorch tensor layout used here."""
    return [shape[2], shape[0], shape[1]] if len(shape) == 3 else list(shape)


class ChannelsLast(nn.Module):
    """Apply a last-axis module (Linear, LayerNorm) to the channels of an NCHW
    image; on a [N, L, C] tensor, a channel-axis module (BatchNorm1d) to C."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        if x.dim() == 3:
            return self.inner(x.transpose(1, 2)).transpose(1, 2)
        return self.inner(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Crop(nn.Module):
    """Keep rows [top, top + h) and columns [left, left + w), zero-extended past the end."""

    def __init__(self, top, h, left, w):
        super().__init__()
        self.box = (top, h, left, w)

    def forward(self, x):
        top, h, left, w = self.box
        return F.pad(x, (-left, left + w - x.shape[3], -top, top + h - x.shape[2]))


class KerasFlatten(nn.Module):
    """Flatten in Keras's channels-last order."""

    def forward(self, x):
        return (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).flatten(1)


class KerasReshape(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = tuple(target)

    def forward(self, x):
        y = KerasFlatten()(x).reshape(x.shape[0], *self.target)
        return y.permute(0, 3, 1, 2) if y.dim() == 4 else y


def chain(*modules):
    modules = [m for m in modules if m is not None]
    return modules[0] if len(modules) == 1 else nn.Sequential(*modules)


def keras_same_pad(x, kernel, stride):
    """ZeroPad2d doing Keras 'same' padding for this input, or None when it pads nothing."""
    pads = []
    for n, k, s in zip(x.shape[2:], kernel, stride):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return nn.ZeroPad2d((left, right, top, bottom)) if top + bottom + left + right else None


def k_effective(kernel, dilation):
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def image_input(x, spec):
    if x.dim() != 4:
        raise Reject(f"layer type '{spec['type']}' needs an image, got {list(x.shape[1:])}")
    return x


def checked_channels(given, actual, spec):
    if given is not None and given != actual:
        raise Reject(f"layer type '{spec['type']}': in_channels/in_features {given}, input has {actual}")


def kbuild_conv2d(spec, xs):
    o = td.opts(spec, filters=REQUIRED, kernel=REQUIRED, stride=1, padding="valid", dilation=1, groups=1,
                use_bias=True, activation=OPTIONAL, in_channels=OPTIONAL)
    x = image_input(td.one(xs, spec), spec)
    checked_channels(o["in_channels"], x.shape[1], spec)
    k, s, d = td.pair(o["kernel"]), td.pair(o["stride"]), td.pair(o["dilation"])
    if o["padding"] not in ("same", "valid"):
        raise Reject("Keras padding is 'same' or 'valid'")
    if max(s) > 1 and max(d) > 1:
        raise Reject("tf.keras 2 refuses strides > 1 with dilation_rate > 1 in Conv2D")
    pad = keras_same_pad(x, k_effective(k, d), s) if o["padding"] == "same" else None
    conv = nn.Conv2d(x.shape[1], o["filters"], k, stride=s, dilation=d, groups=o["groups"], bias=o["use_bias"])
    return chain(pad, td.with_activation(conv, o["activation"]))


def kbuild_conv2d_transpose(spec, xs):
    o = td.opts(spec, filters=REQUIRED, kernel=REQUIRED, stride=1, padding="valid", output_padding=OPTIONAL,
                dilation=1, use_bias=True, activation=OPTIONAL, in_channels=OPTIONAL)
    x = image_input(td.one(xs, spec), spec)
    checked_channels(o["in_channels"], x.shape[1], spec)
    k, s, d = td.pair(o["kernel"]), td.pair(o["stride"]), td.pair(o["dilation"])
    if o["padding"] not in ("same", "valid"):
        raise Reject("Keras padding is 'same' or 'valid'")
    op = None if o["output_padding"] is None else td.pair(o["output_padding"])
    box = []
    for axis, (n, ke, st) in enumerate(zip(x.shape[2:], k_effective(k, d), s)):
        if op is None:   # Keras deconv_output_length
            out = n * st if o["padding"] == "same" else n * st + max(ke - st, 0)
        else:
            out = (n - 1) * st + ke - 2 * (ke // 2 if o["padding"] == "same" else 0) + op[axis]
        # tf.nn.conv2d_transpose is the adjoint of a conv2d from `out` to n with this padding
        before = max((n - 1) * st + ke - out, 0) // 2 if o["padding"] == "same" else 0
        box += [before, out]
    conv = nn.ConvTranspose2d(x.shape[1], o["filters"], k, stride=s, dilation=d, bias=o["use_bias"])
    return chain(conv, Crop(*box), td.activation_module(o["activation"]) if o["activation"] else None)


def kbuild_pool(spec, xs):
    o = td.opts(spec, pool=2, stride=OPTIONAL, padding="valid")
    x = image_input(td.one(xs, spec), spec)
    k = td.pair(o["pool"])
    s = k if o["stride"] is None else td.pair(o["stride"])
    if o["padding"] not in ("same", "valid"):
        raise Reject("Keras padding is 'same' or 'valid'")
    pad = keras_same_pad(x, k, s) if o["padding"] == "same" else None
    # Keras 'same' max pooling ignores the padding (−inf); zeros change values, not shapes, MACs or fields.
    pool = (nn.MaxPool2d if spec["type"] == "maxpool2d" else nn.AvgPool2d)(k, s)
    return chain(pad, pool)


def kbuild_global_pool(spec, xs):
    td.opts(spec)
    image_input(td.one(xs, spec), spec)
    pool = nn.AdaptiveMaxPool2d(1) if spec["type"] == "global_maxpool2d" else nn.AdaptiveAvgPool2d(1)
    return nn.Sequential(pool, nn.Flatten())   # Keras output [C]


def kbuild_upsampling2d(spec, xs):
    return td.build_upsampling2d(spec, xs)


def kbuild_flatten(spec, xs):
    td.opts(spec)
    td.one(xs, spec)
    return KerasFlatten()


def kbuild_reshape(spec, xs):
    o = td.opts(spec, target_shape=REQUIRED)
    td.one(xs, spec)
    return KerasReshape(o["target_shape"])


def kbuild_dense(spec, xs):
    o = td.opts(spec, units=REQUIRED, use_bias=True, activation=OPTIONAL, in_features=OPTIONAL)
    x = td.one(xs, spec)
    n_in = x.shape[1] if x.dim() == 4 else x.shape[-1]
    checked_channels(o["in_features"], n_in, spec)
    linear = nn.Linear(n_in, o["units"], bias=o["use_bias"])
    return td.with_activation(ChannelsLast(linear) if x.dim() == 4 else linear, o["activation"])


def kbuild_batchnorm(spec, xs):
    td.opts(spec)
    x = td.one(xs, spec)
    if x.dim() == 4:
        return nn.BatchNorm2d(x.shape[1])
    if x.dim() == 2:
        return nn.BatchNorm1d(x.shape[1])
    return ChannelsLast(nn.BatchNorm1d(x.shape[-1]))   # [L, C]: the last axis


def kbuild_layernorm(spec, xs):
    td.opts(spec)
    x = td.one(xs, spec)
    return ChannelsLast(nn.LayerNorm(x.shape[1])) if x.dim() == 4 else nn.LayerNorm(x.shape[-1])


def kbuild_activation(spec, xs):
    if spec["type"] == "leaky_relu":
        td.one(xs, spec)
        return td.activation_module("leaky_relu", alpha=td.opts(spec, alpha=0.3)["alpha"])
    return td.build_activation(spec, xs)


def kbuild_concat(spec, xs):
    axis = td.opts(spec, axis=-1)["axis"]
    rank = xs[0].dim()
    axis = axis + rank if axis < 0 else axis
    if rank == 4:   # Keras [N, H, W, C] axis -> NCHW dim
        axis = {1: 2, 2: 3, 3: 1}.get(axis)
        if axis is None:
            raise Reject("concat: axis out of range")
    return td.Cat(axis)


def kbuild_recurrent(spec, xs):
    """A Keras recurrent layer as the nn module with the same weight matrices, for its
    MACs: the activations, reset_after (where the recurrent bias goes) and the given
    values change no multiply-accumulate (build() likewise drops a PyTorch file's
    activations, which nn.RNN may not have)."""
    kept = ("type", "name", "units", "return_sequences", "bidirectional", "use_bias")
    return td.build_recurrent({k: v for k, v in spec.items() if k in kept}, xs)


def kbuild_embedding(spec, xs):
    return td.build_embedding({k: v for k, v in spec.items() if k not in ("weights", "symbols")}, xs)


KERAS_BUILDERS = {
    **{t: kbuild_recurrent for t in RECURRENT}, "embedding": kbuild_embedding,
    "conv2d": kbuild_conv2d, "conv2d_transpose": kbuild_conv2d_transpose,
    "maxpool2d": kbuild_pool, "avgpool2d": kbuild_pool,
    "global_avgpool2d": kbuild_global_pool, "global_maxpool2d": kbuild_global_pool,
    "upsampling2d": kbuild_upsampling2d, "zeropadding2d": td.build_zeropadding2d,
    "flatten": kbuild_flatten, "reshape": kbuild_reshape, "dense": kbuild_dense,
    "batchnorm": kbuild_batchnorm, "layernorm": kbuild_layernorm, "dropout": td.build_dropout,
    **{t: kbuild_activation for t in ("activation", "relu", "sigmoid", "tanh", "linear", "softmax",
                                      "leaky_relu", "hard_threshold")},
    "concat": kbuild_concat, "add": td.build_add,
}


# ---------------------------------------------------------------- the network, normalised

VALUE_KEYS = ("weights", "bias", "mask", "symbols")


def normalised(problem):
    """A copy of the problem that the executor runs: every layer has its name and
    (but for inputs) its `inputs`; Keras files get Keras names, channels-first
    image shapes and `_keras` marks, so that any subset of layers can be run."""
    p = copy.deepcopy(problem)
    keras = p.get("framework", "keras") == "keras"
    if "shape" not in p["input"] and "values" in p["input"]:   # shape given by the values alone
        shape, v = [], p["input"]["values"]
        while isinstance(v, list):
            shape.append(len(v))
            v = v[0] if v else None
        p["input"]["shape"] = shape[1:] if "batch" in p else shape
    for spec in p["layers"]:   # values (forward pass, gradients) change no shape, MAC or field
        for k in VALUE_KEYS:
            if k in spec and not isinstance(spec[k], bool):
                del spec[k]
    if keras:
        first, names = keras_names(p)
        p["input"]["name"] = first
        p["input"]["shape"] = chw(p["input"]["shape"])
    else:
        first, names = td.input_name(p), [s.get("name", str(i)) for i, s in enumerate(p["layers"])]
        p["input"]["name"] = first
    prev = first
    for spec, name in zip(p["layers"], names):
        spec["name"] = name
        if spec["type"] == "input":
            if keras and isinstance(spec.get("shape"), list):
                spec["shape"] = chw(spec["shape"])
        elif not spec.get("inputs"):
            spec["inputs"] = [prev]
        if keras and spec["type"] != "input":
            spec["_keras"] = True
        prev = name
    return p


def build(spec, xs, name):
    """The module of one layer on the CPU: torch_diff's builders, or the Keras ones above."""
    spec = dict(spec)
    keras = spec.pop("_keras", False)
    if spec["type"] in RECURRENT and not keras:   # MACs only: an activation nn.RNN lacks changes none
        spec = {k: v for k, v in spec.items() if k not in ("activation", "recurrent_activation")}
    if not keras:
        return td.build_module(spec, xs, name)
    try:
        module = KERAS_BUILDERS[spec["type"]](spec, xs).eval()
    except (Skip, Reject):
        raise
    except Exception as e:
        raise Reject(f"layer '{name}': PyTorch refuses it: {type(e).__name__}: {str(e).splitlines()[0]}")
    return module


# ---------------------------------------------------------------- MACs

def mac_hook(counter, name):
    def hook(module, inputs, output):
        x = inputs[0]
        k = module.weight.shape[2] * module.weight.shape[3] if module.weight.dim() == 4 else 1
        if isinstance(module, nn.Conv1d):   # [N, F, T']: each output sums k × C_in/g products
            macs = output.numel() * (module.in_channels // module.groups) * module.kernel_size[0]
        elif isinstance(module, nn.Conv2d):
            macs = output.numel() * (module.in_channels // module.groups) * k
        elif isinstance(module, nn.ConvTranspose2d):
            macs = x.numel() * (module.out_channels // module.groups) * k
        else:   # Linear: one weighted sum of in_features per output feature, at every position
            macs = x.numel() // module.in_features * module.in_features * module.out_features
        counter[name] = counter.get(name, 0) + macs
    return hook


def rnn_mac_hook(counter, name):
    """nn.RNN / nn.LSTM / nn.GRU (batch_first): every step multiplies the input by each
    direction's weight_ih and the state by its weight_hh, one MAC per weight element."""
    def hook(module, inputs, output):
        steps = inputs[0].shape[1]
        macs = steps * sum(p.numel() for n, p in module.named_parameters() if n.startswith("weight_"))
        counter[name] = counter.get(name, 0) + macs
    return hook


def measured_macs(p, device="cpu"):
    """({'macs.LAYER': n, ..., 'macs.total': n}, {name: output shape}) from a forward pass with batch 1."""
    counter, shapes, answers = {}, {}, {}

    def make_module(spec, xs, name):
        module = build(spec, xs, name).to(device)
        for m in module.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                m.register_forward_hook(mac_hook(counter, name))
            elif isinstance(m, nn.RNNBase):
                m.register_forward_hook(rnn_mac_hook(counter, name))
        return module

    def record(name, spec, module, xs, y):
        shapes[name] = tuple(y.shape[1:])

    with torch.no_grad():
        td.execute(p, lambda shape: torch.zeros(1, *shape, device=device), record, make_module)
    for name in shapes:
        answers[f"macs.{name}"] = counter.get(name, 0)
    answers["macs.total"] = sum(counter.values())
    return answers, shapes


def compare_macs(fw, dl):
    bad = []
    for k, v in fw.items():
        if k not in dl:
            bad.append(f"{k}: PyTorch {v}, dlsolve has no such key")
        elif dl[k] != v:
            bad.append(f"{k}: PyTorch {v}, dlsolve {td.show(dl[k])}")
    bad += [f"{k}: dlsolve {td.show(v)}, framework has no such layer" for k, v in dl.items()
            if k.startswith("macs.") and k not in fw]
    return bad


# ---------------------------------------------------------------- the linear copy for receptive fields

def pair2(v):
    """int, list or tuple -> (h, w)."""
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


class WindowSum(nn.Module):
    """Sum over max-pooling windows with dilation (AvgPool2d has no dilation)."""

    def __init__(self, pool):
        super().__init__()
        self.pool = pool

    def forward(self, x):
        p = self.pool
        k, s, pad, d = (pair2(v) for v in (p.kernel_size, p.stride, p.padding, p.dilation))
        with torch.no_grad():
            oh, ow = p(x).shape[2:]
        n, c, h, w = x.shape
        extra = [max(0, (o - 1) * st + dd * (kk - 1) + 1 - (size + 2 * pp))
                 for o, st, dd, kk, size, pp in zip((oh, ow), s, d, k, (h, w), pad)]
        y = F.pad(x.reshape(n * c, 1, h, w), (pad[1], pad[1] + extra[1], pad[0], pad[0] + extra[0]))
        y = F.conv2d(y, torch.ones(1, 1, *k, dtype=x.dtype), stride=s, dilation=d)[:, :, :oh, :ow]
        return y.reshape(n, c, oh, ow)


class GroupMean(nn.Module):
    """Stand-in for LayerNorm: x + mean over the normalised axes (the same dependencies, non-negative)."""

    def __init__(self, axes):
        super().__init__()
        self.axes = tuple(range(-axes, 0))

    def forward(self, x):
        return x + x.mean(dim=self.axes, keepdim=True)


class DimMean(nn.Module):
    """Stand-in for Softmax: x + mean over its axis (the same dependencies, non-negative)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return x + x.mean(dim=self.dim, keepdim=True)


IDENTITY_STAND_IN = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, td.HardThreshold,
                     nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Identity)
KEPT = (nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Upsample, nn.ZeroPad2d, nn.Flatten, td.Reshape, td.Cat, td.Add,
        Crop, KerasFlatten, KerasReshape, WindowSum, GroupMean, DimMean)


def linearise(module):
    """The receptive-field stand-in of a layer's module (in place where possible)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        with torch.no_grad():
            module.weight.fill_(1)
            if module.bias is not None:
                module.bias.zero_()
        return module.requires_grad_(False)   # only the input's gradient is wanted
    if isinstance(module, nn.MaxPool2d):
        if pair2(module.dilation) == (1, 1):
            return nn.AvgPool2d(module.kernel_size, module.stride, module.padding, ceil_mode=module.ceil_mode)
        return WindowSum(module)
    if isinstance(module, nn.AdaptiveMaxPool2d):
        return nn.AdaptiveAvgPool2d(module.output_size)
    if isinstance(module, nn.LayerNorm):
        return GroupMean(len(module.normalized_shape))
    if isinstance(module, nn.Softmax):
        return DimMean(module.dim)
    if isinstance(module, IDENTITY_STAND_IN):
        return nn.Identity()
    if isinstance(module, KEPT):
        return module
    if isinstance(module, (nn.Sequential, ChannelsLast)):
        for child_name, child in list(module.named_children()):
            setattr(module, child_name, linearise(child))
        return module
    raise Skip(f"no linear stand-in for {type(module).__name__}")


def rf_spec(spec, reduce):
    """The layer as built for the measurement: no channel checks; with `reduce`,
    one filter and no groups (channels never change a spatial dependency)."""
    s = {k: v for k, v in spec.items() if k not in ("in_channels", "in_features")}
    if reduce and s["type"] in ("conv2d", "conv2d_transpose"):
        s["filters"] = 1
        s.pop("groups", None)
    return s


class Run:
    """One forward pass of the linear copy, and the measurements made on it.

    outputs: {name: tensor}; leaves: {input name: tensor} of the inputs that
    have the model input's size; alias: {name: input name} for layers whose
    stand-in is the identity (their windows are their input's, not measured
    again); flat: {name: (indices, (row, col) or None, why or None)} for
    outputs that are not images: the elements probed (their sum) and the image
    position they come from: a flattened map: every channel at the centre of
    the map (the position's field, as for an image unit); layers that keep the
    shape inherit it; a concatenation of vectors from one position: the union
    of its parts; anything else: element 0, no position (why: the reason no
    window can apply, when one is known)."""

    def __init__(self, outputs, leaves, alias, flat, size):
        self.outputs, self.leaves, self.alias, self.flat, self.size = outputs, leaves, alias, flat, size
        self.memo = {}

    def unit_of(self, name):
        """The probed unit: (row, col) of an image output, else the flat indices."""
        y = self.outputs[name]
        return centre(y) if y.dim() == 4 else self.flat[name][0]

    def position(self, name):
        """The image position (row, col) of the probed unit, or None."""
        return self.unit_of(name) if self.outputs[name].dim() == 4 else self.flat[name][1]

    def window(self, name, unit):
        """Measured window ((row0, row1), (col0, col1)) of one unit, None when it depends on no input pixel.

        unit: (row, col) of an image output (the sum over its channels is
        back-propagated: the union of the channels' windows), a tuple of flat
        indices of any other output (their sum), or 'all' for the union of every
        unit's window."""
        while name in self.alias:   # an identity of the same shape: the same windows
            name = self.alias[name]
        key = (name, unit)
        if key not in self.memo:
            y = self.outputs[name]
            if unit == "all":
                out = y.sum()
            elif y.dim() == 4:
                out = y[0, :, unit[0], unit[1]].sum()
            else:
                out = y.reshape(-1)[list(unit)].sum()
            self.memo[key] = self._box(out)
        return self.memo[key]

    def _box(self, out):
        if not out.requires_grad:
            return None
        grads = torch.autograd.grad(out, list(self.leaves.values()), retain_graph=True, allow_unused=True)
        box = None
        for g in grads:
            if g is None:
                continue
            nz = (g[0] != 0).any(dim=0)
            rows, cols = nz.any(dim=1).nonzero().flatten(), nz.any(dim=0).nonzero().flatten()
            if len(rows) == 0:
                continue
            b = ((int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1])))
            box = b if box is None else tuple((min(a[0], c[0]), max(a[1], c[1])) for a, c in zip(box, b))
        return box


def is_identity(module):
    return isinstance(module, nn.Identity) or (
        isinstance(module, nn.Sequential) and all(isinstance(m, nn.Identity) for m in module))


def rf_run(p, reduce, enlarge=(0, 0), keep=None, fixed_pools=None):
    """Run the linear copy on ones (float64, requiring grad); returns a Run.

    enlarge: rows / columns added to the model input and to every extra input of
    the same size; keep: the names of the layers to run (None: all);
    fixed_pools: {name: (k_h, k_w)}: adaptive pooling replaced by the fixed
    window it has at the problem's size."""
    main = p["input"]["shape"]
    leaves, alias, flat = {}, {}, {}
    run = dict(p, layers=[s for s in p["layers"] if keep is None or s["name"] in keep])

    def make_input(shape):
        shape = list(shape)
        same_size = len(shape) == 3 and shape[1:] == main[1:]
        if same_size:
            shape = [1 if reduce else shape[0], shape[1] + enlarge[0], shape[2] + enlarge[1]]
        x = torch.ones(1, *shape, dtype=torch.float64, requires_grad=same_size)
        make_input.pending.append((x, same_size))
        return x
    make_input.pending = []

    def make_module(spec, xs, name):
        if fixed_pools and name in fixed_pools:
            return nn.AvgPool2d(fixed_pools[name]).double()
        return linearise(build(rf_spec(spec, reduce), xs, name)).double()

    def record(name, spec, module, xs, y):
        if module is None:
            x, same_size = make_input.pending.pop()
            if same_size:
                leaves[name] = x
        same_shape = len(xs) == 1 and xs[0].shape == y.shape
        if module is not None and is_identity(module) and same_shape:
            alias[name] = spec["inputs"][0]
        if y.dim() == 4:
            return
        inner = module[0] if isinstance(module, nn.Sequential) and len(module) else module
        ins = (spec or {}).get("inputs", [])
        if isinstance(inner, (nn.Flatten, KerasFlatten)) and xs[0].dim() == 4:
            # every channel at the centre of the map: the position's field, as for an image unit
            c, h, w = xs[0].shape[1:]
            pos = (h // 2, w // 2)
            at = pos[0] * w + pos[1]
            keras = isinstance(inner, KerasFlatten)
            flat[name] = (tuple(at * c + k if keras else k * h * w + at for k in range(c)), pos, None)
        elif same_shape and ins and ins[0] in flat:
            flat[name] = flat[ins[0]]
        elif isinstance(inner, td.Cat) and y.dim() == 2 and all(i in flat for i in ins):
            parts = [flat[i] for i in ins]
            if all(part[1] is not None and part[1] == parts[0][1] for part in parts):
                offsets = [sum(xs[k].shape[1] for k in range(i)) for i in range(len(xs))]
                flat[name] = (tuple(o + i for part, o in zip(parts, offsets) for i in part[0]), parts[0][1], None)
            else:
                flat[name] = ((0,), None, f"'{name}' concatenates vectors whose elements come from different "
                                          "maps or positions: no common grid, no window applies")
        else:
            flat[name] = ((0,), None, None)

    outputs = td.execute(run, make_input, record, make_module)
    return Run(outputs, leaves, alias, flat, (main[1] + enlarge[0], main[2] + enlarge[1]))


# ---------------------------------------------------------------- dlsolve's claims

def frac(v):
    return Fraction(v).limit_denominator(1 << 20) if isinstance(v, float) else Fraction(v)


def per_axis(v):
    return (frac(v[0]), frac(v[1])) if isinstance(v, list) else (frac(v), frac(v))


def claims(dl, name):
    """dlsolve's field of a layer: None (no key), ('whole', (r_h, r_w)) or
    ('window', ((r, j, p_eff) of rows, (r, j, p_eff) of columns))."""
    r = dl.get(f"receptive_field.{name}")
    if r is None:
        return None
    if f"effective_stride.{name}" not in dl:
        return ("whole", per_axis(r))
    j, pe = per_axis(dl[f"effective_stride.{name}"]), per_axis(dl.get(f"effective_padding.{name}", 0))
    return ("window", tuple(zip(per_axis(r), j, pe)))


def predicted(axis_claim, index):
    """dlsolve's window of unit `index`: centre start + index·j with start = (r − 1)/2 − p_eff,
    so [index·j − p_eff, index·j − p_eff + r − 1]."""
    r, j, pe = axis_claim
    lo = index * j - pe
    return lo, lo + r - 1


def fmt(v):
    v = Fraction(v)
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def fmt_box(box):
    if box is None:
        return "no input pixel"
    return " × ".join(f"{a}..{b} ({b - a + 1})" for a, b in box)


def fmt_axis(m):
    return "nothing" if m is None else f"{m[0]}..{m[1]} ({m[1] - m[0] + 1})"


def fmt_window(w):
    return f"{fmt(w[0])}..{fmt(w[1])} ({fmt(w[1] - w[0] + 1)})"


def dl_text(dl, name):
    return (f"r {td.show(dl[f'receptive_field.{name}'])}, jump {td.show(dl[f'effective_stride.{name}'])}, "
            f"eff. padding {td.show(dl[f'effective_padding.{name}'])}")


# ---------------------------------------------------------------- the graph, as the comparison needs it

class Facts:
    """What the comparison needs to know of each layer, from the problem and one run:
    skip: why its field is not compared (or None); transposed: a transposed
    convolution or upsampling lies upstream; period: per axis, the product of
    their strides / factors (units in one period have different windows);
    tol: per axis, how far nearest / bilinear upsampling moves a window from
    the centre dlsolve gives it; no_enlarge: why it cannot run on an enlarged
    input (or None); grid: per axis, the layer's cumulative stride (strides
    multiplied, transposed strides and upsampling factors divided; at a merge,
    the least common multiple of the numerators); fixed_pools: adaptive
    poolings that are a fixed window at this size."""

    def __init__(self, p, dl, outputs):
        main = p["input"]["shape"]
        self.skip, self.transposed, self.period, self.tol, self.no_enlarge = {}, {}, {}, {}, {}
        self.fixed_pools, self.grid = {}, {}
        specs = {s["name"]: s for s in p["layers"]}
        for name in [p["input"]["name"]] + [s["name"] for s in p["layers"]]:
            spec = specs.get(name)
            ins = spec.get("inputs", []) if spec else []
            self.skip[name] = next((self.skip[i] for i in ins if self.skip[i]), None)
            self.transposed[name] = any(self.transposed[i] for i in ins)
            self.period[name] = tuple(max([self.period[i][a] for i in ins] or [1]) for a in range(2))
            self.tol[name] = tuple(max([self.tol[i][a] for i in ins] or [Fraction(0)]) for a in range(2))
            self.no_enlarge[name] = next((self.no_enlarge[i] for i in ins if self.no_enlarge[i]), None)
            self.grid[name] = tuple(Fraction(math.lcm(*[self.grid[i][a].numerator for i in ins]),
                                             math.lcm(*[self.grid[i][a].denominator for i in ins]))
                                    if ins else Fraction(1) for a in range(2))
            if spec is not None:
                self.layer(name, spec, ins, dl, outputs, main)

    def layer(self, name, spec, ins, dl, outputs, main):
        kind, y = spec["type"], outputs[name]
        if kind == "input":
            shape = spec.get("shape")
            if not (isinstance(shape, list) and len(shape) == 3 and shape[1:] == main[1:]):
                self.skip[name] = f"input '{name}' is not an image of the model input's size"
        elif kind == "concat" and y.dim() == 4:
            cat = build(spec, [outputs[i] for i in ins], name)
            if isinstance(cat, td.Cat) and cat.dim % 4 in (2, 3):
                self.skip[name] = self.skip[name] or (
                    f"'{name}' concatenates along a spatial axis: its units do not sit on one grid of "
                    "input positions, no recurrence applies")
        elif kind in ("conv2d_transpose", "upsampling2d"):
            self.transposed[name] = True
            factor = td.pair(spec.get("stride", 1) if kind == "conv2d_transpose" else spec.get("size", 2))
            self.grid[name] = tuple(g / f for g, f in zip(self.grid[name], factor))
            self.period[name] = tuple(a * b for a, b in zip(self.period[name], factor))
            c = claims(dl, ins[0])
            if kind == "upsampling2d" and c and c[0] == "window":
                bilinear = spec.get("interpolation", "nearest") == "bilinear"
                self.tol[name] = tuple(self.tol[name][a] + (c[1][a][1] / 2 if bilinear else
                                                            Fraction(factor[a] - 1, 2 * factor[a]) * c[1][a][1])
                                       for a in range(2))
        elif kind in ("conv2d", "maxpool2d", "avgpool2d"):
            s = spec.get("stride")
            s = td.pair(s if s is not None else (spec.get("pool", 2) if kind != "conv2d" else 1))
            self.grid[name] = tuple(g * f for g, f in zip(self.grid[name], s))
        elif kind == "adaptive_avgpool2d" and y.dim() == 4:
            n, o = outputs[ins[0]].shape[2:], y.shape[2:]
            if all(a % b == 0 for a, b in zip(n, o)):
                self.fixed_pools[name] = tuple(a // b for a, b in zip(n, o))
                self.grid[name] = tuple(g * f for g, f in zip(self.grid[name], self.fixed_pools[name]))
            else:
                self.no_enlarge[name] = f"adaptive pooling {tuple(n)} -> {tuple(o)} has no fixed window"


# ---------------------------------------------------------------- receptive-field comparison

def centre(y):
    return (y.shape[2] // 2, y.shape[3] // 2)


def probe_units(run, name, facts, position, clip=True):
    """(unit, the axes it tests, the image position of the unit): the centre unit,
    and after a transposed convolution / upsampling the following units of one
    period along each axis (at most MAX_PHASES)."""
    unit = run.unit_of(name)
    units = [(unit, (0, 1), position)]
    y = run.outputs[name]
    if facts.transposed[name] and y.dim() == 4:
        for a in range(2):
            for step in range(1, min(facts.period[name][a], MAX_PHASES)):
                u = (unit[0] + step, unit[1]) if a == 0 else (unit[0], unit[1] + step)
                if u[a] < y.shape[2 + a] or not clip:
                    units.append((u, (a,), u))
    return units


def inside(window, size):
    return window[0] >= 0 and window[1] <= size - 1


def contained(m, window, size, tau):
    """After a transposed convolution / upsampling: measured ⊆ dlsolve's window
    widened by tau (the upsampling phase shift), clipped to the image."""
    lo, hi = window
    return m is None or (m[0] >= max(math.ceil(lo - tau), 0) and m[1] <= min(math.floor(hi + tau), size - 1))


def compare_layer(run, name, c, facts, enlarged):
    """Compare one layer's field with dlsolve's claim c on this run.

    Returns (mismatches, notes, clipped, extents): clipped tells whether some
    predicted window was cut by the image (the layer is then measured again on
    an enlarged input); extents are (axis, measured extent, dlsolve's r) of
    unclipped units after a transposed convolution / upsampling."""
    bad, notes, extents, clipped = [], [], [], False
    y = run.outputs[name]
    position = run.position(name)
    if position is None:
        why = run.flat[name][2]
        if why:
            return [], [f"{name}: not compared ({why}); dlsolve gives {dl_text(facts.dl, name)}"], False, []
        # A vector whose elements all see one window (jump 0, as after global pooling of a map
        # whose strides skip border pixels): every element's window must be exactly that one.
        if all(c[1][a][1] == 0 for a in (0, 1)):
            box = run.window(name, run.unit_of(name))
            want = tuple(predicted(c[1][a], 0) for a in (0, 1))
            if box is not None and tuple(tuple(b) for b in box) == want:
                return [], [], False, []
            return ([f"measured window of element {run.unit_of(name)}: {fmt_box(box)}; dlsolve: "
                     f"{fmt_window(want[0])} × {fmt_window(want[1])} for every element"], [], False, [])
        return ([f"{y.dim() - 1}-d output {list(y.shape[1:])} with no image position, but dlsolve gives a "
                 f"window"], [], False, [])
    for unit, axes, pos in probe_units(run, name, facts, position):
        box = run.window(name, unit)
        for a in axes:
            size, m = run.size[a], box[a] if box else None
            win = predicted(c[1][a], pos[a])
            what = f"{'rows' if a == 0 else 'cols'} of unit {pos}"
            if facts.verbose is not None:
                facts.verbose.append(f"receptive_field.{name} {'HW'[a]}: unit {pos}"
                                     f"{f' of the enlarged {run.size[0]}×{run.size[1]} input' if enlarged else ''}: measured {fmt_axis(m)}, dlsolve "
                                     f"{fmt_window(win)}")
            clipped = clipped or not inside(win, size)
            if facts.transposed[name]:
                tau = facts.tol[name][a]
                if not contained(m, win, size, tau):
                    bad.append(f"{what}: measured {fmt_axis(m)} not inside dlsolve's {fmt_window(win)}"
                               + (f" widened by {fmt(tau)} (upsampling phase)" if tau else ""))
                elif m is not None and inside(win, size):
                    extents.append((a, m[1] - m[0] + 1, c[1][a][0]))
                continue
            if inside(win, size):
                if m is None or tuple(m) != win:
                    bad.append(f"{what}: measured {fmt_axis(m)}, dlsolve {fmt_window(win)}")
                continue
            # clipped: dlsolve's window cut to the image and to what the layer's units can see at all
            cover = run.window(name, "all")
            cover = cover[a] if cover else None
            lo, hi = max(win[0], 0, cover[0] if cover else 0), min(win[1], size - 1, cover[1] if cover else size - 1)
            expect = (lo, hi) if cover and lo <= hi else None
            if m == expect or (m is not None and expect is not None and tuple(m) == expect):
                continue
            if m is not None and expect is not None and m[0] >= lo and m[1] <= hi:
                notes.append(f"{name}: {what} measured {fmt_axis(m)} on the {run.size[0]}×{run.size[1]} input, "
                             f"inside dlsolve's window cut to the image and to the layer's coverage "
                             f"{fmt_window(expect)} (no path reaches the rest; exact check on an enlarged input)")
            else:
                bad.append(f"{what}: measured {fmt_axis(m)}, dlsolve {fmt_window(win)} cut to the image and to "
                           f"the layer's coverage: {'nothing' if expect is None else fmt_window(expect)}")
    return bad, notes, clipped, extents


def compare_whole(run, name, c, dl):
    """A global layer: the probed unit must see the whole input, and r must be its size."""
    size = run.size
    box = run.window(name, run.unit_of(name))
    want = ((0, size[0] - 1), (0, size[1] - 1))
    if box == want and c[1] == (Fraction(size[0]), Fraction(size[1])):
        return []
    what = "the centre unit" if run.outputs[name].dim() == 4 else f"element {run.unit_of(name)}"
    return [f"measured window of {what}: {fmt_box(box)}; dlsolve: every unit sees the whole "
            f"{size[0]}×{size[1]} input (r {td.show(dl[f'receptive_field.{name}'])})"]


def check_rf(p, dl, macs_shapes, flags, report):
    """Compare every layer's field; returns (mismatches, notes, number of fields compared)."""
    bad, notes = [], []
    run = None
    for reduce in (True, False):   # one channel when the spatial shapes allow it
        try:
            run = rf_run(p, reduce)
        except (Skip, Reject):
            if not reduce:
                raise
            continue
        if all(len(macs_shapes[n]) == y.dim() - 1 and (y.dim() != 4 or tuple(y.shape[2:]) == macs_shapes[n][1:])
               for n, y in run.outputs.items()):
            break
        if not reduce:
            raise Skip("the linear copy's shapes differ from the network's")
    facts = Facts(p, dl, run.outputs)
    facts.verbose = [] if flags["verbose"] else None
    facts.dl = dl
    compared, clipped, extents = 0, {}, {}
    for name in run.outputs:
        c = claims(dl, name)
        key = f"receptive_field.{name}"
        if c is None:
            bad.append(f"{key}: dlsolve has no such key")
            continue
        if facts.skip[name]:
            notes.append(f"{name}: not compared ({facts.skip[name]}); dlsolve says r {td.show(dl[key])}")
            continue
        if c[0] == "window" and run.position(name) is None and run.flat[name][2]:
            notes.append(f"{name}: not compared ({run.flat[name][2]}); dlsolve gives {dl_text(dl, name)}")
            continue
        compared += 1
        if c[0] == "whole":
            b = compare_whole(run, name, c, dl)
            report.setdefault("whole", []).extend([] if b else [name])
        else:
            b, n, cut, ext = compare_layer(run, name, c, facts, False)
            notes += n
            extents.setdefault(name, []).extend(ext)
            if cut:
                clipped[name] = c
            if not b and not facts.transposed[name]:
                report.setdefault("exact", []).append(name)
            b = [f"{dl_text(dl, name)}: " + "; ".join(b) + f" (input {run.size[0]}×{run.size[1]})"] if b else []
        bad += [f"{key}: {x}" for x in b]
    # the layers clipped by the image, again on an input large enough to hold their fields
    for name in clipped:
        if facts.no_enlarge[name]:
            notes.append(f"{name}: field cut by the image, no enlarged input possible ({facts.no_enlarge[name]})")
    wanted = {n: c for n, c in clipped.items() if not facts.no_enlarge[n]}
    if wanted:
        b, ext = check_enlarged(p, dl, wanted, facts, reduce, run)
        bad += b
        for name, e in ext.items():
            extents.setdefault(name, []).extend(e)
    # exactly checked: inside the image, or on the enlarged input, and agreeing
    report["exact"] = [n for n in report.get("exact", [])
                       if (n not in clipped or n in wanted) and not any(x.startswith(f"receptive_field.{n}: ")
                                                                      for x in bad)]
    summary = relation_summary(extents, facts)
    if summary:
        notes.append(summary)
    for v in facts.verbose or []:
        print(f"  {v}")
    return bad, notes, compared


def check_enlarged(p, dl, wanted, facts, reduce, true_run):
    """Compare the wanted layers on an input enlarged by a multiple of 2 × the
    cumulative stride of every layer run (every layer then keeps its padding and its size modulo
    its stride, so the geometry dlsolve computed for the problem's size holds),
    large enough that their fields lie inside."""
    bad, extents = [], {}
    main = p["input"]["shape"]
    keep = set(wanted)
    for spec in reversed(p["layers"]):
        if spec["name"] in keep:
            keep.update(spec.get("inputs", []))
    grid = [math.lcm(*[facts.grid[n][a].numerator for n in keep]) for a in range(2)]
    # enlarging by δ moves every unit's window by δ/2 (the probed units are the centre ones);
    # δ must make up for the part of each window outside the problem's input
    need = [0, 0]
    for n, c in wanted.items():
        for _, axes, pos in probe_units(true_run, n, facts, true_run.position(n), clip=False):
            for a in axes:
                lo, hi = predicted(c[1][a], pos[a])
                need[a] = max(need[a], 2 * math.ceil(max(-lo, hi - (main[1 + a] - 1))))
    m = [max(1, math.ceil(need[a] / (2 * grid[a]))) for a in range(2)]
    for attempt in range(4):
        enlarge = (2 * m[0] * grid[0], 2 * m[1] * grid[1])
        if max(main[1] + enlarge[0], main[2] + enlarge[1]) > MAX_ENLARGED:
            return [f"receptive_field.{n}: no input up to {MAX_ENLARGED} pixels holds its field" for n in wanted], {}
        run = rf_run(p, reduce, enlarge, keep, facts.fixed_pools)
        if all(pos is None or inside(predicted(c[1][a], pos[a]), run.size[a])
               for n, c in wanted.items() for _, axes, pos in probe_units(run, n, facts, run.position(n))
               for a in axes):
            break
        m = [2 * v for v in m]
    for name, c in wanted.items():
        b, _, cut, ext = compare_layer(run, name, c, facts, True)
        extents[name] = ext
        if cut:
            b.append("the field does not fit even the enlarged input")
        if b:
            bad.append(f"receptive_field.{name}: {dl_text(dl, name)}: " + "; ".join(b)
                       + f" (enlarged input {run.size[0]}×{run.size[1]})")
    return bad, extents


def relation(extent, r):
    if extent == r:
        return "= r"
    if r.denominator != 1 and extent == math.floor(r):
        return "= floor(r)"
    if r.denominator != 1 and extent == math.ceil(r):
        return "= ceil(r)"
    return "< r" if extent < r else "> r"


def relation_summary(extents, facts):
    """After transposed convolutions / upsampling: how the largest measured
    extent over the probed units (one period) relates to dlsolve's r."""
    counts = {}
    for name, es in extents.items():
        for a in range(2):
            e = [x for ax, x, _ in es if ax == a]
            if e:
                r = next(r for ax, _, r in es if ax == a)
                k = relation(max(e), r)
                counts[k] = counts.get(k, 0) + 1
                if facts.verbose is not None:
                    facts.verbose.append(f"{name} {'HW'[a]}: measured extents {sorted(set(e))} over one period, "
                                         f"dlsolve r {fmt(r)}: largest {k}")
    if not counts:
        return None
    return ("after a transposed convolution / upsampling (compared by containment), largest measured extent "
            "over one period of units vs dlsolve's r, per layer and axis: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


# ---------------------------------------------------------------- dlsolve

def run_dlsolve(binary, command, path):
    """(answers, None) or (None, error message)."""
    try:
        r = subprocess.run([binary, command, "--format", "json", path], capture_output=True, text=True)
    except OSError as e:
        sys.exit(f"cannot run {binary}: {e}")
    if r.returncode != 0:
        first = (r.stderr or r.stdout).strip().splitlines()
        status = f"was killed by signal {-r.returncode}" if r.returncode < 0 else f"exited {r.returncode}"
        return None, f"dlsolve {command} {status}: {first[0] if first else ''}"
    try:
        return json.loads(r.stdout)["answers"], None
    except (ValueError, KeyError, TypeError) as e:
        return None, f"dlsolve {command}: output is not the expected JSON: {e}"


# ---------------------------------------------------------------- files

def check_file(binary, path, problem, flags, answers=None, report=None):
    """Check one file; returns 'pass' | 'fail' | 'skip' and prints its lines.
    `answers` replaces dlsolve's answers: (rf, flops, rf error) (self-test); `report`
    receives the layers compared exactly ('exact') and the global ones ('whole')
    that agree."""
    report = {} if report is None else report
    try:
        p = normalised(problem)
    except Skip as e:
        print(f"skip {path}: {e}")
        return "skip"
    if answers is None:
        dl_flops, flops_error = run_dlsolve(binary, "flops", path)
        dl_rf, rf_error = run_dlsolve(binary, "rf", path)
    else:
        (dl_rf, dl_flops, rf_error), flops_error = answers, None
    try:
        fw_macs, shapes = measured_macs(p, flags["device"])
    except Skip as e:
        print(f"skip {path}: {e}")
        return "skip"
    except Exception as e:
        why = str(e) if isinstance(e, Reject) else f"{type(e).__name__}: {e}"
        if flops_error:
            print(f"skip {path}: both reject (framework: {why}; {flops_error})")
            return "skip"
        print(f"FAIL {path}: framework rejects the network ({why}) but dlsolve answers it")
        return "fail"
    bad, notes, fields = [], [], 0
    bad += [flops_error] if flops_error else compare_macs(fw_macs, dl_flops)
    if flags["verbose"]:
        for k, v in fw_macs.items():
            print(f"  {k} = {v}")
    image = len(p["input"]["shape"]) == 3
    if not image:
        if rf_error:
            notes.append("no receptive fields: the input is not an image (dlsolve refuses rf too)")
        else:
            bad.append("dlsolve answers rf for an input that is not an image")
    elif rf_error and "no single receptive field" in rf_error:
        # dlsolve declines to print a field it cannot define (uneven adaptive pooling,
        # concatenation along H or W): no number, so nothing to compare; said as a note.
        notes.append(f"receptive fields not compared: {rf_error}")
    elif rf_error:
        bad.append(rf_error)
    else:
        try:
            rf_bad, notes_rf, fields = check_rf(p, dl_rf, shapes, flags, report)
            bad += rf_bad
            notes += notes_rf
        except Skip as e:
            notes.append(f"receptive fields not measured: {e}")
    for n in notes:
        print(f"  note {path}: {n}")
    if not bad:
        print(f"ok {path} ({len(problem['layers'])} layers, {len(fw_macs) - 1} MACs figures, {fields} receptive fields)")
        return "pass"
    for b in bad:
        print(f"FAIL {path}: {b}")
    return "fail"


def print_measured(path, problem, flags):
    """--print: the measured numbers only (MACs and the centre unit's window at the problem's size)."""
    p = normalised(problem)
    macs, _ = measured_macs(p, flags["device"])
    for k, v in macs.items():
        print(f"  {k} = {v}")
    if len(p["input"]["shape"]) == 3:
        run = rf_run(p, False)
        for name in run.outputs:
            print(f"  window.{name} = {fmt_box(run.window(name, run.unit_of(name)))} (unit {run.unit_of(name)})")


# ---------------------------------------------------------------- self-test

def rf_refused(problem):
    """The input is not an image: dlsolve refuses rf, and so does this script."""
    try:
        return len(normalised(problem)["input"]["shape"]) != 3
    except Skip:
        return False


def self_test(binary, files, flags):
    """For each file: dlsolve's real answers are compared (what dlsolve already
    gets wrong is reported and tolerated), then one receptive field (+2, so its
    window grows by a pixel on each side) and one MACs figure (+1) are perturbed
    in memory; both keys, and nothing else, must be flagged."""
    import contextlib
    import io
    passed = failed = 0
    for path in files:
        problem = td.load_problem(path)
        if not problem:
            continue
        dl_rf, e1 = run_dlsolve(binary, "rf", path)
        dl_flops, e2 = run_dlsolve(binary, "flops", path)
        if e2 or (e1 and not rf_refused(problem)):
            print(f"skip {path}: {e2 or e1}")
            continue

        def flagged(rf, flops):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                check_file(binary, path, problem, dict(flags, verbose=False), (rf, flops, e1))
            return sorted({line.split(": ")[1] for line in out.getvalue().splitlines() if line.startswith("FAIL ")})

        report = {}
        with contextlib.redirect_stdout(io.StringIO()):
            outcome = check_file(binary, path, problem, dict(flags, verbose=False), (dl_rf, dl_flops, e1), report)
        if outcome == "skip":   # the network cannot be built here (e.g. attention): nothing to perturb
            print(f"skip {path}: not measured by this script")
            continue
        baseline = flagged(dl_rf, dl_flops)
        rf, flops, keys = copy.deepcopy(dl_rf), copy.deepcopy(dl_flops), []
        # a field compared exactly (else a global one) that dlsolve gets right
        fields = report.get("exact") or report.get("whole") or []
        fkey = f"receptive_field.{fields[-1]}" if fields else None
        mkey = next((k for k, v in flops.items() if k.startswith("macs.") and k != "macs.total" and v), "macs.total")
        if fkey is not None:   # none when the input is not an image (dlsolve refuses rf): MACs only
            rf[fkey] = [v + 2 for v in rf[fkey]] if isinstance(rf[fkey], list) else rf[fkey] + 2
            keys.append(fkey)
        flops[mkey] += 1
        keys.append(mkey)
        got = flagged(rf, flops)
        extra = [k for k in got if k not in keys and k not in baseline and k != "macs.total"]
        ok = all(k in got or k in baseline for k in keys) and not extra and not any(k in baseline for k in keys)
        passed += ok
        failed += not ok
        print(f"{'ok' if ok else 'FAIL'} {path}: perturbed {' and '.join(keys)}; flagged {', '.join(got) or 'nothing'}")
        if baseline:
            print(f"  (dlsolve already disagrees: {', '.join(baseline)})")
    if passed + failed == 0:
        print("self-test: no problem file")
        failed = 1
    return passed, failed


# ---------------------------------------------------------------- main

USAGE = """usage: torch_rf_macs.py [--device cpu|meta] [--verbose] DLSOLVE_BINARY PROBLEMS_DIR|FILE...
       torch_rf_macs.py --self-test DLSOLVE_BINARY [PROBLEMS_DIR|FILE...]
       torch_rf_macs.py --print PROBLEMS_DIR|FILE..."""


def main(argv):
    flags = {"device": "cpu", "verbose": False}
    parsed = td.parse_command_line(argv, flags)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    mode, args = parsed
    torch.set_grad_enabled(True)
    passed = failed = skipped = 0
    if mode == "print":
        for path in td.problem_files(args):
            problem = td.load_problem(path)
            if not problem:
                continue
            print(path)
            try:
                print_measured(path, problem, flags)
            except Exception as e:
                print(f"  {type(e).__name__}: {e}")
        return 0
    if not args:
        print(USAGE, file=sys.stderr)
        return 2
    if mode == "self-test":
        files = td.problem_files(args[1:] or [os.path.join(HERE, "fixtures", "rf")])
        passed, failed = self_test(args[0], files, flags)
    else:
        if len(args) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        passed, failed, skipped = td.check_files(args[0], args[1:], lambda b, p, problem: check_file(b, p, problem, flags))
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
