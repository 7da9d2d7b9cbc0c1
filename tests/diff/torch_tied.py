#!/usr/bin/python3
"""Differential test: parameter counts of networks with tied weights against PyTorch.

Usage: torch_tied.py [--self-test] DLSOLVE [--count N]

N generated problems per case (default 40), each a language-model-like stack: an
embedding of V tokens in D dimensions, then zero to two dense or layernorm layers of
width D, then an output dense layer of V units (with or without a bias) whose weights
are the embedding's ("tied_to"). The same network is built in torch.nn with
`head.weight = embedding.weight`, as Hugging Face ties a language model's head, and
dlsolve's `params --format json` must give
  * params.total = sum(p.numel() for p in model.parameters()), which counts a shared
    tensor once;
  * params.HEAD = the numel of the head's parameters other than the shared matrix (its
    bias, or 0);
  * and, for the same file without the tie, params.total larger by V × D, the count of
    the untied model (a head with its own nn.Linear weight).
Cases: "keras" files (dlsolve's Dense kernel D × V, the transpose of the embedding's
V × D) and "pytorch" files.

--self-test: the reference counts the shared tensor twice (as torchinfo did before
TylerYep/torchinfo#397) and gives the head its whole nn.Linear count; every case must
report mismatches.
"""
import random
import sys

import torch

from difftools import answers, arguments, differences, suite, write_json

CASES = ("keras", "pytorch")


def generate(rng):
    vocab, width, steps = rng.randint(2, 60), rng.randint(1, 24), rng.randint(1, 6)
    hidden = [rng.choice(("dense", "layernorm")) for _ in range(rng.randint(0, 2))]
    bias = rng.random() < 0.5
    return vocab, width, steps, hidden, bias


def problem(case, vocab, width, steps, hidden, bias, tied):
    layers = [{"name": "emb", "type": "embedding", "input_dim": vocab, "output_dim": width}]
    for k, kind in enumerate(hidden):
        layers.append({"name": f"mid{k}", "type": kind} if kind == "layernorm" else
                      {"name": f"mid{k}", "type": "dense", "units": width, "activation": "relu"})
    head = {"name": "head", "type": "dense", "units": vocab, "use_bias": bias}
    if tied:
        head["tied_to"] = "emb"
    layers.append(head)
    return {"title": f"tied head, {case}", "framework": case, "input": {"shape": [steps]}, "layers": layers}


def torch_model(vocab, width, hidden, bias):
    emb = torch.nn.Embedding(vocab, width)
    mids = [torch.nn.LayerNorm(width) if kind == "layernorm" else torch.nn.Linear(width, width) for kind in hidden]
    head = torch.nn.Linear(width, vocab, bias=bias)
    head.weight = emb.weight  # the tie, as transformers' tie_weights() does
    return torch.nn.ModuleList([emb, *mids, head]), head


def one_case(self_test):
    rng = random.Random(0)

    def one(case, index, path):
        vocab, width, steps, hidden, bias = generate(rng)
        model, head = torch_model(vocab, width, hidden, bias)
        unique = sum(p.numel() for p in model.parameters())
        head_own = sum(p.numel() for p in head.parameters() if p is not head.weight)
        if self_test:  # the shared tensor counted by both of its users
            unique += vocab * width
            head_own = sum(p.numel() for p in head.parameters())
        write_json(path, problem(case, vocab, width, steps, hidden, bias, tied=True))
        tied = answers(binary, "params", path)
        write_json(path, problem(case, vocab, width, steps, hidden, bias, tied=False))
        untied = answers(binary, "params", path)
        write_json(path, problem(case, vocab, width, steps, hidden, bias, tied=True))  # the file a failure prints
        return differences([("params.total", tied.get("params.total"), unique),
                            ("params.head", tied.get("params.head"), head_own),
                            ("untied params.total", untied.get("params.total"), unique + (0 if self_test else vocab * width))])

    return one


if __name__ == "__main__":
    self_test, count, binary = arguments(sys.argv, 40)
    sys.exit(suite(CASES, count, self_test, one_case(self_test)))
