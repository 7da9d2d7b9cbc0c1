#!/usr/bin/python3
"""Validate dlsolve problem files against schemas/problem.schema.json.

Usage: /usr/bin/python3 tests/schema/validate.py SCHEMA DIR_OR_FILE...

Every *.json under the given directories (recursively) is checked:
  - it parses as JSON with no key given twice in any object;
  - it validates against the schema (draft 2020-12);
  - layer names are unique, `inputs` name earlier layers or the input, and the
    names used in `ask` and in `expect` keys exist (except the totals).
Then a few deliberately wrong in-memory documents must be rejected, so that a
schema which accepts everything makes this test fail.

Prints one line per file / self-check, then "N passed, N failed"; exits 1 on
any failure.
"""
import copy
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.stderr.write("python3-jsonschema is missing: run with /usr/bin/python3 "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)

TOTAL_KEYS = {"params.total", "params.trainable", "params.non_trainable", "buffers.total",
              "macs.total", "flops.total",
              "memory.input", "memory.forward_backward", "memory.params", "memory.total"}


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
        "concat": "concatenate", "add": "add",
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
    for item in doc.get("ask", []) or []:
        if isinstance(item, dict):
            for v in item.values():
                if v not in known:
                    errors.append("ask names unknown layer %r" % v)
    for key in doc.get("expect", {}) or {}:
        if key in TOTAL_KEYS:
            continue
        _, _, layer_name = key.partition(".")
        if layer_name not in known:
            errors.append("expect key %r names no layer (known: default names too)" % key)
    return errors


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


def bad_documents():
    """(description, document) pairs that the schema must reject."""
    out = []

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
