#!/usr/bin/env bash
# Every golden LaTeX output (tests/golden/*.latex*.out) compiled with pdflatex
# -halt-on-error; a fragment is wrapped in the preamble README documents (amsmath,
# booktabs, longtable). Then `solve --format latex` of every problem in problems/:
# ASCII only (every Unicode symbol became a command) and all of them compiled as one
# document. Usage: compile.sh DLSOLVE
set -u
dlsolve=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
preamble='\documentclass{article}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{longtable}
\begin{document}'
failed=0
passed=0
compile() {  # NAME FILE.tex
    if (cd "$work" && pdflatex -halt-on-error -interaction=nonstopmode "$2" > "$1.log" 2>&1); then
        passed=$((passed + 1))
        echo "ok   $1"
    else
        failed=$((failed + 1))
        echo "FAIL $1"
        grep -A3 '^!' "$work/$1.log" | head -12
    fi
}
found=0
for out in "$root"/tests/golden/*.latex*.out; do
    [ -e "$out" ] || continue
    found=$((found + 1))
    name=$(basename "$out" .out)
    body=$(sed '$d' "$out")  # the last line is the golden's "exit 0"
    if grep -q '^\\documentclass' <<< "$body"; then
        printf '%s\n' "$body" > "$work/$name.tex"
    else
        printf '%s\n%s\n\\end{document}\n' "$preamble" "$body" > "$work/$name.tex"
    fi
    compile "$name" "$name.tex"
done
[ "$found" -ge 5 ] || { echo "FAIL only $found golden LaTeX outputs found"; failed=$((failed + 1)); }

# Every problem's solution: no character beyond ASCII, and the whole set compiles.
all="$work/all-problems.tex"
printf '%s\n' "$preamble" > "$all"
for p in "$root"/problems/*.json; do
    if ! "$dlsolve" solve --format latex "$p" > "$work/one.tex" 2> "$work/one.err"; then
        # a problem that solve refuses (sizes in symbols only) is refused in every format
        "$dlsolve" solve "$p" > /dev/null 2>&1 && { echo "FAIL $p: latex refused what text answers"; failed=$((failed + 1)); }
        continue
    fi
    if LC_ALL=C grep -n '[^ -~]' "$work/one.tex" | head -3 | grep -q .; then
        echo "FAIL $(basename "$p"): characters beyond ASCII:"
        LC_ALL=C grep -n '[^ -~]' "$work/one.tex" | head -3
        failed=$((failed + 1))
    fi
    cat "$work/one.tex" >> "$all"
    echo '\clearpage' >> "$all"
done
echo '\end{document}' >> "$all"
compile all-problems all-problems.tex
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
