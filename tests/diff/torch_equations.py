#!/usr/bin/python3
"""Differential test of networks written as equations (issue 10): dlsolve against PyTorch autograd.

    /usr/bin/python3 tests/diff/torch_equations.py DLSOLVE [--count N] [--keep DIR]
    /usr/bin/python3 tests/diff/torch_equations.py --self-test DLSOLVE [--count N]
    /usr/bin/python3 tests/diff/torch_equations.py --symbolic DLSOLVE [--draws N]

Generates N problems (default 300, a fixed seed) whose network is given as `equations`
over `inputs` and `params` with every size in `dims` a number and every value given
(docs/problem-format.md, "Networks as equations"), in six kinds:

  mlp         z_i = W_i @ a_{i-1} + b_i, a_i = relu|sigmoid|tanh|linear(z_i), 1-3 layers
  siamese     one W1, b1 applied to x and x' (a shared parameter), a = a1 - a2, a head
  product     two branches multiplied element-wise (z1 * z2), then a head
  scale       `2 * z`, `z / 4`, `-z`, `-0.5 * z` between the layers
  transpose   W stored as D x H and used as `W.T @ x` (or `Wᵀ @ x`), a quadratic form
              q = x.T @ V.T @ x (1 x 1) multiplying the layer (broadcast), then a head
  recurrence  h[t] = tanh|sigmoid|relu(W_h @ h[t-1] + W_x @ x[t] + b_h), "time": 2-4, the
              start h0 an input with values, one W_h, W_x, b_h shared by every step,
              then a head y = W_y @ h + b_y (or y = h)

Sizes 1-4, values uniform in [-1, 1], a target of the output's shape, the loss mse,
bce (a sigmoid output and a target in [0, 1]) or cross_entropy (a softmax output over
2-4 rows and a one-hot target; half of these files say "framework": "pytorch", the others
take the default (Keras) convention, whose softmax gets "axis": 0 for a column: see the
note in generate()).  PyTorch evaluates the same
equations (the strings, rewritten into Python over float64 tensors: `@`, `*`, `/`,
unary minus, `.T` / `ᵀ`, torch.relu/sigmoid/tanh; recurrences looped over t) with
autograd on every input and parameter.  `DLSOLVE forward --format json` gives
forward.NAME for every tensor an equation makes (forward.h1 … forward.hT for a
recurrence) and loss; `DLSOLVE backward --format json` gives loss, grad.PARAM.value and
grad.INPUT (grad.x1 … grad.xT, grad.h0 for a recurrence).  Half of each kind's problems have
"optimizer": {"type": "sgd", "lr": 0.1}, "steps": 3 and `DLSOLVE train --format json`
must give step1..3.loss, final.loss (the loss after the third update) and
update.PARAM.value (the values after it) as torch.optim.SGD does.  Every number must
agree to a relative 1e-9 (absolute 1e-12 near 0).  ReLU inputs are kept at least 1e-7
away from 0 (regenerated otherwise), so the kink is never measured.

Twins: 24 MLPs are also written as layers (the input with values, `dense` layers with
`weights` [inputs][units] = Wᵀ, `bias`, `activation`; docs/problem-format.md "Values");
the layer form's forward.LAYER and loss must be identical (bit for bit: both run on one
engine) to the equation form's forward.a_i and loss, its grad.LAYER.weights /
grad.LAYER.bias / grad.x equal to grad.W_i.value (transposed) / grad.b_i.value / grad.x,
and both agree with torch.  The gradients are bit for bit equal only with
--strict-twins: dense's backward multiplies with Eigen, the lowered matmul with loops,
and the two round differently in the last bit (the run lists such keys); without it they
must agree to the relative 1e-9 like every other number.

--symbolic: property test of the symbolic counts.  For each network kind the same
equations with every size null (`shapes` naming the sizes of the tensors the equations
make) give params.total as a polynomial string ("D·H + 2·H + 1"); over --draws random
assignments (default 500 per kind, sizes 1-9) that polynomial, evaluated, must equal the
numeric params.total dlsolve computes with those sizes as numbers (and the sum of the
parameter shapes' products).

--self-test: the comparison runs against a wrong reference (one gradient element of one
parameter perturbed by a relative 1e-7, or for a trained problem one element of a
parameter after the three SGD steps, the twins' layer form with one target element
moved by 1e-6, the polynomial evaluated with one size plus one) and must report a mismatch on
every problem.  Output: counts per kind, then `all agree` / `self-test passed`; exit 1
on a failure.
"""

import json
import os
import random
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import torch

from difftools import answers, close, differences, flat

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

RTOL = 1e-9
ATOL = 1e-12
KINK = 1e-7
LR = 0.1
STEPS = 3
KINDS = ("mlp", "siamese", "product", "scale", "transpose", "recurrence")
ACTS = ("relu", "sigmoid", "tanh", "linear")


# ================================================================ generation

def rand_matrix(rng, rows, cols):
    return [[rng.uniform(-1, 1) for _ in range(cols)] for _ in range(rows)]


class Net:
    """One equation problem under construction: dims, inputs, params, equations."""

    def __init__(self, rng):
        self.rng = rng
        self.dims = {}
        self.inputs = {}
        self.params = {}
        self.equations = []
        self.made = []        # names the equations make, in order
        self.time = None

    def dim(self, name, lo=1, hi=4):
        self.dims[name] = self.rng.randint(lo, hi)
        return name

    def param(self, name, rows, cols, store_transposed=False):
        r, c = self.dims.get(rows, rows), self.dims.get(cols, cols)
        self.params[name] = {"values": rand_matrix(self.rng, r, c)}

    def input(self, name, rows):
        self.inputs[name] = {"shape": [rows, 1], "values": rand_matrix(self.rng, self.dims[rows], 1)}

    def eq(self, name, expr):
        self.equations.append(f"{name} = {expr}")
        self.made.append(name)
        return name

    def dense(self, prefix, x, d_in, d_out, act, transposed=False, style=".T"):
        """z = W @ x + b (or Wᵀ @ x with W stored d_in x d_out), a = act(z)."""
        W, b = f"W{prefix}", f"b{prefix}"
        if transposed:
            self.param(W, d_in, d_out)
            prod = f"{W}{style} @ {x}"
        else:
            self.param(W, d_out, d_in)
            prod = f"{W} @ {x}"
        self.param(b, d_out, 1)
        z = self.eq(f"z{prefix}", f"{prod} + {b}")
        if act is None:
            return z
        return self.eq(f"a{prefix}", f"{act}({z})")

    def head(self, x, d_in, loss):
        """The output layer: y_hat = sigmoid(W_o @ x + b_o) for bce, any activation for mse."""
        O = self.dim("O", 2 if loss == "cross_entropy" else 1)
        act = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss) or self.rng.choice(ACTS)
        self.param("W_o", O, d_in)
        self.param("b_o", O, 1)
        z = self.eq("z_o", f"W_o @ {x} + b_o")
        return self.eq("y_hat", f"{act}({z})"), self.dims[O]


def generate(kind, rng, train):
    n = Net(rng)
    loss = rng.choice(("mse", "bce", "cross_entropy"))
    if kind == "mlp":
        D = n.dim("D")
        n.input("x", D)
        x, d = "x", D
        for i in range(1, rng.randint(1, 3) + 1):
            H = n.dim(f"H{i}")
            x, d = n.dense(str(i), x, d, H, rng.choice(ACTS)), H
    elif kind == "siamese":
        D, H = n.dim("D"), n.dim("D_a1")
        n.input("x", D)
        n.input("x'", D)
        n.param("W1", H, D)
        n.param("b1", H, 1)
        act = rng.choice(ACTS)
        n.eq("z1", "W1 @ x + b1")
        n.eq("a1", f"{act}(z1)")
        n.eq("z2", "W1 @ x' + b1")
        n.eq("a2", f"{act}(z2)")
        n.eq("a", rng.choice(("a1 - a2", "a2 - a1")))
        x, d = "a", H
    elif kind == "product":
        D = n.dim("D")
        with_x = rng.random() < 0.5      # a product with the branches' input too: H = D
        H = n.dim("H")
        if with_x:
            n.dims["H"] = n.dims["D"]
        n.input("x", D)
        a1 = n.dense("1", "x", D, H, rng.choice(ACTS))
        a2 = n.dense("2", "x", D, H, rng.choice(ACTS))
        p = n.eq("p", f"{a1} * {a2}")
        if with_x:
            p = n.eq("q", f"{p} * x")
        x, d = p, H
    elif kind == "scale":
        D, H = n.dim("D"), n.dim("H")
        n.input("x", D)
        a1 = n.dense("1", "x", D, H, rng.choice(ACTS))
        forms = ["2 * {}", "{} / 4", "-{}", "-0.5 * {}", "3 * {} / 2", "{} * 0.25"]
        s = n.eq("s", rng.choice(forms).format(a1))
        a2 = n.dense("2", s, H, H, rng.choice(ACTS))
        x, d = n.eq("u", rng.choice(forms).format(a2)), H
    elif kind == "transpose":
        D, H = n.dim("D"), n.dim("H")
        n.input("x", D)
        x = n.dense("1", "x", D, H, rng.choice(ACTS), transposed=True, style=rng.choice((".T", "ᵀ")))
        d = H
        if rng.random() < 0.5:   # a quadratic form xᵀ Vᵀ x (1 x 1) broadcast over the layer
            n.param("V", D, D)
            q = n.eq("q", rng.choice(("x.T @ V.T @ x", "xᵀ @ (V @ x)")))
            x = n.eq("g", rng.choice((f"{x} * {q}", f"{q} * {x}")))
        if rng.random() < 0.5:
            H2 = n.dim("H2")
            x, d = n.dense("2", x, H, H2, rng.choice(ACTS), transposed=True, style=".T"), H2
    elif kind == "recurrence":
        D, H = n.dim("D"), n.dim("H")
        T = rng.randint(2, 4)
        n.time = T
        n.inputs["x"] = {"shape": ["D", 1], "values": [rand_matrix(rng, n.dims[D], 1) for _ in range(T)]}
        n.inputs["h0"] = {"shape": ["H", 1], "values": rand_matrix(rng, n.dims[H], 1)}
        n.param("W_h", H, H)
        n.param("W_x", H, D)
        n.param("b_h", H, 1)
        act = rng.choice(("tanh", "sigmoid", "relu"))
        n.equations.append(f"h[t] = {act}(W_h @ h[t-1] + W_x @ x[t] + b_h)")
        n.made += [f"h{t}" for t in range(1, T + 1)]
        x, d = "h", H
    else:
        raise ValueError(kind)
    if kind == "recurrence" and loss == "mse" and rng.random() < 0.3:
        out, O = n.eq("y", "h"), n.dims["H"]
    else:
        out, O = n.head(x, d, loss)
    if loss == "bce":
        target = [[rng.uniform(0, 1)] for _ in range(O)]
    elif loss == "cross_entropy":
        k = rng.randrange(O)
        target = [[float(i == k)] for i in range(O)]
    else:
        target = rand_matrix(rng, O, 1)
    doc = {"title": f"{kind} as equations", "dims": n.dims}
    if loss == "cross_entropy" and O % 2 == 0:
        # A softmax over a column normalises its rows: the PyTorch convention's channel axis
        # of a rows x 1 sample is the rows; under the default (Keras) convention, whose softmax
        # takes the last axis, the lowering gives the softmax "axis": 0 (odd O: Keras files).
        doc["framework"] = "pytorch"
    if n.time:
        doc["time"] = n.time
    doc.update({"inputs": n.inputs, "params": n.params, "equations": n.equations,
                "loss": loss, "target": target})
    if train:
        doc.update({"optimizer": {"type": "sgd", "lr": LR}, "steps": STEPS})
    return doc, n.made


# ================================================================ the PyTorch reference

def pyname(name):
    return name.replace("'", "_p")


def to_python(expr):
    """An equation's right side as a Python expression over torch tensors."""
    expr = expr.replace("ᵀ", ".T")
    expr = re.sub(r"[A-Za-z_][A-Za-z0-9_']*", lambda m: pyname(m.group(0)), expr)
    return expr


def linear(z):
    return z


def softmax(z):
    return torch.softmax(z, dim=0)     # over the rows of a column


FUNCS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": linear, "softmax": softmax}


class Kink(Exception):
    pass


def guarded_relu(z):
    if bool((z.abs() < KINK).any()):
        raise Kink()
    return torch.relu(z)


def run_equations(doc, leaves):
    """Evaluate doc's equations on the leaf tensors; returns {name: tensor} in order."""
    env = dict(FUNCS, relu=guarded_relu)
    env.update({pyname(k): v for k, v in leaves.items()})
    out = {}
    for line in doc["equations"]:
        name, expr = (s.strip() for s in line.split("=", 1))
        m = re.fullmatch(r"(\w+)\[t\]", name)
        if m:                                   # a recurrence, unrolled over t = 1..T
            h = m.group(1)
            for t in range(1, doc["time"] + 1):
                e = expr.replace(f"{h}[t-1]", f"{h}{t - 1}")
                e = re.sub(r"(\w+)\[t\]", lambda mm: f"{mm.group(1)}{t}", e)
                env[f"{h}{t}"] = out[f"{h}{t}"] = eval(to_python(e), {"__builtins__": {}}, env)
            env[h] = env[f"{h}{doc['time']}"]   # after the recurrence, h is h[T]
            continue
        env[pyname(name)] = out[name] = eval(to_python(expr), {"__builtins__": {}}, env)
    return out


def loss_of(doc, y):
    t = torch.tensor(doc["target"])
    if doc["loss"] == "mse":
        return torch.nn.functional.mse_loss(y, t)
    if doc["loss"] == "cross_entropy":     # one sample: −Σ_k t_k log p_k (torch.nn.functional.nll_loss of log p)
        return torch.nn.functional.nll_loss(torch.log(y).T, t.argmax(0))
    return torch.nn.functional.binary_cross_entropy(y, t)


def leaves_of(doc):
    """Inputs (a sequence split into x1..xT) and parameters as float64 leaves."""
    ins, ps = {}, {}
    for k, v in doc["inputs"].items():
        if doc.get("time") and k == "x":
            for t, vals in enumerate(v["values"], 1):
                ins[f"x{t}"] = torch.tensor(vals, requires_grad=True)
        else:
            ins[k] = torch.tensor(v["values"], requires_grad=True)
    for k, v in doc["params"].items():
        ps[k] = torch.tensor(v["values"], requires_grad=True)
    return ins, ps


def reference(doc):
    """forward values, loss, gradients of params and inputs, and the SGD run (or None)."""
    ins, ps = leaves_of(doc)
    out = run_equations(doc, {**ins, **ps})
    y = list(out.values())[-1]
    loss = loss_of(doc, y)
    loss.backward()
    ref = {"forward." + k: v.detach() for k, v in out.items()}
    ref["loss"] = loss.detach()
    for k, v in ps.items():
        ref[f"grad.{k}.value"] = v.grad.detach().clone()
    for k, v in ins.items():
        ref[f"grad.{k}"] = v.grad.detach().clone()
    train = None
    if "optimizer" in doc:
        train = {}
        opt = torch.optim.SGD(list(ps.values()), lr=doc["optimizer"]["lr"])
        for step in range(1, doc["steps"] + 1):
            opt.zero_grad()
            for v in ins.values():
                v.grad = None
            loss = loss_of(doc, list(run_equations(doc, {**ins, **ps}).values())[-1])
            train[f"step{step}.loss"] = loss.detach().clone()
            loss.backward()
            opt.step()
        with torch.no_grad():
            train["final.loss"] = loss_of(doc, list(run_equations(doc, {**ins, **ps}).values())[-1])
        for k, v in ps.items():
            train[f"update.{k}.value"] = v.detach().clone()
    return ref, train


# ================================================================ comparison

def compare(got, ref, where):
    return [f"{where}: {line}" for line in differences([(key, got.get(key), want) for key, want in ref.items()], RTOL, ATOL)]


def plant(ref, rng, prefix):
    """The self test's wrong reference: one element of a parameter's gradient (prefix
    "grad.") or of its value after the SGD steps ("update.") perturbed by a relative 1e-7."""
    keys = [k for k in ref if k.startswith(prefix) and k.endswith(".value")]
    key = rng.choice(keys)
    g = ref[key].clone().reshape(-1)
    i = rng.randrange(g.numel())
    g[i] = g[i] * (1 + 1e-7) + (1e-9 if g[i] >= 0 else -1e-9)    # never cancels
    ref[key] = g.reshape(ref[key].shape)


# ================================================================ layer / equation twins

def twin(rng, framework):
    """An MLP as equations and the same MLP as input + dense layers."""
    n = Net(rng)
    loss = rng.choice(("mse", "bce"))
    D = n.dim("D")
    n.input("x", D)
    x, d = "x", D
    layers, acts = [], []
    for i in range(1, rng.randint(1, 3) + 1):
        H = n.dim(f"H{i}")
        act = rng.choice(ACTS)
        x, d = n.dense(str(i), x, d, H, act), H
        acts.append((str(i), act))
    O = n.dims[n.dim("O")]
    act = "sigmoid" if loss == "bce" else rng.choice(ACTS)
    x = n.dense("_o", x, d, O, act)
    acts.append(("_o", act))
    target = [[rng.uniform(0, 1)] for _ in range(O)] if loss == "bce" else rand_matrix(rng, O, 1)
    eqdoc = {"title": "MLP as equations", "dims": n.dims, "inputs": n.inputs, "params": n.params,
             "equations": n.equations, "loss": loss, "target": target}
    for i, act in acts:
        W, b = n.params[f"W{i}"]["values"], n.params[f"b{i}"]["values"]
        layers.append({"name": f"L{i}", "type": "dense", "units": len(W), "activation": act,
                       "weights": [list(r) for r in zip(*W)], "bias": [r[0] for r in b]})
    layerdoc = {"title": "MLP as layers", "framework": framework,
                "input": {"name": "x", "shape": [D if isinstance(D, int) else n.dims[D]],
                          "values": [r[0] for r in n.inputs["x"]["values"]]},
                "layers": layers, "loss": loss, "target": [r[0] for r in target]}
    return eqdoc, layerdoc, acts


def twin_pairs(eq_answers, acts):
    """(layer-form key, equation-form key, transpose?) pairs that must be identical."""
    pairs = [("loss", "loss", False), ("grad.x", "grad.x", False)]
    for i, act in acts:
        out = f"z{i}" if act is None else f"a{i}"
        pairs += [(f"forward.L{i}", f"forward.{out}", False),
                  (f"grad.L{i}.weights", f"grad.W{i}.value", True),
                  (f"grad.L{i}.bias", f"grad.b{i}.value", False)]
    return pairs


def transpose(v):
    return [list(r) for r in zip(*v)]


def check_twin(binary, tmp, index, rng, self_test, strict, rounding):
    framework = ("keras", "pytorch")[index % 2]
    while True:
        eqdoc, layerdoc, acts = twin(rng, framework)
        try:
            ref, _ = reference(eqdoc)
            break
        except Kink:
            continue
    if self_test:      # the wrong twin: one target element of the layer form moved by 1e-6
        t = layerdoc["target"]
        t[0] += -1e-6 if t[0] > 0.5 else 1e-6
    paths = []
    for name, doc in (("eq", eqdoc), ("layers", layerdoc)):
        path = os.path.join(tmp, f"twin-{index}-{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        paths.append(path)
    eq = {**answers(binary, "forward", paths[0]), **answers(binary, "backward", paths[0])}
    ly = {**answers(binary, "forward", paths[1]), **answers(binary, "backward", paths[1])}
    bad = compare(eq, ref, f"twin {index} (equations)")
    comparisons = len(ref)
    for lk, ek, tr in twin_pairs(eq, acts):
        comparisons += 1
        if lk not in ly or ek not in eq:
            bad.append(f"twin {index}: {lk if lk not in ly else ek} missing")
            continue
        e = transpose(eq[ek]) if tr else eq[ek]
        a, b = flat(ly[lk]), flat(e)
        if a == b:
            continue
        where = f"twin {index} ({framework}): layers {lk} = {a} but equations {ek} = {b}"
        if not lk.startswith("grad.") or strict or len(a) != len(b) or not all(map(close, a, b)):
            bad.append(where)
        else:
            rounding.append(where)
    return bad, comparisons, (eqdoc, layerdoc)


# ================================================================ symbolic counts (--symbolic)

def symbolic_doc(kind, sizes):
    """One equation network with the given sizes (numbers, or None for symbols)."""
    dims = dict(sizes)
    if kind == "mlp":
        eqs = ["z1 = W1 @ x + b1", "a1 = relu(z1)", "z2 = W2 @ a1 + b2", "y_hat = sigmoid(z2)"]
        shapes = {"z1": ["H", 1], "z2": ["O", 1]}
        inputs = {"x": {"shape": ["D", 1]}}
        params = ["W1", "b1", "W2", "b2"]
    elif kind == "siamese":
        eqs = ["z1 = W1 @ x + b1", "a1 = relu(z1)", "z2 = W1 @ x' + b1", "a2 = relu(z2)",
               "a = a1 - a2", "z3 = W2 @ a + b2", "y_hat = sigmoid(z3)"]
        shapes = {"z1": ["H", 1], "z3": ["O", 1]}
        inputs = {"x": {"shape": ["D", 1]}, "x'": {"shape": ["D", 1]}}
        params = ["W1", "b1", "W2", "b2"]
    elif kind == "transpose":
        eqs = ["z1 = W1.T @ x + b1", "a1 = tanh(z1)", "p = a1 * (V @ x)", "z2 = W2 @ p + b2"]
        shapes = {"z1": ["H", 1], "z2": ["O", 1]}
        inputs = {"x": {"shape": ["D", 1]}}
        params = ["W1", "b1", "V", "W2", "b2"]
    elif kind == "product":
        eqs = ["z1 = W1 @ x + b1", "z2 = W2 @ x + b2", "p = 2 * (z1 * z2) - z1 / 4", "z3 = U.T @ p + b3"]
        shapes = {"z1": ["H", 1], "z3": ["O", 1]}
        inputs = {"x": {"shape": ["D", 1]}}
        params = ["W1", "b1", "W2", "b2", "U", "b3"]
    else:   # recurrence
        eqs = ["h[t] = tanh(W_h @ h[t-1] + W_x @ x[t] + b_h)", "z = W_y @ h + b_y"]
        shapes = {"z": ["O", 1]}
        inputs = {"x": {"shape": ["D", 1]}, "h0": {"shape": ["H", 1]}}
        params = ["W_h", "W_x", "b_h", "W_y", "b_y"]
    doc = {"title": f"{kind} counts", "dims": dims, "inputs": inputs,
           "params": {p: {} for p in params}, "shapes": shapes, "equations": eqs}
    if kind == "recurrence":
        doc["time"] = 3
    return doc


def eval_polynomial(text, sizes):
    """A count such as "D·H + 2·H + 1" (or with ², ³, ^, ×, *) at the given sizes."""
    s = text.replace("·", "*").replace("×", "*").replace("²", "**2").replace("³", "**3").replace("^", "**")
    s = re.sub(r"(\d)\s*([A-Za-z_(])", r"\1*\2", s)          # 27C -> 27*C
    if not re.fullmatch(r"[A-Za-z0-9_ +\-*()]+", s):
        raise ValueError(f"cannot read the count {text!r}")
    return eval(s, {"__builtins__": {}}, dict(sizes))


def value_at(v, sizes):
    """A symbolic answer (a count string, or a shape of sizes and numbers) at the given sizes."""
    if isinstance(v, list):
        return [value_at(a, sizes) for a in v]
    return eval_polynomial(v, sizes) if isinstance(v, str) else v


def symbolic(binary, draws, self_test):
    rng = random.Random(20261129)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("mlp", "siamese", "transpose", "product", "recurrence"):
            names = ["D", "H", "O"]
            path = os.path.join(tmp, f"{kind}-symbolic.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(symbolic_doc(kind, {k: None for k in names}), f)
            counted = answers(binary, "params", path)
            total = counted["params.total"]
            if not isinstance(total, str):
                print(f"{kind}: params.total with null sizes is {total!r}, not a polynomial")
                failures += 1
                continue
            # every count and every size of every shape, in symbols
            keys = {k: v for k, v in counted.items() if k.startswith(("params.", "shapes."))}
            agree = caught = 0
            draws_sizes = [{k: rng.randint(1, 9) for k in names} for _ in range(draws)]

            def numeric(i, kind=kind):
                path = os.path.join(tmp, f"{kind}-{i}.json")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(symbolic_doc(kind, draws_sizes[i]), f)
                return answers(binary, "params", path)

            with ThreadPoolExecutor(2) as pool:
                numbers = list(pool.map(numeric, range(draws)))
            for sizes, got in zip(draws_sizes, numbers):
                doc = symbolic_doc(kind, sizes)
                at = dict(sizes)
                if self_test:
                    at["H"] += 1
                wrong = [f"{k}: {v} at {sizes} is {value_at(v, at)}, numerically {got.get(k)}"
                         for k, v in keys.items() if value_at(v, at) != got.get(k)]
                shapes_sum = sum(got[f"shapes.{p}"][0] * got[f"shapes.{p}"][1] for p in doc["params"])
                if shapes_sum != got["params.total"]:
                    wrong.append(f"params.total {got['params.total']} is not the sum of the shapes' products {shapes_sum}")
                ok = not wrong and set(got) == set(keys)
                if self_test:
                    caught += not ok
                elif ok:
                    agree += 1
                elif failures < 10:
                    print(f"FAIL {kind}: " + "; ".join(wrong[:3]) + ("" if set(got) == set(keys) else
                          f"; keys differ: {sorted(set(got) ^ set(keys))}"))
            if self_test:
                print(f"{kind}: \"{total}\": the wrong evaluation was caught on {caught}/{draws}")
                failures += caught != draws
            else:
                print(f"{kind}: params.total = \"{total}\" and {len(keys) - 1} other counts and shapes: "
                      f"{agree}/{draws} draws agree")
                failures += agree != draws
    return failures


# ================================================================ main

def arguments(argv):
    opts = {"self_test": False, "symbolic": False, "strict_twins": False, "count": 300, "draws": 500, "keep": None}
    rest = []
    it = iter(argv[1:])
    for a in it:
        if a == "--self-test":
            opts["self_test"] = True
        elif a == "--symbolic":
            opts["symbolic"] = True
        elif a == "--strict-twins":
            opts["strict_twins"] = True
        elif a in ("--count", "--draws"):
            opts[a[2:]] = int(next(it))
        elif a == "--keep":
            opts["keep"] = next(it)
        else:
            rest.append(a)
    if len(rest) != 1:
        sys.exit(__doc__)
    opts["binary"] = rest[0]
    return opts


def main(argv):
    o = arguments(argv)
    binary, self_test = o["binary"], o["self_test"]
    if o["symbolic"]:
        failures = symbolic(binary, o["draws"], self_test)
        print("all agree" if failures == 0 and not self_test else
              "self-test passed" if failures == 0 else f"{failures} failure(s)")
        return 1 if failures else 0
    rng = random.Random(10)
    failures = comparisons = problems = 0
    counts = {k: [0, 0, 0] for k in KINDS + ("twins",)}    # problems, agree (or caught), trained
    losses = {}
    tmp_obj = tempfile.TemporaryDirectory()
    tmp = o["keep"] or tmp_obj.name
    os.makedirs(tmp, exist_ok=True)
    for index in range(o["count"]):
        kind = KINDS[index % len(KINDS)]
        train = (index // len(KINDS)) % 2 == 0     # half of each kind also trains
        while True:
            doc, made = generate(kind, rng, train)
            try:
                ref, ref_train = reference(doc)
                break
            except Kink:
                continue
        if self_test:    # a trained problem's error is planted in the update, the others' in a gradient
            if ref_train is None:
                plant(ref, rng, "grad.")
            else:
                plant(ref_train, rng, "update.")
        path = os.path.join(tmp, f"{index:03d}-{kind}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        problems += 1
        counts[kind][0] += 1
        losses[doc["loss"]] = losses.get(doc["loss"], 0) + 1
        try:
            got = {**answers(binary, "forward", path), **answers(binary, "backward", path)}
            bad = compare(got, ref, path)
            comparisons += len(ref)
            if ref_train is not None:
                counts[kind][2] += 1
                bad += compare(answers(binary, "train", path), ref_train, path + " (train)")
                comparisons += len(ref_train)
        except RuntimeError as e:
            bad = [str(e)]
            if self_test:
                failures += 1
        if self_test:
            counts[kind][1] += bool(bad)
            if not bad:
                print(f"NOT CAUGHT {path}")
        elif bad:
            failures += 1
            print("FAIL " + "\n  ".join(bad[:6]) + "\n  " + json.dumps(doc))
        else:
            counts[kind][1] += 1
    rounding = []     # twins whose gradients differ by rounding only (not bit for bit)
    for index in range(24):
        try:
            bad, n, docs = check_twin(binary, tmp, index, rng, self_test, o["strict_twins"], rounding)
            comparisons += n
        except RuntimeError as e:
            bad, docs = [str(e)], None
            if self_test:
                failures += 1
        problems += 2
        counts["twins"][0] += 1
        if self_test:
            counts["twins"][1] += bool(bad)
        elif bad:
            failures += 1
            print("FAIL " + "\n  ".join(bad[:6]) + "\n  " + "\n  ".join(json.dumps(d) for d in docs or ()))
        else:
            counts["twins"][1] += 1
    for kind, (n, ok, trained) in counts.items():
        what = "the planted error was caught on" if self_test else "agree with PyTorch:"
        print(f"{kind}: {what} {ok}/{n}" + (f" ({trained} also trained 3 SGD steps)" if trained else ""))
        if self_test and ok != n:
            failures += 1
    if rounding and not self_test:
        print(f"twins: {len(rounding)} gradient keys agree to 1e-9 but not bit for bit (dense's Eigen "
              f"products and matmul's loops round differently; --strict-twins fails on them), e.g.\n  {rounding[0]}")
    if not self_test:
        print("losses: " + ", ".join(f"{k} {v}" for k, v in sorted(losses.items())) + " (and the twins')")
        print(f"{problems} problem files, {comparisons} compared answer keys")
    print("all agree" if failures == 0 and not self_test else
          "self-test passed" if failures == 0 else f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
