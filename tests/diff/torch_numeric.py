#!/usr/bin/python3
"""Differential test of the numeric engine (issue 4): dlsolve against PyTorch autograd.

    /usr/bin/python3 tests/diff/torch_numeric.py DLSOLVE [--count N] [--seed S] [--focus KIND] [--keep DIR] [--verbose]
    /usr/bin/python3 tests/diff/torch_numeric.py DLSOLVE FILE...          (check saved problem files)
    /usr/bin/python3 tests/diff/torch_numeric.py --self-test [DLSOLVE] [--count N] [--seed S]
    /usr/bin/python3 tests/diff/torch_numeric.py DLSOLVE --batches [...]   (the same networks on lists of batches)
    /usr/bin/python3 tests/diff/torch_numeric.py --self-test --batches [DLSOLVE] [...]

Generates N small networks (default 290, ten per focus kind; deterministic with the seed) covering
every layer kind, loss and optimizer in both conventions (Keras files channels
last with kernels [kh][kw][in][out], PyTorch files channels first with
[out][in][kh][kw]), with input values, weights, a target, a loss, an optimizer
and "steps": 3, into a temporary directory.  Each network is built again in
PyTorch (float64), one function per layer kind on torch.nn.functional; the loss
is torch's (MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, NLLLoss(log p),
CrossEntropyLoss), gradients come from torch.autograd and the three updates
from torch.optim (SGD, RMSprop, Adam, AdamW, Adagrad).  The answers of
`DLSOLVE forward|backward|train --format json FILE` (forward.LAYER, loss,
grad.LAYER.ROLE, grad.INPUT, stepK.loss, update.LAYER.ROLE, final.loss, and the
exam-symbol keys) must agree element by element to a relative 1e-9 (absolute
1e-12 near 0).  Generated data avoids kinks: ReLU / leaky ReLU / threshold
inputs, max-pool runner-ups and MAE residuals are kept at least 1e-7 away from
the kink, and adaptive optimizers never see a gradient element in (0, 1e-6)
(where the 1e-9 tolerance would measure rounding, not the rule).

With --batches each generated network instead trains on a list of 2–3 batches
("batches": its own input and target first, then new ones of the same shapes and
target format), over one epoch or two, and only `DLSOLVE train --format json` runs:
besides the train keys above (stepK.loss is the loss on step K's batch, final.loss
on the last batch), every trainable tensor's per-step fields from the "training"
entries (the value before the step, ∂L/∂w, the gradient with L2 decay g, the state
after the step — SGD's momentum buffer b, RMSprop's square average s, Adam's m, v,
m̂, v̂, Adagrad's sum s — and the value after) must agree with torch.optim's
(momentum_buffer, square_avg, exp_avg, exp_avg_sq, sum) after every batch.

A file whose layers dlsolve has no numeric rule for yet ("has no forward rule",
exit 2) is skipped, not failed.  Failing files are copied to
tests/diff/failures/ (gitignored).  Output: one line per file, counts by layer
kind, loss and optimizer, then `N passed, N failed, N skipped`; exit status 1
when a file failed.  See README.md in this directory.
"""

import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "problems", "tools"))
from dlsolve_names import array_shape, prefixed_names  # noqa: E402

# PyTorch warns that padding='same' with an even kernel copies the input; harmless here.
warnings.filterwarnings("ignore", message="Using padding='same'")

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = os.path.join(HERE, "failures")

RTOL = 1e-9          # relative tolerance of every compared number
ATOL = 1e-12         # absolute floor, for values near 0
KINK_MARGIN = 1e-7   # generated data stays this far from every kink
TINY_GRAD = 1e-6     # adaptive optimizers: gradient elements in (0, TINY_GRAD) are rejected
STEPS = 3
MAX_LINES = 8       # mismatch lines printed per file

# Names of the value tensors ("roles") of each layer kind, in the file and in the
# answer keys grad.LAYER.ROLE / update.LAYER.ROLE.  Dense's are fixed by
# docs/problem-format.md; the others follow src/ir/layer.h's list ("weights",
# "bias", "gamma", "beta", "moving_mean", ...).  Both conventions use the same words.
ROLES = {
    "dense": ("weights", "bias"),
    "conv2d": ("weights", "bias"),
    "conv2d_transpose": ("weights", "bias"),
    "batchnorm": ("gamma", "beta", "moving_mean", "moving_variance"),
    "layernorm": ("gamma", "beta"),
}
# Recurrent layers name their values as the framework stores them (Keras kernel,
# recurrent_kernel, bias, backward_… ; PyTorch weight_ih, weight_hh, bias_ih, bias_hh, …_reverse).
KERAS_RECURRENT = ("kernel", "recurrent_kernel", "bias")
TORCH_RECURRENT = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
RECURRENT_ROLES = (KERAS_RECURRENT + tuple("backward_" + r for r in KERAS_RECURRENT)
                   + TORCH_RECURRENT + tuple(r + "_reverse" for r in TORCH_RECURRENT))
ROLES.update({"simple_rnn": RECURRENT_ROLES, "lstm": RECURRENT_ROLES, "gru": RECURRENT_ROLES, "embedding": ("weights",)})
NON_TRAINABLE_ROLES = {"moving_mean", "moving_variance"}


class GenError(Exception):
    """The generator asked for a configuration the reference cannot build."""


# ================================================================ the PyTorch reference
# One function per layer kind: ref_KIND(spec, keras, P) -> fn(xs, ctx) -> tensor.
# Tensors carry the batch axis first and stay in the file's layout (Keras NHWC,
# PyTorch NCHW); Keras layers permute to NCHW around the torch op.  P hands out the
# layer's value tensors as float64 leaves (autograd computes their gradients).

REQ = object()


def opts(spec, **allowed):
    common = {"type", "name", "_name", "inputs", "trainable", "symbols"} | set(ROLES.get(spec["type"], ())) | {"mask"}
    for k in spec:
        if k not in common and k not in allowed:
            raise GenError(f"layer type {spec['type']}: key {k} is not modelled")
    out = {}
    for k, default in allowed.items():
        v = spec.get(k, default)
        if v is REQ:
            raise GenError(f"layer type {spec['type']}: {k} is required")
        out[k] = v
    return out


def pair(v):
    return (v[0], v[1]) if isinstance(v, list) else (v, v)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def tf_same(n, k_eff, s):
    """TensorFlow's 'same' padding of one axis: (before, after); before = ⌊total/2⌋."""
    out = -(-n // s)
    total = max((out - 1) * s + k_eff - n, 0)
    return total // 2, total - total // 2


class Params:
    """The value tensors of one layer, as leaves, in the file's layout."""

    def __init__(self, spec):
        self.spec = spec
        self.tensors = []   # (role, tensor, trainable_role)

    def value(self, role, trainable=True):
        if role not in self.spec:
            raise GenError(f"layer {self.spec.get('name')}: no \"{role}\"")
        t = torch.tensor(self.spec[role], dtype=torch.float64, requires_grad=trainable)
        self.tensors.append((role, t, trainable))
        return t


class Kinks:
    """The smallest distance of any kink seen during the reference run."""

    def __init__(self):
        self.margin = math.inf
        self.where = ""

    def note(self, what, distances):
        d = distances.detach().reshape(-1)
        if d.numel() == 0:
            return
        m = float(d.min())
        if m < self.margin:
            self.margin, self.where = m, what

    def relu_like(self, z, what, at=0.0):
        # Exact zeros are structural (ReLU outputs, padding, dropped elements): every
        # path through them has a zero factor, so the one-sided derivative does not matter.
        d = (z.detach() - at).abs()
        self.note(what, d[(d != 0) | (at != 0)])

    def top2(self, windows, what):
        """windows: [..., K] candidates of each max; the runner-up must be clearly smaller."""
        if windows.shape[-1] < 2:
            return
        top = windows.detach().topk(2, dim=-1).values
        gap = top[..., 0] - top[..., 1]
        dead = (top[..., 0] == 0) & (top[..., 1] == 0)   # ReLU zeros / zero padding
        self.note(what, gap[~dead])


class Ctx:
    def __init__(self, training, kinks, update_stats=True):
        self.training = training
        self.kinks = kinks
        self.update_stats = update_stats


def hard_threshold(z, t):
    """1 where z > t, else 0; derivative 0 (the step function is flat almost everywhere)."""
    return (z > t).to(z.dtype) + 0.0 * z


def activate(z, word, keras, ctx, alpha=None, threshold=0.0, what="activation"):
    """An activation word on a tensor in the file's layout (softmax over the channel axis)."""
    if word is None or word == "linear":
        return z
    if word == "relu":
        ctx.kinks.relu_like(z, what)
        return F.relu(z)
    if word == "leaky_relu":
        ctx.kinks.relu_like(z, what)
        return F.leaky_relu(z, alpha)
    if word == "sigmoid":
        return torch.sigmoid(z)
    if word == "tanh":
        return torch.tanh(z)
    if word == "softmax":
        return F.softmax(z, dim=-1 if keras else 1)
    if word == "hard_threshold":
        ctx.kinks.relu_like(z, what, threshold)
        return hard_threshold(z, threshold)
    raise GenError(f"unknown activation {word}")


def fused(word, keras):
    """activation= on dense / conv: Keras's string activation leaky_relu is tf.nn's (0.2)."""
    return dict(word=word, alpha=0.2 if keras else 0.01)


def ref_dense(spec, keras, P):
    o = opts(spec, units=REQ, use_bias=True, activation=None, in_features=None)
    W = P.value("weights")
    b = P.value("bias") if o["use_bias"] else None
    f = fused(o["activation"], keras)

    def fn(xs, ctx):
        z = xs[0] @ W
        if b is not None:
            z = z + b
        return activate(z, f["word"], keras, ctx, f["alpha"], what=f"{spec['_name']} (dense activation input)")
    return fn


def ref_conv2d(spec, keras, P):
    o = opts(spec, filters=REQ, kernel=REQ, stride=1, padding="valid" if keras else 0, dilation=1, groups=1,
             use_bias=True, activation=None, in_channels=None)
    W = P.value("weights")
    b = P.value("bias") if o["use_bias"] else None
    (kh, kw), s, d = pair(o["kernel"]), pair(o["stride"]), pair(o["dilation"])
    f = fused(o["activation"], keras)

    def fn(xs, ctx):
        x = xs[0]
        if keras:   # kernel [kh][kw][in/g][out] -> [out][in/g][kh][kw]; 'same' padded as TensorFlow does
            x, w = nchw(x), W.permute(3, 2, 0, 1).contiguous()
            if o["padding"] == "same":
                (t, bo), (l, r) = tf_same(x.shape[2], d[0] * (kh - 1) + 1, s[0]), tf_same(x.shape[3], d[1] * (kw - 1) + 1, s[1])
                x = F.pad(x, (l, r, t, bo))
            y = nhwc(F.conv2d(x, w, b, s, 0, d, o["groups"]))
        else:
            p = o["padding"] if o["padding"] in ("same", "valid") else pair(o["padding"])
            y = F.conv2d(x, W, b, s, p, d, o["groups"])
        return activate(y, f["word"], keras, ctx, f["alpha"], what=f"{spec['_name']} (conv activation input)")
    return fn


def ref_conv2d_transpose(spec, keras, P):
    o = opts(spec, filters=REQ, kernel=REQ, stride=1, padding="valid" if keras else 0, output_padding=None,
             dilation=1, groups=1, use_bias=True, activation=None, in_channels=None)
    W = P.value("weights")
    b = P.value("bias") if o["use_bias"] else None
    k, s, d = pair(o["kernel"]), pair(o["stride"]), pair(o["dilation"])
    f = fused(o["activation"], keras)

    def fn(xs, ctx):
        x = xs[0]
        if keras:
            # kernel [kh][kw][out][in] -> ConvTranspose2d's [in][out][kh][kw].  TensorFlow's
            # conv2d_transpose is the adjoint of a conv2d from the output size n_out (the docs'
            # formula) with 'same' padding ⌊total/2⌋ before: the full transposed convolution
            # cropped at `before`, zero-extended when n_out reaches past it.
            x, w = nchw(x), W.permute(3, 2, 0, 1).contiguous()
            full = F.conv_transpose2d(x, w, None, s, 0, 0, 1, d)
            for axis in (0, 1):
                n, ke = x.shape[2 + axis], d[axis] * (k[axis] - 1) + 1
                if o["output_padding"] is None:
                    n_out = n * s[axis] + (max(ke - s[axis], 0) if o["padding"] == "valid" else 0)
                else:
                    op = pair(o["output_padding"])[axis]
                    if not padding_ok(ke, op, o["padding"]):
                        raise GenError(f"TensorFlow refuses Conv2DTranspose(kernel {ke}, 'same', output_padding {op})")
                    pad = ke // 2 if o["padding"] == "same" else 0
                    n_out = (n - 1) * s[axis] + ke - 2 * pad + op
                before = max((n - 1) * s[axis] + ke - n_out, 0) // 2 if o["padding"] == "same" else 0
                length = full.shape[2 + axis]
                full = full.narrow(2 + axis, before, min(n_out, length - before))
                short = n_out - full.shape[2 + axis]
                if short > 0:
                    full = F.pad(full, (0, short, 0, 0) if axis == 1 else (0, 0, 0, short))
            if b is not None:
                full = full + b.view(1, -1, 1, 1)
            y = nhwc(full)
        else:
            p = 0 if o["padding"] == "valid" else pair(o["padding"])
            op = pair(o["output_padding"] or 0)
            y = F.conv_transpose2d(x, W, b, s, p, op, o["groups"], d)
        return activate(y, f["word"], keras, ctx, f["alpha"], what=f"{spec['_name']} (conv activation input)")
    return fn


def max_windows(x, k, s, p, d, out_hw):
    """Every max-pool window's candidates, [N, C, Ho, Wo, kh·kw]; x already padded on the
    Keras path; -inf beyond the input (as PyTorch's implicit padding and ceil_mode overhang)."""
    ke = [d[i] * (k[i] - 1) + 1 for i in (0, 1)]
    xp = F.pad(x.detach(), (p[1], p[1] + ke[1] + s[1], p[0], p[0] + ke[0] + s[0]), value=-math.inf)
    cols = F.unfold(xp, k, dilation=d, stride=s)
    lh = (xp.shape[2] - ke[0]) // s[0] + 1
    lw = (xp.shape[3] - ke[1]) // s[1] + 1
    cols = cols.view(x.shape[0], x.shape[1], k[0] * k[1], lh, lw)[:, :, :, :out_hw[0], :out_hw[1]]
    return cols.permute(0, 1, 3, 4, 2)


def ref_pool(spec, keras, P, kind):
    if keras:
        o = opts(spec, pool=2, stride=None, padding="valid")
    elif kind == "max":
        o = opts(spec, pool=REQ, stride=None, padding=0, dilation=1, ceil_mode=False)
    else:
        o = opts(spec, pool=REQ, stride=None, padding=0, ceil_mode=False)
    k = pair(o["pool"])
    s = k if o["stride"] is None else pair(o["stride"])
    what = f"{spec['_name']} (max-pool runner-up)"

    def fn(xs, ctx):
        x = xs[0]
        if keras:
            x = nchw(x)
            if o["padding"] == "same":
                (t, bo), (l, r) = tf_same(x.shape[2], k[0], s[0]), tf_same(x.shape[3], k[1], s[1])
                if kind == "max":
                    x = F.pad(x, (l, r, t, bo), value=-math.inf)
                else:   # TensorFlow averages over the elements inside the input only
                    ones = F.pad(torch.ones_like(x[:1, :1]), (l, r, t, bo))
                    sums = F.avg_pool2d(F.pad(x, (l, r, t, bo)), k, s, divisor_override=1)
                    return nhwc(sums / F.avg_pool2d(ones, k, s, divisor_override=1))
            if kind == "max":
                y = F.max_pool2d(x, k, s)
                ctx.kinks.top2(max_windows(x, k, s, (0, 0), (1, 1), y.shape[2:]), what)
            else:
                y = F.avg_pool2d(x, k, s)
            return nhwc(y)
        p = (0, 0) if o["padding"] == "valid" else pair(o["padding"])
        if kind == "max":
            d = pair(o["dilation"])
            y = F.max_pool2d(x, k, s, p, d, o["ceil_mode"])
            ctx.kinks.top2(max_windows(x, k, s, p, d, y.shape[2:]), what)
            return y
        return F.avg_pool2d(x, k, s, p, o["ceil_mode"], True)
    return fn


def ref_maxpool2d(spec, keras, P):
    return ref_pool(spec, keras, P, "max")


def ref_avgpool2d(spec, keras, P):
    return ref_pool(spec, keras, P, "avg")


def ref_global_avgpool2d(spec, keras, P):
    opts(spec)
    return lambda xs, ctx: xs[0].mean(dim=(1, 2)) if keras else F.adaptive_avg_pool2d(xs[0], 1)


def ref_global_maxpool2d(spec, keras, P):
    opts(spec)

    def fn(xs, ctx):
        x = nchw(xs[0]) if keras else xs[0]
        ctx.kinks.top2(x.reshape(x.shape[0], x.shape[1], -1), f"{spec['_name']} (global max runner-up)")
        y = F.adaptive_max_pool2d(x, 1)
        return y.flatten(1) if keras else y
    return fn


def ref_adaptive_avgpool2d(spec, keras, P):
    o = opts(spec, output=REQ)
    return lambda xs, ctx: F.adaptive_avg_pool2d(xs[0], pair(o["output"]))


def ref_upsampling2d(spec, keras, P):
    o = opts(spec, size=2, interpolation="nearest")
    scale = tuple(float(v) for v in pair(o["size"]))
    extra = {"align_corners": False} if o["interpolation"] == "bilinear" else {}   # TF2 half-pixel centres

    def fn(xs, ctx):
        x = nchw(xs[0]) if keras else xs[0]
        y = F.interpolate(x, scale_factor=scale, mode=o["interpolation"], **extra)
        return nhwc(y) if keras else y
    return fn


def ref_zeropadding2d(spec, keras, P):
    p = opts(spec, padding=1)["padding"]
    if isinstance(p, list) and len(p) == 4:
        t, b, l, r = p
    else:
        (t, l) = pair(p)
        b, r = t, l
    return lambda xs, ctx: F.pad(xs[0], (0, 0, l, r, t, b) if keras else (l, r, t, b))


def ref_flatten(spec, keras, P):
    opts(spec)
    return lambda xs, ctx: xs[0].reshape(xs[0].shape[0], -1)


def ref_reshape(spec, keras, P):
    target = opts(spec, target_shape=REQ)["target_shape"]
    return lambda xs, ctx: xs[0].reshape(xs[0].shape[0], *target)


def ref_batchnorm(spec, keras, P):
    # Keras: ε 1e-3, moving = 0.99·moving + 0.01·batch; PyTorch: ε 1e-5, momentum 0.1 and
    # the unbiased batch variance in running_var (F.batch_norm does exactly BatchNorm's update).
    eps, momentum = (1e-3, 0.01) if keras else (1e-5, 0.1)
    eps = opts(spec, epsilon=eps)["epsilon"]
    gamma, beta = P.value("gamma"), P.value("beta")
    mean, var = P.value("moving_mean", False), P.value("moving_variance", False)

    def fn(xs, ctx):
        x = xs[0]
        move = keras and x.dim() > 2
        if move:
            x = x.movedim(-1, 1)
        if ctx.training:
            rm, rv = (mean, var) if ctx.update_stats else (None, None)
            y = F.batch_norm(x, rm, rv, gamma, beta, True, momentum, eps)
        else:
            y = F.batch_norm(x, mean, var, gamma, beta, False, momentum, eps)
        return y.movedim(1, -1) if move else y
    return fn


def ref_layernorm(spec, keras, P):
    if keras:   # LayerNormalization(axis=-1, epsilon=1e-3)
        o = opts(spec, epsilon=1e-3)
        shape = None
    else:       # nn.LayerNorm(normalized_shape, eps=1e-5)
        o = opts(spec, normalized_shape=None, epsilon=1e-5)
        shape = o["normalized_shape"]
    gamma, beta = P.value("gamma"), P.value("beta")

    def fn(xs, ctx):
        x = xs[0]
        ns = [x.shape[-1]] if shape is None else ([shape] if isinstance(shape, int) else shape)
        return F.layer_norm(x, ns, gamma, beta, o["epsilon"])
    return fn


def ref_dropout(spec, keras, P):
    o = opts(spec, rate=REQ)
    mask = torch.tensor(spec["mask"], dtype=torch.float64) if "mask" in spec else None

    def fn(xs, ctx):
        if not ctx.training:
            return xs[0]
        return xs[0] * mask / (1 - o["rate"])     # inverted dropout, one mask for every sample
    return fn


def ref_activation_layer(spec, keras, P):
    t = spec["type"]
    if t == "activation":
        o = opts(spec, activation=REQ, alpha=None, threshold=0.0)
        word = o["activation"]
        # Keras Activation("leaky_relu") is keras.activations.leaky_relu (slope 0.2);
        # PyTorch's is nn.LeakyReLU (0.01).
        alpha = o["alpha"] if o["alpha"] is not None else (0.2 if keras else 0.01)
    elif t == "leaky_relu":
        word, alpha = t, opts(spec, alpha=0.3 if keras else 0.01)["alpha"]
        o = {"threshold": 0.0}
    elif t == "hard_threshold":
        word, alpha, o = t, None, opts(spec, threshold=0.0)
    else:
        opts(spec)
        word, alpha, o = t, None, {"threshold": 0.0}
    return lambda xs, ctx: activate(xs[0], word, keras, ctx, alpha, o["threshold"], what=f"{spec['_name']} ({word} input)")


def ref_concat(spec, keras, P):
    axis = opts(spec, axis=-1 if keras else 1)["axis"]
    return lambda xs, ctx: torch.cat(xs, dim=axis)


def ref_add(spec, keras, P):
    opts(spec)

    def fn(xs, ctx):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
    return fn


GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def keras_to_torch_gates(kind, t, u):
    """Rows of a [g·units, …] tensor from Keras's gate order to PyTorch's: the LSTM's
    i, f, c, o is PyTorch's i, f, g, o; the GRU's z, r, h becomes r, z, n."""
    if kind != "gru":
        return t
    return torch.cat([t[u:2 * u], t[:u], t[2 * u:]])


def ref_recurrent(spec, keras, P):
    """nn.RNN / nn.LSTM / nn.GRU through torch._VF (the kernels the modules call), with the
    file's values as leaves; Keras values are transposed and their gates reordered on
    the way, so their gradients come back in Keras's layout.  Where PyTorch has no kernel
    (Keras's GRU(reset_after=False), activations other than tanh / sigmoid) the cell is
    written out step by step below."""
    kind = spec["type"]
    allowed = dict(units=REQ, return_sequences=False, bidirectional=False, use_bias=True, activation="tanh")
    if kind != "simple_rnn":
        allowed["recurrent_activation"] = "sigmoid"
    if kind == "gru" and keras:
        allowed["reset_after"] = True
    o = opts(spec, **allowed)
    u, g = o["units"], GATES[kind]
    act, rec_act = o["activation"], o.get("recurrent_activation", "sigmoid")
    reset_after = o.get("reset_after", True)
    directions = 2 if o["bidirectional"] else 1
    # The file's values as leaves (optimizer steps update them in place); the weights in
    # PyTorch's layout and gate order are derived from them at every forward pass.
    leaves = []
    for d in range(directions):
        if keras:
            name = (lambda r: "backward_" + r) if d else (lambda r: r)
            roles = ["kernel", "recurrent_kernel"] + (["bias"] if o["use_bias"] else [])
        else:
            name = (lambda r: r + "_reverse") if d else (lambda r: r)
            roles = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if o["use_bias"] else [])
        leaves.append([P.value(name(r)) for r in roles])

    def torch_weights(d):
        """Direction d's (w_ih [g·u, f], w_hh [g·u, u], b_ih, b_hh) in PyTorch's layout and order."""
        zero = torch.zeros(g * u, dtype=torch.float64)
        if not keras:
            w_ih, w_hh, *biases = leaves[d]
            return (w_ih, w_hh, *(biases or (zero, zero)))
        K, R, *bias = leaves[d]
        w_ih, w_hh = keras_to_torch_gates(kind, K.t(), u), keras_to_torch_gates(kind, R.t(), u)
        b_ih, b_hh = zero, zero
        if bias and bias[0].dim() == 2:   # GRU(reset_after=True): [input bias, recurrent bias]
            b_ih, b_hh = keras_to_torch_gates(kind, bias[0][0], u), keras_to_torch_gates(kind, bias[0][1], u)
        elif bias:
            b_ih = keras_to_torch_gates(kind, bias[0], u)
        return w_ih, w_hh, b_ih, b_hh
    standard = act == "tanh" and (kind == "simple_rnn" or (rec_act == "sigmoid" and reset_after))

    def cell_loop(x, w, reverse, ctx):
        """One direction written out: x [N, T, f] → [N, T, u] (aligned with time)."""
        w_ih, w_hh, b_ih, b_hh = w
        n, steps = x.shape[0], x.shape[1]
        h = torch.zeros(n, u, dtype=torch.float64)
        c = torch.zeros(n, u, dtype=torch.float64)
        outs = [None] * steps
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        f = lambda z, word, what: activate(z, word, keras, ctx, what=f"{spec['_name']} ({what})")
        for t in order:
            gi = x[:, t] @ w_ih.t() + b_ih
            if kind == "simple_rnn":
                h = f(gi + h @ w_hh.t() + b_hh, act, "state")
            elif kind == "lstm":
                z = gi + h @ w_hh.t() + b_hh
                i, fg, cand, og = z[:, :u], z[:, u:2 * u], z[:, 2 * u:3 * u], z[:, 3 * u:]
                c = f(fg, rec_act, "forget gate") * c + f(i, rec_act, "input gate") * f(cand, act, "candidate")
                h = f(og, rec_act, "output gate") * f(c, act, "cell")
            else:   # PyTorch order r, z, n
                if reset_after:
                    gh = h @ w_hh.t() + b_hh
                    r = f(gi[:, :u] + gh[:, :u], rec_act, "reset gate")
                    zg = f(gi[:, u:2 * u] + gh[:, u:2 * u], rec_act, "update gate")
                    cand = f(gi[:, 2 * u:] + r * gh[:, 2 * u:], act, "candidate")
                else:   # Keras reset_after=False: W_hn (r ⊙ h), no recurrent bias
                    r = f(gi[:, :u] + h @ w_hh[:u].t(), rec_act, "reset gate")
                    zg = f(gi[:, u:2 * u] + h @ w_hh[u:2 * u].t(), rec_act, "update gate")
                    cand = f(gi[:, 2 * u:] + (r * h) @ w_hh[2 * u:].t(), act, "candidate")
                h = zg * h + (1 - zg) * cand
            outs[t] = h
        return torch.stack(outs, dim=1)

    def fn(xs, ctx):
        x = xs[0]
        if x.dim() != 3:
            raise GenError(f"{kind} on a {x.dim() - 1}-d sample")
        weights = [torch_weights(d) for d in range(directions)]
        if standard:
            flat = [t for w in weights for t in w]
            h0 = torch.zeros(directions, x.shape[0], u, dtype=torch.float64)
            if kind == "lstm":
                out = torch._VF.lstm(x, (h0, h0), flat, True, 1, 0.0, False, directions == 2, True)[0]
            elif kind == "gru":
                out = torch._VF.gru(x, h0, flat, True, 1, 0.0, False, directions == 2, True)[0]
            else:
                out = torch._VF.rnn_tanh(x, h0, flat, True, 1, 0.0, False, directions == 2, True)[0]
        else:
            out = torch.cat([cell_loop(x, weights[d], d == 1, ctx) for d in range(directions)], dim=-1)
        if o["return_sequences"]:
            return out
        if keras and directions == 2:   # Keras: each direction's final state; the backward one ends at time 0
            return torch.cat([out[:, -1, :u], out[:, 0, u:]], dim=-1)
        return out[:, -1]   # PyTorch: output[:, -1]
    return fn


def ref_embedding(spec, keras, P):
    opts(spec, input_dim=REQ, output_dim=REQ)
    W = P.value("weights")

    def fn(xs, ctx):
        return W[xs[0].long()]
    return fn


REFERENCE = {
    "simple_rnn": ref_recurrent, "lstm": ref_recurrent, "gru": ref_recurrent, "embedding": ref_embedding,
    "dense": ref_dense, "conv2d": ref_conv2d, "conv2d_transpose": ref_conv2d_transpose,
    "maxpool2d": ref_maxpool2d, "avgpool2d": ref_avgpool2d,
    "global_avgpool2d": ref_global_avgpool2d, "global_maxpool2d": ref_global_maxpool2d,
    "adaptive_avgpool2d": ref_adaptive_avgpool2d, "upsampling2d": ref_upsampling2d,
    "zeropadding2d": ref_zeropadding2d, "flatten": ref_flatten, "reshape": ref_reshape,
    "batchnorm": ref_batchnorm, "layernorm": ref_layernorm, "dropout": ref_dropout,
    **{t: ref_activation_layer for t in ("activation", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "linear",
                                         "hard_threshold")},
    "concat": ref_concat, "add": ref_add,
}


class Layer:
    def __init__(self, spec, name, keras):
        spec = dict(spec, _name=name)
        self.name = name
        self.spec = spec
        self.inputs = spec.get("inputs")
        self.trainable = spec.get("trainable", True)
        self.P = Params(spec)
        self.fn = REFERENCE[spec["type"]](spec, keras, self.P)


class RefNet:
    """The problem file as a PyTorch computation."""

    def __init__(self, problem):
        self.keras = problem.get("framework", "keras") == "keras"
        inp = problem["input"]
        self.input_name = inp.get("name", "input_1" if self.keras else "input")
        self.batched = "batch" in problem
        self.x = None   # a problem with "batches" has no input.values
        if "values" in inp:
            x = torch.tensor(inp["values"], dtype=torch.float64)
            self.x = x if self.batched else x.unsqueeze(0)
        self.layers = []
        for index, spec in enumerate(problem["layers"]):
            if "name" not in spec and self.keras:
                raise GenError("the generator names every Keras layer")
            self.layers.append(Layer(spec, spec.get("name", str(index)), self.keras))

    def forward(self, x, ctx):
        outs = {self.input_name: x}
        prev = x
        for layer in self.layers:
            xs = [outs[n] for n in layer.inputs] if layer.inputs else [prev]
            prev = outs[layer.name] = layer.fn(xs, ctx)
        return outs, prev


def shape_of(spec, in_shapes, keras, name):
    """Output sample shape of one layer (generator's probe): the reference on zeros."""
    layer = Layer(spec, name, keras)
    xs = [torch.zeros(2, *s) for s in in_shapes]
    with torch.no_grad():
        y = layer.fn(xs, Ctx(False, Kinks()))
    return list(y.shape[1:])


def target_of(problem, batched):
    t = problem["target"]
    if isinstance(t, dict):
        return None, torch.tensor(t["classes"] if "classes" in t else [t["class"]])
    v = torch.tensor(t, dtype=torch.float64)
    return (v if batched else v.unsqueeze(0)), None


def loss_of(kind, y, target, classes):
    if kind in ("cross_entropy", "cross_entropy_logits") and classes is None:
        classes = target.argmax(dim=-1)   # one-hot rows
    if kind == "mse":
        return F.mse_loss(y, target)
    if kind == "mae":
        return F.l1_loss(y, target)
    if kind == "sse":
        return F.mse_loss(y, target, reduction="sum")
    if kind == "half_sse":
        return 0.5 * F.mse_loss(y, target, reduction="sum")
    if kind == "bce":
        return F.binary_cross_entropy(y, target)
    if kind == "bce_logits":
        return F.binary_cross_entropy_with_logits(y, target)
    if kind == "cross_entropy":
        return F.nll_loss(torch.log(y), classes)
    if kind == "cross_entropy_logits":
        return F.cross_entropy(y, classes)
    raise GenError(f"unknown loss {kind}")


def optimizer_of(spec, params):
    o = dict(spec)
    kind, lr = o.pop("type"), o.pop("lr")
    if o.pop("framework", "pytorch") != "pytorch":
        raise GenError("keras.optimizers' rules are checked by keras_optimizers.mjs")
    if kind == "sgd":
        return torch.optim.SGD(params, lr, **o)
    if kind == "rmsprop":
        if "beta" in o:
            o["alpha"] = o.pop("beta")
        return torch.optim.RMSprop(params, lr, **o)
    if kind in ("adam", "adamw"):
        betas = (o.pop("beta1", 0.9), o.pop("beta2", 0.999))
        return (torch.optim.Adam if kind == "adam" else torch.optim.AdamW)(params, lr, betas=betas, **o)
    if kind == "adagrad":
        return torch.optim.Adagrad(params, lr, **o)
    raise GenError(f"unknown optimizer {kind}")


def nested(t, keep_batch):
    t = t.detach()
    return (t if keep_batch else t[0]).tolist()


def batches_of(problem, net):
    """(x, target, classes) of each batch: the "batches" list, or input.values and target."""
    if "batches" not in problem:
        return [(net.x,) + target_of(problem, net.batched)]
    out = []
    for b in problem["batches"]:
        x = torch.tensor(b["values"], dtype=torch.float64)
        out.append((x if net.batched else x.unsqueeze(0),) + target_of(b, net.batched))
    return out


def optimizer_state(spec, opt, t, before, grad):
    """dlsolve's per-step fields of one parameter tensor (train --format json, "training"):
    the value before, ∂L/∂w, the gradient with L2 weight decay (g), torch.optim's state
    under dlsolve's names (momentum_buffer → b, square_avg / sum → s, exp_avg → m,
    exp_avg_sq → v, and the bias-corrected m_hat, v_hat) and the value after."""
    kind = spec["type"]
    decay = spec.get("weight_decay", 0.01 if kind == "adamw" else 0)
    out = {"before": before, "grad": grad}
    if decay and kind != "adamw":
        out["g"] = grad + decay * before
    state = opt.state[t]
    if kind == "sgd" and spec.get("momentum", 0):
        out["b"] = state["momentum_buffer"]
    if kind == "rmsprop":
        out["s"] = state["square_avg"]
        if spec.get("momentum", 0) > 0:
            out["b"] = state["momentum_buffer"]
    if kind in ("adam", "adamw"):
        step = float(state["step"])
        out["m"], out["v"] = state["exp_avg"], state["exp_avg_sq"]
        out["m_hat"] = state["exp_avg"] / (1 - spec.get("beta1", 0.9) ** step)
        out["v_hat"] = state["exp_avg_sq"] / (1 - spec.get("beta2", 0.999) ** step)
    if kind == "adagrad":
        out["s"] = state["sum"]
    out["after"] = t.detach()
    return {k: v.detach().clone().tolist() for k, v in out.items()}


def reference(problem):
    """(answers, ignored keys, kinks, smallest adaptive-optimizer gradient in (0, ∞)).

    With "batches", step k trains on batch (k − 1) mod B, and the answers also hold every
    trainable tensor's per-step fields as stepK.LAYER.ROLE.FIELD (see optimizer_state)."""
    net = RefNet(problem)
    training = problem.get("training", False)
    batched = net.batched
    data = batches_of(problem, net)
    listed = "batches" in problem
    kinks = Kinks()
    trainable = [t for L in net.layers if L.trainable for (_, t, tr) in L.P.tensors if tr]
    names = {id(t): f"{L.name}.{role}" for L in net.layers for (role, t, tr) in L.P.tensors}
    # A network without trainable values still has losses and ∂L/∂input to compare;
    # torch.optim refuses an empty parameter list, and the steps change nothing.
    opt = optimizer_of(problem["optimizer"], trainable) if trainable else None
    adaptive = problem["optimizer"]["type"] != "sgd"
    smallest = math.inf
    ans, ignored = {}, set()
    steps = len(data) * problem.get("epochs", 1) if listed else problem.get("epochs", problem.get("steps", 1))
    all_leaves = [t for L in net.layers for (_, t, tr) in L.P.tensors if tr]
    loss_kind = problem["loss"]
    for k in range(1, steps + 1):
        x0, target, classes = data[(k - 1) % len(data)]
        x = x0.clone().requires_grad_(True)
        for t in all_leaves:
            t.grad = None
        outs, y = net.forward(x, Ctx(training, kinks))
        loss = loss_of(loss_kind, y, target, classes)
        if loss_kind == "mae":
            kinks.note("mae residual", (y - target).abs())
        if k == 1:   # in file order: the first forward key that differs names the culprit layer
            for name, t in outs.items():
                ans[f"forward.{name}"] = nested(t, batched)
            ans["loss"] = loss.item()
        ans[f"step{k}.loss"] = loss.item()
        loss.backward()
        if k == 1:
            # Token ids (an embedding's input) get no gradient: dlsolve answers zeros.
            ans[f"grad.{net.input_name}"] = nested(x.grad if x.grad is not None else torch.zeros_like(x), batched)
            for L in net.layers:
                for role, t, tr in L.P.tensors:
                    if tr:
                        ans[f"grad.{L.name}.{role}"] = (t.grad if t.grad is not None else torch.zeros_like(t)).tolist()
                    else:   # BatchNorm's statistics are buffers: PyTorch has no gradient for them
                        ignored.add(f"grad.{L.name}.{role}")
        if adaptive:
            for t in trainable:
                if t.grad is not None:
                    g = t.grad.abs()
                    g = g[g != 0]
                    if g.numel():
                        smallest = min(smallest, float(g.min()))
        before = {id(t): (t.detach().clone(), t.grad.detach().clone() if t.grad is not None else None) for t in trainable}
        if opt:
            opt.step()
        if listed:
            for t in trainable:
                value, grad = before[id(t)]
                if grad is None:
                    raise GenError(f"{names[id(t)]} gets no gradient: torch.optim skips it")
                for field, v in optimizer_state(problem["optimizer"], opt, t, value, grad).items():
                    ans[f"step{k}.{names[id(t)]}.{field}"] = v
    with torch.no_grad():
        x0, target, classes = data[(steps - 1) % len(data)]
        _, y = net.forward(x0, Ctx(training, kinks, update_stats=False))
        ans["final.loss"] = loss_of(loss_kind, y, target, classes).item()
    for L in net.layers:
        for role, t, tr in L.P.tensors:
            key = f"update.{L.name}.{role}"
            if net.keras and training and role == "moving_variance":
                # tf.keras 2's fused kernel moves the variance with the unbiased batch
                # variance, Keras 3 with the biased one: no single Keras answer.
                ignored.add(key)
                continue
            ans[key] = t.detach().tolist()
    # Exam-symbol keys: grad.w11, update.w11, forward.h1, grad.x1.
    for L in net.layers:
        syms = L.spec.get("symbols") or {}
        for role, t, tr in L.P.tensors:
            if role in syms:
                names = syms[role] if isinstance(syms[role], list) else prefixed_names(syms[role], list(t.shape))
                g = ans.get(f"grad.{L.name}.{role}")
                u = ans.get(f"update.{L.name}.{role}")
                gf = torch.tensor(g).reshape(-1).tolist() if g is not None else None
                uf = torch.tensor(u).reshape(-1).tolist() if u is not None else None
                for i, n in enumerate(names):
                    if gf is not None:
                        ans[f"grad.{n}"] = gf[i]
                    if uf is not None:
                        ans[f"update.{n}"] = uf[i]
        if "output" in syms and not batched:
            out = torch.tensor(ans[f"forward.{L.name}"]).reshape(-1).tolist()
            names = syms["output"] if isinstance(syms["output"], list) else prefixed_names(
                syms["output"], list(torch.tensor(ans[f"forward.{L.name}"]).shape))
            for i, n in enumerate(names):
                ans[f"forward.{n}"] = out[i]
    isyms = problem["input"].get("symbols")
    if isyms and not batched:
        g = torch.tensor(ans[f"grad.{net.input_name}"])
        names = isyms if isinstance(isyms, list) else prefixed_names(isyms, list(g.shape))
        for i, n in enumerate(names):
            ans[f"grad.{n}"] = g.reshape(-1).tolist()[i]
    return ans, ignored, kinks, smallest


# ================================================================ the generator

LOSSES = ["mse", "mae", "sse", "half_sse", "bce", "bce_logits", "cross_entropy", "cross_entropy_logits"]

OPTIMIZERS = [   # (label, spec without lr, lr choices)
    ("sgd", {"type": "sgd"}, [0.1, 0.05]),
    ("sgd+momentum", {"type": "sgd", "momentum": 0.9}, [0.05, 0.02]),
    ("sgd+nesterov", {"type": "sgd", "momentum": 0.8, "nesterov": True}, [0.05]),
    ("sgd+dampening+wd", {"type": "sgd", "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}, [0.1]),
    ("sgd+wd", {"type": "sgd", "weight_decay": 0.05}, [0.1]),
    ("rmsprop", {"type": "rmsprop"}, [0.01, 0.005]),
    ("rmsprop+momentum+wd", {"type": "rmsprop", "beta": 0.9, "momentum": 0.5, "weight_decay": 0.01, "eps": 1e-6}, [0.01]),
    ("adam", {"type": "adam"}, [0.01, 0.02]),
    ("adam+wd", {"type": "adam", "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01, "eps": 1e-7}, [0.02]),
    ("adamw", {"type": "adamw"}, [0.01]),
    ("adamw+wd", {"type": "adamw", "weight_decay": 0.1, "beta1": 0.85}, [0.01]),
    ("adagrad", {"type": "adagrad"}, [0.1, 0.05]),
    ("adagrad+wd", {"type": "adagrad", "weight_decay": 0.01, "eps": 1e-8}, [0.05]),
]

ELEMENTWISE = ["relu", "leaky_relu", "sigmoid", "tanh", "linear"]
FUSED = ["relu", "leaky_relu", "sigmoid", "tanh", "linear", None, None]


def rnd(rng, lo, hi, sign=True):
    v = rng.uniform(lo, hi)
    if sign and rng.random() < 0.5:
        v = -v
    return round(v, 6)


def rtensor(rng, shape, lo, hi, sign=True):
    if not shape:
        return rnd(rng, lo, hi, sign)
    return [rtensor(rng, shape[1:], lo, hi, sign) for _ in range(shape[0])]


def nest(flat, dims):
    """A flat list as nested lists of shape dims (row-major)."""
    if len(dims) == 1:
        return list(flat)
    step = len(flat) // dims[0]
    return [nest(flat[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])]


def padding_ok(kernel, output_padding, padding):
    """Keras Conv2DTranspose(output_padding=…) that tf.nn.conv2d_transpose accepts."""
    return padding == "valid" or kernel % 2 == 1 or output_padding >= 1


class Gen:
    """Builds one problem layer by layer; every output shape comes from the reference."""

    def __init__(self, rng, fw, variant):
        self.rng, self.fw, self.keras, self.variant = rng, fw, fw == "keras", variant
        self.layers, self.shapes = [], {}
        self.cur = None
        self.batch = rng.choice([None, None, 2, 3])
        self.training = rng.random() < 0.3
        self.input_spec = None

    # ---- plumbing
    def input(self, shape):
        r = self.rng
        name = "x" if self.keras or r.random() < 0.4 else None
        self.input_name = name or "input"
        n = self.batch or 1
        values = [rtensor(r, shape, 0.1, 1.0) for _ in range(n)]
        self.input_spec = {"values": values if self.batch else values[0]}
        if name:
            self.input_spec = {"name": name, **self.input_spec}
        if r.random() < 0.3:
            self.input_spec["shape"] = shape
        self.shapes[self.input_name] = shape
        self.cur = self.input_name

    def shape(self, name=None):
        return self.shapes[name or self.cur]

    def add(self, spec, inputs=None):
        index = len(self.layers)
        name = f"{spec['type']}_{index}" if self.keras else str(index)
        if self.keras:
            spec = {"name": name, **spec}
        if inputs:
            spec["inputs"] = inputs
        in_shapes = [self.shapes[n] for n in (inputs or [self.cur])]
        try:
            out = shape_of(spec, in_shapes, self.keras, name)
        except GenError:
            raise
        except Exception as e:   # the configuration is impossible: the caller draws another
            raise GenError(f"{spec['type']}: {e}")
        if any(d <= 0 for d in out):
            raise GenError(f"{spec['type']}: empty output {out}")
        self.layers.append(spec)
        self.shapes[name] = out
        self.cur = name
        return name

    def attempt(self, make, tries=30):
        """Add the layer make() describes, drawing again while the configuration is impossible."""
        last = None
        for _ in range(tries):
            try:
                return self.add(*make())
            except GenError as e:
                last = e
        raise GenError(f"no valid configuration: {last}")

    # ---- layouts
    def img_shape(self, c, h, w):
        return [h, w, c] if self.keras else [c, h, w]

    def hwc(self, shape=None):
        s = shape or self.shape()
        return (s[0], s[1], s[2]) if self.keras else (s[1], s[2], s[0])

    def channels(self, shape=None):
        s = shape or self.shape()
        return s[-1] if self.keras else s[0]

    def vec(self, lo=2, hi=5):
        self.input([self.rng.randint(lo, hi)])

    def img(self, c=(1, 3), hw=(3, 6)):
        r = self.rng
        self.input(self.img_shape(r.randint(*c), r.randint(*hw), r.randint(*hw)))

    # ---- support layers (kinds dlsolve computes today)
    def dense(self, units=None, act="random", bias=None, inputs=None):
        r = self.rng
        n = self.shape(inputs[0] if inputs else None)[-1]
        units = units or r.randint(2, 4)
        use_bias = r.random() < 0.85 if bias is None else bias
        spec = {"type": "dense", "units": units}
        if not use_bias:
            spec["use_bias"] = False
        act = r.choice(FUSED) if act == "random" else act
        if act:
            spec["activation"] = act
        spec["weights"] = rtensor(r, [n, units], 0.2 / math.sqrt(n), 1.5 / math.sqrt(n))
        if use_bias:
            spec["bias"] = rtensor(r, [units], 0.05, 0.5)
        return self.add(spec, inputs)

    def act(self, word=None, inputs=None):
        r = self.rng
        word = word or r.choice(ELEMENTWISE)
        spec = {"type": word}
        if word == "leaky_relu" and r.random() < 0.5:
            spec["alpha"] = rnd(r, 0.05, 0.5, False)
        return self.add(spec, inputs)

    def dropout(self, inputs=None):
        r = self.rng
        size = math.prod(self.shape(inputs[0] if inputs else None))
        spec = {"type": "dropout", "rate": r.choice([0.2, 0.25, 0.5, 0.4])}
        if self.training or r.random() < 0.3:
            bits = [r.randint(0, 1) for _ in range(size)]
            if size >= 2:
                bits[0], bits[-1] = 1, 0
            spec["mask"] = nest(bits, self.shape(inputs[0] if inputs else None))
        return self.add(spec, inputs)

    def support(self):
        """One random shape-preserving or dense layer."""
        r = self.rng
        choice = r.random()
        if choice < 0.45:
            return self.dense()
        if choice < 0.8:
            return self.act()
        return self.dropout()

    # ---- pending kinds: one configuration each
    def conv2d(self, filters=None, padding=None, act="random", bias=None, stride=None, kernel=None):
        r = self.rng
        h, w, c = self.hwc()

        def make():
            f = filters or r.randint(1, 3)
            k = kernel or (r.randint(1, 3) if r.random() < 0.7 else [r.randint(1, 3), r.randint(1, 3)])
            s = stride or (1 if r.random() < 0.6 else r.choice([2, [1, 2], [2, 1]]))
            spec = {"type": "conv2d", "filters": f, "kernel": k}
            if s != 1:
                spec["stride"] = s
            d = 1
            if r.random() < 0.2 and (s == 1 or not self.keras):
                d = 2
                spec["dilation"] = d
            g = 1
            if c > 1 and f % c == 0 and r.random() < 0.25:
                g = c
                spec["groups"] = g
            if padding is not None:
                spec["padding"] = padding
            elif self.keras:
                spec["padding"] = r.choice(["valid", "same"])
            else:
                opts_ = [0, 1, [1, 0], "valid"] + (["same"] if s == 1 else [])
                spec["padding"] = r.choice(opts_)
            use_bias = r.random() < 0.8 if bias is None else bias
            if not use_bias:
                spec["use_bias"] = False
            a = r.choice(FUSED) if act == "random" else act
            if a:
                spec["activation"] = a
            kh, kw = pair(k)
            fan = kh * kw * c // g
            shape = [kh, kw, c // g, f] if self.keras else [f, c // g, kh, kw]
            spec["weights"] = rtensor(r, shape, 0.2 / math.sqrt(fan), 1.5 / math.sqrt(fan))
            if use_bias:
                spec["bias"] = rtensor(r, [f], 0.05, 0.5)
            return (spec,)
        return self.attempt(make)

    def conv2d_transpose(self, filters=None, act="random"):
        r = self.rng
        h, w, c = self.hwc()

        def make():
            f = filters or r.randint(1, 3)
            k = r.randint(1, 3) if r.random() < 0.7 else [r.randint(1, 3), r.randint(2, 3)]
            s = r.choice([1, 2, 2, [2, 1], 3])
            spec = {"type": "conv2d_transpose", "filters": f, "kernel": k}
            if s != 1:
                spec["stride"] = s
            sh, sw = pair(s)
            kh, kw = pair(k)
            g, d = 1, (1, 1)
            if self.keras:
                spec["padding"] = r.choice(["valid", "same"])
                # TensorFlow refuses an output size whose 'same' convolution would not give
                # the input back: with 'same', an even kernel needs output_padding ≥ 1.
                choices = [[o for o in range(st) if padding_ok(kk, o, spec["padding"])] for kk, st in ((kh, sh), (kw, sw))]
                if r.random() < 0.4 and max(sh, sw) > 1 and all(choices):
                    spec["output_padding"] = [r.choice(choices[0]), r.choice(choices[1])]
            else:
                if r.random() < 0.2:
                    d = (2, 2)
                    spec["dilation"] = 2
                ke = min(d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
                spec["padding"] = r.choice([0, 0, "valid"] + ([1] if ke >= 3 else []))
                limit = max(min(sh, sw), d[0])
                if limit > 1 and r.random() < 0.4:
                    spec["output_padding"] = r.randint(1, limit - 1)
                if c > 1 and f % c == 0 and r.random() < 0.25:
                    g = c
                    spec["groups"] = g
            use_bias = r.random() < 0.8
            if not use_bias:
                spec["use_bias"] = False
            a = r.choice(FUSED) if act == "random" else act
            if a:
                spec["activation"] = a
            shape = [kh, kw, f, c] if self.keras else [c, f // g, kh, kw]
            fan = kh * kw * c // g
            spec["weights"] = rtensor(r, shape, 0.2 / math.sqrt(fan), 1.5 / math.sqrt(fan))
            if use_bias:
                spec["bias"] = rtensor(r, [f], 0.05, 0.5)
            return (spec,)
        return self.attempt(make)

    def pool(self, kind):
        r = self.rng

        def make():
            p = r.choice([2, 2, 3, [2, 3], [3, 2]])
            spec = {"type": kind}
            if not self.keras or p != 2 or r.random() < 0.5:
                spec["pool"] = p
            if r.random() < 0.4:
                spec["stride"] = r.choice([1, 2, [1, 2]])
            if self.keras:
                spec["padding"] = r.choice(["valid", "same"])
            else:
                kh, kw = pair(p)
                if r.random() < 0.4:
                    spec["padding"] = r.choice([[kh // 2, kw // 2], min(kh, kw) // 2])
                if r.random() < 0.3:
                    spec["ceil_mode"] = True
                if kind == "maxpool2d" and r.random() < 0.2:
                    spec["dilation"] = 2
            return (spec,)
        return self.attempt(make)

    def batchnorm(self, inputs=None):
        r = self.rng
        shape = self.shape(inputs[0] if inputs else None)
        c = shape[-1] if self.keras else shape[0]
        spec = {"type": "batchnorm"}
        if r.random() < 0.25:
            spec["epsilon"] = r.choice([1e-4, 0.01, 0.1])
        spec = {**spec,
                "gamma": rtensor(r, [c], 0.5, 1.5, False), "beta": rtensor(r, [c], 0.05, 0.5),
                "moving_mean": rtensor(r, [c], 0.05, 0.5), "moving_variance": rtensor(r, [c], 0.3, 2.0, False)}
        return self.add(spec, inputs)

    def layernorm(self, normalized_shape=None):
        r = self.rng
        spec = {"type": "layernorm"}
        if r.random() < 0.25:
            spec["epsilon"] = r.choice([1e-4, 0.01, 0.1])
        ns = [self.shape()[-1]]
        if normalized_shape is not None:
            spec["normalized_shape"] = normalized_shape
            ns = [normalized_shape] if isinstance(normalized_shape, int) else normalized_shape
        spec["gamma"] = rtensor(r, ns, 0.5, 1.5, False)
        spec["beta"] = rtensor(r, ns, 0.05, 0.5)
        return self.add(spec)

    # ---- heads: the last layers for each loss, and the target
    def head(self, loss):
        r = self.rng
        shape = self.shape()
        if loss in ("cross_entropy", "cross_entropy_logits"):
            if len(shape) > 1:
                self.add({"type": "flatten"})
            k = r.randint(2, 4)
            if loss == "cross_entropy_logits":
                self.dense(k, act=None)
            else:
                style = r.random()
                if style < 0.4:
                    self.dense(k, act="softmax")
                elif style < 0.7:
                    self.dense(k, act=None)
                    self.add({"type": "softmax"})
                else:
                    self.dense(k, act=None)
                    self.add({"type": "activation", "activation": "softmax"})
        elif loss == "bce":
            style = r.random()
            if style < 0.35:
                if len(shape) > 1 and r.random() < 0.5:
                    self.add({"type": "flatten"})
                self.dense(r.randint(1, 3), act="sigmoid")
            elif style < 0.7:
                if len(shape) == 1 and r.random() < 0.5:
                    self.dense(act=None)
                self.add({"type": "sigmoid"})
            else:
                self.add({"type": "activation", "activation": "sigmoid"})
        elif loss == "bce_logits":
            if len(shape) == 1 and r.random() < 0.5:
                self.dense(act=None)
        else:
            if len(shape) == 1 and r.random() < 0.5:
                self.dense(act=r.choice([None, "tanh", "linear"]))
            elif len(shape) > 1 and r.random() < 0.3:
                self.add({"type": "flatten"})
                self.dense(act=None)

    def target(self, loss):
        r = self.rng
        out = self.shape()
        full = ([self.batch] if self.batch else []) + out
        if loss in ("cross_entropy", "cross_entropy_logits"):
            k = out[-1]
            classes = [r.randrange(k) for _ in range(self.batch or 1)]
            if r.random() < 0.5:
                if self.batch or r.random() < 0.5:
                    return {"classes": classes}
                return {"class": classes[0]}
            rows = [[1 if j == c else 0 for j in range(k)] for c in classes]
            return rows if self.batch else rows[0]
        if loss in ("bce", "bce_logits"):
            if r.random() < 0.5:
                return rtensor(r, full, 0.05, 0.95, False)
            return nest([r.randint(0, 1) for _ in range(math.prod(full))], full)
        return rtensor(r, full, 0.1, 1.0)


# ---------------------------------------------------------------- focus generators
# Each builds the input and the body around one layer kind; the head follows.
# Problems for kinds dlsolve computes today use only those kinds, so that a kind
# another engineer is adding becomes testable the moment it lands.

def g_dense(g):
    r = g.rng
    g.img() if r.random() < 0.25 else g.vec()
    for _ in range(r.randint(1, 2)):
        g.dense(act=r.choice(FUSED + ["softmax", "hard_threshold"] if r.random() < 0.15 else FUSED))


def g_elementwise(word):
    def gen(g):
        r = g.rng
        if r.random() < 0.3:
            g.img(c=(2, 3))
            g.dense(units=r.randint(2, 3), act=None)
        else:
            g.vec()
            g.dense(act=None)
        if word == "hard_threshold":
            # A step has no gradient: put it on a side branch so the network still learns.
            trunk = g.cur
            a = g.dense(units=g.shape()[-1], act="tanh", inputs=[trunk])
            spec = {"type": "hard_threshold"}
            if r.random() < 0.5:
                spec["threshold"] = rnd(r, 0.05, 0.3)
            b = g.add(spec, [trunk])
            g.add({"type": "add"}, [a, b])
        else:
            spec = {"type": word}
            if word == "leaky_relu" and r.random() < 0.6:
                spec["alpha"] = rnd(r, 0.05, 0.5, False)
            g.add(spec)
        if r.random() < 0.5:
            g.dense(act=None)
    return gen


def g_activation(g):
    r = g.rng
    g.vec()
    g.dense(act=None)
    word = r.choice(["relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu", "leaky_relu"])
    spec = {"type": "activation", "activation": word}
    if word == "leaky_relu" and r.random() < 0.3:
        spec["alpha"] = rnd(r, 0.05, 0.5, False)
    g.add(spec)
    if r.random() < 0.5:
        g.dense(act=None)


def g_dropout(g):
    r = g.rng
    g.training = g.variant // 2 % 2 == 0   # with the framework alternating: all four pairs
    g.img(c=(1, 2), hw=(2, 3)) if r.random() < 0.3 else g.vec()
    g.dense(act=r.choice(["tanh", "relu", None]))
    g.dropout()
    if r.random() < 0.5:
        g.dense(act=None)
        g.dropout()


def g_add(g):
    r = g.rng
    if r.random() < 0.3:
        g.img(c=(2, 3))
        trunk = g.cur
        a = g.act("tanh", inputs=[trunk])
        b = g.dense(units=g.shape(trunk)[-1], act=None, inputs=[trunk])
        g.add({"type": "add"}, [a, b, trunk] if r.random() < 0.5 else [a, b])
    else:
        g.vec()
        trunk = g.dense(act=r.choice(["tanh", None]))
        u = g.shape()[-1]
        a = g.dense(units=u, act=r.choice(FUSED), inputs=[trunk])
        b = g.act(inputs=[trunk])
        g.add({"type": "add"}, r.choice([[a, b], [trunk, a, b], [a, trunk, b]]))


def g_concat(g):
    r = g.rng
    if r.random() < 0.4:
        g.img(c=(1, 3))
        trunk = g.cur
        a = g.act("tanh", inputs=[trunk])
        b = g.act("sigmoid", inputs=[trunk])
        spec = {"type": "concat"}
        axes = [None, 1, 2, 3, -1, -2] if g.keras else [None, 1, 2, 3, -1]
        axis = r.choice(axes)
        if axis is not None:
            spec["axis"] = axis
        g.add(spec, [a, b, trunk] if r.random() < 0.3 else [a, b])
    else:
        g.vec()
        trunk = g.cur
        a = g.dense(act=r.choice(FUSED), inputs=[trunk])
        b = g.dense(act=r.choice(FUSED), inputs=[trunk])
        spec = {"type": "concat"}
        axis = r.choice([None, 1, -1])
        if axis is not None:
            spec["axis"] = axis
        g.add(spec, [a, b])


def g_flatten(g):
    r = g.rng
    g.img(c=(1, 3), hw=(2, 4))
    if r.random() < 0.5:
        g.dense(units=2, act=r.choice(FUSED))
    g.add({"type": "flatten"})
    g.dense(act=r.choice(FUSED))


def g_mlp(g):
    r = g.rng
    g.vec()
    for _ in range(r.randint(2, 4)):
        g.support()


def g_conv2d(g):
    r = g.rng
    g.img(c=(1, 3), hw=(3, 6))
    g.conv2d()
    if r.random() < 0.3:
        g.conv2d()


def g_conv2d_transpose(g):
    g.img(c=(1, 3), hw=(2, 4))
    g.conv2d_transpose()


def g_pool(kind):
    def gen(g):
        r = g.rng
        g.img(c=(1, 2), hw=(4, 7))
        if r.random() < 0.6:
            g.dense(units=r.randint(1, 3), act=r.choice(["relu", "tanh", None]))
        g.pool(kind)
    return gen


def g_global(kind):
    def gen(g):
        r = g.rng
        g.img(c=(1, 3), hw=(2, 5))
        if r.random() < 0.6:
            g.dense(units=r.randint(2, 3), act=r.choice(["relu", "tanh", None]))
        g.add({"type": kind})
    return gen


def g_adaptive(g):
    r = g.rng
    g.img(c=(1, 2), hw=(3, 6))
    if r.random() < 0.5:
        g.dense(units=2, act="tanh")
    h, w, _ = g.hwc()
    out = r.randint(1, h) if r.random() < 0.5 else [r.randint(1, h), r.randint(1, w)]
    g.add({"type": "adaptive_avgpool2d", "output": out})


def g_batchnorm(g):
    r = g.rng
    g.training = g.variant // 2 % 2 == 0   # with the framework alternating: all four pairs
    style = r.random()
    if style < 0.45:
        if g.training:
            g.batch = 3
        g.vec()
        g.dense(act=None, bias=False if g.training else None)   # a bias before batch statistics has no gradient
    elif style < 0.6 and not g.keras:
        if g.training:
            g.batch = r.choice([2, 3])
        g.input([r.randint(2, 3), r.randint(2, 4)])   # BatchNorm1d on [C, L]
    else:
        g.img(c=(1, 3), hw=(2, 4))
        if r.random() < 0.5:
            g.dense(units=2, act=None, bias=False if g.training else None)
    g.batchnorm()
    if r.random() < 0.5:
        g.act()


def g_layernorm(g):
    r = g.rng
    if r.random() < 0.5:
        g.vec(3, 5)
        g.dense(units=r.randint(2, 4), act=r.choice([None, "tanh"]))
        g.layernorm(r.choice([None, g.shape()[-1]]) if not g.keras else None)
    else:
        g.img(c=(2, 3), hw=(2, 4))
        if g.keras:
            g.layernorm()
        else:
            s = g.shape()
            g.layernorm(r.choice([None, s[-1], s[1:], s]))
    if r.random() < 0.4:
        g.act()


def g_reshape(g):
    r = g.rng
    if r.random() < 0.5:
        g.vec()
        g.dense(units=6, act=r.choice([None, "tanh"]))
        g.add({"type": "reshape", "target_shape": r.choice([[2, 3], [3, 2], [3, -1], [-1, 2], [1, 2, 3]])})
    else:
        g.img(c=(1, 2), hw=(2, 4))
        h, w, c = g.hwc()
        g.add({"type": "reshape", "target_shape": r.choice([[h * w, c] if g.keras else [c, h * w], [-1], [w, h, c]])})
    g.dense(act=r.choice(FUSED))


def g_zeropadding2d(g):
    r = g.rng
    g.img(c=(1, 2), hw=(2, 4))
    if r.random() < 0.5:
        g.dense(units=2, act="tanh")
    g.add({"type": "zeropadding2d", "padding": r.choice([1, 2, [1, 0], [0, 2], [1, 0, 2, 1], [0, 1, 1, 0]])}
          if r.random() < 0.85 else {"type": "zeropadding2d"})


def g_upsampling2d(g):
    r = g.rng
    g.img(c=(1, 2), hw=(2, 3))
    if r.random() < 0.5:
        g.dense(units=2, act="tanh")
    spec = {"type": "upsampling2d"}
    if r.random() < 0.7:
        spec["size"] = r.choice([2, 3, [2, 1], [1, 3]])
    if r.random() < 0.5:
        spec["interpolation"] = "bilinear"
    g.add(spec)


def g_cnn(g):
    """Several pending kinds together: conv → (BN) → ReLU → pooling → … → dense."""
    r = g.rng
    g.training = r.random() < 0.4
    g.img(c=(1, 3), hw=(5, 7))
    g.conv2d(act=None, bias=False if g.training else None, padding="same" if g.keras else 1, stride=1)
    if r.random() < 0.6:
        g.batchnorm()
    g.act(r.choice(["relu", "leaky_relu", "tanh"]))
    g.pool(r.choice(["maxpool2d", "avgpool2d"]))
    step = r.random()
    if step < 0.3:
        g.conv2d_transpose(act="tanh")
    elif step < 0.6:
        g.add({"type": "upsampling2d", "size": 2})
        g.conv2d(act="tanh", kernel=2)
    else:
        g.add({"type": "zeropadding2d", "padding": 1})
        g.conv2d(act="relu", kernel=2)
    if r.random() < 0.5:
        g.dropout()
    g.add({"type": r.choice(["global_avgpool2d", "global_maxpool2d", "flatten"])})


def g_residual(g):
    """conv → ReLU → conv, added to its input (both 'same'), then LayerNorm or global pooling."""
    r = g.rng
    g.img(c=(2, 3), hw=(3, 5))
    trunk = g.cur
    c = g.channels()
    g.conv2d(filters=c, padding="same", act="relu", stride=1, kernel=r.choice([1, 3]))
    g.conv2d(filters=c, padding="same", act=None, stride=1, kernel=r.choice([1, 3]))
    g.add({"type": "add"}, [trunk, g.cur])
    g.act("tanh")
    if r.random() < 0.5:
        g.add({"type": "global_avgpool2d"})
    else:
        g.add({"type": "reshape", "target_shape": [-1]})


def g_unet(g):
    """conv → max-pool → conv → upsampling, concatenated with the first conv's output."""
    r = g.rng
    g.img(c=(1, 2), hw=(4, 4))
    first = g.conv2d(filters=2, padding="same", act="tanh", stride=1, kernel=3)
    g.add({"type": "maxpool2d", "pool": 2})
    g.conv2d(filters=2, padding="same", act="relu" if r.random() < 0.5 else "tanh", stride=1, kernel=r.choice([1, 3]))
    g.add({"type": "upsampling2d", "size": 2, **({"interpolation": "bilinear"} if r.random() < 0.5 else {})})
    g.add({"type": "concat"}, [first, g.cur])
    g.conv2d(filters=1, padding="same", act=None, stride=1, kernel=1)


FOCUS = [   # (label, generator, frameworks)
    ("dense", g_dense, "both"),
    ("relu", g_elementwise("relu"), "both"),
    ("leaky_relu", g_elementwise("leaky_relu"), "both"),
    ("sigmoid", g_elementwise("sigmoid"), "both"),
    ("tanh", g_elementwise("tanh"), "both"),
    ("softmax", g_elementwise("softmax"), "both"),
    ("linear", g_elementwise("linear"), "both"),
    ("hard_threshold", g_elementwise("hard_threshold"), "both"),
    ("activation", g_activation, "both"),
    ("dropout", g_dropout, "both"),
    ("add", g_add, "both"),
    ("concat", g_concat, "both"),
    ("flatten", g_flatten, "both"),
    ("mlp", g_mlp, "both"),
    ("conv2d", g_conv2d, "both"),
    ("conv2d_transpose", g_conv2d_transpose, "both"),
    ("maxpool2d", g_pool("maxpool2d"), "both"),
    ("avgpool2d", g_pool("avgpool2d"), "both"),
    ("global_avgpool2d", g_global("global_avgpool2d"), "both"),
    ("global_maxpool2d", g_global("global_maxpool2d"), "both"),
    ("adaptive_avgpool2d", g_adaptive, "pytorch"),
    ("batchnorm", g_batchnorm, "both"),
    ("layernorm", g_layernorm, "both"),
    ("reshape", g_reshape, "both"),
    ("zeropadding2d", g_zeropadding2d, "both"),
    ("upsampling2d", g_upsampling2d, "both"),
    ("cnn", g_cnn, "both"),
    ("residual", g_residual, "both"),
    ("unet", g_unet, "both"),
]
DEFAULT_COUNT = 10 * len(FOCUS)


# ---------------------------------------------------------------- recurrent networks (--recurrent)

def recurrent_values(g, kind, spec, features):
    """The layer's values in the framework's layout: Keras kernel [f, g·u], recurrent_kernel
    [u, g·u], bias [g·u] (GRU reset_after=True: [2, g·u]); PyTorch weight_ih [g·u, f], …"""
    r = g.rng
    u, gates = spec["units"], GATES[kind]
    scale = lambda n: (0.2 / math.sqrt(n), 1.2 / math.sqrt(n))
    for d in range(2 if spec.get("bidirectional") else 1):
        if g.keras:
            pre = "backward_" if d else ""
            spec[pre + "kernel"] = rtensor(r, [features, gates * u], *scale(features))
            spec[pre + "recurrent_kernel"] = rtensor(r, [u, gates * u], *scale(u))
            if spec.get("use_bias", True):
                double = kind == "gru" and spec.get("reset_after", True)
                spec[pre + "bias"] = rtensor(r, [2, gates * u] if double else [gates * u], 0.05, 0.5)
        else:
            suf = "_reverse" if d else ""
            spec["weight_ih" + suf] = rtensor(r, [gates * u, features], *scale(features))
            spec["weight_hh" + suf] = rtensor(r, [gates * u, u], *scale(u))
            if spec.get("use_bias", True):
                spec["bias_ih" + suf] = rtensor(r, [gates * u], 0.05, 0.5)
                spec["bias_hh" + suf] = rtensor(r, [gates * u], 0.05, 0.5)


def recurrent_layer(g, kind, return_sequences=None):
    r = g.rng
    features = g.shape()[-1]
    spec = {"type": kind, "units": r.randint(1, 3)}
    if return_sequences if return_sequences is not None else r.random() < 0.5:
        spec["return_sequences"] = True
    if r.random() < 0.35:
        spec["bidirectional"] = True
    if r.random() < 0.15:
        spec["use_bias"] = False
    if kind == "gru" and g.keras and r.random() < 0.5:
        spec["reset_after"] = r.random() < 0.4
    if r.random() < 0.2:   # PyTorch's nn.RNN has tanh or relu; nn.LSTM / nn.GRU only tanh and sigmoid
        if kind == "simple_rnn":
            spec["activation"] = r.choice(["relu", "sigmoid", "linear"] if g.keras else ["relu"])
        elif g.keras:
            spec["activation"] = r.choice(["relu", "sigmoid", "linear"])
            if r.random() < 0.5:
                spec["recurrent_activation"] = r.choice(["tanh", "linear"])
    recurrent_values(g, kind, spec, features)
    return g.add(spec)


def sequence_input(g):
    r = g.rng
    g.input([r.randint(1, 4), r.randint(1, 3)])


def g_recurrent(kind):
    def gen(g):
        sequence_input(g)
        recurrent_layer(g, kind)
        if g.rng.random() < 0.3:
            g.dense(act=g.rng.choice(FUSED))
    return gen


def g_stacked(g):
    r = g.rng
    sequence_input(g)
    kinds = ["simple_rnn", "lstm", "gru"]
    recurrent_layer(g, r.choice(kinds), return_sequences=True)
    recurrent_layer(g, r.choice(kinds))


def g_embedding(g):
    r = g.rng
    steps, vocab = r.randint(1, 4), r.randint(2, 6)
    n = g.batch or 1
    ids = [[r.randrange(vocab) for _ in range(steps)] for _ in range(n)]
    g.input_name = "x" if g.keras else "input"
    g.input_spec = {"name": g.input_name, "values": ids if g.batch else ids[0]} if g.keras else {"values": ids if g.batch else ids[0]}
    g.shapes[g.input_name] = [steps]
    g.cur = g.input_name
    dim = r.randint(1, 3)
    g.add({"type": "embedding", "input_dim": vocab, "output_dim": dim, "weights": rtensor(r, [vocab, dim], 0.1, 1.0)})
    if r.random() < 0.6:
        recurrent_layer(g, r.choice(["simple_rnn", "lstm", "gru"]))
    elif r.random() < 0.5:
        g.add({"type": "flatten"})


RECURRENT_FOCUS = [
    ("simple_rnn", g_recurrent("simple_rnn"), "both"),
    ("lstm", g_recurrent("lstm"), "both"),
    ("gru", g_recurrent("gru"), "both"),
    ("stacked", g_stacked, "both"),
    ("embedding", g_embedding, "both"),
]


def decorate(g, problem):
    """Exam symbols on one dense layer (grad.w11, …) and a frozen layer, now and then."""
    r = g.rng
    dense = [s for s in problem["layers"] if s["type"] == "dense"]
    if dense and r.random() < 0.25:
        s = dense[0]
        n, u = len(s["weights"]), s["units"]
        if n < 10 and u < 10:
            syms = {"weights": "w"}
            if "bias" in s:
                syms["bias"] = [f"b{j + 1}" for j in range(u)] if r.random() < 0.5 else "b"
            if not g.batch and s.get("activation") != "softmax":
                syms["output"] = "h"
            s["symbols"] = syms
            if not g.batch and r.random() < 0.5:
                problem["input"]["symbols"] = "x" if g.keras is False or problem["input"].get("name") != "x" else "u"
    if len(dense) >= 2 and r.random() < 0.15:
        dense[0]["trainable"] = False


def generate(seed, index, focus_filter=None):
    """Problem `index` of the run: (problem, meta).  Deterministic in (seed, index)."""
    # Focus kinds cycle; each next cycle swaps the framework (so a focus kind alternates
    # Keras / PyTorch) and, every other cycle, training / inference.  Losses change every
    # two problems, so that both frameworks meet every loss; optimizers cycle with 13.
    label, gen, fws = FOCUS[index % len(FOCUS)]
    variant = index // len(FOCUS)
    fw_parity = (index % len(FOCUS) + variant) % 2
    if focus_filter:
        matches = [f for f in FOCUS if f[0] == focus_filter]
        if not matches:
            raise SystemExit(f"unknown --focus {focus_filter}; one of {', '.join(f[0] for f in FOCUS)}")
        label, gen, fws = matches[0]
        variant, fw_parity = index, index % 2
    loss = LOSSES[index // 2 % len(LOSSES)]
    opt_label, opt_spec, lrs = OPTIMIZERS[index % len(OPTIMIZERS)]
    fw = "pytorch" if fws == "pytorch" else ("keras", "pytorch")[fw_parity]
    rng = random.Random(f"torch_numeric/{seed}/{index}")
    reasons = []
    for attempt in range(40):
        g = Gen(rng, fw, variant)
        try:
            gen(g)
            g.head(loss)
        except GenError as e:
            reasons.append(str(e))
            continue
        problem = {"title": f"torch_numeric seed {seed} #{index}: {label}, {loss}, {opt_label} ({fw})",
                   "framework": fw}
        if g.batch:
            problem["batch"] = g.batch
        problem["input"] = g.input_spec
        problem["layers"] = g.layers
        problem["target"] = g.target(loss)
        problem["loss"] = loss
        # torch.optim's rule also in a Keras file (whose default is keras.optimizers').
        problem["optimizer"] = {**opt_spec, "lr": rng.choice(lrs), "framework": "pytorch"}
        problem["steps"] = STEPS
        if g.training:
            problem["training"] = True
        decorate(g, problem)
        try:
            ans, ignored, kinks, smallest = reference(problem)
        except GenError as e:
            reasons.append(str(e))
            continue
        except Exception as e:   # e.g. PyTorch refuses the network: draw another one
            reasons.append(f"{type(e).__name__}: {e}")
            continue
        reason = unusable(ans, kinks, smallest)
        if reason:
            reasons.append(reason)
            continue
        meta = {"focus": label, "loss": loss, "optimizer": opt_label, "framework": fw,
                "tags": tags(problem), "attempts": attempt + 1, "redraws": reasons,
                "output": ans[f"forward.{g.cur}"]}
        return problem, ans, ignored, meta
    raise SystemExit(f"generator: problem {index} ({label}) failed 40 attempts; last reasons: {reasons[-3:]}")


def unusable(ans, kinks, smallest):
    """Why a drawn problem cannot be compared to 1e-9 (or None): an input too close to a
    kink, an adaptive optimizer dividing by a vanishing gradient, a loss that is not finite."""
    if kinks.margin < KINK_MARGIN:
        return f"kink {kinks.margin:.2g} at {kinks.where}"
    if smallest < TINY_GRAD:
        return f"adaptive optimizer on a gradient of {smallest:.2g}"
    if not all(math.isfinite(v) for k, v in ans.items() if k.endswith("loss")):
        return "loss not finite"
    return None


def tags(problem):
    """Layer kinds of a problem, for the counts (batchnorm and dropout by mode)."""
    mode = "train" if problem.get("training") else "inference"
    out = set()
    for s in problem["layers"]:
        t = s["type"]
        if t in ("batchnorm", "dropout"):
            t = f"{t} ({mode})"
        out.add(t)
        if s.get("activation") and t != "activation":
            out.add(f"{s['activation']} (fused)")
    return sorted(out)


# ---------------------------------------------------------------- lists of batches

def flat_values(v):
    return [x for item in v for x in flat_values(item)] if isinstance(v, list) else [v]


def another_target(rng, loss, output, target):
    """A new target in the format and shape of `target` (the file's first batch);
    `output` is the network's output on it (for the number of classes)."""
    if isinstance(target, dict):
        width = array_shape(output)[-1]
        if "class" in target:
            return {"class": rng.randrange(width)}
        return {"classes": [rng.randrange(width) for _ in target["classes"]]}
    dims = array_shape(target)
    if loss in ("cross_entropy", "cross_entropy_logits"):   # one-hot rows
        rows = math.prod(dims[:-1])
        bits = []
        for _ in range(rows):
            c = rng.randrange(dims[-1])
            bits += [1 if j == c else 0 for j in range(dims[-1])]
        return nest(bits, dims)
    if loss in ("bce", "bce_logits") and all(v in (0, 1) for v in flat_values(target)):
        return nest([rng.randint(0, 1) for _ in range(math.prod(dims))], dims)
    if loss in ("bce", "bce_logits"):
        return rtensor(rng, dims, 0.05, 0.95, False)
    return rtensor(rng, dims, 0.1, 1.0)


def with_batches(problem, output, seed, index):
    """The problem trained on a list of 2–3 batches (its own input and target first, then
    new ones of the same shapes), once or twice over: (problem, answers, ignored), or None
    when 20 draws all came near a kink or a vanishing gradient."""
    reasons = []
    rng = random.Random(f"torch_numeric/batches/{seed}/{index}")
    inp = problem["input"]
    sample = array_shape(inp["values"])[1:] if problem.get("batch") else array_shape(inp["values"])
    for _ in range(20):
        out = json.loads(json.dumps(problem))
        values = out["input"].pop("values")
        out["input"]["shape"] = sample
        first = {"values": values, "target": out.pop("target")}
        n = problem.get("batch") or 0
        batches = [first]
        for _ in range(rng.choice([1, 2])):
            v = [rtensor(rng, sample, 0.1, 1.0) for _ in range(n)] if n else rtensor(rng, sample, 0.1, 1.0)
            batches.append({"values": v, "target": another_target(rng, problem["loss"], output, first["target"])})
        out["batches"] = batches
        out.pop("steps", None)
        if rng.random() < 0.4:
            out["epochs"] = 2
        out["title"] = problem["title"] + f", {len(batches)} batches" + (" × 2 epochs" if "epochs" in out else "")
        try:
            ans, ignored, kinks, smallest = reference(out)
        except GenError as e:
            reasons.append(str(e))
            continue
        reason = unusable(ans, kinks, smallest)
        if reason:
            reasons.append(reason)
            continue
        return out, ans, ignored
    return None, reasons[-3:], None


# ================================================================ dlsolve

COMMANDS = ("forward", "backward", "train")
COMMAND_KEYS = {   # the reference keys each command must answer
    "forward": re.compile(r"^(forward\.|loss$)"),
    "backward": re.compile(r"^(grad\.|loss$)"),
    "train": re.compile(r"^(grad\.|update\.|loss$|step\d+\.loss$|final\.loss$)"),
}
COMMAND_KEYS["batches"] = re.compile(r"^(grad\.|update\.|loss$|step\d+\.|final\.loss$)")   # train on "batches"
NO_RULE = re.compile(r"has no (forward|backward) rule for (\S+) layers")
UNKNOWN_KEY = re.compile(r"/layers/(\d+)/(\w+): unknown key \"(\w+)\"")


def run(binary, cmd, path):
    try:
        r = subprocess.run([binary, cmd, "--format", "json", path], capture_output=True, text=True, timeout=120)
    except OSError as e:
        sys.exit(f"cannot run {binary}: {e}")
    except subprocess.TimeoutExpired:
        return None, f"dlsolve {cmd} timed out"
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        return None, f"exit {r.returncode}: {lines[0] if lines else ''}"
    try:
        return json.loads(r.stdout)["answers"], None
    except (ValueError, KeyError, TypeError) as e:
        return None, f"output is not the expected JSON: {e}"


def missing_rule(binary, path, problem, error):
    """The kind dlsolve has no numeric rule for, or None.  dlsolve refuses the values of a
    kind it cannot compute yet as an unknown key: drop that layer's values and ask again."""
    m = NO_RULE.search(error)
    if m:
        return m.group(2)
    m = UNKNOWN_KEY.search(error)
    if not m or m.group(3) not in ROLES.get(problem["layers"][int(m.group(1))]["type"], ()):
        return None
    stripped = json.loads(json.dumps(problem))
    for _ in range(len(stripped["layers"])):
        layer = stripped["layers"][int(m.group(1))]
        for role in ROLES.get(layer["type"], ()):
            layer.pop(role, None)
        layer.pop("symbols", None)
        probe = path + ".novalues.json"
        with open(probe, "w") as f:
            json.dump(stripped, f)
        _, err = run(binary, "forward", probe)
        os.unlink(probe)
        if err is None:
            return None
        n = NO_RULE.search(err)
        if n:
            return n.group(2)
        m = UNKNOWN_KEY.search(err)
        if not m or m.group(3) not in ROLES.get(stripped["layers"][int(m.group(1))]["type"], ()):
            return None
    return None


# ================================================================ comparison

def close(a, b):
    return abs(a - b) <= max(RTOL * max(abs(a), abs(b)), ATOL)


def rel_err(a, b):
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def walk(ref, got, index, out):
    """Element-by-element comparison: out gets (index, ref, got) for each mismatch."""
    if isinstance(ref, list):
        if not isinstance(got, list) or len(got) != len(ref):
            out.append((index, f"shape {shape(ref)}", f"shape {shape(got)}"))
            return
        for i, (r, g) in enumerate(zip(ref, got)):
            walk(r, g, index + [i], out)
        return
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        out.append((index, ref, got))
    elif not close(float(ref), float(got)):
        out.append((index, ref, got))


def shape(v):
    s = []
    while isinstance(v, list):
        s.append(len(v))
        v = v[0] if v else None
    return s


ELEMENT_KEY = re.compile(r"^(.*)\[(\d+(?:, \d+)*)\]$")


def element(ref, key):
    """dlsolve's element keys, grad.LAYER.ROLE[i, j] (1-based), from the reference tensor."""
    m = ELEMENT_KEY.match(key)
    if not m or m.group(1) not in ref:
        return None
    v = ref[m.group(1)]
    for i in m.group(2).split(", "):
        if not isinstance(v, list) or not 1 <= int(i) <= len(v):
            return None
        v = v[int(i) - 1]
    return None if isinstance(v, list) else v


def compare(cmd, ref, ignored, got):
    """Mismatch lines of one command's answers against the reference."""
    bad = []
    for key, value in ref.items():
        if not COMMAND_KEYS[cmd].match(key):
            continue
        if key not in got:
            bad.append(f"{cmd} {key}: dlsolve has no such key (torch {show(value)})")
            continue
        diffs = []
        walk(value, got[key], [], diffs)
        for index, r, g in diffs[:4]:
            where = key + ("[" + ", ".join(str(i + 1) for i in index) + "]" if index else "")
            if isinstance(r, str):
                bad.append(f"{cmd} {where}: torch {r}, dlsolve {g}")
            else:
                err = rel_err(float(r), float(g)) if isinstance(g, (int, float)) else math.inf
                bad.append(f"{cmd} {where}: torch {r!r}, dlsolve {g!r}, relative error {err:.3g}")
        if len(diffs) > 4:
            bad.append(f"{cmd} {key}: … {len(diffs) - 4} more elements differ")
    for key, value in got.items():
        m = ELEMENT_KEY.match(key)
        if key in ref or key in ignored or (m and m.group(1) in ignored):
            continue
        if not re.match(r"^(forward|grad|update)\.|loss$", key):
            continue
        r = element(ref, key)
        if r is None:
            bad.append(f"{cmd} {key}: dlsolve {show(value)}, the reference has no such key")
        elif not isinstance(value, (int, float)) or not close(float(r), float(value)):
            bad.append(f"{cmd} {key}: torch {r!r}, dlsolve {value!r}, relative error "
                       f"{rel_err(float(r), float(value)) if isinstance(value, (int, float)) else math.inf:.3g}")
    return bad


def show(v):
    text = json.dumps(v)
    return text if len(text) <= 80 else text[:77] + "..."


# ================================================================ driver

def check(binary, path, problem, ref, ignored, pool):
    """('pass' | 'fail' | 'skip', lines, per-command answers)."""
    futures = {cmd: pool.submit(run, binary, cmd, path) for cmd in COMMANDS}
    results = {cmd: f.result() for cmd, f in futures.items()}
    bad, missing = [], set()
    answers = {}
    for cmd in COMMANDS:
        got, err = results[cmd]
        if err is not None:
            kind = missing_rule(binary, path, problem, err)
            if kind:
                missing.add(kind)
            else:
                bad.append(f"{cmd}: dlsolve refuses the problem ({err})")
            continue
        answers[cmd] = got
        bad += compare(cmd, ref, ignored, got)
    if bad:
        if len(bad) > MAX_LINES:
            bad = bad[:MAX_LINES] + [f"… {len(bad) - MAX_LINES} more mismatches (run dlsolve on the saved file)"]
        return "fail", bad, answers
    if missing:
        return "skip", [f"dlsolve has no numeric rule for {', '.join(sorted(missing))} yet"], answers
    return "pass", [], answers


def run_training(binary, path):
    """`train --format json`: the answers and the per-step "training" entries."""
    try:
        r = subprocess.run([binary, "train", "--format", "json", path], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, None, "dlsolve train timed out"
    if r.returncode != 0:
        lines = (r.stderr or r.stdout).strip().splitlines()
        return None, None, f"exit {r.returncode}: {lines[0] if lines else ''}"
    try:
        out = json.loads(r.stdout)
        return out["answers"], out["training"], None
    except (ValueError, KeyError, TypeError) as e:
        return None, None, f"output is not the expected JSON: {e}"


def step_states(training, ref):
    """dlsolve's per-element states as the reference's tensors: stepK.LAYER.ROLE.FIELD →
    nested lists (None where dlsolve gave no element), and the keys the reference lacks."""
    got, unknown = {}, []
    for entry in training:
        k = entry["step"]
        for name, element in entry["params"].items():
            for field, value in element.items():
                if field in ("tensor", "index"):
                    continue
                key = f"step{k}.{element['tensor']}.{field}"
                if key not in ref:
                    unknown.append(f"{key} ({name})")
                    continue
                if key not in got:
                    got[key] = blank(ref[key])
                holder, index = got[key], [i - 1 for i in element["index"]]
                for i in index[:-1]:
                    holder = holder[i]
                if index:
                    holder[index[-1]] = value
                else:
                    got[key] = value
    return got, unknown


def blank(v):
    return [blank(x) for x in v] if isinstance(v, list) else None


def check_batches(binary, path, problem, ref, ignored):
    """('pass' | 'fail', lines, answers with the per-step states) of one file with "batches"."""
    answers, training, err = run_training(binary, path)
    if err is not None:
        return "fail", [f"train: dlsolve refuses the problem ({err})"], None
    states, unknown = step_states(training, ref)
    got = dict(answers, **states)
    bad = compare("batches", ref, ignored, got)
    bad += [f"batches {key}: dlsolve has a per-step state the reference does not know" for key in unknown[:4]]
    for entry in training:
        key = f"step{entry['step']}.loss"
        if key in answers and entry.get("loss") != answers[key]:
            bad.append(f"batches {key}: the training entry says {entry.get('loss')!r}, the answer {answers[key]!r}")
    if bad:
        if len(bad) > MAX_LINES:
            bad = bad[:MAX_LINES] + [f"… {len(bad) - MAX_LINES} more mismatches (run dlsolve on the saved file)"]
        return "fail", bad, got
    return "pass", [], got


def perturbation_findings(cmd, ref, ignored, truth, key, base):
    """The self-test's three perturbations of answer `key`: × (1 + 1e-8) must be the one
    thing flagged, × (1 + 1e-11) must pass, a removed key must be flagged; and the
    unperturbed answers (`base`, what compare found on them) must have passed. Returns
    the perturbed element's index and what went wrong (empty when all held)."""
    found = []
    wrong = json.loads(json.dumps(truth))
    idx = perturb(wrong, key, 1 + 1e-8)
    flagged = compare(cmd, ref, ignored, wrong)
    if len(flagged) != 1 or not flagged[0].startswith(f"{cmd} {key}"):
        found.append(f"×(1 + 1e-8) on {key}{idx}: flagged {flagged}")
    tiny = json.loads(json.dumps(truth))
    perturb(tiny, key, 1 + 1e-11)
    if compare(cmd, ref, ignored, tiny):
        found.append(f"×(1 + 1e-11) on {key}{idx} was flagged")
    gone = json.loads(json.dumps(truth))
    del gone[key]
    flagged_gone = compare(cmd, ref, ignored, gone)
    if len(flagged_gone) != 1 or "has no such key" not in flagged_gone[0]:
        found.append(f"removing {key}: flagged {flagged_gone}")
    if base:
        found.append(f"the unperturbed answers were flagged: {base[:3]}")
    return idx, found


def self_test_batches(binary, problems):
    """As self_test, on the per-step states of train on "batches": one element of a
    rotating family (a state after some step, the value before or after, ∂L/∂w, a
    step's loss, an update, the final loss) × (1 + 1e-8) must be flagged and nothing
    else, × (1 + 1e-11) accepted, and a removed key flagged."""
    passed = failed = 0
    families = [r"\.(b|s|m|v|m_hat|v_hat|g)$", r"\.after$", r"\.grad$", r"\.before$", r"^step\d+\.loss$", r"^update\.", r"^final\.loss$"]
    for n, (path, problem, ref, ignored, meta) in enumerate(problems):
        if binary:
            outcome, lines, truth = check_batches(binary, path, problem, ref, ignored)
            if outcome != "pass":
                print(f"skip {os.path.basename(path)}: dlsolve does not answer it correctly yet ({lines[:1]})")
                continue
        else:
            truth = {k: v for k, v in ref.items() if COMMAND_KEYS["batches"].match(k)}
        base = compare("batches", ref, ignored, truth)
        keys = [k for k in truth if COMMAND_KEYS["batches"].match(k) and nonzero_leaf(truth[k])]
        family = families[n % len(families)]
        key = sorted(keys, key=lambda k: (not re.search(family, k), k))[0]
        idx, found = perturbation_findings("batches", ref, ignored, truth, key, base)
        ok = not found
        passed += ok
        failed += not ok
        print(f"ok {os.path.basename(path)}: {key}{idx} ×(1 + 1e-8) flagged, ×(1 + 1e-11) accepted, removal flagged" if ok else
              f"FAIL {os.path.basename(path)}: " + "; ".join(found))
    return passed, failed


class Tally:
    def __init__(self):
        self.rows = {}

    def add(self, group, name, outcome):
        row = self.rows.setdefault(group, {}).setdefault(name, {"pass": 0, "fail": 0, "skip": 0})
        row[outcome] += 1

    def print(self):
        for group, rows in self.rows.items():
            print(f"by {group}:")
            for name in sorted(rows):
                r = rows[name]
                print(f"  {name:28s} {r['pass']:4d} passed, {r['fail']:3d} failed, {r['skip']:3d} skipped")


def saved_problems(files):
    out = []
    for path in files:
        with open(path) as f:
            problem = json.load(f)
        ans, ignored, kinks, smallest = reference(problem)
        meta = {"focus": "file", "loss": problem["loss"], "optimizer": problem["optimizer"]["type"],
                "framework": problem.get("framework", "keras"), "tags": tags(problem)}
        if kinks.margin < KINK_MARGIN:
            print(f"  warn {path}: a kink at {kinks.where} ({kinks.margin:.2g}): gradients may legitimately differ")
        out.append((path, problem, ans, ignored, meta))
    return out


def self_test(binary, problems):
    """The comparison must accept the truth and flag a perturbed answer.

    Truth is the reference's own answers (no binary) or dlsolve's (with a binary; files
    dlsolve cannot answer, or already gets wrong, are reported and not perturbed there).
    One element per file is multiplied by 1 + 1e-8 (10× the tolerance), rotating over
    forward / loss / grad / update / step / final keys; it must be flagged, and nothing
    else.  A 1 + 1e-11 change must pass, and a removed key must be flagged."""
    passed = failed = 0
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    families = ["forward.", "loss", "grad.", "update.", "step", "final.loss"]
    for n, (path, problem, ref, ignored, meta) in enumerate(problems):
        if binary:
            outcome, lines, answers = check(binary, path, problem, ref, ignored, pool)
            if outcome != "pass":
                print(f"skip {os.path.basename(path)}: dlsolve does not answer it correctly yet ({outcome})")
                continue
            cmd = COMMANDS[n % len(COMMANDS)]
            truth = answers[cmd]
        else:
            cmd = "train"
            truth = {k: v for k, v in ref.items() if COMMAND_KEYS["train"].match(k)}
            if n % 2:
                cmd = "forward"
                truth = {k: v for k, v in ref.items() if COMMAND_KEYS["forward"].match(k)}
        base = compare(cmd, ref, ignored, truth)
        keys = [k for k in truth if any(k.startswith(f) for f in families) and nonzero_leaf(truth[k])]
        key = sorted(keys, key=lambda k: (not k.startswith(families[n % len(families)]), k))[0]
        idx, problems_found = perturbation_findings(cmd, ref, ignored, truth, key, base)
        ok = not problems_found
        passed += ok
        failed += not ok
        print(f"{'ok' if ok else 'FAIL'} {os.path.basename(path)}: {cmd} {key}{idx} ×(1 + 1e-8) flagged, "
              f"×(1 + 1e-11) accepted, removal flagged" if ok else
              f"FAIL {os.path.basename(path)}: " + "; ".join(problems_found))
    pool.shutdown()
    return passed, failed


def nonzero_leaf(v):
    while isinstance(v, list):
        v = v[0] if v else 0
    return isinstance(v, (int, float)) and abs(v) > 1e-3


def perturb(answers, key, factor):
    """Multiply the first element of answers[key] by factor; return its index text."""
    v = answers[key]
    if not isinstance(v, list):
        answers[key] = v * factor
        return ""
    index, holder = [], None
    while isinstance(v, list):
        holder = v
        index.append(0)
        v = v[0]
    holder[0] = v * factor
    return "[" + ", ".join("1" for _ in index) + "]"


USAGE = """usage: torch_numeric.py DLSOLVE [--recurrent] [--batches] [--count N] [--seed S] [--focus KIND] [--keep DIR] [--verbose] [FILE...]
       torch_numeric.py --self-test [--batches] [DLSOLVE] [--count N] [--seed S]"""


def main(argv):
    count, seed, focus, keep, verbose, selftest, listed = DEFAULT_COUNT, 1, None, None, False, False, False
    args = []
    it = iter(argv)
    try:
        for a in it:
            if a == "--count":
                count = int(next(it))
            elif a == "--seed":
                seed = int(next(it))
            elif a == "--focus":
                focus = next(it)
            elif a == "--keep":
                keep = next(it)
            elif a == "--verbose":
                verbose = True
            elif a == "--self-test":
                selftest = True
            elif a == "--batches":
                listed = True
            elif a == "--recurrent":   # the recurrent networks of issue 8 instead
                global FOCUS
                FOCUS = RECURRENT_FOCUS
                if count == DEFAULT_COUNT:
                    count = 48 * len(FOCUS)
            elif a.startswith("--"):
                raise ValueError(a)
            else:
                args.append(a)
    except (ValueError, StopIteration):
        print(USAGE, file=sys.stderr)
        return 2
    if not selftest and not args:
        print(USAGE, file=sys.stderr)
        return 2
    binary, files = (args[0], args[1:]) if args else (None, [])
    if binary and not os.access(binary, os.X_OK):
        print(f"{binary}: not an executable", file=sys.stderr)
        return 2

    started = time.time()
    workdir = tempfile.mkdtemp(prefix="torch_numeric_")
    try:
        if files:
            problems = saved_problems(files)
        else:
            problems = []
            for index in range(count):
                problem, ans, ignored, meta = generate(seed, index, focus)
                name = f"torch_numeric-s{seed}-{index:03d}-{meta['focus']}-{meta['framework']}.json"
                if listed:   # the same network on a list of batches
                    problem, ans, ignored = with_batches(problem, meta["output"], seed, index)
                    if problem is None:
                        print(f"skip {name}: no list of batches away from kinks ({ans})")
                        continue
                    name = name.replace(".json", "-batches.json")
                path = os.path.join(workdir, name)
                with open(path, "w") as f:
                    json.dump(problem, f, indent=1)
                problems.append((path, problem, ans, ignored, meta))
            if keep:
                os.makedirs(keep, exist_ok=True)
                for path, *_ in problems:
                    shutil.copy(path, keep)
        generated = time.time() - started

        if selftest:
            passed, failed = (self_test_batches if listed else self_test)(binary, problems)
            print(f"{passed} passed, {failed} failed")
            return 1 if failed or not passed else 0

        if not files and os.path.isdir(FAILURES):   # failures of an earlier run
            for old in os.listdir(FAILURES):
                if old.startswith("torch_numeric-"):
                    os.unlink(os.path.join(FAILURES, old))
        tally = Tally()
        counts = {"pass": 0, "fail": 0, "skip": 0}
        outcomes = run_all(binary, problems, listed)
        for (path, problem, ref, ignored, meta), (outcome, lines, _) in zip(problems, outcomes):
            counts[outcome] += 1
            shown = path if files else os.path.basename(path)
            if outcome == "pass":
                print(f"ok {shown} ({meta['framework']}; {', '.join(meta['tags'])}; {meta['loss']}; {meta['optimizer']})")
                if verbose:
                    for k, v in ref.items():
                        print(f"  {k} = {show(v)}")
            elif outcome == "skip":
                print(f"skip {shown}: {lines[0]}")
            else:
                saved = path
                if not files:
                    os.makedirs(FAILURES, exist_ok=True)
                    saved = os.path.join(FAILURES, os.path.basename(path))
                    shutil.copy(path, saved)
                for line in lines:
                    print(f"FAIL {os.path.relpath(saved)}: {line}")
            for t in meta["tags"]:
                tally.add("layer kind", t, outcome)
                if verbose:
                    tally.add("layer kind and framework", f"{t} / {meta['framework']}", outcome)
            tally.add("loss", meta["loss"], outcome)
            tally.add("optimizer", meta["optimizer"], outcome)
            tally.add("framework", meta["framework"], outcome)
        tally.print()
        print(f"(generated {len(problems)} problems in {generated:.1f} s, total {time.time() - started:.1f} s)")
        print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
        return 1 if counts["fail"] else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_all(binary, problems, listed=False):
    """Every file's three dlsolve commands (with --batches: train), two at a time per core."""
    workers = max(2, 2 * (os.cpu_count() or 1))
    if listed:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            jobs = [pool.submit(check_batches, binary, path, problem, ref, ignored) for path, problem, ref, ignored, meta in problems]
            return [j.result() for j in jobs]
    with ThreadPoolExecutor(max_workers=workers) as inner, ThreadPoolExecutor(max_workers=workers) as outer:
        jobs = [outer.submit(check, binary, path, problem, ref, ignored, inner)
                for path, problem, ref, ignored, meta in problems]
        return [j.result() for j in jobs]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
