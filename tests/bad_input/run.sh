#!/usr/bin/env bash
# Bad-input corpus for dlsolve.
#
# Usage: tests/bad_input/run.sh DLSOLVE_BINARY
#
# For every NAME.json (and NAME.py, Python model code) next to this script, runs
# `DLSOLVE params NAME.json` and checks
# the bad-input contract:
#   - exit status 2 (not 0, not 1, not a crash),
#   - nothing on stdout,
#   - exactly one line on stderr, equal to NAME.expected, where the expected line
#     writes the file part as FILE (replaced here by the path passed to dlsolve).
# Prints `ok NAME` or `FAIL NAME: why`, then `N passed, N failed`.
# Exit status: 0 all passed, 1 a case failed, 2 usage error.
# Needs bash and coreutils only.

set -u
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: $0 DLSOLVE_BINARY" >&2
    exit 2
fi
dlsolve=$1
if [ ! -x "$dlsolve" ] || [ -d "$dlsolve" ]; then
    echo "$0: $dlsolve is not an executable file" >&2
    exit 2
fi

dir=$(dirname -- "$0")
tmp=$(mktemp -d) || exit 2
trap 'rm -rf -- "$tmp"' EXIT

# Show a captured stream on one line: newlines as ⏎, at most 300 bytes.
oneline() {
    local text
    text=$(head -c 300 -- "$1" | tr '\n' '\036' | sed 's/\x1e/⏎/g')
    [ "$(wc -c < "$1")" -gt 300 ] && text="$text…"
    printf '%s' "$text"
}

passed=0
failed=0
shopt -s nullglob
for json in "$dir"/*.json "$dir"/*.py; do
    stem=${json%.*}
    name=$(basename -- "$stem")
    expected_file="$dir/$name.expected"
    if [ ! -f "$expected_file" ]; then
        echo "FAIL $name: no $name.expected next to $(basename -- "$json")"
        failed=$((failed + 1))
        continue
    fi
    expected=$(head -n 1 -- "$expected_file")
    case $expected in
        FILE*) expected="$json${expected#FILE}" ;;
    esac

    # The subshell keeps bash's own "Segmentation fault" notice out of the report.
    # NAME.command, when present, names the subcommand and its options, split at spaces
    # (numeric errors need train/solve; "params --style torchinfo").
    command=(params)
    [ -f "$stem.command" ] && read -r -a command < "$stem.command"
    (timeout 20 "$dlsolve" "${command[@]}" "$json" > "$tmp/out" 2> "$tmp/err" < /dev/null; exit $?) 2> /dev/null
    status=$?

    reasons=()
    if [ "$status" -eq 124 ]; then
        reasons+=("timed out after 20 s")
    elif [ "$status" -gt 128 ]; then
        reasons+=("crashed (exit status $status, signal $((status - 128)))")
    elif [ "$status" -ne 2 ]; then
        reasons+=("exit status $status, expected 2")
    fi
    if [ -s "$tmp/out" ]; then
        reasons+=("stdout not empty ($(wc -c < "$tmp/out") bytes): \"$(oneline "$tmp/out")\"")
    fi
    lines=$(wc -l < "$tmp/err")
    actual=$(cat -- "$tmp/err")
    if [ ! -s "$tmp/err" ]; then
        reasons+=("stderr empty; expected \"$expected\"")
    elif [ "$lines" -ne 1 ] || [ -n "$(tail -c 1 -- "$tmp/err")" ]; then
        reasons+=("stderr is not exactly one newline-terminated line ($lines newlines): \"$(oneline "$tmp/err")\"; expected \"$expected\"")
    elif [ "$actual" != "$expected" ]; then
        reasons+=("stderr differs: expected \"$expected\", actual \"$actual\"")
    fi

    if [ ${#reasons[@]} -eq 0 ]; then
        echo "ok $name"
        passed=$((passed + 1))
    else
        why=${reasons[0]}
        for r in "${reasons[@]:1}"; do why="$why; $r"; done
        echo "FAIL $name: $why"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
