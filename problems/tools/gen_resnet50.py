#!/usr/bin/python3
"""Generate problems/ref-resnet50-torchvision.json: ResNet-50 as torchvision builds it.

    /usr/bin/python3 problems/tools/gen_resnet50.py            # writes the file
    /usr/bin/python3 problems/tools/gen_resnet50.py --stdout   # prints it instead

Deterministic: the same output on every run (no timestamps, no randomness).

The network is torchvision.models.resnet50() (torchvision/models/resnet.py):
conv1 7x7/2 p3 (no bias), bn1, relu, maxpool 3/2 p1, then layer1..layer4 of
[3, 4, 6, 3] Bottleneck blocks of widths 64, 128, 256, 512 (expansion 4).
A Bottleneck is conv1 1x1, bn1, relu, conv2 3x3 with the block's stride and
padding 1, bn2, relu, conv3 1x1 (x4 channels), bn3, `out += identity`, relu;
every convolution has bias=False.  The stride sits in the 3x3 conv2 ("ResNet
v1.5"); the first block of each stage has downsample = conv1x1(stride) + BN.
Then avgpool = AdaptiveAvgPool2d((1, 1)), torch.flatten(x, 1), fc Linear(2048, 1000).

Layer names are torchvision's module names, except where torchvision has no
module of its own: the one ReLU module a block reuses three times is written
`relu1`, `relu2`, `relu3` (after the add), the residual sum is `add`, and
`flatten` stands for torch.flatten.

The expected values written into `expect` are computed here, independently of
dlsolve, by the textbook formulas:
  output size  floor((n + 2p - k)/s) + 1
  parameters   conv k*k*C_in*C_out (no bias), BN 2*C (+2*C buffers), fc 2048*1000 + 1000
  MACs         conv k*k*C_in*C_out*H_out*W_out, fc 2048*1000
  receptive field  r_out = r_in + (k - 1)*j_in, j_out = j_in*s,
                   effective padding P_out = P_in + p*j_in; at `add` the larger
                   field (the residual branch, which contains the 3x3 convs)
and checked against the published figures: num_params 25,557,032 and
GFLOPS (_ops) 4.089 in torchvision's ResNet50_Weights meta.
"""
import json
import os
import sys

PUBLISHED_PARAMS = 25557032      # torchvision ResNet50_Weights.IMAGENET1K_V1 meta["num_params"]
PUBLISHED_GMACS = 4.089          # torchvision ResNet50_Weights.IMAGENET1K_V1 meta["_ops"]
INPUT = 224
STAGES = [("layer1", 64, 3, 1), ("layer2", 128, 4, 2), ("layer3", 256, 6, 2), ("layer4", 512, 3, 2)]
EXPANSION = 4


class Net:
    def __init__(self):
        self.layers = []
        self.info = {}   # name -> dict(c, h, rf, j, pad)
        self.params = {}
        self.buffers = {}
        self.macs = {}

    def add_layer(self, spec, info, params=0, buffers=0, macs=0):
        self.layers.append(spec)
        self.info[spec["name"]] = info
        self.params[spec["name"]] = params
        if buffers:
            self.buffers[spec["name"]] = buffers
        self.macs[spec["name"]] = macs


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def conv(net, name, src, c_out, k, s, p, explicit_input):
    i = net.info[src]
    h = out_size(i["h"], k, s, p)
    spec = {"name": name, "type": "conv2d", "in_channels": i["c"], "filters": c_out, "kernel": k}
    if s != 1:
        spec["stride"] = s
    if p != 0:
        spec["padding"] = p
    spec["use_bias"] = False
    if explicit_input:
        spec["inputs"] = [src]
    info = dict(c=c_out, h=h, rf=i["rf"] + (k - 1) * i["j"], j=i["j"] * s, pad=i["pad"] + p * i["j"])
    net.add_layer(spec, info, params=k * k * i["c"] * c_out, macs=k * k * i["c"] * c_out * h * h)
    return name


def same_size(net, name, src, typ, params=0, buffers=0):
    net.add_layer({"name": name, "type": typ}, dict(net.info[src]), params=params, buffers=buffers)
    return name


def bn(net, name, src):
    c = net.info[src]["c"]
    return same_size(net, name, src, "batchnorm", params=2 * c, buffers=2 * c)


def bottleneck(net, prefix, src, width, stride):
    c_in = net.info[src]["c"]
    c_out = width * EXPANSION
    x = conv(net, prefix + ".conv1", src, width, 1, 1, 0, False)
    x = bn(net, prefix + ".bn1", x)
    x = same_size(net, prefix + ".relu1", x, "relu")
    x = conv(net, prefix + ".conv2", x, width, 3, stride, 1, False)
    x = bn(net, prefix + ".bn2", x)
    x = same_size(net, prefix + ".relu2", x, "relu")
    x = conv(net, prefix + ".conv3", x, c_out, 1, 1, 0, False)
    main = bn(net, prefix + ".bn3", x)
    if stride != 1 or c_in != c_out:
        d = conv(net, prefix + ".downsample.0", src, c_out, 1, stride, 0, True)
        shortcut = bn(net, prefix + ".downsample.1", d)
    else:
        shortcut = src
    a, b = net.info[main], net.info[shortcut]
    assert (a["c"], a["h"], a["j"]) == (b["c"], b["h"], b["j"])
    # both paths centred alike (aligned): centre of the first unit = (rf - 1)/2 - pad
    assert (a["rf"] - 1) / 2 - a["pad"] == (b["rf"] - 1) / 2 - b["pad"]
    big = a if a["rf"] >= b["rf"] else b
    net.add_layer({"name": prefix + ".add", "type": "add", "inputs": [main, shortcut]}, dict(big))
    return same_size(net, prefix + ".relu3", prefix + ".add", "relu")


def build():
    net = Net()
    net.info["input"] = dict(c=3, h=INPUT, rf=1, j=1, pad=0)
    x = conv(net, "conv1", "input", 64, 7, 2, 3, False)
    x = bn(net, "bn1", x)
    x = same_size(net, "relu", x, "relu")
    i = net.info[x]
    net.add_layer({"name": "maxpool", "type": "maxpool2d", "pool": 3, "stride": 2, "padding": 1},
                  dict(c=i["c"], h=out_size(i["h"], 3, 2, 1), rf=i["rf"] + 2 * i["j"], j=i["j"] * 2,
                       pad=i["pad"] + 1 * i["j"]))
    x = "maxpool"
    stage_ends = []
    for stage, width, blocks, stride in STAGES:
        for b in range(blocks):
            x = bottleneck(net, "%s.%d" % (stage, b), x, width, stride if b == 0 else 1)
        stage_ends.append(x)
    c = net.info[x]["c"]
    whole = dict(c=c, h=1, rf=INPUT, j=None, pad=None)
    net.add_layer({"name": "avgpool", "type": "adaptive_avgpool2d", "output": 1}, whole)
    net.add_layer({"name": "flatten", "type": "flatten"}, dict(whole))
    net.add_layer({"name": "fc", "type": "dense", "in_features": c, "units": 1000}, dict(whole),
                  params=c * 1000 + 1000, macs=c * 1000)
    return net, stage_ends


def document(net, stage_ends):
    total_params = sum(net.params.values())
    total_buffers = sum(net.buffers.values())
    total_macs = sum(net.macs.values())
    assert total_params == PUBLISHED_PARAMS, total_params
    assert round(total_macs / 1e9, 3) == PUBLISHED_GMACS, total_macs
    conv_params = sum(v for k, v in net.params.items() if ".bn" not in k and not k.startswith("bn")
                      and not k.endswith("downsample.1") and k != "fc")
    bn_params = sum(net.buffers.values())  # BN parameters = BN buffers = 2*C each

    def shape(name):
        i = net.info[name]
        return [i["c"], i["h"], i["h"]]

    expect = {"shapes.input": [3, INPUT, INPUT]}
    for name in ["conv1", "maxpool"] + stage_ends:
        expect["shapes." + name] = shape(name)
    expect["shapes.avgpool"] = [2048, 1, 1]
    expect["shapes.flatten"] = [2048]
    expect["shapes.fc"] = [1000]
    for name in ["conv1", "bn1", "layer1.0.conv2", "layer1.0.downsample.0", "layer4.2.conv3", "fc"]:
        expect["params." + name] = net.params[name]
    expect["params.total"] = total_params
    expect["params.trainable"] = total_params
    expect["params.non_trainable"] = 0
    expect["buffers.bn1"] = net.buffers["bn1"]
    expect["buffers.total"] = total_buffers
    for name in ["conv1", "maxpool"] + stage_ends:
        expect["receptive_field." + name] = net.info[name]["rf"]
    last = stage_ends[-1]
    expect["effective_stride." + last] = net.info[last]["j"]
    expect["effective_padding." + last] = net.info[last]["pad"]
    expect["receptive_field.fc"] = INPUT
    for name in ["conv1", "layer1.0.conv2", "layer4.2.conv3", "fc"]:
        expect["macs." + name] = net.macs[name]
    expect["macs.total"] = total_macs

    # per-stage MAC subtotals for the note
    def stage_macs(prefix):
        return sum(v for k, v in net.macs.items() if k.startswith(prefix + "."))
    stage_str = ", ".join("%s %s" % (s[0], format(stage_macs(s[0]), ",")) for s in STAGES)
    rf = [net.info[n]["rf"] for n in ["conv1", "maxpool"] + stage_ends]

    note = [
        "ResNet-50 exactly as torchvision.models.resnet50() builds it (generated by problems/tools/gen_resnet50.py; "
        "regenerate with /usr/bin/python3 problems/tools/gen_resnet50.py). Names are torchvision's module names, "
        "except that the ReLU module a Bottleneck reuses three times is written relu1, relu2, relu3 (relu3 after the "
        "sum), 'add' stands for `out += identity` and 'flatten' for torch.flatten(x, 1); none of these has parameters.",
        "params.total = 25,557,032 is the published figure (num_params of ResNet50_Weights.IMAGENET1K_V1). By hand: "
        "convolutions (all bias-free) %s, BatchNorm 2*C each %s (plus as many buffer elements: running mean and "
        "variance), fc 2048*1000 + 1000 = 2,049,000; %s + %s + 2,049,000 = 25,557,032."
        % (format(conv_params, ","), format(bn_params, ","), format(conv_params, ","), format(bn_params, ",")),
        "macs.total = %s multiply-accumulates of the 53 convolutions and fc (k*k*C_in*C_out*H_out*W_out; fc "
        "2048*1000): conv1 7*7*3*64*112*112 = 118,013,952, %s, fc 2,048,000. The torchvision documentation publishes "
        "4.089 GFLOPS (meta _ops of ResNet50_Weights, computed by the script of pytorch/vision PR #6936, which "
        "counts one operation per multiply-accumulate of convolutions and matrix products), which this total "
        "rounds to. BatchNorm, ReLU, max pooling, the residual adds and average pooling have no MACs in this "
        "convention (their FLOPs are counted by dlsolve flops, not in expect)."
        % (format(total_macs, ","), stage_str),
        "Receptive field by the recurrence r += (k - 1)*j, j *= s along the residual branch (the 1x1 shortcut "
        "convolutions see less, and the two paths are aligned, so each add has the branch's field): conv1 %d, "
        "maxpool %d, then every Bottleneck adds 2*j through its 3x3 conv, with j the jump entering that conv: "
        "layer1 3 blocks at j = 4: %d; layer2 first conv2 at j = 4 then 3 at j = 8: %d; layer3 one at 8, five at 16: "
        "%d; layer4 one at 16, two at 32: %d, effective stride 32, effective padding 3 + 2 + 12 + 28 + 88 + 80 = %d. "
        "fc sees the whole 224x224 input."
        % tuple(rf + [net.info[last]["pad"]]),
        "Distill's 483 (Araujo, Norris, Sim 2019, table of google-research/receptive_field: resnet_v1_50 483, "
        "effective stride 32, padding 239) is TF-Slim's resnet_v1_50, which puts each stage's stride in the 3x3 conv "
        "of the LAST unit of blocks 1-3 (and the original paper puts it in the first 1x1 conv): there 3, 4, 6 and 3 "
        "of the 3x3 convs run at jumps 4, 8, 16, 32, giving 11 + 2*(3*4 + 4*8 + 6*16 + 3*32) = 483. torchvision's "
        "v1.5 runs them at 4 (x4), 8 (x4), 16 (x6), 32 (x2): 11 + 2*(16 + 32 + 96 + 64) = 427. So 483 does not apply "
        "here; 427 agrees with the per-stage figures 35, 91, 267, 427 published for the stride-in-3x3 variant "
        "(gist samson-wang/a6073c18f2adf16e0ab5fb95b53db3e6, 'ResNet Receptive Field Size').",
    ]
    doc = {
        "title": "ResNet-50 as built by torchvision (torchvision.models.resnet50)",
        "source": "torchvision documentation, torchvision.models.resnet50 / ResNet50_Weights.IMAGENET1K_V1: "
                  "num_params 25557032, GFLOPS 4.089",
        "framework": "pytorch",
        "input": {"name": "input", "shape": [3, INPUT, INPUT]},
        "layers": net.layers,
        "ask": ["shapes", "params", "buffers", {"receptive_field": last}, "flops"],
        "expect": expect,
        "note": note,
    }
    return doc


def dump(doc):
    """JSON with one layer and one expect entry per line, like the hand-written files."""
    def j(v):
        return json.dumps(v, ensure_ascii=False)
    out = ["{"]
    keys = list(doc)
    for idx, key in enumerate(keys):
        comma = "," if idx < len(keys) - 1 else ""
        value = doc[key]
        if key == "layers":
            out.append('  "layers": [')
            out.append(",\n".join("    " + j(l) for l in value))
            out.append("  ]" + comma)
        elif key == "expect":
            out.append('  "expect": {')
            out.append(",\n".join("    %s: %s" % (j(k), j(v)) for k, v in value.items()))
            out.append("  }" + comma)
        elif key == "note":
            out.append('  "note": [')
            out.append(",\n".join("    " + j(n) for n in value))
            out.append("  ]" + comma)
        else:
            out.append("  %s: %s%s" % (j(key), j(value), comma))
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv):
    net, stage_ends = build()
    text = dump(document(net, stage_ends))
    if "--stdout" in argv[1:]:
        sys.stdout.write(text)
        return 0
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ref-resnet50-torchvision.json")
    with open(os.path.normpath(path), "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s" % os.path.normpath(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
