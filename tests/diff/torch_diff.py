#!/usr/bin/python3
"""Differential test: dlsolve against PyTorch (torch.nn) for framework "pytorch" files.

    /usr/bin/python3 tests/diff/torch_diff.py DLSOLVE_BINARY PROBLEMS_DIR [more dirs/files]
    /usr/bin/python3 tests/diff/torch_diff.py --self-test [DLSOLVE_BINARY PROBLEMS_DIR ...]
    /usr/bin/python3 tests/diff/torch_diff.py --print FILE...     (framework numbers only)

Options: --device meta  run the forward pass on meta tensors (shapes without
                        arithmetic: fast, but PyTorch 1.13 skips some argument
                        checks there, e.g. output_padding < stride); default cpu.
         --no-torchvision  skip the torchvision reference-model check.
         --verbose      print every compared value.

Every layer of the problem becomes a real nn module (Conv2d, ConvTranspose2d,
MaxPool2d, ...).  A small graph executor feeds each module the outputs of the
layers named in `inputs` (else the previous layer), running a forward pass on
zeros, so shapes are what PyTorch computes.  Parameters are the numel of the
module's parameters (trainable = requires_grad), buffers the numel of its
buffers except num_batches_tracked.  These are compared with the answers of
`DLSOLVE params --format json FILE` and `DLSOLVE shapes --format json FILE`.
See README.md in this directory.
"""

import copy
import json
import os
import re
import subprocess
import sys

import warnings

import torch
from torch import nn

# PyTorch warns that padding='same' with an even kernel copies the input; harmless here.
warnings.filterwarnings("ignore", message="Using padding='same'")

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- outcomes

class Skip(Exception):
    """The framework cannot express this file exactly: skipped, not compared."""


class Reject(Exception):
    """The framework refuses this network: dlsolve should have refused it too."""


# ---------------------------------------------------------------- helpers

OPTIONAL = object()   # default of an optional key that has no default value
REQUIRED = object()
COMMON_KEYS = {"type", "name", "inputs", "trainable"}


def opts(spec, **allowed):
    """Read a layer's options; `allowed` maps each understood key to its default.

    Any other key makes the file a Skip, so that an option this script does not
    model can never pass silently.
    """
    for k in spec:
        if k not in COMMON_KEYS and k not in allowed:
            raise Skip(f"layer type '{spec['type']}': key '{k}' is not modelled for PyTorch")
    out = {}
    for k, default in allowed.items():
        v = spec.get(k, default)
        if v is REQUIRED:
            raise Reject(f"layer type '{spec['type']}': '{k}' is required")
        out[k] = None if v is OPTIONAL else v
    return out


def pair(v):
    """Integer or [h, w] -> (h, w)."""
    if isinstance(v, list):
        if len(v) != 2:
            raise Reject(f"expected an int or [h, w], got {v}")
        return tuple(v)
    return (v, v)


def int_padding(p, what):
    """Padding for modules that take only integers: 'valid' is exactly 0."""
    if p == "valid":
        return (0, 0)
    if p == "same":
        raise Reject(f"{what} has no padding='same' in PyTorch")
    return pair(p)


def one(xs, spec):
    if len(xs) != 1:
        raise Reject(f"layer type '{spec['type']}' takes one input, got {len(xs)}")
    return xs[0]


class HardThreshold(nn.Module):
    """Step function: 1 where x > threshold, else 0 (PyTorch has no such class)."""

    def __init__(self, threshold=0.0):
        super().__init__()
        self.threshold = threshold

    def forward(self, x):
        return (x > self.threshold).to(x.dtype)


class Reshape(nn.Module):
    """Reshape keeping the batch axis; target in [C, H, W] layout, one -1 allowed."""

    def __init__(self, target):
        super().__init__()
        self.target = tuple(target)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.target)


class Cat(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)


class Add(nn.Module):
    def forward(self, *xs):
        if any(x.shape != xs[0].shape for x in xs):
            raise Reject("add: input shapes differ: " + ", ".join(str(list(x.shape)) for x in xs))
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


def activation_module(word, alpha=0.01, threshold=0.0):
    """Activation word -> module (softmax over the channel / feature axis, dim 1)."""
    table = {
        "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "linear": nn.Identity,
        "softmax": lambda: nn.Softmax(dim=1),
        "leaky_relu": lambda: nn.LeakyReLU(alpha),
        "hard_threshold": lambda: HardThreshold(threshold),
    }
    if word not in table:
        raise Reject(f"unknown activation '{word}'")
    return table[word]()


def with_activation(module, word):
    """conv / dense with an `activation` key: the module followed by the activation."""
    return module if word is None else nn.Sequential(module, activation_module(word))


# ---------------------------------------------------------------- builders
# One function per layer kind: (spec, xs: list of input tensors) -> nn.Module.
# The input tensors carry the batch axis; the module is called as module(*xs).

def build_conv2d(spec, xs):
    o = opts(spec, filters=REQUIRED, kernel=REQUIRED, stride=1, padding=0, dilation=1, groups=1,
             use_bias=True, activation=OPTIONAL, in_channels=OPTIONAL)
    x = one(xs, spec)
    padding = o["padding"] if o["padding"] in ("same", "valid") else pair(o["padding"])
    in_channels = o["in_channels"] if o["in_channels"] is not None else x.shape[1]
    conv = nn.Conv2d(in_channels, o["filters"], pair(o["kernel"]), stride=pair(o["stride"]),
                     padding=padding, dilation=pair(o["dilation"]), groups=o["groups"], bias=o["use_bias"])
    return with_activation(conv, o["activation"])


def build_conv2d_transpose(spec, xs):
    o = opts(spec, filters=REQUIRED, kernel=REQUIRED, stride=1, padding=0, output_padding=0, dilation=1,
             groups=1, use_bias=True, activation=OPTIONAL, in_channels=OPTIONAL)
    x = one(xs, spec)
    in_channels = o["in_channels"] if o["in_channels"] is not None else x.shape[1]
    conv = nn.ConvTranspose2d(in_channels, o["filters"], pair(o["kernel"]), stride=pair(o["stride"]),
                              padding=int_padding(o["padding"], "ConvTranspose2d"),
                              output_padding=pair(o["output_padding"]), groups=o["groups"],
                              bias=o["use_bias"], dilation=pair(o["dilation"]))
    return with_activation(conv, o["activation"])


def pool_args(spec, **extra):
    o = opts(spec, pool=REQUIRED, stride=OPTIONAL, padding=0, ceil_mode=False, **extra)
    kernel = pair(o.pop("pool"))
    stride = kernel if o["stride"] is None else pair(o["stride"])
    return dict(o, kernel_size=kernel, stride=stride, padding=int_padding(o["padding"], "pooling"))


def build_maxpool2d(spec, xs):
    one(xs, spec)
    return nn.MaxPool2d(**pool_args(spec, dilation=1))


def build_avgpool2d(spec, xs):
    one(xs, spec)
    return nn.AvgPool2d(**pool_args(spec))


def build_pool1d(spec, xs):
    """nn.MaxPool1d / nn.AvgPool1d on a [C, T] sequence; the stride defaults to the pool."""
    is_max = spec["type"] == "maxpool1d"
    o = opts(spec, pool=REQUIRED, stride=OPTIONAL, padding=0, ceil_mode=False, **({"dilation": 1} if is_max else {}))
    if one(xs, spec).dim() != 3:
        raise Reject(f"{spec['type']} needs a sequence [C, T]")
    args = dict(kernel_size=o["pool"], stride=o["stride"] or o["pool"], padding=int_padding(o["padding"], "pooling")[0],
                ceil_mode=o["ceil_mode"])
    return nn.MaxPool1d(dilation=o["dilation"], **args) if is_max else nn.AvgPool1d(**args)


def build_global_pool1d(spec, xs):
    opts(spec)
    if one(xs, spec).dim() != 3:
        raise Reject(f"{spec['type']} needs a sequence [C, T]")
    return nn.AdaptiveMaxPool1d(1) if spec["type"] == "global_maxpool1d" else nn.AdaptiveAvgPool1d(1)


def build_global_avgpool2d(spec, xs):
    opts(spec)
    one(xs, spec)
    return nn.AdaptiveAvgPool2d(1)


def build_global_maxpool2d(spec, xs):
    opts(spec)
    one(xs, spec)
    return nn.AdaptiveMaxPool2d(1)


def build_adaptive_avgpool2d(spec, xs):
    o = opts(spec, output=REQUIRED)
    one(xs, spec)
    return nn.AdaptiveAvgPool2d(pair(o["output"]))


def build_upsampling2d(spec, xs):
    o = opts(spec, size=2, interpolation="nearest")
    one(xs, spec)
    return nn.Upsample(scale_factor=tuple(float(s) for s in pair(o["size"])), mode=o["interpolation"])


def build_zeropadding2d(spec, xs):
    p = opts(spec, padding=1)["padding"]
    one(xs, spec)
    if isinstance(p, list) and len(p) == 4:      # format: [top, bottom, left, right]
        top, bottom, left, right = p
    else:
        (top, left) = pair(p)
        bottom, right = top, left
    return nn.ZeroPad2d((left, right, top, bottom))   # PyTorch order: left, right, top, bottom


def build_flatten(spec, xs):
    opts(spec)
    one(xs, spec)
    return nn.Flatten()


def build_reshape(spec, xs):
    o = opts(spec, target_shape=REQUIRED)
    one(xs, spec)
    return Reshape(o["target_shape"])


def build_dense(spec, xs):
    o = opts(spec, units=REQUIRED, use_bias=True, activation=OPTIONAL, in_features=OPTIONAL)
    x = one(xs, spec)
    in_features = o["in_features"] if o["in_features"] is not None else x.shape[-1]
    return with_activation(nn.Linear(in_features, o["units"], bias=o["use_bias"]), o["activation"])


def build_batchnorm(spec, xs):
    opts(spec)
    x = one(xs, spec)
    if x.dim() == 4:
        return nn.BatchNorm2d(x.shape[1])
    if x.dim() in (2, 3):
        return nn.BatchNorm1d(x.shape[1])
    raise Reject(f"batchnorm on a {x.dim() - 1}-d sample: no BatchNorm class for it")


def build_layernorm(spec, xs):
    o = opts(spec, normalized_shape=OPTIONAL)
    x = one(xs, spec)
    shape = o["normalized_shape"] if o["normalized_shape"] is not None else x.shape[-1]
    return nn.LayerNorm(shape)


def build_dropout(spec, xs):
    o = opts(spec, rate=REQUIRED)
    one(xs, spec)
    return nn.Dropout(o["rate"])


def build_activation(spec, xs):
    """`activation` layer and the activation types relu, sigmoid, ... hard_threshold."""
    one(xs, spec)
    if spec["type"] == "activation":
        return activation_module(opts(spec, activation=REQUIRED)["activation"])
    if spec["type"] == "leaky_relu":
        return activation_module("leaky_relu", alpha=opts(spec, alpha=0.01)["alpha"])
    if spec["type"] == "hard_threshold":
        return activation_module("hard_threshold", threshold=opts(spec, threshold=0)["threshold"])
    opts(spec)
    return activation_module(spec["type"])


def build_concat(spec, xs):
    o = opts(spec, axis=1)
    return Cat(o["axis"])


def build_add(spec, xs):
    opts(spec)
    return Add()


class Recurrent(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU with batch_first=True: the whole sequence with
    return_sequences, else output[:, -1] (for a bidirectional layer the reverse
    direction's state at the last position, after one step, as PyTorch gives it)."""

    def __init__(self, module, return_sequences):
        super().__init__()
        self.rnn = module
        self.return_sequences = return_sequences

    def forward(self, x):
        out = self.rnn(x)[0]
        return out if self.return_sequences else out[:, -1]


RECURRENT_VALUE_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def build_recurrent(spec, xs):
    kind = spec["type"]
    allowed = dict(units=REQUIRED, return_sequences=False, bidirectional=False, use_bias=True, activation="tanh",
                   symbols=OPTIONAL)
    if kind != "simple_rnn":
        allowed["recurrent_activation"] = "sigmoid"
    for key in RECURRENT_VALUE_KEYS:   # values change no shape or count
        allowed[key] = OPTIONAL
        allowed[key + "_reverse"] = OPTIONAL
    if kind == "gru" and "reset_after" in spec:
        raise Reject("nn.GRU has no reset_after")
    o = opts(spec, **allowed)
    x = one(xs, spec)
    if x.dim() != 3:
        raise Reject(f"{kind} needs a sequence [T, features], got {list(x.shape[1:])}")
    common = dict(input_size=x.shape[-1], hidden_size=o["units"], bias=o["use_bias"], batch_first=True,
                  bidirectional=o["bidirectional"])
    if kind == "simple_rnn":
        if o["activation"] not in ("tanh", "relu"):
            raise Skip(f"nn.RNN has no nonlinearity '{o['activation']}'")
        module = nn.RNN(nonlinearity=o["activation"], **common)
    else:
        if o["activation"] != "tanh" or o["recurrent_activation"] != "sigmoid":
            raise Skip(f"nn.{kind.upper()} has fixed activations (tanh, sigmoid)")
        module = (nn.LSTM if kind == "lstm" else nn.GRU)(**common)
    return Recurrent(module, o["return_sequences"])


class Embedding(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.embedding = nn.Embedding(input_dim, output_dim)

    def forward(self, x):
        return self.embedding(x.long())


def build_embedding(spec, xs):
    o = opts(spec, input_dim=REQUIRED, output_dim=REQUIRED, weights=OPTIONAL, symbols=OPTIONAL)
    one(xs, spec)
    return Embedding(o["input_dim"], o["output_dim"])


def build_conv1d(spec, xs):
    o = opts(spec, filters=REQUIRED, kernel=REQUIRED, stride=1, padding=0, dilation=1, groups=1,
             use_bias=True, activation=OPTIONAL, in_channels=OPTIONAL)
    x = one(xs, spec)
    if x.dim() != 3:
        raise Reject(f"conv1d needs a sequence [C, T], got {list(x.shape[1:])}")
    in_channels = o["in_channels"] if o["in_channels"] is not None else x.shape[1]
    conv = nn.Conv1d(in_channels, o["filters"], o["kernel"], stride=o["stride"], padding=o["padding"],
                     dilation=o["dilation"], groups=o["groups"], bias=o["use_bias"])
    return with_activation(conv, o["activation"])


BUILDERS = {
    "conv1d": build_conv1d,
    "maxpool1d": build_pool1d,
    "avgpool1d": build_pool1d,
    "global_maxpool1d": build_global_pool1d,
    "global_avgpool1d": build_global_pool1d,
    "simple_rnn": build_recurrent,
    "lstm": build_recurrent,
    "gru": build_recurrent,
    "embedding": build_embedding,
    "conv2d": build_conv2d,
    "conv2d_transpose": build_conv2d_transpose,
    "maxpool2d": build_maxpool2d,
    "avgpool2d": build_avgpool2d,
    "global_avgpool2d": build_global_avgpool2d,
    "global_maxpool2d": build_global_maxpool2d,
    "adaptive_avgpool2d": build_adaptive_avgpool2d,
    "upsampling2d": build_upsampling2d,
    "zeropadding2d": build_zeropadding2d,
    "flatten": build_flatten,
    "reshape": build_reshape,
    "dense": build_dense,
    "batchnorm": build_batchnorm,
    "layernorm": build_layernorm,
    "dropout": build_dropout,
    **{t: build_activation for t in ("activation", "relu", "sigmoid", "tanh", "linear", "softmax",
                                      "leaky_relu", "hard_threshold")},
    "concat": build_concat,
    "add": build_add,
}


# ---------------------------------------------------------------- graph executor

def input_name(problem):
    return problem["input"].get("name", "input")


def count(module):
    """(trainable, non-trainable, buffer) element counts of one module."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for n, b in module.named_buffers() if not n.endswith("num_batches_tracked"))
    return trainable, frozen, buffers


def build_module(spec, xs, name, device="cpu"):
    """The module of one layer (BUILDERS), moved to `device`, in eval mode, frozen
    when `trainable` is false.  PyTorch's own refusals become Reject."""
    try:
        module = BUILDERS[spec["type"]](spec, xs).to(device).eval()
    except (Skip, Reject):
        raise
    except Exception as e:   # PyTorch refuses the layer (constructor)
        raise Reject(f"layer '{name}': PyTorch refuses it: {type(e).__name__}: {str(e).splitlines()[0]}")
    if spec.get("trainable", True) is False:
        module.requires_grad_(False)
    return module


def sample_shape(spec, problem):
    """An input's shape without the batch axis: "shape", else that of its "values" (which
    carry the batch axis when the problem gives "batch")."""
    if "shape" in spec or "values" not in spec:
        return spec["shape"]
    shape, v = [], spec["values"]
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0]
    return shape[1:] if "batch" in problem else shape


def execute(problem, make_input, on_layer, make_module=build_module):
    """Run the network layer by layer, in file order, and return {name: output}.

    make_input(shape) gives the tensor of an input (the model input and every
    `input` layer; shape without the batch axis).  make_module(spec, xs, name)
    gives a layer's module (default: build_module on the CPU).
    on_layer(name, spec, module, xs, y) is called for every layer, the inputs
    included (spec None for the model input, module None for inputs); it may
    raise.  Each module is fed the outputs of the layers named in `inputs`,
    else the previous layer's.  Importable: torch_rf_macs.py runs its variants
    of the network through this.
    """
    tensors = {}

    def record(name, spec, module, xs, y):
        if name in tensors:
            raise Reject(f"duplicate layer name '{name}'")
        tensors[name] = y
        on_layer(name, spec, module, xs, y)
        return y

    prev = record(input_name(problem), None, None, [], make_input(sample_shape(problem["input"], problem)))
    for index, spec in enumerate(problem["layers"]):
        name = spec.get("name", str(index))
        if spec["type"] == "input":
            if "values" in spec:   # an input with its own numbers (Q, K, V): its shape is theirs
                prev = record(name, spec, None, [], make_input(sample_shape(spec, problem)))
            else:
                prev = record(name, spec, None, [], make_input(opts(spec, shape=REQUIRED)["shape"]))
            continue
        if spec["type"] not in BUILDERS:
            raise Skip(f"layer type '{spec['type']}' is not modelled")
        missing = [n for n in spec.get("inputs") or [] if n not in tensors]
        if missing:
            raise Reject(f"layer '{name}': unknown input {missing}")
        xs = [tensors[n] for n in spec["inputs"]] if spec.get("inputs") else [prev]
        module = make_module(spec, xs, name)
        try:
            y = module(*xs)
        except (Skip, Reject):
            raise
        except Exception as e:   # PyTorch refuses the layer (forward)
            raise Reject(f"layer '{name}': PyTorch refuses it: {type(e).__name__}: {str(e).splitlines()[0]}")
        prev = record(name, spec, module, xs, y)
    return tensors


def framework_answers(problem, device="cpu"):
    """Run the network on zeros layer by layer; answers in dlsolve's key format.

    The forward pass runs with a batch of 1 (no layer here mixes samples, and a
    big `batch` would only cost time); the `batch` axis is put back in the
    answers when the problem gives one.
    """
    answers = {}
    totals = [0, 0, 0]

    def record(name, spec, module, xs, y):
        counts = count(module) if module is not None else (0, 0, 0)
        answers[f"shapes.{name}"] = ([problem["batch"]] if "batch" in problem else []) + list(y.shape[1:])
        answers[f"params.{name}"] = counts[0] + counts[1]
        if counts[2]:   # like dlsolve, buffers.LAYER only for layers that have buffers
            answers[f"buffers.{name}"] = counts[2]
        for i in range(3):
            totals[i] += counts[i]

    with torch.no_grad():
        execute(problem, lambda shape: torch.zeros(1, *shape, device=device), record,
                lambda spec, xs, name: build_module(spec, xs, name, device))
    answers["params.total"] = totals[0] + totals[1]
    answers["params.trainable"] = totals[0]
    answers["params.non_trainable"] = totals[1]
    answers["buffers.total"] = totals[2]
    return answers


# ---------------------------------------------------------------- torchvision reference

TORCHVISION = [  # (title pattern, torchvision.models constructor name)
    (r"\bvgg[- ]?11\b", "vgg11"), (r"\bvgg[- ]?13\b", "vgg13"), (r"\bvgg[- ]?16\b", "vgg16"),
    (r"\bvgg[- ]?19\b", "vgg19"), (r"\balexnet\b", "alexnet"),
    (r"\bresnet[- ]?18\b", "resnet18"), (r"\bresnet[- ]?34\b", "resnet34"), (r"\bresnet[- ]?50\b", "resnet50"),
]


def torchvision_check(problem, dl_answers):
    """Compare params.total with torchvision.models.<name>() (no weights).

    Returns (line, counts_as_failure).  A difference counts as a failure only
    when the problem is the canonical model (input [3, 224, 224], last layer
    with 1000 outputs); otherwise it is a variant and the line is a note.
    """
    title = problem.get("title", "").lower()
    for pattern, ctor in TORCHVISION:
        if re.search(pattern, title):
            break
    else:
        return None, False
    try:
        import torchvision
        model = getattr(torchvision.models, ctor)()
    except Exception as e:
        return f"torchvision {ctor}: unavailable ({type(e).__name__}: {e})", False
    reference = sum(p.numel() for p in model.parameters())
    got = dl_answers.get("params.total")
    last = problem["layers"][-1]
    canonical = problem["input"]["shape"] == [3, 224, 224] and any(
        last.get(k) == 1000 for k in ("units", "filters"))
    if got == reference:
        return f"torchvision {ctor}: {reference} parameters, dlsolve agrees", False
    kind = "MISMATCH" if canonical else "note (variant of the model, not compared)"
    return f"torchvision {ctor}: {reference} parameters, dlsolve params.total {got}: {kind}", canonical


# ---------------------------------------------------------------- dlsolve

def run_dlsolve(binary, path):
    """Merged answers of `params` and `shapes`, or (None, error message)."""
    answers = {}
    for cmd in ("params", "shapes"):
        try:
            r = subprocess.run([binary, cmd, "--format", "json", path], capture_output=True, text=True)
        except OSError as e:
            sys.exit(f"cannot run {binary}: {e}")
        if r.returncode != 0:
            first = (r.stderr or r.stdout).strip().splitlines()
            return None, f"dlsolve {cmd} exited {r.returncode}: {first[0] if first else ''}"
        try:
            answers.update(json.loads(r.stdout)["answers"])
        except (ValueError, KeyError, TypeError) as e:
            return None, f"dlsolve {cmd}: output is not the expected JSON: {e}"
    return answers, None


# ---------------------------------------------------------------- comparison

COMPARED = re.compile(r"^(shapes|params|buffers)\.")


def show(v):
    return json.dumps(v, separators=(",", ":"))


def compare(fw, dl):
    """Mismatch strings: every framework key must be in dlsolve's answers with
    the same value; every shapes/params/buffers key of dlsolve's must be known
    to the framework (catches naming disagreements)."""
    bad = []
    for k, v in fw.items():
        if k not in dl:
            bad.append(f"{k}: framework {show(v)}, dlsolve has no such key")
        elif show(dl[k]) != show(v):
            bad.append(f"{k}: framework {show(v)}, dlsolve {show(dl[k])}")
    for k, v in dl.items():
        if COMPARED.match(k) and k not in fw:
            bad.append(f"{k}: dlsolve {show(v)}, framework has no such key")
    return bad


def expect_warnings(problem, fw):
    """Answer-key cross-check: `expect` values the framework contradicts (informational)."""
    return [f"{k}: expect {show(v)}, framework {show(fw[k])}"
            for k, v in (problem.get("expect") or {}).items() if k in fw and show(fw[k]) != show(v)]


# ---------------------------------------------------------------- files

def problem_files(args):
    files = []
    for a in args:
        if os.path.isdir(a):
            for root, _, names in os.walk(a):
                files += [os.path.join(root, n) for n in names if n.endswith(".json")]
        elif os.path.exists(a):
            files.append(a)
        else:
            print(f"warn: {a} does not exist")
    return sorted(files)


def load_problem(path):
    """The problem, or None when the file is not a problem object."""
    try:
        with open(path) as f:
            p = json.load(f)
    except (OSError, ValueError):
        return None
    return p if isinstance(p, dict) and isinstance(p.get("layers"), list) and "input" in p else None


def is_pytorch(problem):
    return problem.get("framework", "keras") == "pytorch"


def check_file(binary, path, problem, flags):
    """Check one file; returns 'pass' | 'fail' | 'skip' (and prints its lines)."""
    fw, fw_error = None, None
    try:
        fw = framework_answers(problem, flags["device"])
    except Skip as e:
        print(f"skip {path}: {e}")
        return "skip"
    except Exception as e:
        fw_error = str(e) if isinstance(e, Reject) else f"{type(e).__name__}: {e}"
    dl, dl_error = run_dlsolve(binary, path)
    if fw_error is not None:
        if dl_error:
            print(f"skip {path}: both reject (framework: {fw_error}; {dl_error})")
            return "skip"
        print(f"FAIL {path}: framework rejects the network ({fw_error}) but dlsolve answers it")
        return "fail"
    if dl_error:
        print(f"FAIL {path}: {dl_error}")
        return "fail"
    for w in expect_warnings(problem, fw):
        print(f"  warn {path}: {w}")
    if flags["verbose"]:
        for k, v in fw.items():
            print(f"  {k} = {show(v)}")
    bad = compare(fw, dl)
    if flags["torchvision"]:
        line, failing = torchvision_check(problem, dl)
        if line:
            print(f"  {line}")
        if failing:
            bad.append(line)
    if not bad:
        print(f"ok {path} ({len(problem['layers'])} layers)")
        return "pass"
    for b in bad:
        print(f"FAIL {path}: {b}")
    return "fail"


# ---------------------------------------------------------------- self-test

def perturb(answers):
    """Perturb, in place, one layer's params count (the first non-zero one, else
    the total) and one shape (the last layer's); return the two keys."""
    totals = {"params.total", "params.trainable", "params.non_trainable"}
    p = next((k for k, v in answers.items() if k.startswith("params.") and k not in totals and v > 0),
             "params.total")
    s = [k for k, v in answers.items() if k.startswith("shapes.") and isinstance(v, list) and v][-1]
    answers[p] += 1
    answers[s] = [answers[s][0] + 1] + answers[s][1:]
    return [p, s]


def self_test(binary, files, flags):
    """For each file: the comparison must accept the true answers (the
    framework's own; with a binary, dlsolve's, less what dlsolve already gets
    wrong) and flag the two perturbed keys and nothing else."""
    passed = failed = 0
    for path in files:
        problem = load_problem(path)
        if not problem or not is_pytorch(problem) or any(v is None for v in (problem.get("dims") or {}).values()):
            continue
        try:
            fw = framework_answers(problem, flags["device"])
        except Exception as e:
            print(f"skip {path}: {e}")
            continue
        truth = fw
        if binary:
            truth, err = run_dlsolve(binary, path)
            if err:
                print(f"skip {path}: {err}")
                continue
        wrong = copy.deepcopy(truth)
        keys = perturb(wrong)
        key_of = lambda m: m.split(": ")[0]
        baseline = [key_of(m) for m in compare(fw, truth)]
        flagged = [key_of(m) for m in compare(fw, wrong)]
        extra = [k for k in flagged if k not in keys and k not in baseline]
        ok = all(k in flagged for k in keys) and not extra and (bool(binary) or not baseline)
        passed += ok
        failed += not ok
        print(f"{'ok' if ok else 'FAIL'} {path}: perturbed {' and '.join(keys)}; flagged {', '.join(flagged) or 'nothing'}")
        if baseline:
            print(f"  ({'dlsolve already disagrees' if binary else 'unperturbed answers flagged'}: {', '.join(baseline)})")
    if passed + failed == 0:
        print("self-test: no pytorch problem file")
        failed = 1
    return passed, failed


# ---------------------------------------------------------------- main

USAGE = """usage: torch_diff.py [--device cpu|meta] [--no-torchvision] [--verbose] DLSOLVE_BINARY PROBLEMS_DIR|FILE...
       torch_diff.py --self-test [DLSOLVE_BINARY PROBLEMS_DIR|FILE...]
       torch_diff.py --print PROBLEMS_DIR|FILE..."""


def parse_command_line(argv, flags):
    """The differential scripts' shared options: --device D, --verbose, --self-test,
    --print, and `--no-NAME` for a boolean flag NAME the script has. Sets `flags` and
    returns (mode, positional arguments), or None for an unknown option."""
    mode, args = "diff", []
    it = iter(argv)
    for a in it:
        if a == "--device":
            flags["device"] = next(it, "cpu")
        elif a == "--verbose":
            flags["verbose"] = True
        elif a.startswith("--no-") and isinstance(flags.get(a[5:]), bool):
            flags[a[5:]] = False
        elif a in ("--self-test", "--print"):
            mode = a[2:]
        elif a.startswith("--"):
            return None
        else:
            args.append(a)
    return mode, args


def check_files(binary, paths, check, wanted=lambda problem: True):
    """Runs check(binary, path, problem) -> "pass" | "fail" | "skip" on every problem file
    that `wanted` accepts; returns (passed, failed, skipped)."""
    passed = failed = skipped = 0
    for path in problem_files(paths):
        problem = load_problem(path)
        if problem is None:
            print(f"skip {path}: not a problem file")
            skipped += 1
            continue
        if not wanted(problem):
            continue
        if any(v is None for v in (problem.get("dims") or {}).values()):
            print(f"skip {path}: sizes in symbols (\"dims\" without values): no framework builds them")
            skipped += 1
            continue
        result = check(binary, path, problem)
        passed += result == "pass"
        failed += result == "fail"
        skipped += result == "skip"
    return passed, failed, skipped


def main(argv):
    flags = {"device": "cpu", "verbose": False, "torchvision": True}
    parsed = parse_command_line(argv, flags)
    if parsed is None:
        print(USAGE, file=sys.stderr)
        return 2
    mode, args = parsed
    passed = failed = skipped = 0
    if mode == "print":
        for path in problem_files(args):
            problem = load_problem(path)
            if not problem or not is_pytorch(problem):
                continue
            print(path)
            try:
                for k, v in framework_answers(problem, flags["device"]).items():
                    print(f"  {k} = {show(v)}")
            except Exception as e:
                print(f"  {type(e).__name__}: {e}")
        return 0
    if mode == "self-test":
        binary = args[0] if len(args) >= 2 else None
        files = problem_files(args[1:] if binary else [os.path.join(HERE, "fixtures")])
        passed, failed = self_test(binary, files, flags)
    else:
        if len(args) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        passed, failed, skipped = check_files(args[0], args[1:], lambda b, p, problem: check_file(b, p, problem, flags),
                                              is_pytorch)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
