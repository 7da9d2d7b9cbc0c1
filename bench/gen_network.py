#!/usr/bin/python3
"""Print a synthetic dlsolve problem file with exactly N layers (benchmark input).

    /usr/bin/python3 bench/gen_network.py N [--framework keras|pytorch]

The network is a ResNet/Inception-like mix so that every part of dlsolve's layer
graph code is exercised, not just a straight chain:

  * stem: conv2d 3x3 same (32 filters) + batchnorm + relu
  * residual blocks: conv 3x3 same, batchnorm, relu, conv 3x3 same, batchnorm,
    add (skip connection from the block input via "inputs"), relu
  * every third block a two-branch block: a 1x1 and a 3x3 convolution both read the
    block input (via "inputs"), concat joins them, then batchnorm + relu
  * after every three blocks, while the map is larger than 7x7: maxpool2d 2x2 followed
    by a widening conv 3x3 same (filters doubled, at most 512) + batchnorm + relu;
    once the map is 7x7 the blocks keep going at that size
  * head: global_avgpool2d and dense 1000 (PyTorch: global_avgpool2d, flatten, dense)

Leftover layers that do not fill a whole block are conv/batchnorm/relu singles.
Input is 224x224x3 ([224, 224, 3] Keras, [3, 224, 224] PyTorch). Every layer is
named explicitly. The output depends on N and the framework only (no randomness).
"""

import argparse
import json
import sys

MAX_FILTERS = 512
MIN_MAP = 7
INPUT_HW = 224


def build(n, framework):
    head_len = 2 if framework == "keras" else 3
    stem_len = 3
    if n < 1 + head_len:
        raise SystemExit(f"gen_network.py: N must be at least {1 + head_len} for {framework}")

    pad_same = "same" if framework == "keras" else 1
    layers = []
    state = {"hw": INPUT_HW, "filters": 32, "cur": "input"}

    def add(layer):
        layers.append(layer)
        state["cur"] = layer["name"]
        return layer["name"]

    def conv(name, filters, kernel=3, inputs=None):
        layer = {"name": name, "type": "conv2d", "filters": filters, "kernel": kernel}
        if kernel > 1:
            layer["padding"] = pad_same
        if inputs is not None:
            layer["inputs"] = inputs
        return add(layer)

    body_budget = n - head_len

    # stem (as much of it as fits)
    stem = [
        lambda: conv("stem_conv", state["filters"]),
        lambda: add({"name": "stem_bn", "type": "batchnorm"}),
        lambda: add({"name": "stem_relu", "type": "relu"}),
    ]
    for make in stem[: min(stem_len, body_budget)]:
        make()

    block = 0
    since_pool = 0
    while True:
        left = body_budget - len(layers)
        if left <= 0:
            break
        f = state["filters"]
        p = f"b{block}_"
        if since_pool >= 3 and state["hw"] > MIN_MAP and left >= 4:
            nf = min(2 * f, MAX_FILTERS)
            add({"name": p + "pool", "type": "maxpool2d", "pool": 2})
            state["hw"] //= 2
            conv(p + "conv", nf)
            add({"name": p + "bn", "type": "batchnorm"})
            add({"name": p + "relu", "type": "relu"})
            state["filters"] = nf
            since_pool = 0
        elif block % 3 == 2 and left >= 5:
            src = state["cur"]
            a = conv(p + "branch1x1", f // 2, kernel=1, inputs=[src])
            b = conv(p + "branch3x3", f // 2, kernel=3, inputs=[src])
            add({"name": p + "concat", "type": "concat", "inputs": [a, b]})
            add({"name": p + "bn", "type": "batchnorm"})
            add({"name": p + "relu", "type": "relu"})
            since_pool += 1
        elif left >= 7:
            src = state["cur"]
            conv(p + "conv1", f)
            add({"name": p + "bn1", "type": "batchnorm"})
            add({"name": p + "relu1", "type": "relu"})
            conv(p + "conv2", f)
            b2 = add({"name": p + "bn2", "type": "batchnorm"})
            add({"name": p + "add", "type": "add", "inputs": [b2, src]})
            add({"name": p + "relu2", "type": "relu"})
            since_pool += 1
        else:
            # fill the remainder with conv / batchnorm / relu singles
            kinds = ["conv", "bn", "relu"]
            for i in range(left):
                kind = kinds[i % 3]
                if kind == "conv":
                    conv(f"{p}fill{i}_conv", f)
                elif kind == "bn":
                    add({"name": f"{p}fill{i}_bn", "type": "batchnorm"})
                else:
                    add({"name": f"{p}fill{i}_relu", "type": "relu"})
        block += 1

    add({"name": "gap", "type": "global_avgpool2d"})
    if framework == "pytorch":
        add({"name": "flatten", "type": "flatten"})
    add({"name": "predictions", "type": "dense", "units": 1000})
    assert len(layers) == n, (len(layers), n)

    shape = [INPUT_HW, INPUT_HW, 3] if framework == "keras" else [3, INPUT_HW, INPUT_HW]
    return {
        "title": f"synthetic benchmark network, {n} layers ({framework})",
        "source": f"bench/gen_network.py {n} --framework {framework}",
        "framework": framework,
        "input": {"name": "input", "shape": shape},
        "layers": layers,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of layers")
    ap.add_argument("--framework", choices=["keras", "pytorch"], default="keras")
    args = ap.parse_args()
    problem = build(args.n, args.framework)
    out = sys.stdout
    # one layer per line, like the files in problems/
    out.write("{\n")
    keys = [k for k in problem if k != "layers"]
    for k in keys[:-1]:
        out.write(f"  {json.dumps(k)}: {json.dumps(problem[k])},\n")
    out.write(f"  {json.dumps(keys[-1])}: {json.dumps(problem[keys[-1]])},\n")
    out.write('  "layers": [\n')
    layers = problem["layers"]
    for i, layer in enumerate(layers):
        sep = "," if i + 1 < len(layers) else ""
        out.write(f"    {json.dumps(layer)}{sep}\n")
    out.write("  ]\n}\n")


if __name__ == "__main__":
    main()
