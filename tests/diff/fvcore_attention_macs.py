#!/usr/bin/python3
"""Differential test: the MACs of attention parts against fvcore's published counting rule.

Usage: fvcore_attention_macs.py [--self-test] [--count N] DLSOLVE

fvcore (facebookresearch/fvcore) counts "one fused multiply-add as one flop"
(fvcore/nn/flop_count.py, FlopCountAnalysis's docstring). fvcore is not a Debian package,
so its rule is written out below from its source: it traces the module with
torch.jit._get_trace_graph (fvcore/nn/jit_analysis.py) and applies, per traced op, the
handles of fvcore/nn/flop_count.py's _DEFAULT_SUPPORTED_OPS; those for products are in
fvcore/nn/jit_handles.py:
  aten::linear  linear_flop_jit:  prod(input shape) × weight.shape[0]
  aten::addmm   addmm_flop_jit:   batch × in × out of inputs[1], inputs[2]
  aten::bmm     bmm_flop_jit:     n × c × t × d for [n, c, t] @ [n, t, d]
  aten::matmul  matmul_flop_jit:  prod(first shape) × second.shape[-1]
  aten::einsum  einsum_flop_jit:  "abc,abd->acd" n·c·t·p, "abc,adc->adb" n·t·g·c, otherwise
                                  numpy.einsum_path(optimize="optimal")'s optimized flop / 2
Ops without a handle (softmax, aten::baddbmm, …) count 0 in fvcore.

Families (N each, default 20; batch 1, as dlsolve counts one sample):
  * nn.MultiheadAttention (self- and cross-attention, kdim/vdim, bias or not), called with
    need_weights=True (the bmm path of F.multi_head_attention_forward in torch 1.13) and
    no mask (with a mask torch uses aten::baddbmm for QKᵀ, which fvcore does not count);
  * nn.TransformerEncoderLayer and nn.TransformerDecoderLayer (training mode, dropout 0:
    the fused fast path of eval mode is one op fvcore has no handle for);
  * Keras MultiHeadAttention self-attention: Keras's call() written in torch.einsum
    (torch_mha.keras_forward), traced, so fvcore's einsum rule counts it.
The traced product ops are grouped in order into dlsolve's parts: per attention block the
linears (or einsums) before the first bmm are the query, key and value projections
(macs.L.*query_projection + key_projection + value_projection), then QKᵀ (…scores), AV
(…weighted_values) and the output projection; a transformer's last two linears are
linear1 and linear2. Each part of `dlsolve flops --format json` must equal fvcore's count
exactly (integers).

--self-test: fvcore's bmm rule is planted with an error (n × c × t, the d left out):
mismatches must be reported.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.jit import _get_trace_graph

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mha  # noqa: E402
from difftools import arguments  # noqa: E402

torch.set_default_dtype(torch.float64)
PLANT = [False]


def prod(shape):
    out = 1
    for n in shape:
        out *= n
    return out


def shapes_of(node):
    return [v.type().sizes() if v.isCompleteTensor() else None for v in node.inputs()]


# ---- fvcore/nn/jit_handles.py, written out -------------------------------------------
def linear_flop_jit(node):
    s = shapes_of(node)[0:2]
    assert s[0][-1] == s[1][-1]
    return prod(s[0]) * s[1][0]


def addmm_flop_jit(node):
    s = shapes_of(node)[1:3]
    batch_size, input_dim = s[0]
    return batch_size * input_dim * s[1][1]


def bmm_flop_jit(node):
    s = shapes_of(node)
    n, c, t = s[0]
    d = s[-1][-1]
    return n * c * t if PLANT[0] else n * c * t * d


def matmul_flop_jit(node):
    s = shapes_of(node)
    assert s[0][-1] == s[1][-2]
    return prod(s[0]) * s[-1][-1]


def einsum_flop_jit(node):
    inputs = list(node.inputs())
    equation = inputs[0].toIValue().replace(" ", "")
    shapes = [v.type().sizes() for v in inputs[1].node().inputs()]
    letters = list(dict.fromkeys(k for k in equation if k.isalpha()))
    equation = equation.translate({ord(x): 97 + i for i, x in enumerate(letters)})
    if equation == "abc,abd->acd":
        n, c, t = shapes[0]
        return n * c * t * shapes[-1][-1]
    if equation == "abc,adc->adb":
        n, t, g = shapes[0]
        return n * t * g * shapes[-1][1]
    optim = np.einsum_path(equation, *[np.zeros(s) for s in shapes], optimize="optimal")[1]
    for line in optim.split("\n"):
        if "optimized flop" in line.lower():
            return int(np.floor(float(line.split(":")[-1]) / 2))
    raise NotImplementedError(equation)


# fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS, the product handles
HANDLES = {"aten::addmm": addmm_flop_jit, "aten::bmm": bmm_flop_jit, "aten::einsum": einsum_flop_jit,
           "aten::matmul": matmul_flop_jit, "aten::linear": linear_flop_jit}


def fvcore_products(module, inputs):
    """(op kind, fvcore's count) of every product op of a traced forward pass, in order."""
    graph, _ = _get_trace_graph(module, inputs)
    return [(n.kind(), HANDLES[n.kind()](n)) for n in graph.nodes() if n.kind() in HANDLES]


def attention_parts(ops, prefix):
    """Group the ops of one attention block: projections before the first bmm, QKᵀ, AV, output."""
    first = next(i for i, (kind, _) in enumerate(ops) if kind == "aten::bmm")
    parts = {f"{prefix}projections": sum(c for _, c in ops[:first]), f"{prefix}scores": ops[first][1],
             f"{prefix}weighted_values": ops[first + 1][1], f"{prefix}output_projection": ops[first + 2][1]}
    return parts, ops[first + 3:]


def dlsolve_parts(binary, path, layer, prefixes):
    r = subprocess.run([binary, "flops", "--format", "json", path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip()[:300])
    got = json.loads(r.stdout)["answers"]
    out = {}
    for p in prefixes:
        key = f"macs.{layer}.{p}"
        proj = [got.get(key + x) for x in ("query_projection", "key_projection", "value_projection")]
        out[f"{p}projections"] = None if None in proj else sum(proj)
        for part in ("scores", "weighted_values", "output_projection"):
            out[p + part] = got.get(key + part)
    for part in ("linear1", "linear2"):
        if f"macs.{layer}.{part}" in got:
            out[part] = got[f"macs.{layer}.{part}"]
    return got, out


class Call(nn.Module):
    """nn.MultiheadAttention called as F.multi_head_attention_forward's bmm path."""
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, q, k, v):
        return self.m(q, k, v, need_weights=True)[0]


class KerasCall(nn.Module):
    def __init__(self, layer, heads, key_dim):
        super().__init__()
        self.p = nn.ParameterDict({r.replace(".", "_"): nn.Parameter(torch.randn(*s)) for r, s in layer.items()})
        self.heads, self.key_dim = heads, key_dim

    def forward(self, x):
        return torch_mha.keras_forward(dict(self.p), x, self.heads, self.key_dim, False, None)


def mha_case(rng):
    problem, _ = torch_mha.torch_mha_case(rng)
    layer = problem["layers"][-1]
    shapes = {l["name"]: l["shape"] for l in problem["layers"][:-1]}
    e, t = layer["embed_dim"], problem["input"]["shape"][0]
    kshape, vshape = shapes.get("key", [t, e]), shapes.get("value", [t, e])
    m = nn.MultiheadAttention(e, layer["num_heads"], bias=layer.get("bias", True), kdim=kshape[1], vdim=vshape[1],
                              batch_first=True, dropout=0.0).train()
    q = torch.randn(1, t, e)
    if "inputs" in layer:
        ops = fvcore_products(Call(m), (q, torch.randn(1, *kshape), torch.randn(1, *vshape)))
    else:
        ops = fvcore_products(Call(m), (q, q, q))
    parts, rest = attention_parts(ops, "")
    assert not rest, rest
    return problem, "mha", [""], parts


def block_case(rng, decoder):
    problem, _ = torch_mha.torch_block_case(rng, decoder)
    layer = problem["layers"][-1]
    t, d = problem["input"]["shape"]
    cls = nn.TransformerDecoderLayer if decoder else nn.TransformerEncoderLayer
    m = cls(d, layer["nhead"], layer["dim_feedforward"], dropout=0.0, activation=layer["activation"],
            norm_first=layer["norm_first"], batch_first=True).train()
    x = torch.randn(1, t, d)
    inputs = (x, torch.randn(1, *problem["layers"][0]["shape"])) if decoder else (x,)
    ops = fvcore_products(m, inputs)
    parts, rest = attention_parts(ops, "self_attn.")
    prefixes = ["self_attn."]
    if decoder:
        more, rest = attention_parts(rest, "multihead_attn.")
        parts.update(more)
        prefixes.append("multihead_attn.")
    assert len(rest) == 2, rest
    parts["linear1"], parts["linear2"] = rest[0][1], rest[1][1]
    return problem, "block", prefixes, parts


def keras_case(rng):
    heads, key_dim = rng.randint(1, 6), rng.randint(1, 8)
    value_dim = rng.randint(1, 8) if rng.random() < 0.4 else key_dim
    t, d = rng.randint(1, 8), rng.randint(1, 24)
    out = rng.randint(1, 24) if rng.random() < 0.3 else d
    layer = {"name": "mha", "type": "multi_head_attention", "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim,
             "output_shape": out}
    shapes = {"query_kernel": [d, heads, key_dim], "key_kernel": [d, heads, key_dim], "value_kernel": [d, heads, value_dim],
              "attention_output_kernel": [heads, value_dim, out]}
    problem = {"title": "generated keras MultiHeadAttention", "framework": "keras",
               "input": {"name": "x", "shape": [t, d]}, "layers": [layer], "ask": ["flops"]}
    layer["use_bias"] = False
    ops = fvcore_products(KerasCall(shapes, heads, key_dim), (torch.randn(1, t, d),))
    # call(): three projection einsums, QKᵀ, AV, the output einsum
    assert [k for k, _ in ops] == ["aten::einsum"] * 6, ops
    parts = {"projections": ops[0][1] + ops[1][1] + ops[2][1], "scores": ops[3][1], "weighted_values": ops[4][1],
             "output_projection": ops[5][1]}
    return problem, "mha", [""], parts


def main(argv):
    self_test, count, binary = arguments(argv, 20)
    PLANT[0] = self_test
    rng = random.Random(2024)
    torch.manual_seed(2024)
    families = {"nn.MultiheadAttention": lambda: mha_case(rng),
                "nn.TransformerEncoderLayer": lambda: block_case(rng, False),
                "nn.TransformerDecoderLayer": lambda: block_case(rng, True),
                "keras MultiHeadAttention (call() in torch.einsum)": lambda: keras_case(rng)}
    status, mismatches = 0, 0
    with tempfile.TemporaryDirectory(prefix="fvcore-") as work:
        for family, make in families.items():
            bad = []
            for k in range(count):
                problem, name, prefixes, truth = make()
                path = os.path.join(work, f"{k}.json")
                with open(path, "w") as f:
                    json.dump(problem, f)
                try:
                    got, parts = dlsolve_parts(binary, path, name, prefixes)
                except RuntimeError as e:
                    bad.append(f"{family} {k}: dlsolve failed: {e}")
                    continue
                for part, want in truth.items():
                    if parts.get(part) != want:
                        bad.append(f"{family} {k}: {part}: dlsolve {parts.get(part)!r}, fvcore's rule {want!r}")
                if sum(truth.values()) != got.get(f"macs.{name}"):
                    bad.append(f"{family} {k}: macs.{name} = {got.get(f'macs.{name}')!r}, fvcore's total {sum(truth.values())}")
            mismatches += len(bad)
            if not self_test:
                for line in bad[:10]:
                    print("FAIL", line)
                print(f"{family}: {count - len(set(b.split(':')[0] for b in bad))} of {count} agree with fvcore's rule, part by part")
                status |= 1 if bad else 0
    if self_test:
        ok = mismatches > 0
        print(f"fvcore rule: {'self-test passed' if ok else 'SELF-TEST FAILED'} ({mismatches} mismatches)")
        return 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
