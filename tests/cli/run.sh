#!/usr/bin/env bash
# The command line's conventions (issue 14): --version, a misspelt command, choices as
# words, --quiet on every command, several files per command, colour only on a terminal,
# and check's --quiet, --format json, --junit and parallel run (same bytes as one thread).
# Usage: run.sh DLSOLVE VERSION   (run from the source folder; VERSION is project()'s)
set -u
d=$1
version=$2
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
expect() {  # expect NAME CONDITION...
    local name=$1; shift
    if "$@"; then ok; else bad "$name"; fi
}
expect_not() {  # expect_not NAME COMMAND...: the command fails
    local name=$1; shift
    if "$@"; then bad "$name"; else ok; fi
}
p=problems/001-1-3-one-by-one-conv.json
m=problems/ref-mazur-backprop-example.json

# --version: project()'s VERSION.
out=$("$d" --version); s=$?
expect "--version: '$out' status $s" [ "$out" = "dlsolve $version" -a $s -eq 0 ]

# A misspelt command names itself and the nearest command; exit 2, nothing on stdout.
out=$("$d" parms "$p" 2>"$tmp/err"); s=$?
expect "parms: $(cat "$tmp/err")" [ $s -eq 2 -a -z "$out" -a "$(cat "$tmp/err")" = 'dlsolve: unknown command "parms"; did you mean "params"?' ]
"$d" zzzzzz "$p" 2>"$tmp/err"; s=$?
expect "zzzzzz: $(cat "$tmp/err")" grep -q '^dlsolve: unknown command "zzzzzz"; the commands are params, ' "$tmp/err"

# Choices are words in --help, and a number is refused.
for c in "" params shapes rf flops summary forward backward train solve compare check; do
    "$d" $c --help > "$tmp/help" 2>&1
    expect_not "$c --help shows CLI11's internals" grep -qE 'ENUM|->' "$tmp/help"
done
expect "--help shows format words" grep -q -- '--format text|json|markdown' <("$d" params --help)
"$d" params --format 2 "$p" > "$tmp/out" 2>&1; s=$?
expect "--format 2 accepted (status $s)" [ $s -eq 2 ]
"$d" params --format JSON "$p" > /dev/null 2>&1; s=$?
expect "--format JSON (any case) not accepted: $s" [ $s -eq 0 ]

# --quiet hides the problem's notes in every command (and the note is there without it).
for c in params shapes rf flops summary solve forward backward train; do
    f=$p; case $c in forward|backward|train) f=$m;; esac
    expect "$c shows no note" grep -q '^Note: ' <("$d" $c "$f")
    expect_not "$c --quiet shows a note" grep -q 'Note' <("$d" $c --quiet "$f")
    expect_not "$c --quiet --format markdown shows a note" grep -q 'Note' <("$d" $c --quiet --format markdown "$f")
done
expect_not "compare --quiet shows a note" grep -q '^Note' <("$d" compare --quiet problems/000-4b-arch1-5x5.json problems/000-4b-arch2-1x1-bottleneck.json)

# Several files: each answer under its file name, in order; JSON as one array.
"$d" params "$p" "$m" > "$tmp/two"
expect "two files: headers" [ "$(grep '^==> ' "$tmp/two")" = "$(printf '==> %s <==\n==> %s <==' "$p" "$m")" ]
expect "two files: first answer" grep -q 'conv (Conv2d)' "$tmp/two"
expect "two files: JSON" [ "$("$d" shapes -f json "$p" "$m" | /usr/bin/python3 -c 'import json,sys; print(" ".join(x["file"] for x in json.load(sys.stdin)))')" = "$p $m" ]
"$d" params "$p" tests/bad_input/activation_unknown.json > "$tmp/out" 2>/dev/null; s=$?
expect "a bad second file: status $s, stdout $(wc -c < "$tmp/out") bytes" [ $s -eq 2 -a ! -s "$tmp/out" ]

# Colour on a terminal (script(1) gives one), never with NO_COLOR, never into a pipe.
script -qec "$d check $p" /dev/null > "$tmp/tty" 2>&1
expect "no colour on a terminal" grep -q $'\e\[32mpass\e\[0m' "$tmp/tty"
NO_COLOR=1 script -qec "$d check $p" /dev/null > "$tmp/tty" 2>&1
expect_not "colour with NO_COLOR" grep -q $'\e\[' "$tmp/tty"
expect_not "colour into a pipe" grep -q $'\e\[' <("$d" check "$p")

# check: a folder with a wrong answer key, a skipped file and a bad file.
mkdir "$tmp/set"
cp problems/0*.json "$tmp/set/"
/usr/bin/python3 - "$tmp/set" <<'PY'
import json, sys
d = sys.argv[1]
p = json.load(open(f"{d}/001-1-3-one-by-one-conv.json"))
p["expect"]["params.conv"] = 34
p["expect"]["params.nothing"] = 1
json.dump(p, open(f"{d}/001-1-3-one-by-one-conv.json", "w"))
del p["expect"]
json.dump(p, open(f"{d}/zz-no-expect.json", "w"))
open(f"{d}/zz-bad.json", "w").write("{")
PY
n=$(ls "$tmp/set"/*.json | wc -l)
"$d" check "$tmp/set" > "$tmp/par.out" 2> "$tmp/par.err"; s=$?
"$d" check -j 1 "$tmp/set" > "$tmp/seq.out" 2> "$tmp/seq.err"
expect "check status $s" [ $s -eq 2 ]
expect "parallel stdout differs from one thread" cmp -s "$tmp/par.out" "$tmp/seq.out"
expect "parallel stderr differs from one thread" cmp -s "$tmp/par.err" "$tmp/seq.err"
expect "check: a line per file" [ $(($(wc -l < "$tmp/par.out") - 1)) -eq $n ]
expect "check: totals" [ "$(tail -1 "$tmp/par.out")" = "$((n - 3)) passed, 2 failed, 1 skipped" ]
"$d" check --quiet "$tmp/set" > "$tmp/quiet" 2>/dev/null
expect "check --quiet: $(cat "$tmp/quiet" | head -5)" [ "$(cut -c1-5 "$tmp/quiet" | sort | uniq | tr '\n' ,)" = "$((n - 3)) pa,FAIL ,error," ]
"$d" check --format json "$tmp/set" > "$tmp/report.json" 2>/dev/null
/usr/bin/python3 - "$tmp/report.json" $n <<'PY' || bad "check --format json"
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert (r["passed"], r["failed"], r["skipped"], r["errors"]) == (n - 3, 2, 1, 1), r
byname = {p["file"].rsplit("/", 1)[1]: p for p in r["problems"]}
assert len(byname) == n
f = byname["001-1-3-one-by-one-conv.json"]
assert f["status"] == "fail"
assert f["answers"]["params.conv"] == {"expected": 34, "computed": 33, "same": False}, f
assert f["answers"]["params.nothing"]["computed"] is None
assert f["answers"]["params.total"]["same"] is True
assert byname["zz-bad.json"]["status"] == "error" and "invalid JSON" in byname["zz-bad.json"]["error"]
assert byname["zz-no-expect.json"]["status"] == "skip"
PY
[ $? -eq 0 ] && ok
q=$("$d" check --quiet --format json "$tmp/set" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(sorted(p["status"] for p in json.load(sys.stdin)["problems"]))')
expect "check --quiet --format json: $q" [ "$q" = "['error', 'fail']" ]

# --junit: well-formed XML (xmllint) with the attributes of the Apache Ant JUnit format as
# Windy Road's JUnit.xsd describes it (https://github.com/windyroad/JUnit-Schema).
if command -v xmllint > /dev/null; then
    "$d" check --junit "$tmp/junit.xml" "$tmp/set" > /dev/null 2>&1
    expect "junit not well-formed" xmllint --noout "$tmp/junit.xml"
    /usr/bin/python3 - "$tmp/junit.xml" $n <<'PY' || bad "junit structure"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot(); n = int(sys.argv[2])
assert root.tag == "testsuite"
for a in ("name", "timestamp", "hostname", "tests", "failures", "errors", "time"):
    assert a in root.attrib, a
assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (str(n), "1", "1", "1"), root.attrib
assert [c.tag for c in root] == ["properties"] + ["testcase"] * n + ["system-out", "system-err"]
cases = {c.get("name").rsplit("/", 1)[1]: c for c in root.iter("testcase")}
for c in cases.values():
    assert c.get("classname") and float(c.get("time")) >= 0
f = cases["001-1-3-one-by-one-conv.json"].find("failure")
assert f is not None and f.get("type") and "params.conv" in f.get("message") and "params.nothing" in f.get("message"), f.attrib
assert "params.conv: expected 34, computed 33" in f.text
assert cases["zz-bad.json"].find("error").get("type") == "input"
assert cases["zz-no-expect.json"].find("skipped") is not None
assert len(cases["000-4b-arch1-5x5.json"]) == 0
PY
    [ $? -eq 0 ] && ok
    "$d" check --junit "$tmp/no/such/dir.xml" "$p" > /dev/null 2> "$tmp/err"; s=$?
    expect "junit unwritable: $s $(cat "$tmp/err")" grep -q 'cannot write the JUnit report' "$tmp/err"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
