#!/usr/bin/env bash
# Every example that `dlsolve --help` and `dlsolve COMMAND --help` print runs as printed
# (from the source folder, `dlsolve` meaning DLSOLVE) and exits 0 with an answer on stdout.
# Usage: help_examples.sh DLSOLVE
set -u
d=$(realpath "$1")
cd "$(dirname "$0")/../.."
commands=$("$d" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || { echo "FAIL no subcommands in dlsolve --help"; exit 1; }
passed=0 failed=0 helps=0
for c in "" $commands; do
    helps=$((helps + 1))
    examples=$("$d" $c --help | grep -E '^  (cat .*\| )?dlsolve ' | sed 's/^  //')
    [ -n "$examples" ] || { echo "FAIL dlsolve $c --help prints no example"; failed=$((failed + 1)); continue; }
    while IFS= read -r example; do
        out=$(bash -c "dlsolve() { \"$d\" \"\$@\"; }; $example" 2>&1); s=$?
        if [ $s -eq 0 ] && [ -n "$out" ]; then
            passed=$((passed + 1))
        else
            echo "FAIL dlsolve $c --help: \`$example\` exits $s: $(echo "$out" | head -3)"
            failed=$((failed + 1))
        fi
    done <<< "$examples"
done
echo "$passed examples from $helps help texts passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt $helps ]
