#!/usr/bin/python3
"""Differential test: the cross-entropies over a sequence (one distribution per step)
against PyTorch (float64).

Usage: torch_sequence_ce.py [--self-test] DLSOLVE [--count N]

N generated problems per case (default 60): a batch of 1-3 outputs p of T × C per sample
(T 2-5 steps, C 2-5 classes) fed through an identity layer, with one class per step
("classes", nested per sample, or one-hot "target" rows), loss cross_entropy_logits or
cross_entropy (probabilities), "reduction" absent, "mean", "sum" or "none", and in half of
them "sample_weights". Cases:
  * keras-last: a Keras file, classes on the last axis by the convention (no "class_axis");
  * pytorch-last: a PyTorch file with "class_axis": "last";
  * pytorch-first: a PyTorch file whose samples are C × T, "class_axis": "first".
The reference is F.cross_entropy (or F.nll_loss of log p) with reduction='none' on
p.transpose(1, 2) for "last" and on p as it is for "first" (nn.CrossEntropyLoss's dim 1),
giving one loss per step of each sample; each is multiplied by its sample's weight, then
.mean() over all N·T of them or .sum(). `dlsolve backward --format json` gives the loss
and ∂L/∂p ("grad.p"); with "none", `dlsolve forward` gives the N·T losses ("loss").
Relative 1e-9 (absolute 1e-12 near 0).

--self-test: the reference takes the classes on the other axis (for square samples, where
the file would still run) or divides the mean by N instead of N·T; every case must report
mismatches.
"""
import random
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, differences, suite, write_json

torch.set_default_dtype(torch.float64)

CASES = ("keras-last", "pytorch-last", "pytorch-first")


def generate(case, rng):
    n, steps, classes = rng.randint(1, 3), rng.randint(2, 5), rng.randint(2, 5)
    loss = rng.choice(("cross_entropy_logits", "cross_entropy"))
    first = case == "pytorch-first"
    labels = [[rng.randrange(classes) for _ in range(steps)] for _ in range(n)]
    rows = []  # n × steps × classes
    for _ in range(n):
        sample = []
        for _ in range(steps):
            if loss == "cross_entropy":
                row = [rng.randint(1, 20) for _ in range(classes)]
                sample.append([v / sum(row) for v in row])
            else:
                sample.append([rng.randint(-12, 12) / 4 for _ in range(classes)])
        rows.append(sample)
    values = [[list(col) for col in zip(*sample)] for sample in rows] if first else rows  # C × T for "first"
    doc = {"title": "torch_sequence_ce", "framework": "keras" if case == "keras-last" else "pytorch", "batch": n,
           "input": {"name": "p", "values": values}, "layers": [{"name": "out", "type": "linear"}], "loss": loss}
    if case != "keras-last":
        doc["class_axis"] = "first" if first else "last"
    if rng.random() < 0.5:
        doc["target"] = {"classes": labels}
    else:
        hot = [[[1.0 if c == labels[s][t] else 0.0 for c in range(classes)] for t in range(steps)] for s in range(n)]
        doc["target"] = [[list(col) for col in zip(*sample)] for sample in hot] if first else hot
    reduction = rng.choice((None, "mean", "sum", "none"))
    if reduction:
        doc["reduction"] = reduction
    weights = [rng.randint(0, 12) / 4 for _ in range(n)] if rng.random() < 0.5 else None
    if weights:
        doc["sample_weights"] = weights
    return doc, values, labels, loss, first, reduction or "mean", weights


def reference(values, labels, loss, first, reduction, weights, wrong):
    p = torch.tensor(values, requires_grad=True)
    steps = len(labels[0])
    # nn.CrossEntropyLoss's classes are dim 1: as it is for "first", transposed for "last".
    # The self-test's wrong axis: a square sample read the other way.
    square = p.shape[1] == p.shape[2]
    other = wrong and square
    scores = p if first != other else p.transpose(1, 2)
    t = torch.tensor(labels)
    per = F.cross_entropy(scores, t, reduction="none") if loss == "cross_entropy_logits" else \
        F.nll_loss(torch.log(scores), t, reduction="none")
    w = torch.tensor(weights)[:, None].expand_as(per) if weights else torch.ones_like(per)
    weighted = per * w
    if reduction == "none":
        return weighted.flatten().tolist() if not (wrong and not square) else (weighted.flatten() / steps).tolist(), None
    if reduction == "sum":
        out = weighted.sum() if not (wrong and not square) else weighted.sum() / steps
    else:
        out = weighted.mean() if not (wrong and not square) else weighted.sum() / p.shape[0]
    out.backward()
    return out.item(), p.grad.tolist()


def main(argv):
    self_test, count, binary = arguments(argv, 60)
    rng = random.Random(2024)

    def one(case, index, path):
        doc, values, labels, loss, first, reduction, weights = generate(case, rng)
        write_json(path, doc)
        ref_loss, ref_grad = reference(values, labels, loss, first, reduction, weights, self_test)
        if reduction == "none":
            return differences([("loss", answers(binary, "forward", path).get("loss"), ref_loss)], sides=("dlsolve", "PyTorch"))
        got = answers(binary, "backward", path)
        return differences([("loss", got.get("loss"), ref_loss), ("grad.p", got.get("grad.p"), ref_grad)], sides=("dlsolve", "PyTorch"))

    return suite(CASES, count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
