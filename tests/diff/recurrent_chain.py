#!/usr/bin/python3
"""The worked backpropagation through time of one LSTM / GRU weight element, term by term,
against PyTorch's gradient of that element.

    /usr/bin/python3 tests/diff/recurrent_chain.py DLSOLVE_BINARY [--count N]
    /usr/bin/python3 tests/diff/recurrent_chain.py --self-test DLSOLVE_BINARY   (a planted
        wrong gradient and a planted wrong gate name must be reported)

Generates (fixed seed) LSTM and GRU problems in both frameworks' layouts and gate orders
(Keras LSTM i, f, c, o and GRU z, r, h with reset_after true and false; PyTorch LSTM
i, f, g, o and GRU r, z, n), with or without biases, return_sequences both ways,
bidirectional on one in four, a dense layer after the recurrent one on one in three, and
an MSE loss. For one element of W_x, W_h or a bias of one gate (chosen at random, either
direction) it runs `dlsolve backward --param NAME --format json`, takes the steps the
worked chain writes for each time step ("t = 1", "t = 2", …: each the product
∂L/∂c_t · ∂c_t/∂f_t · ∂f_t/∂a_f,t · ∂a_f,t/∂θ with numbers), and checks
  - their sum equals torch.autograd's gradient of that element (relative 1e-9; the
    reference is torch_numeric.py's, which runs torch._VF.lstm / gru or, for Keras's
    GRU(reset_after=False), the cell written in torch);
  - there is one term per time step, and the last line (∂L/∂NAME) equals both their sum
    and the `grad.NAME` answer of the same run;
  - each term names the factors of its gate in the exam's notation for that step
    (LSTM: ∂L/∂c_t, c_{t−1}, f_t; i_t with g_t / c̃_t; o_t with ∂L/∂h_t and tanh(c_t);
    GRU: ∂L/∂h_t, z_t, n_t / h̃_t, r_t), and the text names the element in its gate's
    notation (PyTorch W_if, W_hn, b_hz; Keras W_f, U_h, b_z, b_Uz).
"""
import json
import math
import random
import re
import subprocess
import sys

import torch_numeric as tn
from difftools import arguments, close, suite, write_json

SEED = 20261130
GATES = {"lstm": 4, "gru": 3}
# Canonical gate order (Keras's): LSTM i, f, c, o; GRU z, r, h. Storage blocks per framework.
STORED = {("keras", "lstm"): ["i", "f", "c", "o"], ("pytorch", "lstm"): ["i", "f", "g", "o"],
          ("keras", "gru"): ["z", "r", "h"], ("pytorch", "gru"): ["r", "z", "n"]}
CANDIDATE = {("keras", "lstm"): "c̃", ("pytorch", "lstm"): "g", ("keras", "gru"): "h̃", ("pytorch", "gru"): "n"}
MATRIX = {"keras": ["W_{}", "U_{}", "b_{}", "b_U{}"], "pytorch": ["W_i{}", "W_h{}", "b_i{}", "b_h{}"]}


def matrix(rng, rows, cols):
    return [[round(rng.uniform(-0.8, 0.8), 3) for _ in range(cols)] for _ in range(rows)]


def vector(rng, n):
    return [round(rng.uniform(-0.5, 0.5), 3) for _ in range(n)]


def generate(rng, kind, fw, index):
    """(problem, recurrent spec, the element as (role, indices), gate letter (stored), unit)."""
    T, F, u = rng.randint(2, 4), rng.randint(1, 3), rng.randint(1, 3)
    g = GATES[kind]
    spec = {"name": "rnn", "type": kind, "units": u}
    if rng.random() < 0.5:
        spec["return_sequences"] = True
    bidirectional = rng.random() < 0.25
    if bidirectional:
        spec["bidirectional"] = True
    use_bias = rng.random() < 0.85
    if not use_bias:
        spec["use_bias"] = False
    reset_after = True
    if kind == "gru" and fw == "keras":
        reset_after = index % 2 == 0
        spec["reset_after"] = reset_after
    directions = 2 if bidirectional else 1
    roles = []
    for d in range(directions):
        if fw == "keras":
            pre = "backward_" if d else ""
            spec[pre + "kernel"] = matrix(rng, F, g * u)
            spec[pre + "recurrent_kernel"] = matrix(rng, u, g * u)
            roles += [(pre + "kernel", d, "W"), (pre + "recurrent_kernel", d, "U")]
            if use_bias:
                spec[pre + "bias"] = ([vector(rng, g * u), vector(rng, g * u)] if kind == "gru" and reset_after
                                      else vector(rng, g * u))
                roles.append((pre + "bias", d, "b"))
        else:
            post = "_reverse" if d else ""
            spec["weight_ih" + post] = matrix(rng, g * u, F)
            spec["weight_hh" + post] = matrix(rng, g * u, u)
            roles += [("weight_ih" + post, d, "W"), ("weight_hh" + post, d, "U")]
            if use_bias:
                spec["bias_ih" + post] = vector(rng, g * u)
                spec["bias_hh" + post] = vector(rng, g * u)
                roles += [("bias_ih" + post, d, "b"), ("bias_hh" + post, d, "bh")]
    layers = [spec]
    width = directions * u
    out_shape = [T, width] if spec.get("return_sequences") else [width]
    if rng.random() < 1 / 3:
        k = rng.randint(1, 2)
        dense = {"name": "head", "type": "dense", "units": k, "activation": rng.choice(["linear", "tanh"])}
        if fw == "keras":
            dense["kernel"], dense["bias"] = matrix(rng, width, k), vector(rng, k)
        else:
            dense["weight"], dense["bias"] = matrix(rng, k, width), vector(rng, k)
        layers.append(dense)
        out_shape = out_shape[:-1] + [k]
    target = torch_shape_values(rng, out_shape)
    problem = {"title": f"{fw} {kind} chain #{index}", "framework": fw,
               "input": {"name": "x", "shape": [T, F], "values": matrix(rng, T, F)},
               "layers": layers, "target": target, "loss": "mse",
               "optimizer": {"type": "sgd", "lr": 0.1}}
    role, d, which = rng.choice(roles)
    value = spec[role]
    if isinstance(value[0], list):
        idx = (rng.randrange(len(value)), rng.randrange(len(value[0])))
    else:
        idx = (rng.randrange(len(value)),)
    # The element's gate row: Keras stores gates along the last axis, PyTorch along the first.
    row = idx[-1] if fw == "keras" else idx[0]
    letter = STORED[(fw, kind)][row // u]
    unit = row % u
    if fw == "keras" and which == "b" and len(idx) == 2 and idx[0] == 1:
        which = "bh"   # Keras GRU(reset_after=True) bias row 1: the recurrent bias
    return problem, spec, role, idx, letter, unit, which, d, T


def torch_shape_values(rng, shape):
    if len(shape) == 1:
        return vector(rng, shape[0])
    return [vector(rng, shape[1]) for _ in range(shape[0])]


def element_name(role, idx):
    return f"rnn.{role}[{', '.join(str(i + 1) for i in idx)}]"


def gate_name(fw, kind, which, letter, idx, unit, d):
    pattern = MATRIX[fw][{"W": 0, "U": 1, "b": 2, "bh": 3}[which]]
    back = "←" if d else ""
    base = pattern.format(letter) + back
    if which in ("W", "U"):
        col = idx[0] if fw == "keras" else idx[1]
        return f"{base}[{col + 1}, {unit + 1}]" if fw == "keras" else f"{base}[{unit + 1}, {col + 1}]"
    return f"{base}[{unit + 1}]"


def expected_factors(fw, kind, letter, t, unit, u, d, reset_after):
    """Names every term of step t must contain for the element's gate."""
    uj = "" if u == 1 else f"[{unit + 1}]"
    back = "←" if d else ""
    st = lambda base, step: f"{base}{back}{step}{uj}" if u == 1 else f"{base}{back}{step}[{unit + 1}]"
    cand = CANDIDATE[(fw, kind)]
    if kind == "lstm":
        if letter == "o":
            return [f"∂L/∂{st('h', t)}", f"tanh({st('c', t)})", st("o", t)]
        if letter == "f":
            return [f"∂L/∂{st('c', t)}", st("c", t - 1), st("f", t)]
        if letter == "i":
            return [f"∂L/∂{st('c', t)}", st(cand, t), st("i", t)]
        return [f"∂L/∂{st('c', t)}", st("i", t), st(cand, t)]
    if letter == "z":
        return [f"∂L/∂{st('h', t)}", st("h", t - 1), st(cand, t), st("z", t)]
    if letter == "r":
        first = f"∂L/∂{st('a_' + cand, t)}" if reset_after else f"∂L/∂a_{cand}{back}{t}"
        return [first, st("r", t)]
    return [f"∂L/∂{st('h', t)}", st("z", t), st(cand, t)]


def run(binary, path, name, fmt):
    r = subprocess.run([binary, "backward", "--param", name, "--format", fmt, path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"dlsolve backward --param {name}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return r.stdout


def make_one(binary, self_test, rng_for):
    def one(case, index, path):
        kind, fw = case.split("-")[1], case.split("-")[0]
        rng = rng_for(case, index)
        while True:
            problem, spec, role, idx, letter, unit, which, d, T = generate(rng, kind, fw, index)
            try:
                ref, _, _, _ = tn.reference(problem)
                break
            except tn.GenError:
                continue
        write_json(path, problem)
        name = element_name(role, idx)
        want = ref[f"grad.rnn.{role}"]
        for i in idx:
            want = want[i]
        gate = gate_name(fw, kind, which, letter, idx, unit, d)
        if self_test:   # a planted wrong reference: the gradient moved, or another gate's name
            if index % 2 == 0:
                want = want * (1 + 1e-7) + 1e-11
            else:
                letters = STORED[(fw, kind)]
                gate = gate_name(fw, kind, which, letters[(letters.index(letter) + 1) % len(letters)], idx, unit, d)
        doc = json.loads(run(binary, path, name, "json"))
        text = run(binary, path, name, "text")
        steps = [s for s in doc["steps"] if s["key"] == f"grad.{name}"]
        terms = [s for s in steps if re.fullmatch(r"t = \d+", s["label"])]
        bad = []
        if [s["label"] for s in terms] != [f"t = {t}" for t in range(1, T + 1)]:
            bad.append(f"{name}: per-step terms {[s['label'] for s in terms]}, expected t = 1 … {T}")
        total = math.fsum(s["value"] for s in terms)
        if not close(total, want):
            bad.append(f"{name}: the terms sum to {total!r}, torch's gradient is {want!r}")
        last = steps[-1] if steps else None
        if not last or last["label"] != f"∂L/∂{name}" or not close(last["value"], total) or \
                not close(doc["answers"].get(f"grad.{name}", float("nan")), last["value"]):
            bad.append(f"{name}: the last line {last and (last['label'], last['value'])} is not Σ_t = {total!r} "
                       f"and grad.{name} = {doc['answers'].get(f'grad.{name}')!r}")
        u = spec["units"]
        for s in terms:
            t = int(s["label"].split()[-1])
            for factor in expected_factors(fw, kind, letter, t, unit, u, d, spec.get("reset_after", True)):
                if factor not in s["symbolic"]:
                    bad.append(f"{name}: term t = {t} lacks {factor}: {s['symbolic']}")
        if f"{name} is {gate};" not in text:
            bad.append(f"{name}: the text does not name it {gate}")
        return bad
    return one


def main():
    self_test, count, binary = arguments(sys.argv, 20)
    cases = ["keras-lstm", "pytorch-lstm", "keras-gru", "pytorch-gru"]

    def rng_for(case, index):
        return random.Random(f"{SEED}-{case}-{index}")
    return suite(cases, count, self_test, make_one(binary, self_test, rng_for))


if __name__ == "__main__":
    sys.exit(main())
