#!/usr/bin/env bash
# Every problem drawn by Graphviz (Debian's graphviz): `dlsolve graph FILE | dot -Tsvg`
# must exit 0 with nothing on stderr (a warning fails too). A network whose sizes are
# symbols has no numbers to draw: dlsolve graph refuses it with exit 2, counted apart.
# Then tests/graph/escaping.json, whose names hold quotes, backslashes and a line break,
# must come out of dot with the names as written.
# Usage: dot_all.sh DLSOLVE PROBLEMS_DIR
set -u
dlsolve=$1
problems=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
drawn=0 refused=0 failed=0
for f in "$problems"/*.json "$here"/siamese-numbers.json "$here"/escaping.json; do
    "$dlsolve" graph "$f" > "$tmp/g.dot" 2> "$tmp/g.err"
    status=$?
    # Equations in symbols, and Newton's-method files (no network: solve answers them), are refused.
    if [ $status -eq 2 ] && grep -q "needs numbers\|is answered by \`dlsolve solve\`" "$tmp/g.err"; then
        refused=$((refused + 1))
        continue
    fi
    if [ $status -ne 0 ]; then
        echo "FAIL $f: dlsolve graph exit $status: $(cat "$tmp/g.err")"
        failed=$((failed + 1))
        continue
    fi
    if ! dot -Tsvg "$tmp/g.dot" > "$tmp/g.svg" 2> "$tmp/dot.err" || [ -s "$tmp/dot.err" ] || ! grep -q '</svg>' "$tmp/g.svg"; then
        echo "FAIL $f: dot -Tsvg: $(head -3 "$tmp/dot.err")"
        failed=$((failed + 1))
        continue
    fi
    drawn=$((drawn + 1))
done
# The last SVG is escaping.json's: its texts, XML-escaped by dot.
for text in '>in &quot;x&quot;<' '>a\\&quot;b<' '>ends in \\<' '>two<' '>lines<' \
            '&quot;names with &quot;quotes&quot;, a back\\slash and \\n: drawn as written&quot;'; do
    if ! grep -q -- "$text" "$tmp/g.svg"; then
        echo "FAIL escaping.json: the SVG lacks $text"
        failed=$((failed + 1))
    fi
done
# The check can fail: the same DOT with backslashes left single (a writer that escapes
# only quotes) must lose at least one of the texts, or be refused by dot.
sed 's/\\\\/\\/g' "$tmp/g.dot" > "$tmp/naive.dot"
missing=0
if dot -Tsvg "$tmp/naive.dot" > "$tmp/naive.svg" 2> /dev/null; then
    for text in '>a\\&quot;b<' '>ends in \\<'; do grep -q -- "$text" "$tmp/naive.svg" || missing=$((missing + 1)); done
else
    missing=1
fi
if [ $missing -eq 0 ]; then
    echo "FAIL self-check: DOT with single backslashes still drew every name as written"
    failed=$((failed + 1))
fi
echo "$drawn drawn, $refused refused (sizes in symbols), $failed failed"
[ $failed -eq 0 ] && [ $drawn -gt 0 ]
