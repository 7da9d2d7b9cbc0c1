#!/usr/bin/python3
"""Writes the corpus of deliberately wrong answer keys (tests/check_explain/*.json) and
causes.tsv, the cause `dlsolve check` must name for each.

Every wrong key comes from a real framework (PyTorch 1.13 via Debian's python3-torch,
computed below in float64), a published figure (cited in the file's "source"), or the
definition of the other convention written out below (e.g. Keras's Adam update from
keras/src/optimizers/adam.py, bytes / 2^20 for MiB) -- never from dlsolve's output.
Deterministic: run `/usr/bin/python3 tests/check_explain/gen.py` and commit the result.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
CASES = []  # (file, phrase the explanation must contain)


def write(name, problem, phrase, folder=HERE):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        json.dump(problem, f, indent=2, ensure_ascii=False)
        f.write("\n")
    if phrase is not None:
        CASES.append((name, phrase))


def params(module):
    return sum(p.numel() for p in module.parameters())


# 1, 2: the other framework's recurrent count.
write("lstm-keras-key-pytorch.json", {
    "title": "LSTM(50) on 10 features, Keras file, key from nn.LSTM",
    "source": "torch.nn.LSTM(10, 50) parameters(): weight_ih, weight_hh, bias_ih, bias_hh",
    "framework": "keras", "input": {"shape": [30, 10]},
    "layers": [{"type": "lstm", "units": 50}],
    "expect": {"params.lstm": params(torch.nn.LSTM(10, 50))}}, "is PyTorch's count (two bias vectors per gate")
write("lstm-pytorch-key-keras.json", {
    "title": "LSTM(2) on 3 features, PyTorch file, key from Keras",
    "source": "Keras LSTMCell.build: kernel (3, 8), recurrent_kernel (2, 8), bias (8): 48 (problems/ref-lstm-2-units-3-features-keras.json)",
    "framework": "pytorch", "input": {"shape": [10, 3]},
    "layers": [{"type": "lstm", "units": 2}],
    "expect": {"params.0": 3 * 8 + 2 * 8 + 8}}, "is Keras's count (one bias vector per gate)")
# 3, 4: biases left out.
write("conv-weights-only.json", {
    "title": "Conv2D(16, 5×5) on 32×32×3, key without the biases",
    "source": "definition: F·k·k·C = 16·5·5·3 weights (CS231n counts 'weights' and adds F biases)",
    "framework": "keras", "input": {"shape": [32, 32, 3]},
    "layers": [{"type": "conv2d", "filters": 16, "kernel": 5}],
    "expect": {"params.conv2d": 16 * 5 * 5 * 3}}, "leaves out the biases")
write("se-block-paper-count.json", {
    "title": "Squeeze-and-excitation FC pair, C = 256, r = 16, key from the paper",
    "source": "Hu et al. 2018, Squeeze-and-Excitation Networks, §4: the extra parameters are 2C²/r (weights only) = 8192",
    "framework": "pytorch", "input": {"shape": [256]},
    "layers": [{"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dense", "units": 256}],
    "expect": {"params.total": 2 * 256 * 256 // 16}}, "leaves out the biases")
# 5, 6: trainable / non-trainable, buffers.
write("batchnorm-trainable-only.json", {
    "title": "Dense(64) + BatchNormalization in Keras, key = the summary's trainable line",
    "source": "Keras model.summary(): 'Trainable params' = 4160 + 128 (gamma, beta); moving mean and variance are non-trainable",
    "framework": "keras", "input": {"shape": [64]},
    "layers": [{"type": "dense", "units": 64}, {"type": "batchnorm"}],
    "expect": {"params.total": 64 * 64 + 64 + 2 * 64}}, "counts only the trainable parameters")
bn = torch.nn.BatchNorm1d(64)
write("batchnorm-pytorch-buffers-counted.json", {
    "title": "Linear(64, 64) + BatchNorm1d(64) in PyTorch, key counting the running statistics",
    "source": "torch: parameters() 4160 + 128, buffers running_mean and running_var 128 (num_batches_tracked aside)",
    "framework": "pytorch", "input": {"shape": [64]},
    "layers": [{"type": "dense", "units": 64}, {"type": "batchnorm"}],
    "expect": {"params.total": 64 * 64 + 64 + params(bn) + bn.running_mean.numel() + bn.running_var.numel()}},
    "buffer elements (BatchNorm's running statistics) as parameters")
# 7, 8, 9: MACs and FLOPs.
macs = 16 * 28 * 28 * (5 * 5 * 3)
conv = {"framework": "keras", "input": {"shape": [32, 32, 3]}, "layers": [{"name": "conv", "type": "conv2d", "filters": 16, "kernel": 5}]}
write("flops-given-as-macs.json", dict(title="Conv2D(16, 5×5) on 32×32×3, FLOPs key as torchvision counts them",
      source="torchvision's model tables give GFLOPS that are multiply-add counts (AlexNet 0.714 = its 714,188,480 MACs); definition: F·H'·W'·k·k·C",
      **conv, expect={"flops.conv": macs}), "is the MAC count")
conv_relu = {"framework": "keras", "input": {"shape": [32, 32, 3]},
             "layers": [{"name": "conv", "type": "conv2d", "filters": 16, "kernel": 5, "activation": "relu"}]}
write("flops-as-twice-macs.json", dict(title="Conv2D(16, 5×5, relu) on 32×32×3, FLOPs key = 2 × MACs",
      source="the common rule 'one MAC is two FLOPs' applied to the MACs alone, leaving out the ReLU's one comparison per output",
      **conv_relu, expect={"flops.conv": 2 * macs}), "is 2 × MACs")
write("macs-given-as-flops.json", dict(title="Conv2D(16, 5×5) on 32×32×3, MACs key counting 2 per multiply-add",
      source="definition: a MAC is one multiply-add; the key counts the multiply and the add (2 × MACs)",
      **conv, expect={"macs.conv": 2 * macs}), "counts 2 FLOPs per multiply-add")
# 10: per batch.
write("macs-per-batch.json", dict(title="Conv2D(16, 5×5) on a batch of 8 images 32×32×3, MACs key for the batch",
      source="definition: the batch's MACs are 8 × one image's", batch=8,
      **conv, expect={"macs.conv": 8 * macs}), "is for the whole batch of 8")
# 11, 12, 13: memory units.
write("vgg16-params-mib.json", {
    "title": "VGG16 (torchvision), parameter memory as torchsummary prints it",
    "source": "torchsummary's VGG16 summary: 'Params size (MB): 527.79' (138,357,544 × 4 bytes / 2^20)",
    "framework": "pytorch", "input": {"shape": [3, 224, 224]},
    "layers": json.load(open(os.path.join(HERE, "..", "..", "problems", "ref-vgg16-torchvision.json")))["layers"],
    "expect": {"memory.params": 527.79}}, "is in MiB")
small = {"framework": "pytorch", "input": {"shape": [512]}, "layers": [{"type": "dense", "units": 1000}]}
small_bytes = (512 * 1000 + 1000) * 4
write("dense-params-mb.json", dict(title="Linear(512, 1000), parameter memory in MB",
      source="definition: 513,000 float32 parameters × 4 bytes / 10^6 = 2.052 MB", **small,
      expect={"memory.params": round(small_bytes / 1e6, 3)}), "is in MB")
write("dense-params-kib.json", dict(title="Linear(512, 1000), parameter memory in KiB",
      source="definition: 2,052,000 bytes / 1024 = 2003.9 KiB", **small,
      expect={"memory.params": round(small_bytes / 1024, 1)}), "is in KiB")
# 14, 15: 0- vs 1-based classes.
logits = torch.tensor([[2.0, 1.0, 0.1]])
ce_base = {"framework": "pytorch", "input": {"name": "z", "shape": [3], "values": [2.0, 1.0, 0.1]},
           "layers": [{"name": "p", "type": "linear"}], "loss": "cross_entropy_logits"}
write("class-read-as-label.json", dict(title="Cross-entropy of logits (2, 1, 0.1) for class 1, key for the first class",
      source="torch.nn.functional.cross_entropy(z, tensor([0])): the key took 'class 1' as the first class", **ce_base,
      target={"class": 1}, expect={"loss": F.cross_entropy(logits, torch.tensor([0])).item()}), "reads class 1 as a 1-based label")
write("label-read-as-class.json", dict(title="Cross-entropy of logits (2, 1, 0.1) for label 1 (the first class), key for index 1",
      source="torch.nn.functional.cross_entropy(z, tensor([1])): the key took label 1 as index 1", **ce_base,
      target={"label": 1}, expect={"loss": F.cross_entropy(logits, torch.tensor([1])).item()}), "reads label 1 as a 0-based class index")
# 16, 17: reductions.
p, t = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([0.0, 1.0, 1.0])
write("mse-key-summed.json", {"title": "MSE of three outputs, key with reduction='sum'",
      "source": "torch.nn.functional.mse_loss(p, t, reduction='sum')", "framework": "pytorch",
      "input": {"shape": [3], "values": [0.5, 2.0, -1.0]}, "layers": [{"name": "p", "type": "linear"}],
      "target": [0.0, 1.0, 1.0], "loss": "mse", "expect": {"loss": F.mse_loss(p, t, reduction="sum").item()}},
      "with reduction='sum'")
zb = torch.tensor([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])
write("cross-entropy-key-mean.json", {"title": "Summed cross-entropy of a batch of 2, key with the mean",
      "source": "torch.nn.functional.cross_entropy(z, tensor([0, 2]), reduction='mean')", "framework": "pytorch", "batch": 2,
      "input": {"shape": [3], "values": zb.tolist()}, "layers": [{"name": "p", "type": "linear"}],
      "target": {"classes": [0, 2]}, "loss": "cross_entropy_logits", "reduction": "sum",
      "expect": {"loss": F.cross_entropy(zb, torch.tensor([0, 2])).item()}}, "with reduction='mean'")
# 18: ceil vs floor.
pooled = F.max_pool2d(torch.zeros(1, 1, 7, 7), 2, ceil_mode=True)
write("maxpool-ceil-mode.json", {"title": "MaxPool2d(2) on a 1×7×7 map, key with ceil_mode=True",
      "source": "torch.nn.functional.max_pool2d(x, 2, ceil_mode=True).shape", "framework": "pytorch",
      "input": {"shape": [1, 7, 7]}, "layers": [{"name": "pool", "type": "maxpool2d", "pool": 2}],
      "expect": {"shapes.pool": list(pooled.shape[1:])}}, "rounds the pooled size up (ceil_mode=True)")
write("conv-size-ceiled.json", {"title": "Conv2D(1, 3, strides=2) on 10×10×3 (CS231n's invalid stride), key rounding the size up",
      "source": "CS231n notes, 'Constraints on strides': (10 − 3)/2 + 1 = 4.5; the key takes ⌈4.5⌉ where Keras floors",
      "framework": "keras", "input": {"shape": [10, 10, 3]},
      "layers": [{"name": "conv", "type": "conv2d", "filters": 1, "kernel": 3, "stride": 2}],
      "expect": {"shapes.conv": [math.ceil((10 - 3) / 2 + 1)] * 2 + [1]}}, "rounds the output size up (⌈4.5⌉ = 5")
# 19, 20: optimizer defaults and rules.
rms = json.load(open(os.path.join(HERE, "..", "..", "problems", "ref-keras-rmsprop-docstring.json")))
write("rmsprop-pytorch-file-keras-key.json", {"title": "torch RMSprop on var1 = 10, key from the Keras docstring",
      "source": "keras.optimizers.RMSprop docstring: var1 → 9.683772 (rho 0.9, epsilon inside the root)", "framework": "pytorch",
      "input": rms["input"], "layers": rms["layers"], "target": [0.0], "loss": "half_sse", "optimizer": {"type": "rmsprop", "lr": 0.1},
      "expect": {"update.var1": 9.683772}, "tolerance": 1e-7}, "is keras.optimizers' rmsprop (ρ 0.9")
w = torch.tensor([10.0], requires_grad=True)
opt = torch.optim.RMSprop([w], lr=0.1)
(0.5 * w[0] ** 2).backward()
opt.step()
write("rmsprop-keras-file-torch-key.json", {"title": "Keras RMSprop on var1 = 10, key from torch.optim.RMSprop",
      "source": "torch.optim.RMSprop([w], lr=0.1), one step on w²/2 from w = 10 (alpha 0.99)", "framework": "keras",
      "input": rms["input"], "layers": rms["layers"], "target": [0.0], "loss": "half_sse", "optimizer": {"type": "rmsprop", "lr": 0.1},
      "expect": {"update.var1": w.item()}}, "is torch.optim's rmsprop")
# 21: Adam's epsilon placement (Keras: alpha = lr·sqrt(1 − β2^t)/(1 − β1^t); w −= alpha·m/(sqrt(v) + ε), ε = 1e-7).
x, w0, lr = 1e-4, 1.0, 0.1
g = w0 * x * x
m, v = 0.1 * g, 0.001 * g * g
keras_w = w0 - lr * math.sqrt(1 - 0.999) / (1 - 0.9) * m / (math.sqrt(v) + 1e-7)
write("adam-pytorch-file-keras-epsilon.json", {"title": "torch Adam on a gradient of 1e-8, key with Keras's ε placement",
      "source": "keras/src/optimizers/adam.py update_step: alpha = lr·sqrt(1 − β2^t)/(1 − β1^t); w −= alpha·m/(sqrt(v) + 1e-7), written out in gen.py",
      "framework": "pytorch", "input": {"shape": [1], "values": [x]},
      "layers": [{"type": "dense", "units": 1, "use_bias": False, "weights": [[w0]], "symbols": {"weights": ["w"]}}],
      "target": [0.0], "loss": "half_sse", "optimizer": {"type": "adam", "lr": lr},
      "expect": {"update.w": keras_w}}, "is keras.optimizers' adam")
# 22: LeakyReLU's default slope.
write("leaky-relu-keras-file-torch-key.json", {"title": "Keras LeakyReLU() on (−2, 3), key with torch's default slope",
      "source": "torch.nn.functional.leaky_relu(x) (negative_slope 0.01)", "framework": "keras",
      "input": {"shape": [2], "values": [-2.0, 3.0]}, "layers": [{"name": "a", "type": "leaky_relu"}],
      "expect": {"forward.a": F.leaky_relu(torch.tensor([-2.0, 3.0])).tolist()}}, "uses LeakyReLU's default slope 0.01")
# 23, 24: transposed weights.
W = [[1.0, 2.0], [-1.0, 0.5]]
write("dense-weights-transposed.json", {"title": "Dense(2) with weights [[1, 2], [−1, 0.5]] on (1, 3), key from nn.Linear given the matrix as weight",
      "source": "torch.nn.functional.linear(x, W): nn.Linear stores weight as [out, in], the file's weights are [in][out]", "framework": "pytorch",
      "input": {"shape": [2], "values": [1.0, 3.0]}, "layers": [{"name": "h", "type": "dense", "units": 2, "use_bias": False, "weights": W}],
      "expect": {"forward.h": F.linear(torch.tensor([1.0, 3.0]), torch.tensor(W)).tolist()}}, "reads the weight matrix transposed")
bp = json.load(open(os.path.join(HERE, "..", "..", "problems", "001-6-backpropagation.json")))
xs = torch.tensor([1.0, -2.0])
Wh = torch.tensor(bp["layers"][0]["weights"], requires_grad=True)
hb = torch.tensor(bp["layers"][0]["bias"])
Wy, yb = torch.tensor(bp["layers"][2]["weights"]), torch.tensor(bp["layers"][2]["bias"])
yv = F.leaky_relu(xs @ Wh + hb, 0.5) @ Wy + yb
F.mse_loss(yv, torch.tensor([1.0, 1.0])).backward()
write("backprop-grad-indices-swapped.json", {"title": "Exam 001 problem 6's network, key of ∂L/∂w12 with the indices swapped",
      "source": "001_ba92fe218f16ad7c.txt problem 6's network; ∂L/∂w21 from torch autograd given as ∂L/∂w12", **{k: bp[k] for k in ("framework", "input", "layers", "target", "loss")},
      "expect": {"grad.w12": Wh.grad[1][0].item()}}, "is w21's value")
# 25: a key that contradicts itself.
write("params-total-not-the-sum.json", {"title": "Two dense layers whose key total is not the sum of the key's own parts",
      "source": "the case of issue 12 (a published memory total, 93 MB, that disagrees with its own table, 61 MB): here the parts are nn.Linear counts and the total a mis-added figure",
      "framework": "pytorch", "input": {"shape": [256]},
      "layers": [{"name": "fc1", "type": "dense", "units": 16}, {"name": "fc2", "type": "dense", "units": 256}],
      "expect": {"params.fc1": params(torch.nn.Linear(256, 16)), "params.fc2": params(torch.nn.Linear(16, 256)), "params.total": 8644}},
      "the key contradicts itself")

# Random wrong keys: no cause may be named.
RANDOM = os.path.join(HERE, "random")
write("lstm-random.json", {"title": "LSTM(50) on 10 features, a random key", "framework": "keras", "input": {"shape": [30, 10]},
      "layers": [{"type": "lstm", "units": 50}], "expect": {"params.lstm": 12345}}, None, RANDOM)
write("conv-random.json", dict(title="Conv2D(16, 5×5), random keys", **conv, expect={"macs.conv": 987654, "flops.conv": 1234567}), None, RANDOM)
write("loss-random.json", dict(title="Cross-entropy, a random key", **ce_base, target={"class": 1}, expect={"loss": 0.777}), None, RANDOM)
write("memory-random.json", dict(title="Linear(512, 1000), a random memory key", **small, expect={"memory.params": 3.21}), None, RANDOM)
write("rmsprop-random.json", {"title": "RMSprop on var1 = 10, a random key", "framework": "pytorch", "input": rms["input"], "layers": rms["layers"],
      "target": [0.0], "loss": "half_sse", "optimizer": {"type": "rmsprop", "lr": 0.1}, "expect": {"update.var1": 9.5}}, None, RANDOM)

with open(os.path.join(HERE, "causes.tsv"), "w", encoding="utf-8") as f:
    f.write("file\tthe explanation must contain\n")
    for name, phrase in CASES:
        f.write(f"{name}\t{phrase}\n")
print(f"{len(CASES)} wrong keys, 5 random ones")
