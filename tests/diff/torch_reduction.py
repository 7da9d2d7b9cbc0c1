#!/usr/bin/python3
"""Differential test: dlsolve's "reduction" and "sample_weights" on every loss against PyTorch (float64).

Usage: torch_reduction.py [--self-test] [--none] DLSOLVE [--count N]

For each loss, N (default 100) generated problems (batch 1-4, 2-6 outputs), each with
"reduction" absent, "mean" or "sum" and, in two of three, "sample_weights" (one per
sample, 0 to 3 in quarter steps). `dlsolve backward --format json` gives the loss and
∂L/∂output ("grad.p"); PyTorch computes both with autograd from the loss with
reduction='none' (per element, or per sample for the cross-entropies and margin losses),
multiplied by each sample's weight, then .mean() or .sum(): the rule dlsolve documents
(docs/problem-format.md; Keras's sample_weight with sum_over_batch_size is the same mean).
hinge is CS231n's loss: F.multi_margin_loss(reduction='none') × the number of classes.
They must agree to a relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference divides a weighted mean by Σw (the rule of
nn.CrossEntropyLoss's per-class weight) and takes "sum" as the mean; every loss must
report mismatches.

--none: "reduction": "none" instead, with the same generator (seed 1516). `dlsolve forward
--format json` gives the list of losses ("loss"), one per element (mse, mae, bce,
bce_logits) or per sample (the cross-entropies and margin losses) as PyTorch's
reduction='none' returns them, each multiplied by its sample's weight; they must agree
to a relative 1e-9. `dlsolve backward` must refuse such a problem (exit 2, one line), as
torch's backward() refuses a non-scalar. Its --self-test leaves the weights out and
divides each loss by the number of losses (a mean taken where none is).
"""
import os
import random
import subprocess
import sys

import torch
import torch.nn.functional as F

# One comparison rule with the losses' own test; PyTorch gives no NaN gradient here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from difftools import answers, arguments, close, suite, write_json  # noqa: E402
from torch_losses import compare as compare_with_nan  # noqa: E402


def compare(got_loss, got_grad, ref_loss, ref_grad):
    return compare_with_nan(got_loss, got_grad, ref_loss, ref_grad, nan_is_zero=False)

torch.set_default_dtype(torch.float64)

LOSSES = ("mse", "mae", "bce", "bce_logits", "cross_entropy", "cross_entropy_logits", "hinge", "multi_margin")
CATEGORICAL = ("cross_entropy", "cross_entropy_logits", "hinge", "multi_margin")


def generate(loss, rng, none=False):
    n, c = rng.randint(1, 4), rng.randint(2, 6)
    classes = [rng.randrange(c) for _ in range(n)]
    if loss == "cross_entropy":
        values = []
        for _ in range(n):
            row = [rng.randint(1, 20) for _ in range(c)]
            values.append([v / sum(row) for v in row])
    elif loss == "bce":
        values = [[rng.randint(1, 19) / 20 for _ in range(c)] for _ in range(n)]
    else:
        values = [[rng.randint(-12, 12) / 4 for _ in range(c)] for _ in range(n)]
    if loss in CATEGORICAL:
        target = {"classes": classes}
    elif loss in ("bce", "bce_logits"):
        target = [[float(rng.randint(0, 1)) for _ in range(c)] for _ in range(n)]
    else:
        target = [[rng.randint(-12, 12) / 4 for _ in range(c)] for _ in range(n)]
    doc = {"title": "torch_reduction", "framework": "pytorch", "batch": n,
           "input": {"name": "p", "values": values},
           "layers": [{"name": "out", "type": "linear"}], "target": target, "loss": loss}
    reduction = "none" if none else rng.choice([None, "mean", "sum"])
    if reduction:
        doc["reduction"] = reduction
    weights = [rng.randint(0, 12) / 4 for _ in range(n)] if rng.random() < 2 / 3 else None
    if weights:
        doc["sample_weights"] = weights
    return doc, values, classes if loss in CATEGORICAL else target, reduction or "mean", weights


def unreduced(loss, p, target, weights):
    """PyTorch's reduction='none' losses of prediction p, and the sample weights spread
    over them (ones without weights)."""
    t = torch.tensor(target)
    if loss == "mse":
        per = F.mse_loss(p, t, reduction="none")
    elif loss == "mae":
        per = F.l1_loss(p, t, reduction="none")
    elif loss == "bce":
        per = F.binary_cross_entropy(p, t, reduction="none")
    elif loss == "bce_logits":
        per = F.binary_cross_entropy_with_logits(p, t, reduction="none")
    elif loss == "cross_entropy":
        per = F.nll_loss(torch.log(p), t, reduction="none")
    elif loss == "cross_entropy_logits":
        per = F.cross_entropy(p, t, reduction="none")
    else:
        per = F.multi_margin_loss(p, t, reduction="none")
        if loss == "hinge":
            per = per * p.shape[-1]
    w = torch.tensor(weights) if weights else torch.ones(p.shape[0])
    if per.dim() == 2:
        w = w[:, None].expand_as(per)
    return per, w


def reference(loss, values, target, reduction, weights, wrong):
    p = torch.tensor(values, requires_grad=True)
    per, w = unreduced(loss, p, target, weights)
    weighted = per * w
    if wrong:  # Σw as the divisor, and "sum" taken as the mean
        out = weighted.sum() / w.sum() if weights and float(w.sum()) != 0 else weighted.mean()
    else:
        out = weighted.sum() if reduction == "sum" else weighted.mean()
    out.backward()
    return out.item(), p.grad.tolist()


def reference_none(loss, values, target, weights, wrong):
    """PyTorch's reduction='none' losses, each times its sample's weight."""
    per, w = unreduced(loss, torch.tensor(values), target, weights)
    out = per / per.numel() if wrong else per * w
    return out.flatten().tolist()


def refuses_backward(binary, path):
    run = subprocess.run([binary, "backward", path], capture_output=True, text=True)
    lines = run.stderr.strip().split("\n")
    if run.returncode != 2 or run.stdout or len(lines) != 1 or "none" not in lines[0]:
        return [f"backward of reduction 'none': exit {run.returncode}, stdout {run.stdout[:80]!r}, stderr {run.stderr!r}"]
    return []


def main(argv):
    none = "--none" in argv
    argv = [a for a in argv if a != "--none"]
    self_test, count, binary = arguments(argv, 100)
    rng = random.Random(1516 if none else 1515)

    def one_none(loss, index, path):
        doc, values, target, _, weights = generate(loss, rng, none=True)
        write_json(path, doc)
        got = answers(binary, "forward", path)["loss"]
        ref = reference_none(loss, values, target, weights, self_test)
        bad = [] if len(got) == len(ref) else [f"{len(got)} losses, PyTorch {len(ref)}"]
        bad += [f"loss {k + 1}: dlsolve {g}, PyTorch {r}" for k, (g, r) in enumerate(zip(got, ref)) if not close(g, r)]
        return bad + ([] if self_test or index % 10 else refuses_backward(binary, path))

    if none:
        return suite(LOSSES, count, self_test, one_none)

    def one(loss, index, path):
        doc, values, target, reduction, weights = generate(loss, rng)
        write_json(path, doc)
        got = answers(binary, "backward", path)
        ref_loss, ref_grad = reference(loss, values, target, reduction, weights, self_test)
        return compare(got["loss"], got["grad.p"], ref_loss, ref_grad)

    return suite(LOSSES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
