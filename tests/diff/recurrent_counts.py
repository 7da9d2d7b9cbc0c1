#!/usr/bin/python3
"""Shapes and parameter counts of generated recurrent networks, against TensorFlow.js
(Keras files) and PyTorch (PyTorch files).

    /usr/bin/python3 tests/diff/recurrent_counts.py DLSOLVE_BINARY [--count N] [--seed S] [--keep DIR]

Generates N problem files (default 300, half per framework). Two in three: an optional
Embedding, a stack of 1-3 SimpleRNN / LSTM / GRU layers (units, bidirectional,
use_bias, return_sequences, Keras GRU reset_after drawn at random; every layer
but the last returns sequences), and optionally a Dense on the last axis or a
Flatten and a Dense.  One in three: Conv1D and MaxPooling1D / AveragePooling1D blocks
(valid or same; PyTorch's padding, ceil_mode and dilation) and a global 1-D pooling or a
Flatten, then a Dense.  The Keras files go through keras_tfjs.mjs and the PyTorch
files through torch_diff.py, which build the networks in the frameworks and
compare every layer's shape and count with dlsolve's.  Fails when either script
fails a file, or when fewer than 100 files per framework were compared (tfjs
skips the Keras GRUs with reset_after=True: it has no such option).
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MIN_COMPARED = 100


def sliding(n, kernel, stride, pad, same, ceil_mode=False, dilation=1):
    """Output length of a window over n steps (Keras "same": ⌈n/s⌉), or 0 when none fits."""
    if same:
        return -(-n // stride)
    span = dilation * (kernel - 1) + 1
    if n + 2 * pad < span:
        return 0
    out = (n + 2 * pad - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + pad:  # PyTorch: the last window starts inside
        out -= 1
    return out


def generate_conv(rng, framework, k):
    """Conv1D and 1-D pooling over a sequence ([T, C] in Keras, [C, T] in PyTorch), then a
    global pooling and a Dense, or a Flatten and a Dense."""
    keras = framework == "keras"
    steps, channels = rng.randint(4, 40), rng.randint(1, 8)
    layers, t = [], steps
    for _ in range(rng.randint(1, 2)):
        kernel = rng.randint(1, min(5, t))
        same = keras and rng.random() < 0.4
        layer = {"type": "conv1d", "filters": rng.randint(1, 8), "kernel": kernel}
        if same:
            layer["padding"] = "same"
        t = sliding(t, kernel, 1, 0, same)
        layers.append(layer)
        kind = rng.choice(["maxpool1d", "avgpool1d"])
        pool = rng.randint(1, min(4, t))
        stride = rng.choice([None, rng.randint(1, 3)])
        layer = {"type": kind, "pool": pool}
        if stride:
            layer["stride"] = stride
        pad, same, ceil_mode, dilation = 0, False, False, 1
        if keras and rng.random() < 0.4:
            same = True
            layer["padding"] = "same"
        elif not keras:
            pad = rng.randint(0, pool // 2)
            if pad:
                layer["padding"] = pad
            ceil_mode = rng.random() < 0.3
            if ceil_mode:
                layer["ceil_mode"] = True
            if kind == "maxpool1d" and rng.random() < 0.2:
                dilation = 2
                layer["dilation"] = 2
        t = sliding(t, pool, stride or pool, pad, same, ceil_mode, dilation)
        if t < 1:
            return None
        layers.append(layer)
    if rng.random() < 0.6:
        layers.append({"type": rng.choice(["global_maxpool1d", "global_avgpool1d"])})
        if not keras:
            layers.append({"type": "flatten"})
    else:
        layers.append({"type": "flatten"})
    layers.append({"type": "dense", "units": rng.randint(1, 10)})
    return {"title": f"generated 1-D convolution and pooling network {k}", "framework": framework,
            "input": {"shape": [steps, channels] if keras else [channels, steps]}, "layers": layers,
            "ask": ["shapes", "params"]}


def generate(k, seed):
    rng = random.Random(seed * 100003 + k)
    framework = "keras" if k % 2 == 0 else "pytorch"
    if k % 3 == 2:  # a third: 1-D convolutions and pooling
        while True:
            problem = generate_conv(rng, framework, k)
            if problem:
                return framework, problem
    steps = rng.randint(1, 12)
    layers = []
    if rng.random() < 0.3:
        shape = [steps]
        layers.append({"type": "embedding", "input_dim": rng.randint(2, 500), "output_dim": rng.randint(1, 16)})
    else:
        shape = [steps, rng.randint(1, 10)]
    depth = rng.randint(1, 3)
    for d in range(depth):
        kind = ["simple_rnn", "lstm", "gru"][rng.randrange(3)]
        layer = {"type": kind, "units": rng.randint(1, 12)}
        if rng.random() < 0.4:
            layer["bidirectional"] = True
        if rng.random() < 0.2:
            layer["use_bias"] = False
        last = d == depth - 1
        if not last or rng.random() < 0.4:
            layer["return_sequences"] = True
        if kind == "gru" and framework == "keras" and rng.random() < 0.8:
            layer["reset_after"] = rng.random() < 0.2   # mostly False: tfjs has only that
        if kind == "simple_rnn" and rng.random() < 0.3:
            layer["activation"] = "relu"
        layers.append(layer)
    tail = rng.random()
    if tail < 0.3:
        layers.append({"type": "dense", "units": rng.randint(1, 10)})
    elif tail < 0.45 and layers[-1].get("return_sequences"):
        layers.append({"type": "flatten"})
        layers.append({"type": "dense", "units": rng.randint(1, 10)})
    problem = {"title": f"generated recurrent network {k}", "framework": framework,
               "input": {"shape": shape}, "layers": layers, "ask": ["shapes", "params"]}
    if rng.random() < 0.2:
        problem["batch"] = rng.randint(1, 4)
    return framework, problem


def run(command):
    p = subprocess.run(command, capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    for line in lines:
        if line.startswith("FAIL"):
            print(line)
    summary = lines[-1] if lines else ""
    m = re.search(r"(\d+) passed, (\d+) failed", summary)
    passed = int(m.group(1)) if m else 0
    return p.returncode, passed, summary


def main(argv):
    args = argv[1:]
    count, seed, keep = 300, 1, None
    if not args or args[0].startswith("-"):
        print(__doc__)
        return 2
    binary = args.pop(0)
    while args:
        option = args.pop(0)
        if option == "--count":
            count = int(args.pop(0))
        elif option == "--seed":
            seed = int(args.pop(0))
        elif option == "--keep":
            keep = args.pop(0)
        else:
            print(f"unknown option {option}")
            return 2
    work = tempfile.mkdtemp(prefix="recurrent_counts-")
    try:
        for framework in ("keras", "pytorch"):
            os.makedirs(os.path.join(work, framework))
        for k in range(count):
            framework, problem = generate(k, seed)
            with open(os.path.join(work, framework, f"recurrent-{k:03d}.json"), "w") as f:
                json.dump(problem, f, indent=1, ensure_ascii=False)
        if keep:
            shutil.copytree(work, keep, dirs_exist_ok=True)
        status = 0
        rc, passed, summary = run(["node", os.path.join(HERE, "keras_tfjs.mjs"), binary, os.path.join(work, "keras")])
        print(f"keras (tfjs): {summary}")
        if rc != 0 or passed < min(MIN_COMPARED, count // 4):
            status = 1
        rc, passed, summary = run([sys.executable, os.path.join(HERE, "torch_diff.py"), binary, os.path.join(work, "pytorch")])
        print(f"pytorch: {summary}")
        if rc != 0 or passed < min(MIN_COMPARED, count // 4):
            status = 1
        return status
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
