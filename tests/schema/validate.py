#!/usr/bin/python3
"""Validate dlsolve problem files against schemas/problem.schema.json.

Usage: /usr/bin/python3 tests/schema/validate.py SCHEMA DIR_OR_FILE...

Every *.json under the given directories (recursively) is checked:
  - it parses as JSON with no key given twice in any object;
  - it validates against the schema (draft 2020-12);
  - layer names are unique, `inputs` name earlier layers or the input, and the
    names used in `ask` and in `expect` keys exist (except the totals);
  - numeric answer keys name what dlsolve answers: forward.LAYER or an output
    symbol, grad./update. a value symbol or LAYER.ROLE (grad. also the input and,
    without a batch, its symbols), stepK.loss with K ≤ the steps (batches × epochs
    with "batches"); stepK.output, epochE.errors (perceptron) and epochs with a
    learning rule; they need input.values or batches, and all but forward.* a loss,
    update.*/stepK/final an optimizer (update.* and the rule's keys: a rule);
    {"grad": …} and {"update": …} in `ask` name such symbols.
Then a few deliberately wrong in-memory documents must be rejected, so that a
schema which accepts everything makes this test fail.

Prints one line per file / self-check, then "N passed, N failed"; exits 1 on
any failure.
"""
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "problems", "tools"))
from dlsolve_names import array_shape, prefixed_names  # noqa: E402

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.stderr.write("python3-jsonschema is missing: run with /usr/bin/python3 "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)

TOTAL_KEYS = {"params.total", "params.trainable", "params.non_trainable", "buffers.total",
              "macs.total", "flops.total",
              "memory.input", "memory.forward_backward", "memory.params", "memory.total"}

# value roles of the layer types that hold values (dlsolve: Layer::value_roles)
VALUE_ROLES = {"dense": ("weights", "bias"), "embedding": ("weights",)}
# recurrent layers name their values as the framework stores them (docs/problem-format.md)
RECURRENT_ROLES = ("kernel", "recurrent_kernel", "bias", "backward_kernel", "backward_recurrent_kernel", "backward_bias",
                   "weight_ih", "weight_hh", "bias_ih", "bias_hh",
                   "weight_ih_reverse", "weight_hh_reverse", "bias_ih_reverse", "bias_hh_reverse")
VALUE_ROLES.update({kind: RECURRENT_ROLES for kind in ("simple_rnn", "lstm", "gru")})
# multi-head attention: Keras's and PyTorch's tensor names (docs/problem-format.md, Attention values)
VALUE_ROLES["multi_head_attention"] = (
    "query_kernel", "query_bias", "key_kernel", "key_bias", "value_kernel", "value_bias",
    "attention_output_kernel", "attention_output_bias", "in_proj_weight", "in_proj_bias",
    "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight", "out_proj.bias")
VALUE_ROLES["positional_encoding"] = ("weights",)
# transformer blocks: PyTorch's parameter names
_BLOCK = tuple(f"{a}.{r}" for a in ("self_attn", "multihead_attn") for r in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")) \
    + ("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias") + tuple(f"norm{k}.{r}" for k in (1, 2, 3) for r in ("weight", "bias"))
VALUE_ROLES["transformer_encoder"] = VALUE_ROLES["transformer_decoder"] = _BLOCK
STEP_LOSS = re.compile(r"^step([1-9][0-9]*)\.loss$")
STEP_OUTPUT = re.compile(r"^step([1-9][0-9]*)\.output$")
EPOCH_ERRORS = re.compile(r"^epoch([1-9][0-9]*)\.errors$")
BATCH_SUFFIX = re.compile(r"⁽[0-9]+⁾$")  # dlsolve's per-sample suffix of output names when batch > 1


class Names:
    """The exam's names given by "symbols": a list names each element, a prefix
    names them prefix + indices (w11, w_{10,2}). With the values' shape the names are
    exact; without it (a layer's outputs) a prefix accepts any index."""

    def __init__(self):
        self.exact = set()
        self.prefixes = []

    def add(self, spec, shape=None):
        if isinstance(spec, str):
            if shape:
                self.exact.update(prefixed_names(spec, shape))
            else:
                self.prefixes.append(spec)
        elif isinstance(spec, list):
            self.exact.update(n for n in spec if isinstance(n, str))

    def __contains__(self, name):
        if name in self.exact:
            return True
        return any(re.fullmatch(re.escape(p) + r"([0-9]+|_\{[0-9]+(,[0-9]+)*\})", name) for p in self.prefixes)


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKey("key %r given twice" % key)
        obj[key] = value
    return obj


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=_no_duplicates)


def validator_for(schema):
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def semantic_errors(doc):
    """Checks JSON Schema cannot express: names unique and defined before use,
    every layer reaching the last one (the model's output), ask and expect
    naming existing layers."""
    errors = []
    if not isinstance(doc, dict) or not isinstance(doc.get("layers"), list):
        return errors
    framework = doc.get("framework", "keras")
    known = set()
    inp = doc.get("input")
    if isinstance(inp, dict) and isinstance(inp.get("name"), str):
        known.add(inp["name"])
    # default names, as the format describes them; used only to check references
    keras_class = {
        "input": "input_layer", "conv2d": "conv2d", "conv2d_transpose": "conv2d_transpose",
        "maxpool2d": "max_pooling2d", "avgpool2d": "average_pooling2d",
        "global_avgpool2d": "global_average_pooling2d", "global_maxpool2d": "global_max_pooling2d",
        "upsampling2d": "up_sampling2d", "zeropadding2d": "zero_padding2d", "flatten": "flatten",
        "reshape": "reshape", "dense": "dense", "batchnorm": "batch_normalization",
        "layernorm": "layer_normalization", "dropout": "dropout", "activation": "activation",
        "relu": "re_lu", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "linear",
        "softmax": "softmax", "leaky_relu": "leaky_re_lu", "hard_threshold": "hard_threshold",
        "concat": "concatenate", "add": "add", "embedding": "embedding", "conv1d": "conv1d",
        "simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru",
        "subtract": "subtract", "multiply": "multiply", "matmul": "mat_mul", "scale": "rescaling",
        "attention": "attention",
        "multi_head_attention": "multi_head_attention", "transformer_encoder": "transformer_encoder_layer",
        "transformer_decoder": "transformer_decoder_layer", "positional_encoding": "positional_encoding",
    }
    counters = {}
    prev = inp.get("name") if isinstance(inp, dict) else None
    feeds = {}  # layer name -> names it reads
    order = []
    for i, layer in enumerate(doc["layers"]):
        if not isinstance(layer, dict):
            continue
        for ref in layer.get("inputs", []) or []:
            if ref not in known:
                errors.append("layer %d: input %r is not the input nor an earlier layer" % (i, ref))
        name = layer.get("name")
        if name is None:
            if framework == "pytorch":
                name = str(i)
            else:
                base = keras_class.get(layer.get("type"), str(layer.get("type")))
                if layer.get("bidirectional") is True:   # Keras's Bidirectional wrapper
                    base = "bidirectional"
                n = counters.get(base, 0)
                counters[base] = n + 1
                name = base if n == 0 else "%s_%d" % (base, n)
        if name in known:
            errors.append("layer %d: name %r is already taken" % (i, name))
        known.add(name)
        if layer.get("type") == "input":
            feeds[name] = []
        else:
            feeds[name] = list(layer.get("inputs") or ([prev] if prev is not None else []))
        order.append(name)
        prev = name
    # the model's output is the last layer: every layer must reach it (dlsolve
    # rejects a branch that leads nowhere)
    if order:
        reached, todo = set(), [order[-1]]
        while todo:
            n = todo.pop()
            if n in reached:
                continue
            reached.add(n)
            todo.extend(feeds.get(n, []))
        for n in order:
            if n not in reached:
                errors.append("layer %r never reaches the model's output, the last layer %r" % (n, order[-1]))
    # names of values (weights, biases), outputs and input elements, and LAYER.ROLE
    value_names, output_names, input_names = Names(), Names(), Names()
    roles = set()
    batches = doc.get("batches") if isinstance(doc.get("batches"), list) else []
    if isinstance(inp, dict):
        sample = array_shape(inp.get("values"))[1 if doc.get("batch") else 0:] if "values" in inp else inp.get("shape")
        input_names.add(inp.get("symbols"), sample if isinstance(sample, list) else None)
    given_inputs = set()   # inputs among the layers with their own values: grad.NAME
    stage_keys = set()     # forward.LAYER.scores / .weights of attention layers
    for name, layer in zip(order, (l for l in doc["layers"] if isinstance(l, dict))):
        if layer.get("type") == "input" and "values" in layer:
            given_inputs.add(name)
            sample = array_shape(layer["values"])[1 if doc.get("batch") else 0:]
            input_names.add(layer.get("symbols"), sample)
            output_names.add(layer.get("symbols"), sample)
            continue
        if layer.get("type") == "attention":
            stage_keys.update({name + ".scores", name + ".weights"})
        symbols = layer.get("symbols") if isinstance(layer.get("symbols"), dict) else {}
        for role in VALUE_ROLES.get(layer.get("type"), ()):
            if role in layer:
                roles.add("%s.%s" % (name, role))
                value_names.add(symbols.get(role), array_shape(layer[role]))
        output_names.add(symbols.get("output"))
    batched = isinstance(doc.get("batch"), int) and doc["batch"] > 1
    has_values = (isinstance(inp, dict) and "values" in inp) or bool(batches)
    rule = doc.get("rule") if isinstance(doc.get("rule"), dict) else None
    epochs = doc.get("epochs") if isinstance(doc.get("epochs"), int) else None
    if rule and rule.get("until_converged") and epochs is None:
        epochs = 100   # the limit dlsolve stops at
    # optimizer steps: one per batch and epoch with "batches", else "steps" (or "epochs") on the one batch
    steps = len(batches) * (epochs or 1) if batches else (epochs or (doc.get("steps", 1) if isinstance(doc.get("steps", 1), int) else 1))
    # a learning rule's steps: one per sample and epoch
    per_batch = doc["batch"] if isinstance(doc.get("batch"), int) else 1
    rule_steps = (len(batches) if batches else 1) * per_batch * (epochs or 1)

    def output_symbol(name):
        return (BATCH_SUFFIX.sub("", name) if batched else name) in output_names

    for item in doc.get("ask", []) or []:
        if not isinstance(item, dict):
            continue
        for word, v in item.items():
            if word in ("grad", "update"):
                ok = v in value_names or any(v.startswith(r) for r in roles) or (
                    word == "grad" and (v in input_names or output_symbol(v)))
                if not ok:
                    errors.append("ask {%r: %r}: no value%s is named %r" % (
                        word, v, "" if word == "update" else ", input or output element", v))
            elif v not in known:
                errors.append("ask names unknown layer %r" % v)
    for key in doc.get("expect", {}) or {}:
        if key in TOTAL_KEYS:
            continue
        head, _, rest = key.partition(".")
        rule_key = STEP_OUTPUT.match(key) or EPOCH_ERRORS.match(key) or key == "epochs"
        numeric = head in ("forward", "grad", "update", "loss", "final") or STEP_LOSS.match(key) or rule_key
        if numeric:
            if not has_values:
                errors.append("expect key %r needs numbers: give input.values or batches" % key)
            if rule_key or (head == "update" and rule):
                if not rule:
                    errors.append("expect key %r needs a learning rule" % key)
            elif head != "forward" and "loss" not in doc:
                errors.append("expect key %r needs a loss" % key)
            elif (head in ("update", "final") or STEP_LOSS.match(key)) and "optimizer" not in doc:
                errors.append("expect key %r needs an optimizer" % key)
        if key in ("loss", "final.loss"):
            continue
        m = STEP_LOSS.match(key)
        if m:
            if int(m.group(1)) > steps:
                errors.append("expect key %r: there are only %d steps" % (key, steps))
            continue
        m = STEP_OUTPUT.match(key)
        if m:
            if int(m.group(1)) > rule_steps:
                errors.append("expect key %r: there are at most %d steps" % (key, rule_steps))
            continue
        m = EPOCH_ERRORS.match(key)
        if m:
            if rule and rule.get("type") != "perceptron":
                errors.append("expect key %r: only the perceptron counts misclassified samples" % key)
            if int(m.group(1)) > (epochs or 1):
                errors.append("expect key %r: there are at most %d epochs" % (key, epochs or 1))
            continue
        if key == "epochs":
            continue
        if head == "forward":
            if rest not in known and not output_symbol(rest) and rest not in stage_keys:
                errors.append("expect key %r names no layer nor output element" % key)
        elif head == "grad":
            if not (rest in roles or rest in value_names or rest == input_name(inp, framework) or rest in given_inputs
                    or (rest in input_names and not batched)):
                errors.append("expect key %r names no value (LAYER.ROLE or a symbol) nor the input" % key)
        elif head == "update":
            if not (rest in roles or rest in value_names):
                errors.append("expect key %r names no value (LAYER.ROLE or a symbol)" % key)
        elif head == "exact":  # exact.LAYER.H / exact.LAYER.W
            if rest.rsplit(".", 1)[0] not in known:
                errors.append("expect key %r names no layer (known: default names too)" % key)
        elif head == "gradient_flow":
            if rest.rpartition(".")[0] not in known:
                errors.append("expect key %r names no layer (known: default names too)" % key)
        elif rest not in known:
            errors.append("expect key %r names no layer (known: default names too)" % key)
    return errors


def input_name(inp, framework):
    """The input's name as dlsolve gives it (grad.INPUT): its "name", else Keras input_1,
    PyTorch input."""
    if isinstance(inp, dict) and isinstance(inp.get("name"), str):
        return inp["name"]
    return "input" if framework == "pytorch" else "input_1"


def check_file(validator, path):
    try:
        doc = load(path)
    except (ValueError, OSError) as e:  # JSONDecodeError and DuplicateKey are ValueErrors
        return ["cannot load: %s" % e]
    errs = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    if not errs:
        errs = semantic_errors(doc)
    return errs


GOOD = {
    "title": "self-check",
    "input": {"name": "input", "shape": [28, 28, 1]},
    "layers": [
        {"name": "conv1", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
    "ask": ["shapes", "params", "receptive_field", {"receptive_field": "conv1"}, "flops", "memory"],
    "expect": {"shapes.conv1": [28, 28, 8], "params.total": 62810,
               "receptive_field.conv1": 3, "effective_stride.conv1": 1, "effective_padding.conv1": 1,
               "receptive_field.dense": 28,
               "macs.conv1": 56448, "macs.total": 119168, "flops.conv1": 112896,
               "memory.input": 3136, "memory.params": 251240},
}


GOOD_NUMERIC = {
    "title": "self-check, numbers",
    "framework": "pytorch",
    "input": {"name": "x", "values": [1.0, -2.0], "symbols": ["x1", "x2"]},
    "layers": [
        {"name": "h", "type": "dense", "units": 2, "weights": [[0.5, -1.0], [1.0, 0.5]], "bias": [0.0, 0.5],
         "symbols": {"weights": "w", "bias": ["b1", "b2"], "output": "z"}},
        {"name": "a", "type": "sigmoid", "symbols": {"output": ["h1", "h2"]}},
        {"name": "drop", "type": "dropout", "rate": 0.5, "mask": [1, 0]},
        {"name": "y", "type": "dense", "units": 1, "use_bias": False, "weights": [[1.0], [-1.0]],
         "symbols": {"weights": ["v1", "v2"], "output": ["ŷ"]}},
    ],
    "target": [1.0],
    "loss": "mse",
    "optimizer": {"type": "adam", "lr": 0.1, "beta1": 0.9},
    "steps": 2,
    "training": True,
    "ask": ["forward", "loss", "gradients", "updates", {"grad": "w11"}, {"update": "v2"}, {"grad": "x1"}],
    "expect": {"forward.h": [-1.5, -0.5], "forward.z1": -1.5, "forward.ŷ": 0.1, "loss": 0.81,
               "grad.w11": 0.1, "grad.h.weights": [[0.1, 0.2], [0.3, 0.4]], "grad.x": [0.1, 0.2], "grad.x2": 0.2,
               "update.v2": -0.9, "update.y.weights": [[1.1], [-0.9]], "step1.loss": 0.81, "step2.loss": 0.5,
               "final.loss": 0.3},
}


GOOD_RULE = {
    "title": "self-check, a perceptron",
    "input": {"name": "x", "shape": [2], "symbols": ["x1", "x2"]},
    "batch": 2,
    "batches": [{"values": [[0.0, 0.0], [0.0, 1.0]], "target": [[0], [1]]},
                {"values": [[1.0, 0.0], [1.0, 1.0]], "target": [[1], [1]]}],
    "layers": [{"name": "p", "type": "dense", "units": 1, "activation": "hard_threshold",
                "weights": [[0.0], [0.0]], "bias": [0.0],
                "symbols": {"weights": ["w1", "w2"], "bias": ["b"], "output": ["y"]}}],
    "rule": {"type": "perceptron", "lr": 0.5, "until_converged": True},
    "epochs": 10,
    "ask": ["forward", "updates", {"update": "w1"}],
    "expect": {"forward.p": [[1.0], [0.0]], "update.w1": 0.5, "update.p.bias": [-0.5], "step1.output": [1.0],
               "step40.output": [1.0], "epoch1.errors": 2, "epoch10.errors": 0, "epochs": 4},
}


GOOD_EQUATIONS = {
    "title": "self-check: equations",
    "dims": {"D": None, "H": 4},
    "inputs": {"x": {"shape": ["D", 1]}},
    "params": {"W": {"shape": ["H", "D"]}, "b": {}},
    "equations": ["y = relu(W @ x + b)"],
    "ask": ["shapes", {"jacobian": "y/x"}],
    "expect": {"shapes.b": "H × 1", "params.total": "4*D + 4", "jacobian.y.x": "diag(1[W @ x + b > 0]) W"},
}


def bad_documents():
    """(description, document) pairs that the schema must reject."""
    out = []

    def equations(desc, fn):
        d = copy.deepcopy(GOOD_EQUATIONS)
        fn(d)
        out.append((desc, d))

    equations("equations beside layers", lambda d: d.update({"layers": [{"type": "relu"}]}))
    equations("an equation without '='", lambda d: d["equations"].append("relu(y)"))
    equations("a size 0 in a shape", lambda d: d["inputs"]["x"].update({"shape": [0, 1]}))
    equations("a negative size in dims", lambda d: d["dims"].update({"D": -1}))
    equations("an unknown answer key", lambda d: d["expect"].update({"shape.W": "H × D"}))
    equations("no inputs", lambda d: d.pop("inputs"))
    equations("a jacobian asked without '/'", lambda d: d["ask"].append({"jacobian": "y"}))

    def variant(desc, fn):
        d = copy.deepcopy(GOOD)
        fn(d)
        out.append((desc, d))

    variant("typo'd key 'filter' in conv2d",
            lambda d: d["layers"][0].update({"filter": d["layers"][0].pop("filters")}))
    variant("layer without 'type'", lambda d: d["layers"][1].pop("type"))
    variant("negative kernel", lambda d: d["layers"][0].update({"kernel": -3}))
    variant("zero in a kernel pair", lambda d: d["layers"][0].update({"kernel": [3, 0]}))
    variant("unknown top-level key", lambda d: d.update({"expected": {}}))
    variant("unknown layer type", lambda d: d["layers"][1].update({"type": "flaten"}))
    variant("missing required 'units'", lambda d: d["layers"][2].pop("units"))
    variant("integer padding in a Keras file", lambda d: d["layers"][0].update({"padding": 1}))
    variant("dropout rate 1", lambda d: d["layers"].insert(1, {"type": "dropout", "rate": 1}))
    variant("key of another layer type (units on conv2d)",
            lambda d: d["layers"][0].update({"units": 3}))
    variant("unknown answer key", lambda d: d["expect"].update({"param.conv1": 80}))
    variant("shape answer that is not a shape", lambda d: d["expect"].update({"shapes.conv1": 6272}))
    variant("buffers key in a Keras file", lambda d: d["expect"].update({"buffers.total": 0}))
    variant("no layers", lambda d: d.update({"layers": []}))
    variant("concat with one input",
            lambda d: d["layers"].append({"type": "concat", "inputs": ["conv1"]}))
    variant("PyTorch-only adaptive_avgpool2d in a Keras file",
            lambda d: d["layers"].insert(1, {"type": "adaptive_avgpool2d", "output": 7}))
    variant("PyTorch maxpool2d without 'pool'",
            lambda d: (d.update({"framework": "pytorch", "input": {"name": "input", "shape": [1, 28, 28]}}),
                       d["layers"][0].update({"padding": 1}),
                       d["layers"].insert(1, {"type": "maxpool2d"})))
    variant("a branch that never reaches the output",
            lambda d: (d["layers"].insert(1, {"name": "dead", "type": "conv2d", "filters": 4, "kernel": 1}),
                       d["layers"][2].update({"inputs": ["conv1"]})))
    variant("'inputs' naming no earlier layer",
            lambda d: d["layers"][1].update({"inputs": ["conv9"]}))
    variant("a layer name used twice",
            lambda d: d["layers"][1].update({"name": "conv1"}))
    variant("reshape with two -1", lambda d: d["layers"].insert(1, {"type": "reshape", "target_shape": [-1, -1]}))
    variant("unknown ask word 'receptive_fields'", lambda d: d["ask"].append("receptive_fields"))
    variant("ask naming an unknown layer for its receptive field",
            lambda d: d["ask"].append({"receptive_field": "conv9"}))
    variant("receptive field given as a string", lambda d: d["expect"].update({"receptive_field.conv1": "3"}))
    variant("receptive field 0", lambda d: d["expect"].update({"receptive_field.conv1": 0}))
    variant("receptive field with three sizes", lambda d: d["expect"].update({"receptive_field.conv1": [3, 3, 3]}))
    variant("negative effective stride", lambda d: d["expect"].update({"effective_stride.conv1": -1}))
    variant("MACs that are not an integer", lambda d: d["expect"].update({"macs.total": 1.5}))
    variant("negative FLOPs", lambda d: d["expect"].update({"flops.conv1": -2}))
    variant("memory of one layer (memory keys are model-wide)",
            lambda d: d["expect"].update({"memory.conv1": 1024}))
    variant("receptive-field key naming no layer", lambda d: d["expect"].update({"receptive_field.conv9": 3}))

    def numeric(desc, fn):
        d = copy.deepcopy(GOOD_NUMERIC)
        fn(d)
        out.append((desc, d))

    numeric("unknown loss", lambda d: d.update({"loss": "cross_entropy_logit"}))
    numeric("a loss without a target", lambda d: d.pop("target"))
    numeric("a target without a loss", lambda d: (d.pop("loss"), d.pop("optimizer"), d.pop("steps"),
                                                  d["ask"].clear(), d["expect"].clear()))
    numeric("a negative class index", lambda d: d.update({"target": {"class": -1}}))
    numeric("an unknown key in a class target", lambda d: d.update({"target": {"lable": 1}}))
    numeric("a label 0 (labels count from 1)", lambda d: d.update({"target": {"label": 0}}))
    numeric("an optimizer without lr", lambda d: d["optimizer"].pop("lr"))
    numeric("a negative learning rate", lambda d: d["optimizer"].update({"lr": -0.1}))
    numeric("an unknown optimizer framework", lambda d: d["optimizer"].update({"framework": "jax"}))
    numeric("an unknown optimizer", lambda d: d["optimizer"].update({"type": "adadelta"}))
    numeric("momentum on adam", lambda d: d["optimizer"].update({"momentum": 0.9}))
    numeric("rmsprop's torch name 'alpha' (the format says beta)",
            lambda d: d.update({"optimizer": {"type": "rmsprop", "lr": 0.1, "alpha": 0.9}}))
    numeric("beta2 = 1", lambda d: d["optimizer"].update({"beta2": 1}))
    numeric("Nesterov without momentum", lambda d: d.update({"optimizer": {"type": "sgd", "lr": 0.1, "nesterov": True}}))
    numeric("steps without an optimizer", lambda d: (d.pop("optimizer"), d["ask"].remove("updates"),
                                                     d["ask"].remove({"update": "v2"}),
                                                     [d["expect"].pop(k) for k in list(d["expect"])
                                                      if k.startswith(("update.", "step", "final."))]))
    numeric("steps 0", lambda d: d.update({"steps": 0}))
    numeric("an input with neither shape nor values", lambda d: d["input"].pop("values"))
    numeric("an empty symbol name", lambda d: d["input"].update({"symbols": ["x1", ""]}))
    numeric("dense weights without the bias", lambda d: d["layers"][0].pop("bias"))
    numeric("a bias with use_bias false", lambda d: d["layers"][3].update({"bias": [0.0]}))
    numeric("weights that are not a matrix", lambda d: d["layers"][0].update({"weights": [0.5, 1.0]}))
    numeric("a typo in symbols ('weight')", lambda d: d["layers"][0]["symbols"].update({"weight": "w"}))
    numeric("names of weights on a layer without weights",
            lambda d: d["layers"][1].update({"symbols": {"weights": "w"}}))
    numeric("weight names without the weights", lambda d: d["layers"].append(
        {"name": "y2", "type": "dense", "units": 1, "symbols": {"weights": "u"}}))
    numeric("a dropout mask with a 2", lambda d: d["layers"][2].update({"mask": [1, 2]}))
    numeric("a loss answer that is an array", lambda d: d["expect"].update({"loss": [0.81]}))
    numeric("a forward answer that is a string", lambda d: d["expect"].update({"forward.h": "1.5"}))
    numeric("a gradient of an unknown symbol", lambda d: d["expect"].update({"grad.w99": 0.1}))
    numeric("an update of an input element", lambda d: d["expect"].update({"update.x1": 0.1}))
    numeric("an update of a layer without values", lambda d: d["expect"].update({"update.a.weights": [0.1]}))
    numeric("a forward answer naming no layer or output", lambda d: d["expect"].update({"forward.q1": 0.1}))
    numeric("the loss before a step that is not run", lambda d: d["expect"].update({"step3.loss": 0.1}))
    numeric("'stepK.loss' with K = 0", lambda d: d["expect"].update({"step0.loss": 0.1}))
    numeric("a loss answer without a loss", lambda d: (d.pop("loss"), d.pop("target"), d.pop("optimizer"),
                                                       d.pop("steps"), d["ask"].clear()))
    numeric("numeric answers without input values",
            lambda d: d["input"].update({"shape": [2], "values": None}) or d["input"].pop("values"))
    numeric("ask for the gradient of an unknown symbol", lambda d: d["ask"].append({"grad": "w99"}))
    numeric("ask for the update of an output element", lambda d: d["ask"].append({"update": "h1"}))
    numeric("unknown ask word 'gradient'", lambda d: d["ask"].append("gradient"))
    numeric("'training' that is not a boolean", lambda d: d.update({"training": 1}))
    numeric("batches beside input.values", lambda d: d.update({"batches": [{"values": [1.0, 2.0], "target": [1.0]}]}))
    numeric("steps with epochs", lambda d: d.update({"epochs": 2}))
    numeric("epochs 0", lambda d: (d.pop("steps"), d.update({"epochs": 0})))
    numeric("a batch with a typo ('targets')",
            lambda d: (d["input"].pop("values"), d["input"].update({"shape": [2]}), d.pop("target"), d.pop("steps"),
                       d.update({"batches": [{"values": [1.0, 2.0], "targets": [1.0]}]})))
    numeric("a rule and an optimizer", lambda d: d.update({"rule": {"type": "hebbian", "lr": 0.1}}))
    numeric("batches without the input's shape",
            lambda d: (d["input"].pop("values"), d.pop("target"), d.pop("steps"),
                       d.update({"batches": [{"values": [1.0, 2.0], "target": [1.0]}]})))

    def rule(desc, fn):
        d = copy.deepcopy(GOOD_RULE)
        fn(d)
        out.append((desc, d))

    rule("a loss with a rule", lambda d: d.update({"loss": "mse"}))
    rule("steps with a rule", lambda d: d.update({"steps": 4}))
    rule("a target beside the batches", lambda d: d.update({"target": [1.0]}))
    rule("until_converged on the Hebbian rule", lambda d: (d["rule"].update({"type": "hebbian"}),
                                                            [d["expect"].pop(k) for k in list(d["expect"]) if k.startswith("epoch")]))
    rule("an unknown rule", lambda d: d["rule"].update({"type": "hebb"}))
    rule("a rule without lr", lambda d: d["rule"].pop("lr"))
    rule("a step output beyond the last step", lambda d: d["expect"].update({"step41.output": [1.0]}))
    rule("the errors of an epoch beyond the last", lambda d: d["expect"].update({"epoch11.errors": 0}))
    rule("errors that are not a count", lambda d: d["expect"].update({"epoch1.errors": 1.5}))
    rule("epochs run 0", lambda d: d["expect"].update({"epochs": 0}))
    rule("misclassified samples of the Hebbian rule",
         lambda d: (d["rule"].update({"type": "hebbian"}), d["rule"].pop("until_converged"),
                    [d["expect"].pop(k) for k in list(d["expect"]) if k.startswith("epoch") and k != "epoch1.errors"]))
    rule("a rule's keys without a rule",
         lambda d: (d.pop("rule"), d.update({"loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}}),
                    d["expect"].pop("update.w1"), d["expect"].pop("update.p.bias")))
    return out


def self_check(validator):
    results = []
    errs = list(validator.iter_errors(GOOD)) or semantic_errors(GOOD)
    results.append(("self-check: a correct document is accepted", not errs,
                    "; ".join(getattr(e, "message", str(e)) for e in errs)))
    # answer keys that may be fractions or [h, w] pairs must be accepted as such
    for desc, key, value in [("a fractional effective padding", "effective_padding.conv1", 0.5),
                             ("an [h, w] receptive field", "receptive_field.conv1", [3, 5]),
                             ("a fractional effective stride", "effective_stride.conv1", 0.5)]:
        doc = copy.deepcopy(GOOD)
        doc["expect"][key] = value
        errs = list(validator.iter_errors(doc)) or semantic_errors(doc)
        results.append(("self-check: accepts %s" % desc, not errs,
                        "; ".join(getattr(e, "message", str(e)) for e in errs)))
    errs = list(validator.iter_errors(GOOD_NUMERIC)) or semantic_errors(GOOD_NUMERIC)
    results.append(("self-check: a correct document with values, loss and optimizer is accepted", not errs,
                    "; ".join(getattr(e, "message", str(e)) for e in errs)))
    for desc, fn in [("class indices as the target", lambda d: d.update({"target": {"classes": [0]}, "loss": "cross_entropy"})),
                     ("batched input values without a shape and per-sample output names",
                      lambda d: (d.update({"batch": 2, "target": [[1.0], [0.0]]}),
                                 d["input"].update({"values": [[1.0, -2.0], [0.5, 0.5]]}), d["input"].pop("symbols"),
                                 d["ask"].remove({"grad": "x1"}),
                                 d["expect"].pop("grad.x2"), d["expect"].update({"forward.ŷ⁽2⁾": 0.2}))),
                     ("an input with both shape and values", lambda d: d["input"].update({"shape": [2]})),
                     ("sgd with every key", lambda d: d.update({"optimizer": {"type": "sgd", "lr": 1, "momentum": 0.9,
                                                                              "dampening": 0, "nesterov": True,
                                                                              "weight_decay": 0.01}})),
                     ("a prefix of two-digit names (w_{10,1})",
                      lambda d: (d["input"].update({"values": [0.5] * 10}), d["input"].pop("symbols"), d["ask"].remove({"grad": "x1"}),
                                 d["expect"].pop("grad.x2"), d["expect"].update({"grad.x": [0.1] * 10}),
                                 d["layers"][0].update({"weights": [[0.5, 0.5]] * 10}),
                                 d["expect"].update({"grad.w_{10,1}": 0.0}), d["expect"].pop("grad.w11"),
                                 d["ask"].remove({"grad": "w11"}), d["ask"].append({"grad": "w_{1,2}"})))]:
        doc = copy.deepcopy(GOOD_NUMERIC)
        fn(doc)
        errs = list(validator.iter_errors(doc)) or semantic_errors(doc)
        results.append(("self-check: accepts %s" % desc, not errs, "; ".join(getattr(e, "message", str(e)) for e in errs)))
    errs = list(validator.iter_errors(GOOD_EQUATIONS)) or semantic_errors(GOOD_EQUATIONS)
    results.append(("self-check: a correct document of equations is accepted", not errs,
                    "; ".join(getattr(e, "message", str(e)) for e in errs)))
    errs = list(validator.iter_errors(GOOD_RULE)) or semantic_errors(GOOD_RULE)
    results.append(("self-check: a correct document with batches and a learning rule is accepted", not errs,
                    "; ".join(getattr(e, "message", str(e)) for e in errs)))
    for desc, fn in [("a list of batches trained by an optimizer with epochs",
                      lambda d: (d["rule"].clear(), d.pop("rule"), d.update({"loss": "mse", "optimizer": {"type": "adam", "lr": 0.1}}),
                                 d.update({"expect": {"step20.loss": 0.1, "update.w1": 0.5, "final.loss": 0.1, "loss": 0.2}}))),
                     ("the Hebbian rule on input.values and a target",
                      lambda d: (d.pop("batches"), d.pop("batch"), d.pop("epochs"), d["input"].update({"values": [1.0, 0.0]}),
                                 d.update({"target": [1.0], "rule": {"type": "hebbian", "lr": 0.1}}),
                                 d.update({"expect": {"update.w1": 0.1, "step1.output": [0.0], "epochs": 1}})))]:
        doc = copy.deepcopy(GOOD_RULE)
        fn(doc)
        errs = list(validator.iter_errors(doc)) or semantic_errors(doc)
        results.append(("self-check: accepts %s" % desc, not errs, "; ".join(getattr(e, "message", str(e)) for e in errs)))
    for desc, doc in bad_documents():
        rejected = not validator.is_valid(doc) or bool(semantic_errors(doc))
        results.append(("self-check: rejects %s" % desc, rejected, "" if rejected else "was accepted"))
    # a key given twice must be rejected by the loader
    try:
        json.loads('{"title": "a", "title": "b"}', object_pairs_hook=_no_duplicates)
        results.append(("self-check: rejects a key given twice", False, "was accepted"))
    except DuplicateKey:
        results.append(("self-check: rejects a key given twice", True, ""))
    return results


def collect(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".json"))
        else:
            files.append(p)
    return files


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = validator_for(schema)
    passed = failed = 0
    files = collect(argv[2:])
    if not files:
        print("FAIL no problem files found under %s" % " ".join(argv[2:]))
        failed += 1
    for path in files:
        errs = check_file(validator, path)
        if errs:
            failed += 1
            print("FAIL %s" % path)
            for e in errs:
                print("    %s" % e)
        else:
            passed += 1
            print("ok   %s" % path)
    for desc, ok, why in self_check(validator):
        if ok:
            passed += 1
            print("ok   %s" % desc)
        else:
            failed += 1
            print("FAIL %s: %s" % (desc, why))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
