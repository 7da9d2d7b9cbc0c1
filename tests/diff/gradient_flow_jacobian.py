#!/usr/bin/python3
"""Differential test: the gradient-flow question's Jacobians along the given sequence against
torch.autograd (float64).

Usage: gradient_flow_jacobian.py [--self-test] DLSOLVE [--count N]

N generated problems per framework (default 30): one simple_rnn (tanh, sigmoid or the
identity; 1–4 units, 1–3 features, 1–6 steps; with or without biases and an initial state)
with random weights in the file's layout and one input sequence, asked
{"gradient_flow": "rnn"}. `solve --format json` gives
gradient_flow.rnn.sequence_jacobian_singular_values (for t = 0 … T − 1, the singular
values of ∂h_T/∂h_t) and gradient_flow.rnn.sequence_jacobian_norms (their largest).
The reference runs the recurrence h_k = f(W_x·x_k + b + W_h·h_{k−1}) in torch and takes
torch.autograd.functional.jacobian of h_T as a function of h_t (the steps t + 1 … T
recomputed from it), then torch.linalg.svdvals. Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference evaluates each step's slope at the previous state (h_{k−1}
instead of h_k); both frameworks must report mismatches.
"""
import random
import sys

import torch

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)

CASES = ("pytorch", "keras")
ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda z: z}


def rand(rng, *shape):
    if not shape:
        return round(rng.uniform(-1, 1), 6)
    return [rand(rng, *shape[1:]) for _ in range(shape[0])]


def generate(rng, keras):
    units, features, steps = rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 6)
    act = rng.choice(tuple(ACT))
    layer = {"name": "rnn", "type": "simple_rnn", "units": units, "activation": act}
    bias = rng.random() < 0.7
    if not bias:
        layer["use_bias"] = False
    if keras:
        layer["kernel"], layer["recurrent_kernel"] = rand(rng, features, units), rand(rng, units, units)
        if bias:
            layer["bias"] = rand(rng, units)
    else:
        layer["weight_ih"], layer["weight_hh"] = rand(rng, units, features), rand(rng, units, units)
        if bias:
            layer["bias_ih"], layer["bias_hh"] = rand(rng, units), rand(rng, units)
    if rng.random() < 0.3:
        layer["initial_state"] = rand(rng, units)
    doc = {"title": "generated gradient flow along a sequence", "framework": "keras" if keras else "pytorch",
           "input": {"name": "x", "shape": [steps, features], "values": rand(rng, steps, features)},
           "layers": [layer], "ask": [{"gradient_flow": "rnn"}]}
    return doc, layer


def reference(doc, layer, wrong):
    """Singular values of ∂h_T/∂h_t for t = 0 … T − 1."""
    keras = doc["framework"] == "keras"
    t = lambda k: torch.tensor(layer[k])
    w_x = t("kernel").t() if keras else t("weight_ih")
    w_h = t("recurrent_kernel").t() if keras else t("weight_hh")  # h_t = f(W_h·h_{t−1} + …)
    b = torch.zeros(layer["units"])
    for k in ("bias", "bias_ih", "bias_hh"):
        if k in layer:
            b = b + t(k)
    f = ACT[layer["activation"]]
    x = torch.tensor(doc["input"]["values"])
    steps = x.shape[0]
    h = [torch.tensor(layer["initial_state"]) if "initial_state" in layer else torch.zeros(layer["units"])]
    for k in range(steps):
        h.append(f(w_x @ x[k] + b + w_h @ h[-1]))

    def run(start, h_start):
        state = h_start
        for k in range(start, steps):
            state = f(w_x @ x[k] + b + w_h @ state)
        return state

    out = []
    for start in range(steps):
        if wrong:  # each step's slope taken at the previous state h_{k−1}
            jac = torch.eye(layer["units"])
            for k in range(steps, start, -1):
                jac = jac @ torch.diag(slope(layer["activation"], h[k - 1])) @ w_h
        else:
            jac = torch.autograd.functional.jacobian(lambda v: run(start, v), h[start])
        out.append(torch.linalg.svdvals(jac).tolist())
    return out


def slope(activation, h):
    if activation == "linear":
        return torch.ones_like(h)
    return 1 - h * h if activation == "tanh" else h * (1 - h)


def check(binary, path, doc, layer, wrong):
    want = reference(doc, layer, wrong)
    got = answers(binary, "solve", path)
    return differences([("gradient_flow.rnn.sequence_jacobian_singular_values",
                         got.get("gradient_flow.rnn.sequence_jacobian_singular_values"), want),
                        ("gradient_flow.rnn.sequence_jacobian_norms", got.get("gradient_flow.rnn.sequence_jacobian_norms"),
                         [s[0] for s in want])])


def main(argv):
    self_test, count, binary = arguments(argv, 30)
    rng = random.Random(2718)

    def one(case, index, path):
        doc, layer = generate(rng, case == "keras")
        write_json(path, doc)
        return check(binary, path, doc, layer, self_test)

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
