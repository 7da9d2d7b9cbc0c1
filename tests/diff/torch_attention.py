#!/usr/bin/python3
"""Differential test: the tensor-combining layers (subtract, multiply, matmul, scale) and
scaled dot-product attention against PyTorch (float64).

Usage: torch_attention.py [--self-test] DLSOLVE [--count N]

For each case below, N (default 25) generated problems whose inputs are the model input
"x" and `input` layers with their own values ("y", "z"), optionally with a batch axis
("batch" 2-3). dlsolve is run three times on each:
  shapes --format json    the output shape of the layer under test,
  flops --format json     its MACs, against the closed form (matmul n·k·p per matrix;
                          attention T_q·T_k·d_k + T_q·T_k·d_v, the QKᵀ and AV products),
  forward --format json   the output (and attention's scores before the mask and weights),
  backward --format json  the SSE loss against a random target and ∂L/∂ every input
                          (grad.x, grad.y, grad.z),
and PyTorch computes the same per sample with autograd. Values must agree to a relative
1e-9 (absolute 1e-12 near 0).

  subtract, multiply   NumPy broadcasting of the per-sample shapes (size 1 or missing axes)
  matmul               transpose_a / transpose_b, leading axes that broadcast, 1-D operands
                       (torch.matmul's rule)
  scale                a constant factor
  attention            softmax(QKᵀ·c + M)V written out, c = 1/√d_k, a number or 1; M = −∞
                       where the mask (causal = tril, or a 0/1 matrix, 1 = may attend) is 0;
                       two inputs mean V = K. Checked against F.scaled_dot_product_attention
                       (torch 1.13: F._scaled_dot_product_attention, boolean attn_mask True =
                       may attend, is_causal = tril) where its arguments can express it.
  hard_attention       one-hot argmax of each score row (the first of equal maxima: half the
                       problems have values in {−1, 0, 1}, so rows tie); only V gets a gradient

--self-test: the comparison is run against wrong references (subtract as b − a, multiply
as a sum, matmul in float32, the scale factor off by 1e-8 relative, attention scaled by
1/d_k instead of 1/√d_k, the causal mask one key wider, hard attention taking the last of
equal maxima on rows built with ties) and must report mismatches for each case.
"""
import math
import random
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)

CASES = ("subtract", "multiply", "matmul", "scale", "attention", "hard_attention")


def tensor_values(rng, shape, ties=False):
    if not shape:
        return round(rng.choice([-1.0, 0.0, 1.0]) if ties else rng.uniform(-2, 2), 4)
    return [tensor_values(rng, shape[1:], ties) for _ in range(shape[0])]


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape`: some axes 1, some leading axes dropped."""
    other = [1 if rng.random() < 0.4 else d for d in shape]
    drop = rng.randint(0, len(other) - 1)
    return other[drop:]


def sample_shape(rng, rank_max=3):
    return [rng.randint(1, 4) for _ in range(rng.randint(1, rank_max))]


def generate(case, rng, self_test):
    """(problem document, per-input sample shapes in the order x, y, z, spec for the reference)."""
    spec = {"case": case}
    shapes = []
    layer = {"name": "out", "type": case if case != "hard_attention" else "attention"}
    if case in ("subtract", "multiply"):
        first = sample_shape(rng)
        shapes = [first, broadcast_partner(rng, first)]
        if case == "multiply" and rng.random() < 0.4:
            shapes.append(broadcast_partner(rng, first))
        rng.shuffle(shapes)
    elif case == "scale":
        shapes = [sample_shape(rng)]
        layer["factor"] = spec["factor"] = round(rng.uniform(-3, 3), 3)
    elif case == "matmul":
        n, k, p = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        ta, tb = rng.random() < 0.4, rng.random() < 0.4
        kind = rng.choice(["matrix", "matrix", "lead", "vector_left", "vector_right"])
        lead_a, lead_b = [], []
        if kind == "lead":
            lead = [rng.randint(2, 3) for _ in range(rng.randint(1, 2))]
            lead_a = [1 if rng.random() < 0.3 else d for d in lead]
            lead_b = [1 if rng.random() < 0.3 else d for d in lead][rng.randint(0, len(lead)):]
        a = [k] if kind == "vector_left" else lead_a + ([k, n] if ta else [n, k])
        b = [k] if kind == "vector_right" else lead_b + ([p, k] if tb else [k, p])
        ta, tb = ta and kind != "vector_left", tb and kind != "vector_right"
        shapes = [a, b]
        if ta:
            layer["transpose_a"] = True
        if tb:
            layer["transpose_b"] = True
        spec.update(transpose_a=ta, transpose_b=tb)
    else:  # attention
        tq, tk, d, dv = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 3), rng.randint(1, 4)
        two = rng.random() < 0.25
        shapes = [[tq, d], [tk, d]] + ([] if two else [[tk, dv]])
        scale = rng.choice(["default", "sqrt_dk", "none", "number"])
        if scale == "number":
            layer["scale"] = spec["scale"] = round(rng.uniform(0.1, 2), 3)
        elif scale != "default":
            layer["scale"] = spec["scale"] = scale
        mask = rng.choice(["none", "none", "causal", "matrix"])
        if mask == "causal":
            layer["mask"] = spec["mask"] = "causal"
        elif mask == "matrix":
            rows = []
            for _ in range(tq):
                row = [int(rng.random() < 0.6) for _ in range(tk)]
                row[rng.randrange(tk)] = 1  # every query attends to at least one key
                rows.append(row)
            layer["mask"] = spec["mask"] = rows
        if case == "hard_attention":
            layer["hard"] = True
    names = ["x", "y", "z"][:len(shapes)]
    layer["inputs"] = names
    batch = rng.choice([None, None, 2, 3])
    # hard attention on values from {−1, 0, 1}: rows with equal largest scores, where the
    # first must win (torch.argmax returns the first maximal index); always in the self test
    ties = case == "hard_attention" and (self_test or rng.random() < 0.5)
    values = [tensor_values(rng, ([batch] if batch else []) + s, ties) for s in shapes]
    doc = {"title": f"torch_attention {case}", "framework": "pytorch",
           "input": {"name": "x", "values": values[0]},
           "layers": [{"name": n, "type": "input", "values": v} for n, v in zip(names[1:], values[1:])] + [layer],
           "loss": "sse"}
    if batch:
        doc["batch"] = batch
    return doc, values, layer, spec


def per_sample(values, batch, fn):
    """fn over each sample's tensors (the batch axis added when there is none)."""
    ts = [torch.tensor(v, requires_grad=True) for v in values]
    samples = ts if batch else [t.unsqueeze(0) for t in ts]
    out = torch.stack([fn(*[t[n] for t in samples]) for n in range(samples[0].shape[0])])
    return ts, (out if batch else out[0])


def attention(q, k, v, spec, hard, wrong):
    d = q.shape[-1]
    scale = spec.get("scale", "sqrt_dk")
    c = 1 / math.sqrt(d) if scale == "sqrt_dk" else 1.0 if scale == "none" else scale
    if wrong and scale == "sqrt_dk":
        c = 1 / d
    s = (q @ k.transpose(-2, -1)) * c
    raw = s.detach().clone()
    allowed = torch.ones(s.shape, dtype=torch.bool)
    if spec.get("mask") == "causal":
        allowed = allowed.tril(diagonal=1 if wrong else 0)
    elif isinstance(spec.get("mask"), list):
        allowed = torch.tensor(spec["mask"], dtype=torch.bool)
    s = s.masked_fill(~allowed, float("-inf"))
    if hard:
        index = s.argmax(dim=-1)
        if wrong:  # the last of equal maxima
            index = s.shape[-1] - 1 - s.flip(-1).argmax(dim=-1)
        a = F.one_hot(index, s.shape[-1]).to(s.dtype)
    else:
        a = torch.softmax(s, dim=-1)
        if scale == "sqrt_dk" and not wrong:  # F.scaled_dot_product_attention's semantics
            mask = None if spec.get("mask") in (None, "causal") else allowed
            causal = spec.get("mask") == "causal"
            with torch.no_grad():
                if hasattr(F, "scaled_dot_product_attention"):
                    ref = F.scaled_dot_product_attention(q[None], k[None], v[None], attn_mask=mask, is_causal=causal)[0]
                else:
                    ref = F._scaled_dot_product_attention(q[None], k[None], v[None], mask, 0.0, False, causal)[0][0]
                assert torch.allclose(ref, a @ v, rtol=1e-12, atol=1e-14), "softmax(QKᵀ/√d + M)V differs from F.sdpa"
    spec.setdefault("stages", []).append((raw, a.detach()))
    return a @ v


def reference(values, layer, spec, batch, wrong):
    """(the input tensors, the output); attention leaves each sample's scores (before the
    mask) and weights in spec["stages"]."""
    case = spec["case"]
    spec["stages"] = []
    if case == "subtract":
        fn = (lambda a, b: b - a) if wrong else (lambda a, b: a - b)
    elif case == "multiply":
        fn = (lambda *xs: sum(xs[1:], start=xs[0])) if wrong else (lambda *xs: math.prod(xs[1:], start=xs[0]))  # noqa: E731
    elif case == "scale":
        fn = lambda a: a * (spec["factor"] * (1 + 1e-8 if wrong else 1))  # noqa: E731
    elif case == "matmul":
        def fn(a, b):
            a = a.transpose(-1, -2) if spec["transpose_a"] else a
            b = b.transpose(-1, -2) if spec["transpose_b"] else b
            if wrong:  # in float32: the 1e-9 comparison must see its rounding
                return torch.matmul(a.float(), b.float()).double()
            return torch.matmul(a, b)
    else:
        def fn(q, k, v=None):
            return attention(q, k, k if v is None else v, spec, case == "hard_attention", wrong)
    return per_sample(values, batch, fn)


def expected_macs(shapes, layer, spec):
    if spec["case"] == "matmul":
        a, b = shapes
        ta, tb = spec["transpose_a"], spec["transpose_b"]
        n = 1 if len(a) == 1 else (a[-1] if ta else a[-2])
        k = a[-1] if len(a) == 1 else (a[-2] if ta else a[-1])
        p = 1 if len(b) == 1 else (b[-2] if tb else b[-1])
        la, lb = a[:-2], b[:-2]
        width = max(len(la), len(lb))
        la, lb = [1] * (width - len(la)) + la, [1] * (width - len(lb)) + lb
        return math.prod(max(x, y) for x, y in zip(la, lb)) * n * k * p
    if spec["case"] in ("attention", "hard_attention"):
        (tq, d), (tk, _) = shapes[0], shapes[1]
        dv = shapes[2][1] if len(shapes) > 2 else d
        return tq * tk * d + tq * tk * dv
    return 0


def check(binary, path, doc, values, layer, spec, wrong):
    batch = doc.get("batch")
    bad = []
    inputs, out = reference(values, layer, spec, batch, wrong)
    target = torch.tensor(doc["target"])
    loss = ((out - target) ** 2).sum()
    loss.backward()
    shapes = answers(binary, "shapes", path)
    if shapes.get("shapes.out") != list(out.shape):  # the batch axis only when "batch" is given
        bad.append(f"shape: dlsolve {shapes.get('shapes.out')}, PyTorch {list(out.shape)}")
    macs = answers(binary, "flops", path).get("macs.out", 0)
    sample_shapes = [list(torch.tensor(v).shape[1:] if batch else torch.tensor(v).shape) for v in values]
    if macs != expected_macs(sample_shapes, layer, spec):
        bad.append(f"MACs: dlsolve {macs}, closed form {expected_macs(sample_shapes, layer, spec)}")
    forward = answers(binary, "forward", path)
    backward = answers(binary, "backward", path)
    pairs = [("forward.out", forward.get("forward.out"), out.tolist()), ("loss", backward.get("loss"), loss.item())]
    if spec["stages"]:
        for i, key in enumerate(("scores", "weights")):
            stacked = torch.stack([stage[i] for stage in spec["stages"]])
            pairs.append((f"forward.out.{key}", forward.get(f"forward.out.{key}"), (stacked if batch else stacked[0]).tolist()))
    for name, t in zip(["x", "y", "z"], inputs):
        grad = t.grad if t.grad is not None else torch.zeros_like(t)
        pairs.append((f"grad.{name}", backward.get(f"grad.{name}"), grad.tolist()))
    return bad + differences(pairs)


def main(argv):
    self_test, count, binary = arguments(argv, 25)
    rng = random.Random(9)

    def one(case, index, path):
        doc, values, layer, spec = generate(case, rng, self_test)
        # the target: random numbers shaped like the output (one sample, or the batch)
        _, out = reference(values, layer, spec, doc.get("batch"), False)
        doc["target"] = tensor_values(rng, list(out.shape))
        write_json(path, doc)
        return check(binary, path, doc, values, layer, spec, self_test)

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
