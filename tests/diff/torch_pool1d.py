#!/usr/bin/python3
"""Differential test: 1-D pooling values and gradients against PyTorch (float64).

Usage: torch_pool1d.py [--self-test] DLSOLVE [--count N]

N generated problems per case (default 40): one maxpool1d, avgpool1d, global_maxpool1d or
global_avgpool1d layer on a batch of random sequences, MSE against a random target;
`forward` and `backward --format json` give forward.pool, loss and grad.x.
  * PyTorch files ([C, T]): F.max_pool1d (dilation, padding, ceil_mode), F.avg_pool1d
    (count_include_pad=True, PyTorch's default), F.adaptive_max_pool1d(·, 1),
    F.adaptive_avg_pool1d(·, 1), with autograd; ties in max pooling are broken the way
    PyTorch's kernel does (values are drawn from a grid of 0.25 so that ties occur).
  * Keras files ([T, C]): "valid" windows are F.max_pool1d / F.avg_pool1d on the
    transposed sequence; "same" pads ⌊p/2⌋ before and the rest after with
    p = max((T' − 1)·s + k − T, 0), T' = ⌈T/s⌉ (TensorFlow's SAME rule), a max over the
    cells it holds and an average divided by the number of real cells (Keras's
    AveragePooling1D, padding excluded); global pooling is the max / mean over T.
Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference averages with padding counted in Keras files and
count_include_pad=False in PyTorch files (and halves a global average), takes the max
pooling's neighbouring window and the global minimum for the maximum; every case must
report mismatches.
"""
import math
import random
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)

CASES = ("maxpool1d", "avgpool1d", "global_maxpool1d", "global_avgpool1d")


def generate(case, rng, keras):
    steps, channels, batch = rng.randint(1, 9), rng.randint(1, 3), rng.randint(1, 2)
    layer = {"name": "pool", "type": case}
    if case in ("maxpool1d", "avgpool1d"):
        pool = rng.randint(1, min(4, steps + 2))
        layer["pool"] = pool
        if rng.random() < 0.5:
            layer["stride"] = rng.randint(1, 3)
        if keras:
            if rng.random() < 0.5:
                layer["padding"] = "same"
            elif pool > steps:
                pool = layer["pool"] = steps
        else:
            layer["padding"] = rng.randint(0, pool // 2)
            layer["ceil_mode"] = rng.random() < 0.4
            if case == "maxpool1d" and rng.random() < 0.3:
                layer["dilation"] = 2
            span = layer.get("dilation", 1) * (pool - 1) + 1
            if steps + 2 * layer["padding"] < span:
                layer.pop("dilation", None)
                layer["pool"] = pool = min(pool, steps + 2 * layer["padding"])
                layer["padding"] = min(layer["padding"], pool // 2)
    shape = [steps, channels] if keras else [channels, steps]
    x = [[[rng.randint(-8, 8) / 4 for _ in range(shape[1])] for _ in range(shape[0])] for _ in range(batch)]
    doc = {"title": f"generated {case}", "framework": "keras" if keras else "pytorch", "batch": batch,
           "input": {"name": "x", "shape": shape, "values": x}, "layers": [layer], "loss": "mse"}
    return doc, layer


def keras_same(x, layer, is_max, wrong):
    """x: [N, C, T]. TensorFlow's SAME windows; padding holds no cell."""
    steps, k = x.shape[2], layer["pool"]
    s = layer.get("stride", k)
    out = -(-steps // s)
    before = max((out - 1) * s + k - steps, 0) // 2
    cols = []
    for i in range(out):
        lo, hi = i * s - before, i * s - before + k
        cells = x[:, :, max(lo, 0):min(hi, steps)]
        if is_max:
            cols.append(cells.max(dim=2).values)
        else:
            cols.append(cells.sum(dim=2) / (k if wrong else cells.shape[2]))
    return torch.stack(cols, dim=2)


def reference(doc, layer, wrong):
    keras = doc["framework"] == "keras"
    x = torch.tensor(doc["input"]["values"], requires_grad=True)
    xc = x.transpose(1, 2) if keras else x  # [N, C, T]
    case = layer["type"]
    if case == "global_maxpool1d":
        y = -F.adaptive_max_pool1d(-xc, 1) if wrong else F.adaptive_max_pool1d(xc, 1)
    elif case == "global_avgpool1d":
        y = F.adaptive_avg_pool1d(xc, 1) * (0.5 if wrong else 1.0)
    elif keras and layer.get("padding") == "same":
        y = keras_same(xc, layer, case == "maxpool1d", wrong)
    else:
        k = layer["pool"]
        args = dict(kernel_size=k, stride=layer.get("stride", k), padding=layer.get("padding", 0) if not keras else 0,
                    ceil_mode=layer.get("ceil_mode", False))
        if case == "maxpool1d":
            y = F.max_pool1d(xc, dilation=layer.get("dilation", 1), **args)
            if wrong:
                y = torch.roll(y, 1, dims=2)
        else:
            y = F.avg_pool1d(xc, count_include_pad=not wrong, **args) * (0.5 if wrong and keras else 1.0)
    if keras:
        y = y.squeeze(2) if case.startswith("global") else y.transpose(1, 2)
    return x, y


def check(binary, path, doc, layer, wrong):
    x, y = reference(doc, layer, wrong)
    target = torch.tensor(doc["target"])
    loss = F.mse_loss(y, target)
    loss.backward()
    forward = answers(binary, "forward", path)
    backward = answers(binary, "backward", path)
    return differences([("forward.pool", forward.get("forward.pool"), y.tolist()), ("loss", backward.get("loss"), loss.item()),
                        ("grad.x", backward.get("grad.x"), x.grad.tolist())])


def main(argv):
    self_test, count, binary = arguments(argv, 40)
    rng = random.Random(81)

    def one(case, index, path):
        while True:  # a max window of padding alone is −∞ in PyTorch, refused by dlsolve (tests/bad_input)
            doc, layer = generate(case, rng, keras=index % 2 == 0)
            _, y = reference(doc, layer, False)
            if torch.isfinite(y).all():
                break
        doc["target"] = [[[rng.randint(-4, 4) / 4 for _ in row] for row in sample] for sample in y.tolist()] \
            if y.dim() == 3 else [[rng.randint(-4, 4) / 4 for _ in sample] for sample in y.tolist()]
        write_json(path, doc)
        return check(binary, path, doc, layer, self_test)

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
