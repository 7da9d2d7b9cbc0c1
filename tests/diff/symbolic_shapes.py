#!/usr/bin/python3
"""Shapes in symbols against shapes in numbers: a property test.

    /usr/bin/python3 tests/diff/symbolic_shapes.py DLSOLVE_BINARY [--draws N] [--seed S] [--self-test]

For every layer kind below, a few small networks are generated whose input is
[H, W, C] (Keras) or [C, H, W] (PyTorch) with the sizes in symbols ("dims": {"H": null,
…}, batch "N", and sometimes "filters": "C"). dlsolve answers their shapes in symbols
once (⌊(H − 3)/2⌋ + 1, ⌈H/2⌉, products). Then each network is written again with N
(default 500) random values of the symbols per layer kind, dlsolve answers those files
in numbers, and every layer's symbolic shape, evaluated here at the values (exact
fractions, math.floor / math.ceil), must equal the numeric one; so must every layer's
parameter count (`solve` answers shapes and params), a polynomial or, after a floor,
one written in the floored sizes. --self-test adds 1 to one symbolic size and to one
count behind a floor and expects the comparison to catch both.
"""

import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
from fractions import Fraction

NETWORKS_PER_KIND = 5


def kinds(rng):
    """Layer kind → a function drawing one network's layers (after the input)."""
    def conv(framework):
        k, s = rng.randint(1, 5), rng.randint(1, 3)
        layer = {"type": "conv2d", "filters": rng.choice(["C", rng.randint(1, 9)]), "kernel": k, "stride": s}
        if framework == "pytorch":
            layer["padding"] = rng.randint(0, 2)
        elif rng.random() < 0.5:
            layer["padding"] = "same"
        return layer
    def ceil_pool():
        k = rng.randint(1, 4)
        return {"type": rng.choice(["maxpool2d", "avgpool2d"]), "pool": k, "stride": rng.randint(1, 4), "padding": rng.randint(0, k // 2),
                "ceil_mode": True}
    return {
        "conv2d": lambda f: [conv(f)],
        "conv2d_dilated": lambda f: [{"type": "conv2d", "filters": 4, "kernel": rng.randint(2, 4), "dilation": rng.randint(2, 3),
                                      **({"padding": rng.randint(0, 2)} if f == "pytorch" else {})}],
        "conv2d_stack": lambda f: [conv(f), conv(f), conv(f)],
        "maxpool2d": lambda f: [{"type": "maxpool2d", "pool": rng.randint(2, 3), "stride": rng.randint(1, 3)}],
        "avgpool2d": lambda f: [conv(f), {"type": "avgpool2d", "pool": rng.randint(2, 4)}],
        "conv2d_transpose": lambda f: [{"type": "conv2d_transpose", "filters": "C", "kernel": rng.randint(2, 4), "stride": rng.randint(1, 3)}],
        "upsampling2d": lambda f: [conv(f), {"type": "upsampling2d", "size": rng.randint(2, 3)}],
        "zeropadding2d": lambda f: [{"type": "zeropadding2d", "padding": rng.randint(1, 3)}, conv(f)],
        "flatten_dense": lambda f: [conv(f), {"type": "maxpool2d", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": "C"}],
        "global_avgpool2d": lambda f: [conv(f), {"type": "global_avgpool2d"}, {"type": "dense", "units": rng.randint(1, 9)}],
        # PyTorch's ceil_mode, where a last window starting in the right padding is dropped
        # for some parities of H and not others (a stride above k − p).
        "maxpool2d_ceil": lambda f: [ceil_pool()],
    }


def network(rng, kind, make):
    framework = "pytorch" if kind.endswith("_ceil") else rng.choice(["keras", "pytorch"])  # ceil_mode is PyTorch's
    layers = make(framework)
    for i, layer in enumerate(layers):
        layer["name"] = f"l{i}"
    dims = {"H": None, "W": None, "N": None}
    if "C" in json.dumps(layers):
        dims["C"] = None
    channels = rng.randint(1, 4)
    shape = ["H", "W", channels] if framework == "keras" else [channels, "H", "W"]
    return {"title": f"{kind} in symbols", "framework": framework, "dims": dims, "batch": "N", "input": {"shape": shape}, "layers": layers,
            "ask": ["shapes", "params"]}


def with_values(document, values):
    out = json.loads(json.dumps(document))
    out["dims"] = {name: values[name] for name in document["dims"]}
    return out


def value_of(text, values):
    """A size as dlsolve writes it (⌊(H − 3)/2⌋ + 1, 16·(H − 2)², 27C²) at these values."""
    if isinstance(text, int):
        return text
    e = text
    for a, b in [("⌊", "floor("), ("⌋", ")"), ("⌈", "ceil("), ("⌉", ")"), ("−", "-"), ("·", "*"), ("×", "*"), ("²", "**2"), ("³", "**3"), ("^", "**")]:
        e = e.replace(a, b)
    e = re.sub(r"(\d)([A-Za-z(])", r"\1*\2", e)
    e = re.sub(r"\)\s*([A-Za-z(])", r")*\1", e)
    scope = {name: Fraction(v) for name, v in values.items()}
    scope.update(floor=math.floor, ceil=math.ceil)
    result = eval(e, {"__builtins__": {}}, scope)  # noqa: S307 — text dlsolve wrote, names are the sizes
    assert Fraction(result).denominator == 1, (text, values, result)
    return int(result)


def answers(dlsolve, paths):
    out = subprocess.run([dlsolve, "solve", "--format", "json", *paths], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"dlsolve failed: {out.stderr.strip()}")
    data = json.loads(out.stdout)
    if len(paths) == 1:
        return [data["answers"]]
    return [item["answer"]["answers"] for item in data]


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    dlsolve, draws, seed, self_test = args[0], 500, 10, "--self-test" in args
    if "--draws" in args:
        draws = int(args[args.index("--draws") + 1])
    if "--seed" in args:
        seed = int(args[args.index("--seed") + 1])
    rng = random.Random(seed)
    makers = kinds(rng)
    with tempfile.TemporaryDirectory() as tmp:
        networks = []
        for kind, make in makers.items():
            for n in range(NETWORKS_PER_KIND):
                networks.append((kind, network(rng, kind, make)))
        paths = []
        for i, (_, doc) in enumerate(networks):
            paths.append(os.path.join(tmp, f"sym{i}.json"))
            with open(paths[-1], "w") as f:
                json.dump(doc, f)
        symbolic = answers(dlsolve, paths)
        if self_test:
            key = next(k for k in symbolic[0] if k != "shapes.input")
            symbolic[0][key][-1] = f"({symbolic[0][key][-1]}) + 1"
            # and a count behind a floor: the dense layer of the first flatten_dense network
            dense = next(i for i, (kind, _) in enumerate(networks) if kind == "flatten_dense")
            symbolic[dense]["params.l3"] = f"({symbolic[dense]['params.l3']}) + 1"
        samples, numeric_paths = [], []
        per_network = -(-draws // NETWORKS_PER_KIND)
        for i, (kind, doc) in enumerate(networks):
            for d in range(per_network):
                values = {"H": rng.randint(24, 300), "W": rng.randint(24, 300), "N": rng.randint(1, 64), "C": rng.randint(1, 64)}
                samples.append((i, kind, values))
                numeric_paths.append(os.path.join(tmp, f"num{i}_{d}.json"))
                with open(numeric_paths[-1], "w") as f:
                    json.dump(with_values(doc, values), f)
        numeric = answers(dlsolve, numeric_paths)
        compared, counted, failures = {}, {}, []
        for (i, kind, values), got in zip(samples, numeric):
            for key, shape in got.items():
                if key in ("params.trainable", "params.non_trainable"):
                    continue  # answered in numbers only
                if key.startswith("params."):  # a count: a number, a polynomial, or one behind a floor
                    expected = value_of(symbolic[i].get(key, 0), values)  # layers without parameters are not listed in symbols
                    counted[kind] = counted.get(kind, 0) + 1
                    if expected != shape:
                        failures.append(f"{kind} network {i} {key} at {values}: symbols {symbolic[i].get(key, 0)} give {expected}, numbers {shape}")
                    continue
                if not key.startswith("shapes."):
                    continue
                expected = [value_of(t, values) for t in symbolic[i][key]]
                compared[kind] = compared.get(kind, 0) + 1
                if expected != shape:
                    failures.append(f"{kind} network {i} {key} at {values}: symbols {symbolic[i][key]} give {expected}, numbers {shape}")
    for kind in makers:
        print(f"{kind}: {compared.get(kind, 0)} layer shapes and {counted.get(kind, 0)} counts over {per_network * NETWORKS_PER_KIND} draws")
    if self_test:
        if not any("shapes." in f for f in failures) or not any("params.l3" in f for f in failures):
            sys.exit("self-test: a planted error in a symbolic shape or count was not caught")
        print(f"self-test: the planted error was caught ({len(failures)} mismatches)")
        return
    for f in failures[:20]:
        print("FAIL", f)
    if failures:
        sys.exit(f"{len(failures)} symbolic shapes disagree with the numbers")
    print(f"all {sum(compared.values())} symbolic shapes and {sum(counted.values())} counts agree with the numeric ones")


if __name__ == "__main__":
    main()
