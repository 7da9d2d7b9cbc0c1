#!/usr/bin/env bash
# `cmake --install BUILD --prefix TMP` installs the binary (which runs), the man page
# (rendered by `man -l`, naming every command, with a section per command holding every
# option and the first example of its --help) and the bash and zsh completions; the bash
# completion offers every command and every option that `dlsolve COMMAND --help` lists.
# Usage: run.sh BUILD_DIR SOURCE_DIR
set -u
build=$1 source=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() {  # check NAME COMMAND...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
cmake --install "$build" --prefix "$tmp" > "$tmp.log" 2>&1 || { cat "$tmp.log"; rm -f "$tmp.log"; echo "FAIL cmake --install"; exit 1; }
rm -f "$tmp.log"
d=$tmp/bin/dlsolve
check "binary installed" test -x "$d"
check "binary runs" grep -q '^dlsolve [0-9]' <("$d" --version)
check "bash completion installed" test -f "$tmp/share/bash-completion/completions/dlsolve"
check "zsh completion installed" test -f "$tmp/share/zsh/site-functions/_dlsolve"
commands=$("$d" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
if command -v help2man > /dev/null; then
    page=$tmp/share/man/man1/dlsolve.1
    check "man page installed" test -f "$page"
    if command -v man > /dev/null; then
        MANWIDTH=200 man -l "$page" > "$tmp/man.txt" 2> "$tmp/man.err"
        check "man -l renders: $(head -3 "$tmp/man.err")" test -s "$tmp/man.txt" -a ! -s "$tmp/man.err"
        check "man page: NAME line" grep -q 'dlsolve - solves deep-learning exam questions and shows its work' "$tmp/man.txt"
        for c in $commands; do
            check "man page lacks $c" grep -qw "$c" "$tmp/man.txt"
            # SUBCOMMANDS: a section per command with every option its --help lists.
            awk -v head="   dlsolve $c" '$0 == head { on = 1; next } on && /^   dlsolve / { on = 0 } on' "$tmp/man.txt" > "$tmp/man-$c.txt"
            check "man page has no section dlsolve $c" test -s "$tmp/man-$c.txt"
            for o in $("$d" $c --help | grep -oE '^ +(-[a-z],)?--[a-z-]+' | tr ',' ' '); do
                check "man page section dlsolve $c lacks $o" grep -qE -- "(^|[ ,])$o([ ,]|\$)" "$tmp/man-$c.txt"
            done
            example=$("$d" $c --help | sed -n '/^Examples\{0,1\}:$/{n;p;q}' | sed 's/^ *//')
            check "man page section dlsolve $c lacks its example '$example'" grep -qF -- "$example" "$tmp/man-$c.txt"
        done
    fi
else
    echo "note: help2man is missing, so the build skipped the man page"
fi

# The bash completion, as bash runs it: COMP_WORDS in, COMPREPLY out.
complete_words() {  # complete_words WORD... (the last one is being completed)
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dlsolve; printf "%s\n" "${COMPREPLY[@]}"' \
        _ "$tmp/share/bash-completion/completions/dlsolve" dlsolve "$@"
}
for c in $commands; do
    check "completion lacks command $c" grep -qx "$c" <(complete_words "")
    for o in $("$d" $c --help | grep -oE '^ +(-[a-z],)?--[a-z-]+' | tr ',' ' '); do
        check "completion lacks $c $o" grep -qx -- "$o" <(complete_words $c -)
    done
done
check "completion of pa" [ "$(complete_words pa)" = params ]
check "completion of --format" [ "$(complete_words params --format "" | tr '\n' ' ')" = "text json markdown latex " ]
check "completion of check --format" [ "$(complete_words check -f "" | tr '\n' ' ')" = "text json " ]
check "completion of --dtype" grep -qx bfloat16 <(complete_words summary --dtype "")
mkdir -p "$tmp/files/sub"
touch "$tmp/files/a.json" "$tmp/files/b.py" "$tmp/files/c.txt"
got=$(cd "$tmp/files" && complete_words params "" | sort | tr '\n' ' ')
check "file completion: '$got'" [ "$got" = "a.json b.py sub " ]
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
