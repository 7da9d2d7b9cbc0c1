#!/usr/bin/python3
"""Differential test: multi-head attention and transformer blocks against PyTorch (float64).

Usage: torch_mha.py [--self-test] DLSOLVE [--count N]

Counts (N generated problems per family, default 60; `params` and `flops --format json`):
  * nn.MultiheadAttention(E, H, bias, kdim, vdim): self-attention on [T, E] or
    cross-attention [query, key, value] from `input` layers; params.total against
    sum(p.numel()) of the module, shapes against its output, macs.total against the
    multiply-accumulates of the F.linear / torch.bmm / torch.baddbmm calls of a real
    forward pass (counted by wrapping those functions: one MAC per product term, the
    rule fvcore and torch-scan use for matmuls), so QKᵀ and AV are included.
  * nn.TransformerEncoderLayer(d, nhead, dff, activation, norm_first) and
    nn.TransformerDecoderLayer (inputs [tgt, memory]): params, shapes, MACs likewise.
  * Keras MultiHeadAttention(num_heads, key_dim, value_dim, output_shape, use_bias):
    TensorFlow.js has no such layer, so the count is the sum of the kernel shapes that
    keras/src/layers/attention/multi_head_attention.py builds (keras-team/keras,
    MultiHeadAttention.build: EinsumDense "query", "key" with kernels
    [d_in, num_heads, key_dim] and biases [num_heads, key_dim], "value" with
    [d_in, num_heads, value_dim] and [num_heads, value_dim], "attention_output" with
    [num_heads, value_dim, d_out] and [d_out], d_out = output_shape or the query's width).
Values (N problems per layout): self-attention on a batch of [T, E] sequences with
small random weights, MSE against a random target; `backward --format json` gives
forward.LAYER, loss, grad.INPUT and grad.LAYER.ROLE. The PyTorch layout is compared with
nn.MultiheadAttention(batch_first=True) and autograd; the Keras layout with Keras's
call() written out in torch (einsum with its kernel shapes, query scaled by
1/√key_dim, softmax over the keys). Transformer blocks (N each): nn.TransformerEncoderLayer
and nn.TransformerDecoderLayer (memory = tgt: the input read twice) with every parameter
given under its PyTorch name, relu or gelu, norm_first or not, against autograd.
Two in five self-attention layers carry a mask (causal, or 0/1 with 1 = may attend):
nn.MultiheadAttention gets its negation as the boolean attn_mask (True = blocked), the
Keras call() a −inf where Keras adds its large negative number. Every values problem is
also trained 3 steps of SGD (momentum 0 or 0.9; `train --format json`'s update.LAYER.ROLE)
and compared with torch.optim.SGD on the same parameters.
Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the references are planted with errors (every count one too large, the scale
1/√E instead of 1/√head_dim, the other LayerNorm placement); every family must report
mismatches.
"""
import copy
import json
import math
import os
import random
import sys
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

from difftools import answers, arguments, differences, flat

torch.set_default_dtype(torch.float64)
REL, ABS = 1e-9, 1e-12

# MACs of a real forward pass: every F.linear, torch.bmm and torch.baddbmm call.
_MACS = [0]
_linear, _bmm, _baddbmm = F.linear, torch.bmm, torch.baddbmm


def _count_linear(x, w, b=None):
    _MACS[0] += x.numel() // x.shape[-1] * w.shape[0] * w.shape[1]
    return _linear(x, w, b)


def _count_bmm(a, b, **kw):
    _MACS[0] += a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
    return _bmm(a, b, **kw)


def _count_baddbmm(i, a, b, **kw):
    _MACS[0] += a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2]
    return _baddbmm(i, a, b, **kw)


def measured_macs(module, *inputs):
    """MACs of one forward pass (batch 1); training mode with dropout 0 keeps the
    module off the fused fast path, whose kernels cannot be counted this way."""
    module.train()
    F.linear, torch.bmm, torch.baddbmm = _count_linear, _count_bmm, _count_baddbmm
    try:
        _MACS[0] = 0
        if isinstance(module, nn.MultiheadAttention):
            module(*inputs, need_weights=False)
        else:
            module(*inputs)
        return _MACS[0]
    finally:
        F.linear, torch.bmm, torch.baddbmm = _linear, _bmm, _baddbmm


def run(binary, command, path):
    """(answers, None), or (None, dlsolve's message) when it refuses the problem."""
    try:
        return answers(binary, command, path, timeout=120), None
    except RuntimeError as e:
        return None, str(e)


# ---- counts ------------------------------------------------------------------------

def torch_mha_case(rng):
    heads, head_dim = rng.randint(1, 8), rng.randint(1, 16)
    e = heads * head_dim
    t, s = rng.randint(1, 12), rng.randint(1, 12)
    bias = rng.random() < 0.8
    cross = rng.random() < 0.4
    kdim = rng.randint(1, 40) if cross and rng.random() < 0.5 else e
    vdim = rng.randint(1, 40) if cross and rng.random() < 0.5 else e
    layer = {"name": "mha", "type": "multi_head_attention", "embed_dim": e, "num_heads": heads}
    if not bias:
        layer["bias"] = False
    layers = []
    if cross:
        if kdim != e:
            layer["kdim"] = kdim
        if vdim != e:
            layer["vdim"] = vdim
        layers += [{"name": "key", "type": "input", "shape": [s, kdim]},
                   {"name": "value", "type": "input", "shape": [s, vdim]}]
        layer["inputs"] = ["query", "key", "value"]
    else:
        s = t
    problem = {"title": "generated nn.MultiheadAttention", "framework": "pytorch",
               "input": {"name": "query", "shape": [t, e]}, "layers": layers + [layer], "ask": ["shapes", "params"]}
    m = nn.MultiheadAttention(e, heads, dropout=0.0, bias=bias, kdim=kdim, vdim=vdim, batch_first=True)
    q, k, v = torch.randn(1, t, e), torch.randn(1, s, kdim), torch.randn(1, s, vdim)
    y = m(q, k, v, need_weights=False)[0]
    return problem, {"params.mha": sum(p.numel() for p in m.parameters()), "shapes.mha": list(y.shape[1:]),
                     "macs.mha": measured_macs(m, q, k, v)}


def torch_block_case(rng, decoder):
    nhead, head_dim = rng.randint(1, 6), rng.randint(1, 12)
    d = nhead * head_dim
    dff = rng.randint(1, 64)
    t, s = rng.randint(1, 10), rng.randint(1, 10)
    activation = rng.choice(["relu", "gelu"])
    norm_first = rng.random() < 0.5
    layer = {"name": "block", "type": "transformer_decoder" if decoder else "transformer_encoder", "d_model": d,
             "nhead": nhead, "dim_feedforward": dff, "activation": activation, "norm_first": norm_first}
    layers = []
    cls = nn.TransformerDecoderLayer if decoder else nn.TransformerEncoderLayer
    m = cls(d, nhead, dff, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    x = torch.randn(1, t, d)
    if decoder:
        layers.append({"name": "memory", "type": "input", "shape": [s, d]})
        layer["inputs"] = ["tgt", "memory"]
        mem = torch.randn(1, s, d)
        y, macs = m(x, mem), measured_macs(m, x, mem)
    else:
        y, macs = m(x), measured_macs(m, x)
    problem = {"title": f"generated nn.{cls.__name__}", "framework": "pytorch",
               "input": {"name": "tgt", "shape": [t, d]}, "layers": layers + [layer], "ask": ["shapes", "params"]}
    return problem, {"params.block": sum(p.numel() for p in m.parameters()), "shapes.block": list(y.shape[1:]),
                     "macs.block": macs}


def keras_mha_case(rng):
    heads, key_dim = rng.randint(1, 8), rng.randint(1, 16)
    value_dim = rng.randint(1, 16) if rng.random() < 0.4 else key_dim
    use_bias = rng.random() < 0.8
    t, s = rng.randint(1, 10), rng.randint(1, 10)
    dq = rng.randint(1, 40)
    cross = rng.random() < 0.5
    dv = rng.randint(1, 40) if cross else dq
    dk = rng.randint(1, 40) if cross and rng.random() < 0.5 else dv
    d_out = rng.randint(1, 40) if rng.random() < 0.3 else None
    layer = {"name": "mha", "type": "multi_head_attention", "num_heads": heads, "key_dim": key_dim}
    if value_dim != key_dim:
        layer["value_dim"] = value_dim
    if not use_bias:
        layer["use_bias"] = False
    if d_out:
        layer["output_shape"] = d_out
    layers = []
    if cross:
        layers.append({"name": "value", "type": "input", "shape": [s, dv]})
        layer["inputs"] = ["query", "value"]
        if dk != dv:
            layers.append({"name": "key", "type": "input", "shape": [s, dk]})
            layer["inputs"].append("key")
    else:
        s = t
    out = d_out or dq
    # The kernel and bias shapes of MultiHeadAttention.build (see the docstring).
    shapes = [[dq, heads, key_dim], [heads, key_dim], [dk, heads, key_dim], [heads, key_dim],
              [dv, heads, value_dim], [heads, value_dim], [heads, value_dim, out], [out]]
    if not use_bias:
        shapes = shapes[0::2]
    count = sum(math.prod(sh) for sh in shapes)
    problem = {"title": "generated keras MultiHeadAttention", "framework": "keras",
               "input": {"name": "query", "shape": [t, dq]}, "layers": layers + [layer], "ask": ["shapes", "params"]}
    # MACs: the four EinsumDense contractions and the two attention einsums of call().
    macs = t * dq * heads * key_dim + s * dk * heads * key_dim + s * dv * heads * value_dim \
        + heads * t * s * key_dim + heads * t * s * value_dim + t * heads * value_dim * out
    return problem, {"params.mha": count, "shapes.mha": [t, out], "macs.mha": macs}


def compare_counts(binary, work, k, problem, truth, plant):
    path = os.path.join(work, f"count-{k}.json")
    with open(path, "w") as f:
        json.dump(problem, f)
    if plant:
        key = next(x for x in truth if x.startswith("params."))
        truth = dict(truth, **{key: truth[key] + 1})
    got, err = run(binary, "params", path)
    if err:
        return [f"{problem['title']} {k}: dlsolve failed: {err}"]
    for command in ("shapes", "flops"):
        more, err = run(binary, command, path)
        if err:
            return [f"{problem['title']} {k}: dlsolve {command} failed: {err}"]
        got.update(more)
    bad = []
    for key, want in truth.items():
        if got.get(key) != want:
            bad.append(f"{problem['title']} {k}: {key} = {got.get(key)!r}, framework {want!r} ({json.dumps(problem['layers'])})")
    return bad


# ---- values ------------------------------------------------------------------------

def small(rng, shape):
    if not shape:
        return round(rng.uniform(-1, 1), 2)
    return [small(rng, shape[1:]) for _ in range(shape[0])]


def values_case(rng, keras):
    heads, head_dim = rng.randint(1, 3), rng.randint(1, 3)
    batch, t = rng.randint(1, 2), rng.randint(1, 4)
    bias = rng.random() < 0.7
    if keras:
        d = rng.randint(1, 5)
        value_dim = rng.randint(1, 3)
        out = rng.choice([d, rng.randint(1, 4)])
        shapes = {"query_kernel": [d, heads, head_dim], "query_bias": [heads, head_dim],
                  "key_kernel": [d, heads, head_dim], "key_bias": [heads, head_dim],
                  "value_kernel": [d, heads, value_dim], "value_bias": [heads, value_dim],
                  "attention_output_kernel": [heads, value_dim, out], "attention_output_bias": [out]}
        layer = {"name": "mha", "type": "multi_head_attention", "num_heads": heads, "key_dim": head_dim,
                 "value_dim": value_dim, "output_shape": out, "use_bias": bias}
    else:
        d = out = heads * head_dim
        shapes = {"in_proj_weight": [3 * d, d], "in_proj_bias": [3 * d], "out_proj.weight": [d, d], "out_proj.bias": [d]}
        layer = {"name": "mha", "type": "multi_head_attention", "embed_dim": d, "num_heads": heads, "bias": bias}
    if not bias:
        shapes = {r: s for r, s in shapes.items() if "bias" not in r}
    for role, shape in shapes.items():
        layer[role] = small(rng, shape)
    # a mask on two problems in five: causal, or 0/1 (1 = may attend) with a key in every row
    allowed = None
    if rng.random() < 0.4:
        if rng.random() < 0.5:
            layer["mask"] = "causal"
            allowed = [[int(j <= i) for j in range(t)] for i in range(t)]
        else:
            allowed = [[rng.randint(0, 1) for _ in range(t)] for _ in range(t)]
            for row in allowed:
                row[rng.randrange(t)] = 1
            layer["mask"] = allowed
    x = small(rng, [batch, t, d])
    target = small(rng, [batch, t, out])
    problem = {"title": "generated attention values", "framework": "keras" if keras else "pytorch", "batch": batch,
               "input": {"name": "x", "shape": [t, d], "values": x}, "layers": [layer], "target": target,
               "loss": "mse", "ask": ["forward", "loss"]}
    return problem, heads, head_dim, allowed


def keras_reference(layer, x, heads, key_dim, plant, allowed):
    """keras MultiHeadAttention.call() on query = value = key = x, in torch; `allowed` is
    its attention_mask (1 = may attend; Keras adds a large negative number elsewhere
    before the softmax, whose exponential is 0 in float64 as −inf's is)."""
    p = {r: torch.tensor(layer[r], requires_grad=True) for r in layer if r.endswith(("_kernel", "_bias")) and r != "use_bias"}
    again = lambda: keras_forward(p, x, heads, key_dim, plant, allowed)
    return again(), p, again


def keras_forward(p, x, heads, key_dim, plant, allowed):
    q = torch.einsum("btd,dhk->bthk", x, p["query_kernel"])
    k = torch.einsum("btd,dhk->bthk", x, p["key_kernel"])
    v = torch.einsum("btd,dhk->bthk", x, p["value_kernel"])
    if "query_bias" in p:
        q, k, v = q + p["query_bias"], k + p["key_bias"], v + p["value_bias"]
    scale = 1.0 / math.sqrt(key_dim * heads if plant else key_dim)
    scores = torch.einsum("bshk,bthk->bhts", k, q * scale)
    if allowed is not None:
        scores = scores.masked_fill(~torch.tensor(allowed, dtype=torch.bool), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    context = torch.einsum("bhts,bshk->bthk", weights, v)
    y = torch.einsum("bthk,hko->bto", context, p["attention_output_kernel"])
    if "attention_output_bias" in p:
        y = y + p["attention_output_bias"]
    return y


def torch_reference(layer, x, heads, plant, allowed):
    d = layer["embed_dim"]
    m = nn.MultiheadAttention(d, heads, dropout=0.0, bias=layer["bias"], batch_first=True)
    with torch.no_grad():
        m.in_proj_weight.copy_(torch.tensor(layer["in_proj_weight"]))
        m.out_proj.weight.copy_(torch.tensor(layer["out_proj.weight"]))
        if layer["bias"]:
            m.in_proj_bias.copy_(torch.tensor(layer["in_proj_bias"]))
            m.out_proj.bias.copy_(torch.tensor(layer["out_proj.bias"]))
    if plant:  # scale by 1/√E instead of 1/√head_dim: scale the query weights by √(1/heads)
        with torch.no_grad():
            m.in_proj_weight[:d] *= math.sqrt(1.0 / heads)
            if layer["bias"]:
                m.in_proj_bias[:d] *= math.sqrt(1.0 / heads)
        if heads == 1:  # nothing to plant: flip the output instead
            with torch.no_grad():
                m.out_proj.weight.mul_(-1.0)
    m.train()
    # nn.MultiheadAttention's boolean attn_mask: True where a position may NOT attend
    mask = None if allowed is None else ~torch.tensor(allowed, dtype=torch.bool)
    again = lambda: m(x, x, x, need_weights=False, attn_mask=mask)[0]
    params = {"in_proj_weight": m.in_proj_weight, "out_proj.weight": m.out_proj.weight}
    if layer["bias"]:
        params.update({"in_proj_bias": m.in_proj_bias, "out_proj.bias": m.out_proj.bias})
    return again(), params, again


def trained(problem, reference, prefix):
    """The parameters after the problem's SGD steps (torch.optim.SGD on MSE), from fresh
    ones: `reference()` gives (output, parameters by role, a forward pass again)."""
    _, params, again = reference()
    o = problem["optimizer"]
    opt = torch.optim.SGD(list(params.values()), lr=o["lr"], momentum=o["momentum"])
    for _ in range(problem["steps"]):
        opt.zero_grad()
        F.mse_loss(again(), torch.tensor(problem["target"])).backward()
        opt.step()
    return {f"update.{prefix}.{role}": flat(t.detach().tolist()) for role, t in params.items()}


def with_sgd(problem, rng, lr=0.1):
    """3 steps of SGD (with momentum 0.9 on half of the problems) to compare after."""
    problem.update({"optimizer": {"type": "sgd", "lr": lr, "momentum": rng.choice([0.0, 0.9])}, "steps": 3})
    return problem


def run_numeric(binary, path):
    """backward's and forward's answers in one dictionary, or dlsolve's message."""
    got, err = run(binary, "backward", path)
    if not err:
        forward, err = run(binary, "forward", path)
    if not err:
        steps, err = run(binary, "train", path)
    return (None, err) if err else ({**got, **forward, **{k: v for k, v in steps.items() if k.startswith("update.")}}, None)


def compare_values(binary, work, k, keras, rng, plant):
    problem, heads, head_dim, allowed = values_case(rng, keras)
    with_sgd(problem, rng)
    layer = problem["layers"][0]
    path = os.path.join(work, f"values-{k}.json")
    with open(path, "w") as f:
        json.dump(problem, f)
    got, err = run_numeric(binary, path)
    if err:
        return [f"values {k}: {err}"]
    x = torch.tensor(problem["input"]["values"], requires_grad=True)
    if keras:
        reference = lambda: keras_reference(layer, x, heads, head_dim, plant, allowed)
    else:
        reference = lambda: torch_reference(layer, x, heads, plant, allowed)
    y, params, _ = reference()
    loss = F.mse_loss(y, torch.tensor(problem["target"]))
    loss.backward()
    truth = {"forward.mha": flat(y.tolist()), "loss": [loss.item()], "grad.x": flat(x.grad.tolist())}
    for role, t in params.items():
        truth[f"grad.mha.{role}"] = flat(t.grad.tolist())
    truth.update(trained(problem, reference, "mha"))
    return [f"values {k} ({problem['framework']}): {line}"
            for line in differences([(key, got.get(key), want) for key, want in truth.items()], REL, ABS)]


def block_values_case(binary, work, k, rng, decoder, plant):
    """nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (decoder: memory = tgt, the
    same input read twice) with every parameter given, against autograd."""
    nhead, head_dim = rng.randint(1, 2), rng.randint(1, 2)
    d, dff = nhead * head_dim, rng.randint(1, 4)
    batch, t = rng.randint(1, 2), rng.randint(1, 3)
    activation, norm_first = rng.choice(["relu", "gelu"]), rng.random() < 0.5
    cls = nn.TransformerDecoderLayer if decoder else nn.TransformerEncoderLayer
    m = cls(d, nhead, dff, dropout=0.0, activation=activation, norm_first=norm_first, batch_first=True)
    layer = {"name": "block", "type": "transformer_decoder" if decoder else "transformer_encoder", "d_model": d,
             "nhead": nhead, "dim_feedforward": dff, "activation": activation, "norm_first": norm_first}
    with torch.no_grad():
        for name, p in m.named_parameters():
            values = small(rng, list(p.shape))
            layer[name] = values
            p.copy_(torch.tensor(values))
    if decoder:
        layer["inputs"] = ["x", "x"]
    x_values = small(rng, [batch, t, d])
    target = small(rng, [batch, t, d])
    problem = {"title": f"generated {cls.__name__} values", "framework": "pytorch", "batch": batch,
               "input": {"name": "x", "shape": [t, d], "values": x_values}, "layers": [layer], "target": target,
               "loss": "mse", "ask": ["forward", "loss"]}
    # a small rate: a LayerNorm over d_model = 2 features that steps bring near each other
    # divides by a tiny deviation, and rounding differences of 1e-14 grew past 1e-9 at 0.1
    with_sgd(problem, rng, lr=0.01)
    path = os.path.join(work, f"block-{k}.json")
    with open(path, "w") as f:
        json.dump(problem, f)
    got, err = run_numeric(binary, path)
    if err:
        return [f"block values {k}: {err}"]
    if plant:  # the other LayerNorm placement
        m.norm_first = not m.norm_first
    m.train()
    fresh = copy.deepcopy(m)
    x = torch.tensor(x_values, requires_grad=True)
    y = m(x, x) if decoder else m(x)
    loss = F.mse_loss(y, torch.tensor(target))
    loss.backward()
    truth = {"forward.block": flat(y.tolist()), "loss": [loss.item()], "grad.x": flat(x.grad.tolist())}
    for name, p in m.named_parameters():
        truth[f"grad.block.{name}"] = flat(p.grad.tolist())
    xs = torch.tensor(x_values)
    again = lambda: fresh(xs, xs) if decoder else fresh(xs)
    truth.update(trained(problem, lambda: (None, dict(fresh.named_parameters()), again), "block"))
    return [f"block values {k} ({cls.__name__}): {line}"
            for line in differences([(key, got.get(key), want) for key, want in truth.items()], REL, ABS)]


def main(argv):
    self_test, count, binary = arguments(argv, 60)
    rng = random.Random(9)
    torch.manual_seed(9)
    families = {
        "nn.MultiheadAttention counts": lambda: torch_mha_case(rng),
        "nn.TransformerEncoderLayer counts": lambda: torch_block_case(rng, False),
        "nn.TransformerDecoderLayer counts": lambda: torch_block_case(rng, True),
        "keras MultiHeadAttention counts": lambda: keras_mha_case(rng),
    }
    status = 0
    with tempfile.TemporaryDirectory(prefix="torch_mha-") as work:
        k = 0
        for family, make in families.items():
            failures = []
            for _ in range(count):
                problem, truth = make()
                failures += compare_counts(binary, work, k, problem, truth, self_test)
                k += 1
            status |= report(family, count, failures, self_test)
        for keras in (False, True):
            failures = []
            for _ in range(count):
                failures += compare_values(binary, work, k, keras, rng, self_test)
                k += 1
            status |= report(f"{'keras' if keras else 'pytorch'} self-attention values", count, failures, self_test)
        for decoder in (False, True):
            failures = []
            for _ in range(count):
                failures += block_values_case(binary, work, k, rng, decoder, self_test)
                k += 1
            status |= report(f"nn.Transformer{'Decoder' if decoder else 'Encoder'}Layer values", count, failures, self_test)
    return status


def report(family, count, failures, self_test):
    if self_test:
        ok = len(failures) > 0
        print(f"{family}: {'self-test passed' if ok else 'SELF-TEST FAILED: the planted error went unnoticed'} "
              f"({len(failures)} mismatches in {count} problems)")
        return 0 if ok else 1
    for line in failures[:10]:
        print("FAIL", line)
    print(f"{family}: {count - len(set(f.split(':')[0] for f in failures))} of {count} agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
