#!/usr/bin/python3
"""Cross-check the numeric answer keys of problem files with PyTorch (float64).

Usage: /usr/bin/python3 problems/tools/torch_check.py [FILE_OR_DIR ...]   (default: problems/)

For every problem file with "input.values" or "batches", the network is rebuilt in
PyTorch from the JSON alone (dense layers, activation layers, dropout with a mask,
one-direction LSTM and GRU in either framework's layout,
input layers with values, and the combining kinds subtract, multiply, matmul, scale
and attention with their "inputs"; other layer types make the file "unsupported"), the loss is torch.nn.functional's,
the optimizer torch.optim's (one step per batch with "batches", epoch after epoch),
a learning rule ("rule") is applied sample by sample with tensor arithmetic, and
every numeric key of "expect" (forward.*, loss, grad.*, update.*, stepK.loss,
final.loss, stepK.output, epochE.errors, epochs) is compared with the file's
relative "tolerance" (default 1e-6). Other keys (shapes.*, params.*, …) are left
to `dlsolve check`.

This is a second, independent computation of keys that were worked by hand; it does
not write anything. Exit status 1 when a key differs.
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from dlsolve_names import prefixed_names

torch.set_default_dtype(torch.float64)

NUMERIC_PREFIXES = ("forward.", "grad.", "update.")
KERAS_CLASS = {"dense": "dense", "relu": "re_lu", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "linear",
               "softmax": "softmax", "leaky_relu": "leaky_re_lu", "hard_threshold": "hard_threshold",
               "activation": "activation", "dropout": "dropout", "maxpool2d": "max_pooling2d",
               "simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru", "multi_head_attention": "multi_head_attention",
               "positional_encoding": "positional_encoding", "transformer_encoder": "transformer_encoder_layer",
               "input": "input_layer", "attention": "attention",
               "subtract": "subtract", "multiply": "multiply", "matmul": "mat_mul", "scale": "rescaling"}
MHA_ROLES = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")
# kinds that take their inputs by name ("inputs"), per sample
COMBINING = ("attention", "subtract", "multiply", "matmul", "scale")
RNN_ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class Unsupported(Exception):
    pass


def names_for(spec, shape):
    if spec is None:
        return []
    if isinstance(spec, str):
        return prefixed_names(spec, shape)
    assert len(spec) == math.prod(shape), "symbols: %d names for %d values" % (len(spec), math.prod(shape))
    return list(spec)


def activation(word, z, layer, framework):
    if word in (None, "linear"):
        return z
    if word == "relu":
        return torch.relu(z)
    if word == "sigmoid":
        return torch.sigmoid(z)
    if word == "tanh":
        return torch.tanh(z)
    if word == "softmax":
        return torch.softmax(z, dim=-1)
    if word == "leaky_relu":
        return F.leaky_relu(z, layer.get("alpha", 0.01 if framework == "pytorch" else 0.3))
    if word == "hard_threshold":
        t = layer.get("threshold", 0.0)
        if bool((z.detach() == t).any()):
            raise Unsupported("a pre-activation equals the hard threshold exactly (the step is ambiguous there)")
        return (z.detach() > t).to(z.dtype) + 0 * z  # a step: derivative 0, kept in the graph
    raise Unsupported("activation %r" % word)


class Net:
    def __init__(self, doc):
        self.doc = doc
        self.framework = doc.get("framework", "keras")
        inp = doc["input"]
        self.batch = doc.get("batch")
        self.data = []  # (x, target) of each batch: input.values and target, or "batches"
        for b in doc.get("batches") or [{"values": inp["values"], "target": doc.get("target")}]:
            x = torch.tensor(b["values"], dtype=torch.float64)
            self.data.append((x if self.batch is not None else x.unsqueeze(0), b.get("target")))
        self.use(0)
        self.input_name = inp.get("name", "input" if self.framework == "pytorch" else "input_1")
        self.input_symbols = names_for(inp.get("symbols"), list(self.data[0][0].shape[1:]))
        self.layers = []   # (name, layer dict, {role: tensor})
        self.given = {}    # input layers with values: name -> tensor with the batch axis
        self.stages = {}   # attention layer -> (scores, weights)
        self.symbols = {}  # symbol -> (kind, key, flat index)
        counters = {}
        for i, layer in enumerate(doc["layers"]):
            t = layer["type"]
            if t not in KERAS_CLASS:
                raise Unsupported("layer type %r" % t)
            if "inputs" in layer and t not in COMBINING:
                raise Unsupported("'inputs' (branches)")
            if t == "input" and ("values" not in layer or "name" not in layer):
                raise Unsupported("an input layer without values or a name")
            name = layer.get("name")
            if name is None:
                if self.framework == "pytorch":
                    name = str(i)
                else:
                    base = KERAS_CLASS[t]
                    n = counters.get(base, 0)
                    counters[base] = n + 1
                    name = base if n == 0 else "%s_%d" % (base, n)
            params = {}
            if t == "input":  # its own values, the same for every batch
                x = torch.tensor(layer["values"], dtype=torch.float64)
                self.given[name] = (x if self.batch is not None else x.unsqueeze(0)).requires_grad_(True)
            if t == "dense":
                if "weights" not in layer:
                    raise Unsupported("dense layer %s without weights" % name)
                params["weights"] = torch.tensor(layer["weights"]).requires_grad_(True)
                if layer.get("use_bias", True):
                    params["bias"] = torch.tensor(layer["bias"]).requires_grad_(True)
            if t == "simple_rnn":  # nn.RNN(batch_first=True), one direction, with both biases
                if self.framework != "pytorch" or layer.get("bidirectional") or not layer.get("use_bias", True):
                    raise Unsupported("simple_rnn other than a one-direction PyTorch nn.RNN with biases")
                if layer.get("activation", "tanh") not in ("tanh", "relu"):
                    raise Unsupported("nn.RNN with activation %r" % layer.get("activation"))
                for role in RNN_ROLES:
                    params[role] = torch.tensor(layer[role]).requires_grad_(True)
            if t in ("lstm", "gru"):  # one direction with biases: PyTorch's four tensors or Keras's three
                if layer.get("bidirectional") or not layer.get("use_bias", True) or \
                        layer.get("activation", "tanh") != "tanh" or layer.get("recurrent_activation", "sigmoid") != "sigmoid":
                    raise Unsupported("%s other than one direction with biases, tanh and sigmoid" % t)
                for role in (RNN_ROLES if self.framework == "pytorch" else ("kernel", "recurrent_kernel", "bias")):
                    params[role] = torch.tensor(layer[role]).requires_grad_(True)
            if t == "multi_head_attention":  # nn.MultiheadAttention, self-attention, packed, with biases
                if self.framework != "pytorch" or "kdim" in layer or "vdim" in layer or not layer.get("bias", True) \
                        or len(layer.get("inputs", [])) > 1:
                    raise Unsupported("multi_head_attention other than PyTorch self-attention with biases")
                for role in MHA_ROLES:
                    params[role] = torch.tensor(layer[role], dtype=torch.float64).requires_grad_(True)
            if t == "transformer_encoder":  # nn.TransformerEncoderLayer(batch_first=True, dropout=0) holding the values
                if self.framework != "pytorch" or not layer.get("bias", True):
                    raise Unsupported("transformer_encoder other than PyTorch's with biases")
                block = torch.nn.TransformerEncoderLayer(
                    layer["d_model"], layer["nhead"], layer.get("dim_feedforward", 2048), dropout=0.0,
                    activation=layer.get("activation", "relu"), norm_first=layer.get("norm_first", False),
                    batch_first=True)
                block.train()  # off the fused inference path; dropout is 0
                with torch.no_grad():
                    for role, p in block.named_parameters():
                        if role in layer:
                            p.copy_(torch.tensor(layer[role], dtype=torch.float64))
                        elif role.startswith("norm"):
                            p.fill_(1.0 if role.endswith("weight") else 0.0)
                        elif role.endswith(("in_proj_bias", "out_proj.bias")):
                            p.zero_()
                        else:
                            raise Unsupported("transformer_encoder without %s" % role)
                params = dict(block.named_parameters())
                layer = dict(layer, _module=block)
            if t == "positional_encoding" and layer.get("kind", "sinusoidal") != "sinusoidal":
                raise Unsupported("a learned positional encoding")
            syms = layer.get("symbols", {})
            for role, p in params.items():
                for f, s in enumerate(names_for(syms.get(role), list(p.shape))):
                    self.symbols[s] = ("param", (name, role), f)
            self.layers.append((name, layer, params))

    def use(self, k):
        """Feed batch k (0-based) from now on."""
        self.x = self.data[k][0].clone().requires_grad_(True)
        self.target = self.data[k][1]

    def parameters(self):
        return [p for _, layer, params in self.layers if layer.get("trainable", True) for p in params.values()]

    def forward(self):
        outs = {self.input_name: self.x}
        h = self.x
        for name, layer, params in self.layers:
            t = layer["type"]
            if t == "input":
                h = self.given[name]
            elif t in COMBINING:
                h = self.combine(name, layer, [outs[n] for n in layer["inputs"]] if "inputs" in layer else [h])
            elif t == "dense":
                h = h @ params["weights"] + (params["bias"] if "bias" in params else 0)
                h = activation(layer.get("activation"), h, layer, self.framework)
            elif t == "activation":
                h = activation(layer["activation"], h, layer, self.framework)
            elif t == "simple_rnn":
                h0 = torch.zeros(1, h.shape[0], layer["units"])
                rnn = torch._VF.rnn_tanh if layer.get("activation", "tanh") == "tanh" else torch._VF.rnn_relu
                out = rnn(h, h0, [params[r] for r in RNN_ROLES], True, 1, 0.0, False, False, True)[0]
                h = out if layer.get("return_sequences", False) else out[:, -1]
            elif t in ("lstm", "gru"):
                h = gated_recurrent(t, layer, params, h, self.framework)
            elif t == "multi_head_attention":  # F.multi_head_attention_forward reads [T, N, E]
                e = layer["embed_dim"]
                q = h.transpose(0, 1)
                h = F.multi_head_attention_forward(q, q, q, e, layer["num_heads"], params["in_proj_weight"],
                                                   params["in_proj_bias"], None, None, False, 0.0,
                                                   params["out_proj.weight"], params["out_proj.bias"],
                                                   training=True, need_weights=False)[0].transpose(0, 1)
            elif t == "transformer_encoder":
                h = layer["_module"](h)
            elif t == "positional_encoding":  # the PyTorch tutorial's PositionalEncoding (exp/log form)
                steps, d = h.shape[1], h.shape[2]
                position = torch.arange(steps, dtype=torch.float64).unsqueeze(1)
                div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(10000.0) / d))
                pe = torch.zeros(steps, d)
                pe[:, 0::2] = torch.sin(position * div_term)
                pe[:, 1::2] = torch.cos(position * div_term[: d // 2])
                h = h + pe
            elif t == "maxpool2d":  # PyTorch files only: [N, C, H, W], window "pool", stride defaulting to it
                if self.framework != "pytorch" or "padding" in layer:
                    raise Unsupported("maxpool2d other than a PyTorch window without padding")
                h = F.max_pool2d(h, layer["pool"], layer.get("stride", layer["pool"]))
            elif t == "dropout":
                if self.doc.get("training", False):
                    mask = torch.tensor(layer["mask"]) if "mask" in layer else None
                    if mask is None:
                        raise Unsupported("dropout in training mode without a mask")
                    h = h * mask / (1 - layer["rate"])
            else:
                h = activation(t, h, layer, self.framework)
            outs[name] = h
            syms = layer.get("symbols", {})
            for f, s in enumerate(names_for(syms.get("output"), list(h.shape[1:]))):
                self.symbols.setdefault(s, ("output", name, f))
        return outs

    def combine(self, name, layer, xs):
        """The tensor-combining kinds, sample by sample (the batch axis stays outside the
        broadcasting): attention as softmax(QKᵀ·c + M)V or its one-hot argmax."""
        t = layer["type"]
        if t == "scale":
            return xs[0] * layer["factor"]
        rows, scores, weights = [], [], []
        for n in range(max(x.shape[0] for x in xs)):
            sample = [x[n if x.shape[0] > 1 else 0] for x in xs]
            if t == "subtract":
                rows.append(sample[0] - sample[1])
            elif t == "multiply":
                y = sample[0]
                for x in sample[1:]:
                    y = y * x
                rows.append(y)
            elif t == "matmul":
                a, b = sample
                a = a.transpose(-1, -2) if layer.get("transpose_a") else a
                b = b.transpose(-1, -2) if layer.get("transpose_b") else b
                rows.append(torch.matmul(a, b))
            else:
                q, k = sample[0], sample[1]
                v = sample[2] if len(sample) > 2 else k
                scale = layer.get("scale", "sqrt_dk")
                c = 1 / math.sqrt(q.shape[-1]) if scale == "sqrt_dk" else 1.0 if scale == "none" else scale
                s = (q @ k.T) * c
                allowed = torch.ones(s.shape, dtype=torch.bool)
                if layer.get("mask") == "causal":
                    allowed = allowed.tril()
                elif "mask" in layer:
                    allowed = torch.tensor(layer["mask"], dtype=torch.bool)
                masked = s.masked_fill(~allowed, float("-inf"))
                if layer.get("hard"):  # torch.argmax: the first of equal maxima
                    a = F.one_hot(masked.argmax(dim=-1), s.shape[-1]).to(s.dtype)
                else:
                    a = torch.softmax(masked, dim=-1)
                scores.append(s)
                weights.append(a)
                rows.append(a @ v)
        if scores:
            self.stages[name] = (torch.stack(scores), torch.stack(weights))
        return torch.stack(rows)

    def loss(self, y):
        """The loss with the file's "reduction" (mean unless "sum") and "sample_weights"
        (each sample's terms times its weight, then .mean() or .sum())."""
        kind = self.doc["loss"]
        per = self.unreduced(y)
        weights = self.doc.get("sample_weights")
        if weights is not None:
            per = per * torch.tensor(weights, dtype=per.dtype).reshape(-1, *[1] * (per.dim() - 1))
        if kind in ("sse", "half_sse") or self.doc.get("reduction") == "sum":
            return per.sum()
        return per.mean()

    def unreduced(self, y):
        """torch.nn.functional's loss with reduction='none': per element, or per sample for
        the categorical and margin losses."""
        kind, target = self.doc["loss"], self.target
        # A cross-entropy over a sequence or map: one distribution per place, the classes on
        # the last axis ("class_axis": "last", Keras's rule) or on dim 1 ("first", as
        # nn.CrossEntropyLoss reads its input); F.cross_entropy wants them on dim 1.
        several = sum(d > 1 for d in y.shape[1:]) > 1
        axis = self.doc.get("class_axis", "last" if self.doc.get("framework") == "keras" else None) if several else None
        if axis == "last" and kind in ("cross_entropy", "cross_entropy_logits"):
            y = y.movedim(-1, 1)
        if isinstance(target, dict):
            classes = torch.tensor(target["classes"] if "classes" in target else [target["class"]])
            if kind == "cross_entropy_logits":
                return F.cross_entropy(y, classes, reduction="none")
            if kind == "cross_entropy":
                return F.nll_loss(torch.log(y), classes, reduction="none")
            if kind == "multi_margin":
                return F.multi_margin_loss(y, classes, reduction="none")
            if kind == "hinge":  # CS231n's SVM loss: MultiMarginLoss without its division by the classes
                return F.multi_margin_loss(y, classes, reduction="none") * y.shape[-1]
            raise Unsupported("class targets with %s" % kind)
        if axis == "last" and kind in ("cross_entropy", "cross_entropy_logits"):
            y = y.movedim(1, -1)  # one-hot rows are given like the output
        t = torch.tensor(target, dtype=y.dtype).reshape(y.shape)  # integer targets are numbers too
        if kind == "mse":
            return F.mse_loss(y, t, reduction="none")
        if kind == "mae":
            return F.l1_loss(y, t, reduction="none")
        if kind == "sse":
            return (y - t) ** 2
        if kind == "half_sse":
            return 0.5 * (y - t) ** 2
        if kind == "bce":
            return F.binary_cross_entropy(y, t, reduction="none")
        if kind == "bce_logits":
            return F.binary_cross_entropy_with_logits(y, t, reduction="none")
        dim = 1 if axis == "first" else -1
        if kind == "cross_entropy":
            return -(t * torch.log(y)).sum(dim=dim)
        if kind == "cross_entropy_logits":
            return -(t * torch.log_softmax(y, dim=dim)).sum(dim=dim)
        raise Unsupported("loss %r" % kind)

    def optimizer(self):
        o = dict(self.doc["optimizer"])
        kind, lr = o.pop("type"), o.pop("lr")
        ps = self.parameters()
        if o.pop("framework", self.doc.get("framework", "keras")) == "keras":
            return KerasOptimizer(ps, kind, lr, o)
        if kind == "sgd":
            return torch.optim.SGD(ps, lr=lr, momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                                   nesterov=o.get("nesterov", False), weight_decay=o.get("weight_decay", 0))
        if kind == "rmsprop":
            return torch.optim.RMSprop(ps, lr=lr, alpha=o.get("beta", 0.99), eps=o.get("eps", 1e-8),
                                       momentum=o.get("momentum", 0), weight_decay=o.get("weight_decay", 0))
        if kind in ("adam", "adamw"):
            cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
            return cls(ps, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-8),
                       weight_decay=o.get("weight_decay", 0 if kind == "adam" else 0.01))
        if kind == "adagrad":
            return torch.optim.Adagrad(ps, lr=lr, eps=o.get("eps", 1e-10), weight_decay=o.get("weight_decay", 0),
                                       initial_accumulator_value=o.get("initial_accumulator", 0))
        raise Unsupported("optimizer %r" % kind)


class KerasOptimizer:
    """keras.optimizers' update_step (keras/src/optimizers/sgd.py, rmsprop.py, adam.py,
    adamw.py, adagrad.py; weight decay as base_optimizer._apply_weight_decay, before the
    step) in torch arithmetic, with torch.optim's step()/zero_grad() interface."""

    def __init__(self, params, kind, lr, o):
        if kind == "sgd" and o.get("dampening", 0):
            raise Unsupported("dampening in keras.optimizers.SGD")
        self.params, self.kind, self.lr, self.t = list(params), kind, lr, 0
        self.eps = o.get("eps", 1e-7)
        self.mu, self.nesterov = o.get("momentum", 0), o.get("nesterov", False)
        self.rho, self.b1, self.b2 = o.get("beta", 0.9), o.get("beta1", 0.9), o.get("beta2", 0.999)
        self.decay = o.get("weight_decay", 0.004 if kind == "adamw" else 0)
        start = o.get("initial_accumulator", 0.1) if kind == "adagrad" else 0
        self.state = [{"a": torch.full_like(p, start), "m": torch.zeros_like(p), "v": torch.zeros_like(p)} for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        lr = self.lr
        for p, st in zip(self.params, self.state):
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            if self.decay:
                p -= p * self.decay * lr
            if self.kind == "sgd":
                if self.mu == 0:
                    p -= g * lr
                    continue
                st["m"] = st["m"] * self.mu - g * lr
                p += st["m"] * self.mu - g * lr if self.nesterov else st["m"]
            elif self.kind == "rmsprop":
                st["a"] = self.rho * st["a"] + (1 - self.rho) * g * g
                increment = lr * g / torch.sqrt(st["a"] + self.eps)
                if self.mu > 0:
                    st["m"] = self.mu * st["m"] + increment
                    p -= st["m"]
                else:
                    p -= increment
            elif self.kind == "adagrad":
                st["a"] = st["a"] + g * g
                p -= lr * g / torch.sqrt(st["a"] + self.eps)
            else:
                st["m"] = st["m"] + (g - st["m"]) * (1 - self.b1)
                st["v"] = st["v"] + (g * g - st["v"]) * (1 - self.b2)
                alpha = lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
                p -= st["m"] * alpha / (torch.sqrt(st["v"]) + self.eps)


def sample_view(net, t):
    t = t.detach()
    return t if net.batch is not None else t[0]


def rule_answers(doc, net, out):
    """A learning rule, sample by sample: Hebbian Δw = η·x·t, perceptron Δw = η·x·(t − y) with
    y = 1 for w·x + b ≥ 0 (the format's step), the bias as the weight of an input 1."""
    rule = doc["rule"]
    (name, layer, params), = net.layers
    w = params["weights"].detach().clone()
    b = params["bias"].detach().clone() if "bias" in params else None
    lr, perceptron = rule["lr"], rule["type"] == "perceptron"
    limit = doc.get("epochs", 100 if rule.get("until_converged") else 1)
    k = 0
    for epoch in range(1, limit + 1):
        errors = 0
        for x, target in net.data:
            t = torch.tensor(target, dtype=torch.float64).reshape(x.shape[0], -1)
            for n in range(x.shape[0]):
                k += 1
                z = x[n] @ w + (b if b is not None else 0)
                y = (z >= 0).to(z.dtype) if perceptron else activation(layer.get("activation"), z, layer, net.framework)
                out["step%d.output" % k] = y.tolist()
                signal = t[n] - y if perceptron else t[n]
                errors += bool((signal != 0).any()) if perceptron else 0
                w = w + lr * torch.outer(x[n], signal)
                if b is not None:
                    b = b + lr * signal
        if perceptron:
            out["epoch%d.errors" % epoch] = errors
        out["epochs"] = epoch
        if rule.get("until_converged") and errors == 0:
            break
    final = {"weights": w, "bias": b}
    for role in params:
        out["update.%s.%s" % (name, role)] = final[role].tolist()
    for s, (kind, key, f) in net.symbols.items():
        if kind == "param":
            out["update." + s] = final[key[1]].reshape(-1)[f].item()
    return out


def answers(doc):
    net = Net(doc)
    out = {}
    if "rule" in doc:
        try:   # a step exactly at its threshold has no forward answer here, but the rule's step is defined there
            forward_answers(net, out)
        except Unsupported:
            pass
        return rule_answers(doc, net, out)
    outs = forward_answers(net, out)
    loss_answers(doc, net, outs, out)
    return out


def forward_answers(net, out):
    outs = net.forward()
    for name, t in outs.items():
        out["forward." + name] = sample_view(net, t).tolist()
    for name, (scores, weights) in net.stages.items():
        out["forward.%s.scores" % name] = sample_view(net, scores).tolist()
        out["forward.%s.weights" % name] = sample_view(net, weights).tolist()
    for s, (kind, key, f) in net.symbols.items():
        if kind == "output":
            out["forward." + s] = outs[key].detach().reshape(-1)[f].item()
    return outs


def loss_answers(doc, net, outs, out):
    if "loss" not in doc:
        return out
    last = outs[net.layers[-1][0]]
    loss = net.loss(last)
    out["loss"] = loss.item()
    loss.backward()
    for name, layer, params in net.layers:
        for role, p in params.items():
            out["grad.%s.%s" % (name, role)] = (p.grad if p.grad is not None else torch.zeros_like(p)).tolist()
    for s, (kind, key, f) in net.symbols.items():
        if kind == "param":
            p = dict((n, ps) for n, _, ps in net.layers)[key[0]][key[1]]
            out["grad." + s] = p.grad.reshape(-1)[f].item()
    out["grad." + net.input_name] = sample_view(net, net.x.grad).tolist()
    for name, x in net.given.items():
        out["grad." + name] = sample_view(net, x.grad if x.grad is not None else torch.zeros_like(x)).tolist()
    if net.batch is None:
        for f, s in enumerate(net.input_symbols):
            out["grad." + s] = net.x.grad.reshape(-1)[f].item()
    if "optimizer" not in doc:
        return out
    opt = net.optimizer()
    for p in net.parameters():
        p.grad = None
    net.x.grad = None
    # one step per batch, epoch after epoch; on one batch "steps" (or "epochs") steps
    steps = len(net.data) * doc.get("epochs", 1) if "batches" in doc else doc.get("epochs", doc.get("steps", 1))
    for k in range(1, steps + 1):
        net.use((k - 1) % len(net.data))
        opt.zero_grad()
        loss = net.loss(net.forward()[net.layers[-1][0]])
        out["step%d.loss" % k] = loss.item()
        loss.backward()
        opt.step()
    with torch.no_grad():
        out["final.loss"] = net.loss(net.forward()[net.layers[-1][0]]).item()
    for name, layer, params in net.layers:
        for role, p in params.items():
            out["update.%s.%s" % (name, role)] = p.detach().tolist()
    for s, (kind, key, f) in net.symbols.items():
        if kind == "param":
            p = dict((n, ps) for n, _, ps in net.layers)[key[0]][key[1]]
            out["update." + s] = p.detach().reshape(-1)[f].item()
    return out


def gated_recurrent(kind, layer, params, x, framework):
    """nn.LSTM / nn.GRU (batch_first) through torch._VF; Keras's kernels transposed to PyTorch's
    layout, the GRU's gates z, r, h reordered to r, z, n (reset_after=True: bias rows are the
    input and recurrent biases). Keras's GRU(reset_after=False) is its cell written out
    (keras/src/layers/rnn/gru.py): h̃ = tanh(x·W_h + (r ⊙ h)·U_h + b_h)."""
    u = layer["units"]
    order = (lambda t: t) if kind == "lstm" else (lambda t: torch.cat([t[u:2 * u], t[:u], t[2 * u:]]))
    if framework == "pytorch":
        flat = [params[r] for r in RNN_ROLES]
    else:
        K, R, B = params["kernel"], params["recurrent_kernel"], params["bias"]
        if kind == "gru" and not layer.get("reset_after", True):
            h = torch.zeros(x.shape[0], u)
            outs = []
            for t in range(x.shape[1]):
                xk = x[:, t] @ K + B
                z = torch.sigmoid(xk[:, :u] + h @ R[:, :u])
                r = torch.sigmoid(xk[:, u:2 * u] + h @ R[:, u:2 * u])
                cand = torch.tanh(xk[:, 2 * u:] + (r * h) @ R[:, 2 * u:])
                h = z * h + (1 - z) * cand
                outs.append(h)
            out = torch.stack(outs, dim=1)
            return out if layer.get("return_sequences", False) else out[:, -1]
        b_ih, b_hh = (B[0], B[1]) if B.dim() == 2 else (B, torch.zeros_like(B))
        flat = [order(K.t()), order(R.t()), order(b_ih), order(b_hh)]
    h0 = torch.zeros(1, x.shape[0], u)
    if kind == "lstm":
        out = torch._VF.lstm(x, (h0, h0), flat, True, 1, 0.0, False, False, True)[0]
    else:
        out = torch._VF.gru(x, h0, flat, True, 1, 0.0, False, False, True)[0]
    return out if layer.get("return_sequences", False) else out[:, -1]


def same(expected, computed, tol):
    if isinstance(expected, list) or isinstance(computed, list):
        if not (isinstance(expected, list) and isinstance(computed, list)) or len(expected) != len(computed):
            return False
        return all(same(a, b, tol) for a, b in zip(expected, computed))
    return abs(expected - computed) <= tol * max(abs(expected), abs(computed))


def check(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if "values" not in doc.get("input", {}) and "batches" not in doc:
        return None
    tol = doc.get("tolerance", 1e-6)
    try:
        got = answers(doc)
    except Unsupported as e:
        return ["unsupported here: %s" % e]
    bad = []
    for key, value in doc.get("expect", {}).items():
        numeric = key.startswith(NUMERIC_PREFIXES) or key in ("loss", "final.loss", "epochs") or (
            key.startswith("step") and key.endswith((".loss", ".output"))) or (key.startswith("epoch") and key.endswith(".errors"))
        if not numeric:
            continue
        if key not in got:
            bad.append("%s: no PyTorch value" % key)
        elif not same(value, got[key], tol):
            bad.append("%s: expected %s, PyTorch %s" % (key, json.dumps(value), json.dumps(got[key])))
    return bad


def main(argv):
    paths = argv[1:] or [os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")]
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".json")]
        else:
            files.append(p)
    failed = checked = 0
    for path in files:
        result = check(path)
        if result is None:
            continue
        checked += 1
        if result:
            failed += 1
            print("FAIL %s" % os.path.normpath(path))
            for line in result:
                print("    " + line)
        else:
            print("ok   %s" % os.path.normpath(path))
    print("%d checked, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
