#!/usr/bin/python3
"""Differential test: the attention matrices `summary` counts in the training memory,
against the tensors PyTorch's autograd saves for backward.

Usage: torch_attention_memory.py [--self-test] [--count N] DLSOLVE

dlsolve's convention (summary): per attention layer the scores S = QKᵀ/√d_k and the
softmax weights A, num_heads × T × S each per sample; training keeps A (joining the
activations that "forward/backward" doubles for their gradients) and frees S once the
softmax has run; inference counts S and A once.

Measured here with torch.autograd.graph.saved_tensors_hooks on a training forward pass
(dropout 0, float32 as summary's default dtype, batch N) of nn.MultiheadAttention called
with need_weights=True (the bmm path of F.multi_head_attention_forward), and of
nn.TransformerEncoderLayer / nn.TransformerDecoderLayer (their attention calls
need_weights=False, the python _scaled_dot_product_attention of torch 1.13): the saved
tensors shaped like one attention's weights [N·num_heads, T, S] are counted by distinct
storage. Autograd saves exactly one such tensor per attention (softmax's output, which
the AV bmm saves too: the same storage), never the scores; so its bytes must equal
summary's memory.LAYER(.self_attn|.multihead_attn).weights, and no second [N·h, T, S]
storage may be saved (the scores are not kept).
N generated problems per family (default 8).

--self-test: the measured count is planted one head too many: mismatches must be reported.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from difftools import arguments  # noqa: E402


def saved_storages(run):
    """{shape: set of storage pointers} of every tensor autograd saves during run()."""
    saved = {}

    def pack(t):
        saved.setdefault(tuple(t.shape), set()).add(t.storage().data_ptr())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return saved


def summary(binary, path):
    r = subprocess.run([binary, "summary", "--format", "json", path], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip()[:300])
    return json.loads(r.stdout)["answers"]


def lengths(rng, head_dim):
    """T and S, different from each other and from head_dim, so that no saved Q [N·h, T, d]
    or Kᵀ [N·h, d, S] has the weights' shape [N·h, T, S]."""
    t = rng.choice([x for x in range(2, 8) if x != head_dim])
    return t, rng.choice([x for x in range(2, 8) if x not in (t, head_dim)])


def mha_case(rng):
    heads, head_dim = rng.randint(1, 4), rng.randint(1, 4)
    e, n = heads * head_dim, rng.randint(1, 3)
    t, s = lengths(rng, head_dim)
    cross = rng.random() < 0.5
    s = s if cross else t
    layer = {"name": "mha", "type": "multi_head_attention", "embed_dim": e, "num_heads": heads}
    layers = []
    if cross:
        layers.append({"name": "memory", "type": "input", "shape": [s, e]})
        layer["inputs"] = ["x", "memory", "memory"]
    problem = {"title": "generated nn.MultiheadAttention memory", "framework": "pytorch", "batch": n,
               "input": {"name": "x", "shape": [t, e]}, "layers": layers + [layer], "ask": ["shapes"]}
    m = nn.MultiheadAttention(e, heads, dropout=0.0, batch_first=True).train()
    x = torch.randn(n, t, e, requires_grad=True)
    mem = torch.randn(n, s, e) if cross else x
    saved = saved_storages(lambda: m(x, mem, mem, need_weights=True)[0].sum())
    return problem, {"memory.mha.weights": (n * heads, t, s)}, saved


def block_case(rng, decoder):
    nhead, head_dim = rng.randint(1, 4), rng.randint(1, 4)
    d, n = nhead * head_dim, rng.randint(1, 3)
    t, s = lengths(rng, head_dim)
    cls = nn.TransformerDecoderLayer if decoder else nn.TransformerEncoderLayer
    m = cls(d, nhead, rng.randint(1, 8), dropout=0.0, batch_first=True).train()
    layer = {"name": "block", "type": "transformer_decoder" if decoder else "transformer_encoder", "d_model": d,
             "nhead": nhead, "dim_feedforward": m.linear1.out_features}
    layers = []
    x = torch.randn(n, t, d, requires_grad=True)
    want = {"memory.block.self_attn.weights": (n * nhead, t, t)}
    if decoder:
        layers.append({"name": "memory", "type": "input", "shape": [s, d]})
        layer["inputs"] = ["x", "memory"]
        mem = torch.randn(n, s, d)
        saved = saved_storages(lambda: m(x, mem).sum())
        want["memory.block.multihead_attn.weights"] = (n * nhead, t, s)
    else:
        saved = saved_storages(lambda: m(x).sum())
    problem = {"title": f"generated nn.{cls.__name__} memory", "framework": "pytorch", "batch": n,
               "input": {"name": "x", "shape": [t, d]}, "layers": layers + [layer], "ask": ["shapes"]}
    return problem, want, saved


def main(argv):
    self_test, count, binary = arguments(argv, 8)
    rng = random.Random(7)
    torch.manual_seed(7)
    families = {"nn.MultiheadAttention(need_weights=True)": lambda: mha_case(rng),
                "nn.TransformerEncoderLayer": lambda: block_case(rng, False),
                "nn.TransformerDecoderLayer": lambda: block_case(rng, True)}
    status, mismatches = 0, 0
    with tempfile.TemporaryDirectory(prefix="attention-memory-") as work:
        for family, make in families.items():
            bad = []
            for k in range(count):
                problem, want, saved = make()
                path = os.path.join(work, f"{k}.json")
                with open(path, "w") as f:
                    json.dump(problem, f)
                try:
                    got = summary(binary, path)
                except RuntimeError as e:
                    bad.append(f"{family} {k}: dlsolve failed: {e}")
                    continue
                for key, shape in want.items():
                    storages = len(saved.get(shape, ()))
                    if storages != 1:
                        bad.append(f"{family} {k}: autograd saved {storages} distinct {list(shape)} tensors, not 1 (A)")
                    elements = shape[0] * shape[1] * shape[2] + (shape[1] * shape[2] if self_test else 0)
                    if got.get(key) != 4 * elements:
                        bad.append(f"{family} {k}: {key} = {got.get(key)!r}, autograd saves {elements} float32 = {4 * elements} bytes")
            mismatches += len(bad)
            if not self_test:
                for line in bad[:10]:
                    print("FAIL", line)
                print(f"{family}: {count - len(set(b.split(':')[0] for b in bad))} of {count} agree with the tensors autograd saves")
                status |= 1 if bad else 0
    if self_test:
        ok = mismatches > 0
        print(f"attention memory: {'self-test passed' if ok else 'SELF-TEST FAILED'} ({mismatches} mismatches)")
        return 0 if ok else 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
