#!/usr/bin/python3
"""Differential test of the Python reader: generated networks written as Keras and
PyTorch source must read back to the same shapes and counts as their JSON form.

    /usr/bin/python3 tests/import/code_diff.py DLSOLVE [--count N] [--seed S] [--keep DIR] [--self-test]

The networks come from the generators of two differential suites:
tests/diff/torch_numeric.py (dense, convolution, pooling, normalisation, merge and
activation layers, both frameworks) and tests/diff/recurrent_counts.py (embeddings and
SimpleRNN / LSTM / GRU stacks). Each generated problem is reduced to its network
(values, losses and optimizers dropped), then written from that description as the
source a student would write: Keras's functional API (keras.Input, layers.X(...)(x),
layers.Concatenate()([...]), keras.Model) and a PyTorch nn.Module (layers assigned to
self in __init__, applied in forward with F.relu, torch.cat, +, x.view). `dlsolve
params` and `dlsolve shapes` on the JSON and on the source must agree: the totals
(parameters, trainable, non-trainable, buffers), the output shape, and, in order, the
count and shape of every layer that has parameters. A PyTorch source needs each
layer's input size (in_channels, in_features): it is taken from dlsolve's shapes of the
JSON. Networks whose layers the source cannot state (a hard threshold, a frozen layer
in PyTorch, PyTorch recurrent layers, which the reader does not read) are skipped and
counted. Fails when a network disagrees or fewer than 200 per framework were compared.
--self-test changes one layer's size in the written source of a few networks and
checks that every change is caught.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "diff"))
import recurrent_counts  # noqa: E402
import torch_numeric  # noqa: E402

MIN_COMPARED = 200
LAYER_KEYS = {"name", "type", "inputs", "trainable", "filters", "kernel", "stride", "padding", "dilation", "groups", "use_bias",
              "activation", "output_padding", "pool", "output", "size", "interpolation", "target_shape", "units", "epsilon",
              "rate", "alpha", "axis", "input_dim", "output_dim", "return_sequences", "bidirectional", "reset_after",
              "recurrent_activation", "ceil_mode", "factor", "normalized_shape"}


class Unwritable(Exception):
    pass


def network(problem):
    """The problem's network only, every layer named (l0, l1, … when unnamed)."""
    inp = problem["input"]
    shape = inp.get("shape")
    if shape is None:
        values = inp["values"]
        if "batch" in problem:
            values = values[0]
        shape = []
        while isinstance(values, list):
            shape.append(len(values))
            values = values[0]
    layers = []
    for i, layer in enumerate(problem["layers"]):
        unknown = set(layer) - LAYER_KEYS - {"weights", "bias", "symbols", "mask", "gamma", "beta", "moving_mean", "moving_variance"}
        if unknown:
            raise Unwritable(f"keys {sorted(unknown)}")
        kept = {k: v for k, v in layer.items() if k in LAYER_KEYS}
        kept.setdefault("name", f"l{i}")
        layers.append(kept)
    return {"title": problem["title"], "framework": problem.get("framework", "keras"),
            "input": {"name": inp.get("name", "input"), "shape": shape}, "layers": layers}


def run(dlsolve, command, path):
    out = subprocess.run([dlsolve, command, "--format", "json", path], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return json.loads(out.stdout)["answers"], None


def py(v):
    """A JSON value as Python source."""
    if isinstance(v, list):
        return "(" + ", ".join(py(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, str):
        return repr(v)
    return repr(v)


def args(pairs):
    return ", ".join(f"{k}={py(v)}" if k else py(v) for k, v in pairs if v is not None)


ACTIVATION_WORDS = {"relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu"}


def keras_source(net):
    lines = ["from tensorflow import keras", "from tensorflow.keras import layers", "",
             f"x_input = keras.Input(shape={py(net['input']['shape'])}, name={py(net['input']['name'])})"]
    var = {net["input"]["name"]: "x_input"}
    prev = "x_input"
    for i, l in enumerate(net["layers"]):
        t, name = l["type"], l["name"]
        ins = [var[n] for n in l.get("inputs", [])] or [prev]
        common = [("name", name)] + ([("trainable", False)] if l.get("trainable") is False else [])
        act = l.get("activation")
        if act is not None and act not in ACTIVATION_WORDS:
            raise Unwritable(f"activation {act}")
        if t in ("conv2d", "conv2d_transpose", "conv1d"):
            cls = {"conv2d": "Conv2D", "conv2d_transpose": "Conv2DTranspose", "conv1d": "Conv1D"}[t]
            call = f"layers.{cls}(" + args([("filters", l["filters"]), ("kernel_size", l["kernel"]), ("strides", l.get("stride")),
                                             ("padding", l.get("padding")), ("output_padding", l.get("output_padding")),
                                             ("dilation_rate", l.get("dilation")), ("groups", l.get("groups")),
                                             ("activation", act), ("use_bias", l.get("use_bias"))] + common) + ")"
        elif t in ("maxpool2d", "avgpool2d", "maxpool1d", "avgpool1d"):
            cls = {"maxpool2d": "MaxPooling2D", "avgpool2d": "AveragePooling2D", "maxpool1d": "MaxPooling1D", "avgpool1d": "AveragePooling1D"}[t]
            call = f"layers.{cls}(" + args([("pool_size", l.get("pool")), ("strides", l.get("stride")), ("padding", l.get("padding"))] + common) + ")"
        elif t in ("global_avgpool2d", "global_maxpool2d", "global_avgpool1d", "global_maxpool1d"):
            cls = {"global_avgpool2d": "GlobalAveragePooling2D", "global_maxpool2d": "GlobalMaxPooling2D",
                   "global_avgpool1d": "GlobalAveragePooling1D", "global_maxpool1d": "GlobalMaxPooling1D"}[t]
            call = f"layers.{cls}(" + args(common) + ")"
        elif t == "upsampling2d":
            call = "layers.UpSampling2D(" + args([("size", l.get("size")), ("interpolation", l.get("interpolation"))] + common) + ")"
        elif t == "zeropadding2d":
            p = l.get("padding")
            if isinstance(p, list) and len(p) == 4:
                raise Unwritable("four-sided padding")
            call = "layers.ZeroPadding2D(" + args([("padding", p)] + common) + ")"
        elif t == "flatten":
            call = "layers.Flatten(" + args(common) + ")"
        elif t == "reshape":
            call = "layers.Reshape(" + args([("target_shape", l["target_shape"])] + common) + ")"
        elif t == "dense":
            call = "layers.Dense(" + args([("units", l["units"]), ("activation", act), ("use_bias", l.get("use_bias"))] + common) + ")"
        elif t == "batchnorm":
            call = "layers.BatchNormalization(" + args([("epsilon", l.get("epsilon"))] + common) + ")"
        elif t == "layernorm":
            call = "layers.LayerNormalization(" + args([("epsilon", l.get("epsilon"))] + common) + ")"
        elif t == "dropout":
            call = "layers.Dropout(" + args([("rate", l["rate"])] + common) + ")"
        elif t in ACTIVATION_WORDS or t == "activation":
            word = l["activation"] if t == "activation" else t
            if word not in ACTIVATION_WORDS:
                raise Unwritable(f"activation {word}")
            if word == "leaky_relu" and "alpha" in l:
                call = "layers.LeakyReLU(" + args([("negative_slope", l["alpha"])] + common) + ")"
            else:
                call = "layers.Activation(" + args([("activation", word)] + common) + ")"
        elif t in ("concat", "add", "subtract", "multiply"):
            cls = {"concat": "Concatenate", "add": "Add", "subtract": "Subtract", "multiply": "Multiply"}[t]
            call = f"layers.{cls}(" + args([("axis", l.get("axis"))] + common) + ")"
            lines.append(f"x{i} = {call}([{', '.join(ins)}])")
            var[name] = prev = f"x{i}"
            continue
        elif t == "embedding":
            call = "layers.Embedding(" + args([("input_dim", l["input_dim"]), ("output_dim", l["output_dim"])] + common) + ")"
        elif t in ("simple_rnn", "lstm", "gru"):
            cls = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[t]
            inner = args([("units", l["units"]), ("activation", act), ("use_bias", l.get("use_bias")),
                          ("return_sequences", l.get("return_sequences")), ("reset_after", l.get("reset_after"))])
            call = (f"layers.Bidirectional(layers.{cls}({inner}), " + args(common) + ")") if l.get("bidirectional") \
                else f"layers.{cls}(" + (inner + ", " if inner else "") + args(common) + ")"
        else:
            raise Unwritable(f"layer type {t}")
        lines.append(f"x{i} = {call}({ins[0]})")
        var[name] = prev = f"x{i}"
    lines.append(f"model = keras.Model(inputs=x_input, outputs={prev})")
    return "\n".join(lines) + "\n"


def torch_source(net, shapes):
    """`shapes`: dlsolve's output shape of the input and of every layer, by name."""
    init, forward = [], []
    var = {net["input"]["name"]: "x"}
    prev = "x"
    for i, l in enumerate(net["layers"]):
        t, name = l["type"], l["name"]
        if l.get("trainable") is False:
            raise Unwritable("a frozen layer")
        in_names = l.get("inputs") or [None]
        ins = [var[n] for n in l.get("inputs", [])] or [prev]
        src = in_names[0] if in_names[0] else (net["layers"][i - 1]["name"] if i else net["input"]["name"])
        in_shape = shapes[src]
        attr = f"m{i}"
        act = l.get("activation")
        module = None
        if t in ("conv2d", "conv2d_transpose", "conv1d"):
            cls = {"conv2d": "Conv2d", "conv2d_transpose": "ConvTranspose2d", "conv1d": "Conv1d"}[t]
            module = f"nn.{cls}(" + args([(None, in_shape[0]), (None, l["filters"]), (None, l["kernel"]), ("stride", l.get("stride")),
                                          ("padding", l.get("padding")), ("output_padding", l.get("output_padding")),
                                          ("dilation", l.get("dilation")), ("groups", l.get("groups")), ("bias", l.get("use_bias"))]) + ")"
        elif t in ("maxpool2d", "avgpool2d", "maxpool1d", "avgpool1d"):
            cls = {"maxpool2d": "MaxPool2d", "avgpool2d": "AvgPool2d", "maxpool1d": "MaxPool1d", "avgpool1d": "AvgPool1d"}[t]
            module = f"nn.{cls}(" + args([(None, l["pool"]), ("stride", l.get("stride")), ("padding", l.get("padding")),
                                          ("dilation", l.get("dilation")), ("ceil_mode", l.get("ceil_mode"))]) + ")"
        elif t in ("global_avgpool1d", "global_maxpool1d"):
            module = f"nn.{'AdaptiveMaxPool1d' if t == 'global_maxpool1d' else 'AdaptiveAvgPool1d'}(1)"
        elif t in ("global_avgpool2d", "global_maxpool2d", "adaptive_avgpool2d"):
            cls = "AdaptiveMaxPool2d" if t == "global_maxpool2d" else "AdaptiveAvgPool2d"
            module = f"nn.{cls}({py(l.get('output', 1))})"
        elif t == "upsampling2d":
            module = "nn.Upsample(" + args([("scale_factor", l.get("size", 2)), ("mode", l.get("interpolation"))]) + ")"
        elif t == "zeropadding2d":
            p = l.get("padding", 1)
            if isinstance(p, list):
                p = [p[1], p[1], p[0], p[0]] if len(p) == 2 else [p[2], p[3], p[0], p[1]]
            module = f"nn.ZeroPad2d({py(p)})"
        elif t == "flatten":
            forward.append(f"        x{i} = torch.flatten({ins[0]}, 1)")
        elif t == "reshape":
            forward.append(f"        x{i} = {ins[0]}.view({ins[0]}.size(0), {', '.join(str(d) for d in l['target_shape'])})")
        elif t == "dense":
            module = "nn.Linear(" + args([(None, in_shape[-1]), (None, l["units"]), ("bias", l.get("use_bias"))]) + ")"
        elif t == "batchnorm":
            module = f"nn.BatchNorm{'2d' if len(in_shape) == 3 else '1d'}(" + args([(None, in_shape[0]), ("eps", l.get("epsilon"))]) + ")"
        elif t == "layernorm":
            module = "nn.LayerNorm(" + args([(None, l.get("normalized_shape", in_shape[-1])), ("eps", l.get("epsilon"))]) + ")"
        elif t == "dropout":
            module = f"nn.Dropout({py(l['rate'])})"
        elif t == "embedding":
            module = f"nn.Embedding({l['input_dim']}, {l['output_dim']})"
        elif t in ACTIVATION_WORDS or t == "activation":
            act, t = (l["activation"] if t == "activation" else t), "activation"
        elif t in ("concat", "add", "subtract", "multiply"):
            if t == "concat":
                forward.append(f"        x{i} = torch.cat([{', '.join(ins)}], dim={l.get('axis', 1)})")
            else:
                op = {"add": " + ", "subtract": " - ", "multiply": " * "}[t]
                forward.append(f"        x{i} = {op.join(ins)}")
        else:
            raise Unwritable(f"layer type {t}")
        if module:
            init.append(f"        self.{attr} = {module}")
            forward.append(f"        x{i} = self.{attr}({ins[0]})")
        if act is not None:
            last = f"x{i}" if (module or t != "activation") else ins[0]
            fn = {"relu": "F.relu({})", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})", "softmax": "F.softmax({}, dim=1)",
                  "leaky_relu": "F.leaky_relu({}, " + py(l.get("alpha", 0.01)) + ")"}.get(act)
            if act == "linear":
                if t == "activation":
                    raise Unwritable("a linear activation layer")
                fn = "{}"
            if fn is None or (act == "softmax" and len(shapes[name]) != 1):
                raise Unwritable(f"activation {act}")
            forward.append(f"        x{i} = {fn.format(last)}")
        var[name] = prev = f"x{i}"
    shape = ", ".join(str(d) for d in net["input"]["shape"])
    return "\n".join(["import torch", "import torch.nn as nn", "import torch.nn.functional as F", "", "",
                      "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()"] + init +
                     ["", "    def forward(self, x):"] + forward + [f"        return {prev}", "", "",
                      "model = Net()", f"example_input = torch.randn(1, {shape})", ""])


def digest(dlsolve, path, layers):
    """Totals, output shape, and (count, shape) of every layer with parameters, in order."""
    params, err = run(dlsolve, "params", path)
    if err:
        return None, err
    shapes, err = run(dlsolve, "shapes", path)
    if err:
        return None, err  # on success the second value is the shapes by layer name
    shape_list = [v for k, v in shapes.items() if k.startswith("shapes.")]
    per_layer = [(k[len("params."):], v) for k, v in params.items() if k.startswith("params.") and k not in
                 ("params.total", "params.trainable", "params.non_trainable")]
    weighted = [(v, shapes.get(f"shapes.{n}")) for n, v in per_layer if v]
    totals = {k: v for k, v in params.items() if k in ("params.total", "params.trainable", "params.non_trainable")}
    totals["buffers"] = sum(v for k, v in params.items() if k.startswith("buffers."))
    by_name = {k[len("shapes."):]: v for k, v in shapes.items() if k.startswith("shapes.")}
    return {"totals": totals, "output": shape_list[-1], "weighted": weighted}, by_name


def main(argv):
    dlsolve = next((a for a in argv if not a.startswith("--")), None)
    if not dlsolve:
        raise SystemExit(__doc__)
    opt = lambda flag, default: argv[argv.index(flag) + 1] if flag in argv else default
    count, seed, keep = int(opt("--count", "560")), int(opt("--seed", "13")), opt("--keep", None)
    self_test = "--self-test" in argv
    problems = [torch_numeric.generate(seed, i)[0] for i in range(count)]
    # recurrent networks: Keras only (the reader does not read PyTorch's recurrent layers, whose output is a tuple);
    # the 1-D convolution and pooling networks (every third) in both frameworks
    problems += [recurrent_counts.generate(k, seed)[1] for k in range(0, count // 3) if k % 2 == 0 or k % 3 == 2]
    compared = {"keras": 0, "pytorch": 0}
    skipped, failures, planted, caught = {}, [], 0, 0
    work = keep or tempfile.mkdtemp(prefix="code_diff_")
    os.makedirs(work, exist_ok=True)
    for k, problem in enumerate(problems):
        if self_test and planted >= 12:
            break
        try:
            net = network(problem)
        except Unwritable as e:
            skipped[str(e)] = skipped.get(str(e), 0) + 1
            continue
        fw = net["framework"]
        base = os.path.join(work, f"net{k:04d}_{fw}")
        with open(base + ".json", "w") as f:
            json.dump(net, f)
        ref, shapes = digest(dlsolve, base + ".json", net["layers"])
        if ref is None:
            skipped["dlsolve refuses the JSON"] = skipped.get("dlsolve refuses the JSON", 0) + 1
            continue
        try:
            if fw == "keras":
                source = keras_source(net)
            else:
                source = torch_source(net, shapes)
        except Unwritable as e:
            skipped[f"{fw}: {e}"] = skipped.get(f"{fw}: {e}", 0) + 1
            continue
        if self_test:
            if not any(f"({d}" in source or f", {d}" in source for d in range(2, 9)):
                continue
            # one layer size one larger: the first "units=N", "filters=N" or nn.Linear/Conv output size
            changed = source
            for key in ("units=", "filters="):
                at = changed.find(key)
                if at >= 0:
                    end = at + len(key)
                    digits = ""
                    while changed[end].isdigit():
                        digits += changed[end]
                        end += 1
                    changed = changed[:at + len(key)] + str(int(digits) + 1) + changed[end:]
                    break
            if changed == source and "nn.Linear(" in source:
                at = source.index("nn.Linear(") + len("nn.Linear(")
                first, rest = source[at:].split(", ", 1)
                second, tail = rest.split(")", 1)[0], rest.split(")", 1)[1]
                n = second.split(",")[0]
                changed = source[:at] + first + ", " + str(int(n) + 1) + second[len(n):] + ")" + tail
            if changed == source:
                continue
            source = changed
            planted += 1
        with open(base + ".py", "w") as f:
            f.write(source)
        got, err = digest(dlsolve, base + ".py", None)
        err = err if got is None else None
        same = err is None and got == ref
        if self_test:
            caught += not same
            continue
        compared[fw] += 1
        if not same:
            failures.append(f"{base}.py: " + (err or f"code {got} vs JSON {ref}"))
    if self_test:
        ok = planted >= 10 and caught == planted
        print(f"self test: {caught} of {planted} planted changes caught")
        return 0 if ok else 1
    for f in failures[:20]:
        print("FAIL " + f)
    print(f"compared {compared['keras']} Keras and {compared['pytorch']} PyTorch networks: {sum(compared.values()) - len(failures)} agree, {len(failures)} differ")
    for why, n in sorted(skipped.items()):
        print(f"  skipped {n}: {why}")
    if failures or min(compared.values()) < MIN_COMPARED:
        if not failures:
            print(f"FAIL: fewer than {MIN_COMPARED} networks compared for a framework")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
