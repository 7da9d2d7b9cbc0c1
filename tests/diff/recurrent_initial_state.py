#!/usr/bin/python3
"""Differential test: recurrent layers with a given initial_state against nn.RNN / nn.LSTM /
nn.GRU called with h0 (and c0), float64.

Usage: recurrent_initial_state.py [--self-test] DLSOLVE [--count N]

N generated problems per kind and framework (default 20): one simple_rnn, lstm or gru
(tanh / sigmoid, bidirectional or not, return_sequences or not, with or without biases;
Keras GRUs with reset_after=True, the form nn.GRU computes) with random weights in the
file's layout and gate order and a random "initial_state", MSE against a random target,
SGD (lr 0.1) for 3 steps. `forward --format json` gives forward.rnn; `train --format
json` gives loss, every grad.rnn.ROLE (grad.rnn.initial_state among them), grad.x,
step2.loss, step3.loss, update.rnn.ROLE and final.loss.

The initial state's layout (dlsolve's docs/problem-format.md):
  * Keras: the list Bidirectional(layer)(x, initial_state=[…]) takes, one row per state,
    the forward layer's states first (keras/src/layers/rnn/bidirectional.py, call(): the
    first half of initial_state to the forward layer, the rest to the backward one):
    [h], [h_fw, h_bw], [h, c], [h_fw, c_fw, h_bw, c_bw]; [units] for one state.
  * PyTorch: h0 [directions, units] (PyTorch's [D·num_layers, N, H] for one sample), and
    for an LSTM (h0, c0) stacked: [2, units] or [2, 2, units]; [units] for one state.
One initial state serves every sample of the batch (expanded over N here), so its gradient
is the sum over the samples. Keras's weights become PyTorch's by transposing and, for the
GRU, reordering the gate blocks z, r, h → r, z, n. Keras's bidirectional last output is
each direction's final state (the backward one at time 0), PyTorch's output[:, -1].
Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference reverses the rows of the initial state (Keras's order read as
PyTorch's and back; a one-row state is halved); every case must report mismatches.
"""
import random
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)

KINDS = ("simple_rnn", "lstm", "gru")
CASES = tuple(f"{k}-{fw}" for k in KINDS for fw in ("keras", "pytorch"))
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
KERNEL = {"simple_rnn": torch._VF.rnn_tanh, "gru": torch._VF.gru}


def rand(rng, *shape):
    if not shape:
        return round(rng.uniform(-1, 1), 6)
    return [rand(rng, *shape[1:]) for _ in range(shape[0])]


def state_shape(kind, keras, directions, units):
    states = 2 if kind == "lstm" else 1
    rows = states * directions
    if rows == 1:
        return [units]
    if not keras and states == 2 and directions == 2:
        return [2, 2, units]
    return [rows, units]


def generate(rng, kind, keras):
    units, features, steps, batch = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 4), rng.randint(1, 2)
    directions = rng.choice((1, 2))
    use_bias = rng.random() < 0.85
    g = GATES[kind] * units
    layer = {"name": "rnn", "type": kind, "units": units}
    if directions == 2:
        layer["bidirectional"] = True
    if rng.random() < 0.5:
        layer["return_sequences"] = True
    if not use_bias:
        layer["use_bias"] = False
    for d in range(directions):
        if keras:
            pre = "backward_" if d else ""
            layer[pre + "kernel"] = rand(rng, features, g)
            layer[pre + "recurrent_kernel"] = rand(rng, units, g)
            if use_bias:
                layer[pre + "bias"] = rand(rng, 2, g) if kind == "gru" else rand(rng, g)
        else:
            post = "_reverse" if d else ""
            layer["weight_ih" + post] = rand(rng, g, features)
            layer["weight_hh" + post] = rand(rng, g, units)
            if use_bias:
                layer["bias_ih" + post] = rand(rng, g)
                layer["bias_hh" + post] = rand(rng, g)
    layer["initial_state"] = rand(rng, *state_shape(kind, keras, directions, units))
    doc = {"title": f"generated {kind} with an initial state", "framework": "keras" if keras else "pytorch", "batch": batch,
           "input": {"name": "x", "shape": [steps, features], "values": rand(rng, batch, steps, features)},
           "layers": [layer], "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}, "steps": 3}
    return doc, layer


def torch_gates(kind, m, units):
    """Keras's gate blocks (rows) in PyTorch's order: GRU z, r, h → r, z, n."""
    if kind != "gru":
        return m
    return torch.cat([m[units:2 * units], m[:units], m[2 * units:]])


class Reference:
    def __init__(self, doc, layer, wrong):
        self.keras = doc["framework"] == "keras"
        self.kind, self.layer, self.wrong = layer["type"], layer, wrong
        self.units = layer["units"]
        self.directions = 2 if layer.get("bidirectional") else 1
        self.leaves = {k: torch.tensor(v, requires_grad=True) for k, v in layer.items()
                       if isinstance(v, list)}

    def weights(self, d):
        u, kind = self.units, self.kind
        zero = torch.zeros(GATES[kind] * u)
        L = self.leaves
        if not self.keras:
            post = "_reverse" if d else ""
            return (L["weight_ih" + post], L["weight_hh" + post], L.get("bias_ih" + post, zero), L.get("bias_hh" + post, zero))
        pre = "backward_" if d else ""
        w_ih = torch_gates(kind, L[pre + "kernel"].t(), u)
        w_hh = torch_gates(kind, L[pre + "recurrent_kernel"].t(), u)
        b_ih, b_hh = zero, zero
        if pre + "bias" in L:
            b = L[pre + "bias"]
            if b.dim() == 2:
                b_ih, b_hh = torch_gates(kind, b[0], u), torch_gates(kind, b[1], u)
            else:
                b_ih = torch_gates(kind, b, u)
        return w_ih, w_hh, b_ih, b_hh

    def states(self, batch):
        """(h0, c0) as [D, N, units] for the module (c0 None but for the LSTM)."""
        v, u, D = self.leaves["initial_state"], self.units, self.directions
        rows = v.reshape(-1, u)
        if self.wrong:
            rows = torch.flip(rows, dims=(0,)) if rows.shape[0] > 1 else rows * 0.5
        lstm = self.kind == "lstm"
        if self.keras:  # [h_fw, (c_fw,) h_bw, (c_bw)]
            per = 2 if lstm else 1
            h = torch.stack([rows[d * per] for d in range(D)])
            c = torch.stack([rows[d * per + 1] for d in range(D)]) if lstm else None
        else:  # h0 rows, then c0 rows
            h = rows[:D]
            c = rows[D:2 * D] if lstm else None
        expand = lambda s: s.unsqueeze(1).expand(D, batch, u)
        return expand(h), (expand(c) if c is not None else None)

    def __call__(self, x):
        """nn.RNN / nn.LSTM / nn.GRU's forward: the kernel its forward() calls (torch._VF.rnn_tanh,
        lstm, gru with batch_first, one layer, no dropout) with the weights list as
        _flat_weights orders it (w_ih, w_hh, b_ih, b_hh per direction, reverse second)."""
        u, D = self.units, self.directions
        flat = [t for d in range(D) for t in self.weights(d)]
        h0, c0 = self.states(x.shape[0])
        if self.kind == "lstm":
            out = torch._VF.lstm(x, (h0, c0), flat, True, 1, 0.0, False, D == 2, True)[0]
        else:
            out = KERNEL[self.kind](x, h0, flat, True, 1, 0.0, False, D == 2, True)[0]
        if self.layer.get("return_sequences"):
            return out
        if self.keras and D == 2:
            return torch.cat([out[:, -1, :u], out[:, 0, u:]], dim=-1)
        return out[:, -1]


def check(binary, path, doc, layer, wrong):
    ref = Reference(doc, layer, wrong)
    x = torch.tensor(doc["input"]["values"], requires_grad=True)
    target = torch.tensor(doc["target"])
    trainable = [t for k, t in ref.leaves.items() if k != "initial_state"]
    opt = torch.optim.SGD(trainable, lr=doc["optimizer"]["lr"])
    want, losses = {}, []
    for step in range(3):
        opt.zero_grad()
        for t in (x, ref.leaves["initial_state"]):
            t.grad = None
        y = ref(x)
        loss = F.mse_loss(y, target)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            want["forward.rnn"] = y.tolist()
            want["grad.x"] = x.grad.tolist()
            for k, t in ref.leaves.items():
                want[f"grad.rnn.{k}"] = t.grad.tolist()
        opt.step()
    with torch.no_grad():
        want["final.loss"] = F.mse_loss(ref(x), target).item()
    want["loss"], want["step2.loss"], want["step3.loss"] = losses
    for k, t in ref.leaves.items():
        want[f"update.rnn.{k}"] = t.tolist()
    got = dict(answers(binary, "train", path))
    got["forward.rnn"] = answers(binary, "forward", path).get("forward.rnn")
    return differences([(key, got.get(key), value) for key, value in want.items()])


def main(argv):
    self_test, count, binary = arguments(argv, 20)
    rng = random.Random(808)

    def one(case, index, path):
        kind, framework = case.split("-")
        doc, layer = generate(rng, kind, framework == "keras")
        with torch.no_grad():
            y = Reference(doc, layer, False)(torch.tensor(doc["input"]["values"]))
        doc["target"] = rand(rng, *y.shape)
        write_json(path, doc)
        return check(binary, path, doc, layer, self_test)

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
