#!/usr/bin/python3
"""Validate every command's --format json output against schemas/answers.schema.json.

Usage: /usr/bin/python3 tests/schema/validate_answers.py DLSOLVE SCHEMA PROBLEMS_DIR

For every problem file and every command (params, shapes, rf, flops, summary, forward,
backward, train, solve, graph) dlsolve runs with --format json; compare runs on each
file and the next one (in name order); params on pairs of files (the array of several
answers); check on the problems and on the wrong keys of tests/check_explain (its report). A command that does not apply to a problem
(exit 2 with one line on stderr and nothing on stdout: rf of a vector network, forward
without values) is counted as skipped; any other exit status fails. Every output must
parse, validate against the schema (draft 2020-12) and carry format_version 1, and the
rows of summary and the nodes of graph must agree with the answers of params and flops
on the same problem. Each command must validate on at least one problem.

Then wrong documents (no version, another version, a summary row without its MACs, an
object as an answer, an unknown top-level key) must be rejected, so a schema that accepts
everything fails this test.

Prints one line per command and a total; exits 1 on any failure.
"""
import concurrent.futures
import copy
import json
import os
import subprocess
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    sys.stderr.write("python3-jsonschema is missing (apt-get install python3-jsonschema)\n")
    sys.exit(2)

COMMANDS = ["params", "shapes", "rf", "flops", "summary", "forward", "backward", "train", "solve", "graph"]


def run(dlsolve, args):
    p = subprocess.run([dlsolve] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def main():
    dlsolve, schema_path, problems = sys.argv[1:4]
    with open(schema_path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    files = sorted(os.path.join(problems, n) for n in os.listdir(problems) if n.endswith(".json"))

    jobs = [(c, [c, "--format", "json", f]) for f in files for c in COMMANDS]
    jobs += [("compare", ["compare", "--format", "json", a, b]) for a, b in zip(files, files[1:])]
    # several files at once (an array of answers), and check's report: the problems (all pass)
    # and the deliberately wrong keys of tests/check_explain (fails with their causes, exit 1)
    jobs += [("several", ["params", "--format", "json", a, b]) for a, b in zip(files[::7], files[1::7])]
    wrong_keys = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "check_explain")
    jobs += [("check", ["check", "--format", "json", problems]), ("check", ["check", "--format", "json", wrong_keys])]
    kinds = COMMANDS + ["compare", "several", "check"]
    failures = []
    valid = {c: 0 for c in kinds}
    skipped = {c: 0 for c in kinds}
    outputs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: (job, run(dlsolve, job[1])), jobs))
    for (command, args), (status, out, err) in results:
        where = "dlsolve " + " ".join(args)
        if status == 2 and out == "" and err.count("\n") == 1:
            skipped[command] += 1
            continue
        if status != 0 and not (command == "check" and status == 1):
            failures.append(f"{where}: exit {status}: {err.strip()[:300]}")
            continue
        try:
            doc = json.loads(out)
        except json.JSONDecodeError as e:
            failures.append(f"{where}: not JSON: {e}")
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            failures.append(f"{where}: /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
            continue
        valid[command] += 1
        outputs[(command, args[-1])] = doc

    # What only one command prints must agree with what the others answer.
    for f in files:
        params, flops = outputs.get(("params", f)), outputs.get(("flops", f))
        summary, graph = outputs.get(("summary", f)), outputs.get(("graph", f))
        if summary is not None:
            if "layers" not in summary:
                failures.append(f"summary {f}: no per-layer rows")
            elif params is not None and flops is not None:
                # summary counts MACs per batch when the problem has one (flops answers per
                # sample): the first axis of the input layer's shape is then the batch.
                with open(f, encoding="utf-8") as problem_file:
                    batch = json.load(problem_file).get("batch", 1)
                for row in summary["layers"]:
                    per_sample = flops["answers"].get("macs." + row["name"])
                    if row["params"] != params["answers"].get("params." + row["name"]) or \
                            per_sample is None or row["macs"] != per_sample * batch:
                        failures.append(f"summary {f}: row {row['name']} differs from params/flops")
        if graph is not None:
            if "graph" not in graph:
                failures.append(f"graph {f}: no graph")
                continue
            names = [n["name"] for n in graph["graph"]["nodes"]]
            if summary is not None and names != [r["name"] for r in summary["layers"]]:
                failures.append(f"graph {f}: nodes {names} are not summary's rows")
            for e in graph["graph"]["edges"]:
                if e["from"] not in names or e["to"] not in names:
                    failures.append(f"graph {f}: edge {e} names an unknown node")
            if params is not None:
                for n in graph["graph"]["nodes"]:
                    if n["params"] != params["answers"].get("params." + n["name"]):
                        failures.append(f"graph {f}: node {n['name']} params differ from params")

    wrong = outputs.get(("check", wrong_keys))
    if wrong is not None and (wrong["failed"] == 0 or not any(p.get("differences") for p in wrong["problems"])):
        failures.append("check of tests/check_explain: no failing problem with its differences")
    for command in kinds:
        print(f"{command:8} {valid[command]:3} valid, {skipped[command]:3} not applicable")
        if valid[command] == 0:
            failures.append(f"{command}: no problem's output validated")

    # The schema must be able to reject.
    base = outputs.get(("summary", os.path.join(problems, "000-4b-arch1-5x5.json")))
    if base is None:
        failures.append("self-check: summary of 000-4b-arch1-5x5.json is missing")
    else:
        bad = []
        d = copy.deepcopy(base); del d["format_version"]; bad.append(("no format_version", d))
        d = copy.deepcopy(base); d["format_version"] = 2; bad.append(("format_version 2", d))
        d = copy.deepcopy(base); del d["layers"][1]["macs"]; bad.append(("a row without macs", d))
        d = copy.deepcopy(base); d["answers"]["params.total"] = {"value": 1216}; bad.append(("an object as an answer", d))
        d = copy.deepcopy(base); d["extra"] = 1; bad.append(("an unknown key", d))
        d = copy.deepcopy(base); d["steps"][0].pop("formula"); bad.append(("a step without its formula", d))
        if wrong is not None:
            d = copy.deepcopy(wrong); del d["format_version"]; bad.append(("a check report without format_version", d))
            d = copy.deepcopy(wrong)
            next(p for p in d["problems"] if p["status"] == "fail").pop("differences")
            bad.append(("a failed problem without its differences", d))
        for what, doc in bad:
            if validator.is_valid(doc):
                failures.append(f"self-check: {what} was accepted")
            else:
                print(f"rejected {what}")

    for line in failures:
        print("FAIL " + line)
    print(f"{sum(valid.values())} outputs valid, {sum(skipped.values())} not applicable, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
