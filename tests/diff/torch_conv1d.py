#!/usr/bin/python3
"""Differential test: conv1d values, every gradient and 3 SGD steps against PyTorch (float64).

Usage: torch_conv1d.py [--self-test] DLSOLVE [--count N]

N generated problems per framework (default 60): one conv1d layer (random kernel, stride,
dilation, padding, groups, bias or none; Keras files also an activation) on a batch of
random sequences, MSE against a random target, SGD (lr 0.05) for 3 steps.
`forward --format json` gives forward.conv; `train --format json` gives loss, grad.conv.*,
grad.x, step2.loss, step3.loss, update.conv.* (the values after the steps) and final.loss.
  * PyTorch files ([C, T], weight [F][C/g][k]): torch.nn.functional.conv1d with padding
    as steps, "valid" or "same" (stride 1; PyTorch pads ⌊d·(k − 1)/2⌋ before, the rest after).
  * Keras files ([T, C], kernel [k][C/g][F]): F.conv1d on the transposed sequence with the
    kernel permuted to [F][C/g][k]; "same" pads ⌊p/2⌋ before and the rest after with
    p = max((T' − 1)·s + d·(k − 1) + 1 − T, 0), T' = ⌈T/s⌉ (TensorFlow's SAME rule, as
    tests/diff/torch_pool1d.py writes it); the activation after the sum.
Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference flips the kernel (a true convolution instead of the frameworks'
cross-correlation) and puts SAME's odd padding step before instead of after; both
frameworks must report mismatches.
"""
import random
import warnings
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)
warnings.filterwarnings("ignore", message="Using padding=.same. with even kernel")

CASES = ("pytorch", "keras")
ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def rand(rng, *shape):
    if not shape:
        return round(rng.uniform(-1, 1), 6)
    return [rand(rng, *shape[1:]) for _ in range(shape[0])]


def generate(rng, keras):
    while True:
        steps, groups = rng.randint(1, 9), rng.choice((1, 1, 1, 2, 3))
        channels, filters = groups * rng.randint(1, 2), groups * rng.randint(1, 2)
        k, stride, dilation = rng.randint(1, 4), rng.choice((1, 1, 2, 3)), rng.choice((1, 1, 2))
        padding = rng.choice(("valid", "same", 0, 1, 2)) if not keras else rng.choice(("valid", "same"))
        if keras and stride > 1 and dilation > 1:
            dilation = 1  # Keras refuses both
        if padding == "same" and not keras:
            stride = 1  # PyTorch refuses padding="same" with stride > 1
        pad = padding if isinstance(padding, int) else 0
        span = dilation * (k - 1) + 1
        if padding == "same" or steps + 2 * pad >= span:
            break
    layer = {"name": "conv", "type": "conv1d", "filters": filters, "kernel": k}
    if stride > 1 or rng.random() < 0.2:
        layer["stride"] = stride
    if dilation > 1:
        layer["dilation"] = dilation
    if padding != "valid" or rng.random() < 0.3:
        layer["padding"] = padding
    if groups > 1:
        layer["groups"] = groups
    bias = rng.random() < 0.8
    if not bias:
        layer["use_bias"] = False
    if keras:
        act = rng.choice(tuple(ACTIVATIONS))
        if act != "linear" or rng.random() < 0.2:
            layer["activation"] = act
        layer["weights"] = rand(rng, k, channels // groups, filters)
    else:
        layer["weights"] = rand(rng, filters, channels // groups, k)
    if bias:
        layer["bias"] = rand(rng, filters)
    batch = rng.randint(1, 2)
    shape = [steps, channels] if keras else [channels, steps]
    doc = {"title": "generated conv1d", "framework": "keras" if keras else "pytorch", "batch": batch,
           "input": {"name": "x", "shape": shape, "values": rand(rng, batch, *shape)}, "layers": [layer], "loss": "mse",
           "optimizer": {"type": "sgd", "lr": 0.05}, "steps": 3}
    return doc, layer


def conv(x, w, b, layer, keras, wrong):
    """x as the file gives it (batch first); w, b leaves in the file's layout."""
    xc = x.transpose(1, 2) if keras else x  # [N, C, T]
    wt = w.permute(2, 1, 0) if keras else w  # [F, C/g, k]
    if wrong:
        wt = torch.flip(wt, dims=(2,))
    k, s, d = layer["kernel"], layer.get("stride", 1), layer.get("dilation", 1)
    padding = layer.get("padding", "valid")
    if padding == "same" and keras:
        steps = xc.shape[2]
        out = -(-steps // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - steps, 0)
        before = (total + 1) // 2 if wrong else total // 2
        xc, padding = F.pad(xc, (before, total - before)), 0
    elif padding == "valid":
        padding = 0
    y = F.conv1d(xc, wt, b, stride=s, padding=padding, dilation=d, groups=layer.get("groups", 1))
    y = ACTIVATIONS[layer.get("activation", "linear")](y)
    return y.transpose(1, 2) if keras else y


def check(binary, path, doc, layer, wrong):
    keras = doc["framework"] == "keras"
    x = torch.tensor(doc["input"]["values"], requires_grad=True)
    w = torch.tensor(layer["weights"], requires_grad=True)
    b = torch.tensor(layer["bias"], requires_grad=True) if "bias" in layer else None
    params = [w] + ([b] if b is not None else [])
    target = torch.tensor(doc["target"])
    opt = torch.optim.SGD(params, lr=doc["optimizer"]["lr"])
    want, losses = {}, []
    for step in range(3):
        opt.zero_grad()
        if x.grad is not None:
            x.grad = None
        y = conv(x, w, b, layer, keras, wrong)
        loss = F.mse_loss(y, target)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            want["forward.conv"] = y.tolist()
            want["grad.x"] = x.grad.tolist()
            want["grad.conv.weights"] = w.grad.tolist()
            if b is not None:
                want["grad.conv.bias"] = b.grad.tolist()
        opt.step()
    with torch.no_grad():
        want["final.loss"] = F.mse_loss(conv(x, w, b, layer, keras, wrong), target).item()
    want["loss"], want["step2.loss"], want["step3.loss"] = losses
    want["update.conv.weights"] = w.tolist()
    if b is not None:
        want["update.conv.bias"] = b.tolist()
    got = dict(answers(binary, "train", path))
    got["forward.conv"] = answers(binary, "forward", path).get("forward.conv")
    return differences([(key, got.get(key), value) for key, value in want.items()])


def main(argv):
    self_test, count, binary = arguments(argv, 60)
    rng = random.Random(1803)

    def one(case, index, path):
        doc, layer = generate(rng, keras=case == "keras")
        with torch.no_grad():
            x = torch.tensor(doc["input"]["values"])
            b = torch.tensor(layer["bias"]) if "bias" in layer else None
            y = conv(x, torch.tensor(layer["weights"]), b, layer, case == "keras", False)
        doc["target"] = rand(rng, *y.shape)
        write_json(path, doc)
        return check(binary, path, doc, layer, self_test)

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
