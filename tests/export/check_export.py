"""dlsolve export on problems/: every file well-formed (xmllint --noout) and following the
published rules of its format, the correct answers equal to the problems' answer keys
within tolerance, and the same bytes on a second run.

The rules checked, and where they are published:
- Moodle XML (docs.moodle.org/en/Moodle_XML_format): a <quiz> root holding <question>
  elements; a question of type "category" holds <category><text>; a "numerical" question
  holds <name><text>, <questiontext format=…><text>, <generalfeedback> (shown to every
  student: the worked solution) and <answer fraction="100"> with <text> (the number) and
  <tolerance> (answer ± tolerance, absolute).
- QTI 2.1 (IMS Question and Test Interoperability v2.1, Information Model and the XSD
  imsqti_v2p1.xsd): <assessmentItem> in the namespace http://www.imsglobal.org/xsd/imsqti_v2p1
  with the required attributes identifier, title, adaptive, timeDependent; children in the
  order responseDeclaration*, outcomeDeclaration*, itemBody, responseProcessing,
  modalFeedback*; a responseDeclaration has identifier, cardinality and baseType; each
  textEntryInteraction names a declared responseIdentifier; <equal> takes toleranceMode
  exact|absolute|relative and, for relative, tolerance in percent; modalFeedback requires
  outcomeIdentifier, showHide and identifier. imsmanifest.xml (IMS Content Packaging 1.1)
  lists each item as a resource of type imsqti_item_xmlv2p1 with its href.
- PrairieLearn (prairielearn.readthedocs.io, "Question info.json", and the JSON schema
  apps/prairielearn/src/schemas/schemas/infoQuestion.json of PrairieLearn/PrairieLearn at
  commit 0196741593bf28442dab652c5d539bf9e835433f, not copied here: the project is AGPL):
  "required": ["uuid", "type", "title", "topic"], "additionalProperties": false, uuid
  matching ^[0-9a-fA-F]{8}-…-[0-9a-fA-F]{12}$, type one of its enum ("v3" for
  question.html + server.py), tags an array of strings; pl-number-input needs
  answers-name, and server.py's generate(data) fills data["correct_answers"][name].

Usage: check_export.py DLSOLVE PROBLEMS [--self-test]
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
failures = []


def fail(message):
    failures.append(message)
    print("FAIL " + message)


def run(dlsolve, *args):
    return subprocess.run([dlsolve, "export", *args], capture_output=True, text=True)


def xmllint(path):
    r = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{path}: not well-formed: {r.stderr.strip()[:200]}")
    return r.returncode == 0


def keys_of(problems):
    """answer key -> expected value, per problem stem, for the numeric scalar keys (a key
    written {"value": v, "tolerance": …} counts by its value), in the folder and below it
    (problems/variants/), as export reads them; a tolerance object counts by its rtol
    (PrairieLearn's 0.01 when it has none)."""
    out = {}
    for root, _, names in os.walk(problems):
        for name in sorted(names):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(root, name), encoding="utf-8") as f:
                p = json.load(f)
            expect = {}
            for k, v in (p.get("expect") or {}).items():
                v = v.get("value") if isinstance(v, dict) else v
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    expect[k] = v
            tolerance = p.get("tolerance")
            if isinstance(tolerance, dict):
                tolerance = tolerance.get("rtol", 0.01)
            out[name[:-5]] = (expect, tolerance)
    return out


def agrees(expected, value, tolerance):
    tolerance = tolerance if tolerance is not None else 1e-6
    return math.isclose(expected, value, rel_tol=tolerance, abs_tol=1e-12)


def check_moodle(path, keys):
    if not xmllint(path):
        return 0
    root = ET.parse(path).getroot()
    if root.tag != "quiz":
        fail(f"moodle: root is <{root.tag}>, not <quiz>")
    category, count = None, 0
    for q in root:
        if q.tag != "question":
            fail(f"moodle: <{q.tag}> inside <quiz>")
            continue
        kind = q.get("type")
        if kind == "category":
            category = q.findtext("category/text").rsplit("/", 1)[-1]
            continue
        if kind != "numerical":
            fail(f"moodle: question type {kind}")
            continue
        count += 1
        name = q.findtext("name/text")
        if not name or q.find("questiontext").get("format") != "html" or not q.findtext("questiontext/text"):
            fail(f"moodle: {name}: name or questiontext missing")
        if "<pre>" not in (q.findtext("generalfeedback/text") or ""):
            fail(f"moodle: {name}: no worked solution in generalfeedback")
        answers = q.findall("answer")
        if len(answers) != 1 or answers[0].get("fraction") != "100":
            fail(f"moodle: {name}: needs one answer of fraction 100")
            continue
        value, tolerance = float(answers[0].findtext("text")), float(answers[0].findtext("tolerance"))
        key = name.split(" ", 1)[1]
        expect, tol = keys[category]
        if key not in expect or not agrees(expect[key], value, tol):
            fail(f"moodle: {name}: answer {value} against the key {expect.get(key)}")
        if tolerance < 0 or (isinstance(expect.get(key), float) and tolerance <= 0 and value != 0):
            fail(f"moodle: {name}: tolerance {tolerance}")
    return count


def check_qti(folder, keys):
    manifest = os.path.join(folder, "imsmanifest.xml")
    xmllint(manifest)
    hrefs = [r.get("href") for r in ET.parse(manifest).getroot().iter("{http://www.imsglobal.org/xsd/imscp_v1p1}resource")
             if r.get("type") == "imsqti_item_xmlv2p1"]
    order = ["responseDeclaration", "outcomeDeclaration", "itemBody", "responseProcessing", "modalFeedback"]
    count = 0
    for href in hrefs:
        path = os.path.join(folder, href)
        if not xmllint(path):
            continue
        item = ET.parse(path).getroot()
        if item.tag != QTI + "assessmentItem":
            fail(f"qti: {href}: root {item.tag}")
            continue
        for attribute in ("identifier", "title", "adaptive", "timeDependent"):
            if item.get(attribute) is None:
                fail(f"qti: {href}: assessmentItem without {attribute}")
        tags = [child.tag[len(QTI):] for child in item]
        if [order.index(t) for t in tags] != sorted(order.index(t) for t in tags):
            fail(f"qti: {href}: children out of order: {tags}")
        declared = {}
        for d in item.findall(QTI + "responseDeclaration"):
            if not (d.get("identifier") and d.get("cardinality") == "single" and d.get("baseType") == "float"):
                fail(f"qti: {href}: responseDeclaration attributes")
            declared[d.get("identifier")] = float(d.findtext(f"{QTI}correctResponse/{QTI}value"))
        interactions = {i.get("responseIdentifier"): i for i in item.iter(QTI + "textEntryInteraction")}
        if set(interactions) != set(declared):
            fail(f"qti: {href}: interactions {sorted(interactions)} against declarations {sorted(declared)}")
        for equal in item.iter(QTI + "equal"):
            mode = equal.get("toleranceMode")
            if mode not in ("exact", "absolute", "relative") or (mode != "exact" and equal.get("tolerance") is None):
                fail(f"qti: {href}: equal toleranceMode {mode}")
        for feedback in item.findall(QTI + "modalFeedback"):
            if not all(feedback.get(a) for a in ("outcomeIdentifier", "showHide", "identifier")):
                fail(f"qti: {href}: modalFeedback attributes")
        stem = href[len("item-"):-len(".xml")]
        expect, tol = keys[stem]
        for key_text, ident in ((c.text, i.get("responseIdentifier")) for p in item.iter(QTI + "p")
                                for c in p.findall(QTI + "code") for i in p.findall(QTI + "textEntryInteraction")):
            if key_text not in expect or not agrees(expect[key_text], declared[ident], tol):
                fail(f"qti: {href}: {key_text} = {declared[ident]} against the key {expect.get(key_text)}")
        count += 1
    return count


def check_prairielearn(folder, keys):
    count = 0
    for name in sorted(os.listdir(folder)):
        q = os.path.join(folder, name)
        with open(os.path.join(q, "info.json"), encoding="utf-8") as f:
            info = json.load(f)
        # infoQuestion.json's properties (those the export may use) and its required list
        allowed = {"comment", "uuid", "type", "title", "topic", "tags", "clientFiles", "singleVariant",
                   "showCorrectAnswer", "partialCredit", "gradingMethod"}
        if set(info) - allowed:
            fail(f"prairielearn: {name}/info.json: properties the schema does not allow: {sorted(set(info) - allowed)}")
        if not isinstance(info.get("tags", []), list) or not all(isinstance(t, str) for t in info.get("tags", [])):
            fail(f"prairielearn: {name}/info.json: tags must be strings")
        for field in ("uuid", "type", "title", "topic"):
            if not isinstance(info.get(field), str) or not info[field]:
                fail(f"prairielearn: {name}/info.json: {field} missing")
        if not UUID.match(info.get("uuid", "")):
            fail(f"prairielearn: {name}: uuid {info.get('uuid')} is not a version-5 UUID")
        if info.get("type") != "v3":
            fail(f"prairielearn: {name}: type {info.get('type')}")
        with open(os.path.join(q, "question.html"), encoding="utf-8") as f:
            html = f.read()
        inputs = dict(re.findall(r'<pl-number-input answers-name="([^"]+)" label="([^"]*) ="', html))
        data = {"params": {}, "correct_answers": {}}
        scope = {}
        with open(os.path.join(q, "server.py"), encoding="utf-8") as f:
            exec(compile(f.read(), os.path.join(q, "server.py"), "exec"), scope)
        scope["generate"](data)
        if set(data["correct_answers"]) != set(inputs):
            fail(f"prairielearn: {name}: correct_answers {sorted(data['correct_answers'])} against inputs {sorted(inputs)}")
        expect, tol = keys[name]
        for ident, key in inputs.items():
            key = key.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            if key not in expect or not agrees(expect[key], data["correct_answers"].get(ident, math.nan), tol):
                fail(f"prairielearn: {name}: {key} = {data['correct_answers'].get(ident)} against the key {expect.get(key)}")
        if "<pl-answer-panel>" not in html:
            fail(f"prairielearn: {name}: no solution panel")
        count += 1
    return count


def tree_bytes(folder):
    out = {}
    for base, _, files in os.walk(folder):
        for f in files:
            with open(os.path.join(base, f), "rb") as h:
                out[os.path.relpath(os.path.join(base, f), folder)] = h.read()
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--self-test"]
    self_test = "--self-test" in sys.argv
    dlsolve, problems = args
    keys = keys_of(problems)
    with tempfile.TemporaryDirectory() as work:
        quiz = os.path.join(work, "quiz.xml")
        r = run(dlsolve, "--to", "moodle-xml", problems, "--out", quiz)
        if r.returncode != 0:
            fail(f"moodle-xml: exit {r.returncode}: {r.stderr[-300:]}")
        for to in ("qti", "prairielearn"):
            for n in (1, 2):
                r = run(dlsolve, "--to", to, problems, "--out", os.path.join(work, f"{to}{n}"))
                if r.returncode != 0:
                    fail(f"{to}: exit {r.returncode}: {r.stderr[-300:]}")
        if self_test:  # a planted wrong answer and a broken file must be caught
            with open(quiz, encoding="utf-8") as f:
                text = f.read()
            with open(quiz, "w", encoding="utf-8") as f:
                f.write(re.sub(r"<text>1\.5</text>", "<text>1.6</text>", text, count=1))
            item = os.path.join(work, "qti1", "item-001-6-backpropagation.xml")
            with open(item, encoding="utf-8") as f:
                text = f.read()
            with open(item, "w", encoding="utf-8") as f:
                f.write(text.replace("</itemBody>", "</itembody>", 1))
        counts = (check_moodle(quiz, keys), check_qti(os.path.join(work, "qti1"), keys),
                  check_prairielearn(os.path.join(work, "prairielearn1"), keys))
        for to in ("qti", "prairielearn"):
            if not self_test and tree_bytes(os.path.join(work, f"{to}1")) != tree_bytes(os.path.join(work, f"{to}2")):
                fail(f"{to}: a second run wrote different bytes")
    print(f"moodle questions {counts[0]}, qti items {counts[1]}, prairielearn questions {counts[2]}")
    if self_test:
        caught = any(f.startswith("moodle: ") and "against the key" in f for f in failures) and \
            any("not well-formed" in f for f in failures)
        print("self-test: " + ("the planted errors were caught" if caught else "a planted error went unnoticed"))
        print(f"{1 if caught else 0} passed, {0 if caught else 1} failed")
        return 0 if caught else 1
    print(f"{0 if failures else 1} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
