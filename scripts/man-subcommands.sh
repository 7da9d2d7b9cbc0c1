#!/bin/sh
# Writes help2man's --include file for the man page: a SUBCOMMANDS section with every
# command's `dlsolve COMMAND --help` (its description, usage, arguments, options and
# examples), so `man dlsolve` documents what the top-level --help only lists.
# Usage: man-subcommands.sh DLSOLVE OUTPUT
set -eu
dlsolve=$1 out=$2
commands=$("$dlsolve" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || { echo "man-subcommands.sh: no commands in $dlsolve --help" >&2; exit 1; }
{
    echo '[SUBCOMMANDS]'
    printf '%s\n' 'Each command prints this with \fBdlsolve\fR \fICOMMAND\fR \fB\-\-help\fR.'
    for c in $commands; do
        "$dlsolve" "$c" --help | awk -v cmd="$c" '
        # roff: a backslash is \e, a leading . or '"'"' is protected, option dashes are \-.
        function roff(s) { gsub(/\\/, "\\e", s); sub(/^[.'"'"']/, "\\\\\\&&", s); return s }
        function dashes(s) { gsub(/-/, "\\-", s); return s }
        function item(head, body) {
            n = split(head, w, /,/)
            t = ""
            for (i = 1; i <= n; i++) {
                if (w[i] ~ /^-/) { split(w[i], p, / /); rest = substr(w[i], length(p[1]) + 1)
                                   t = t (i > 1 ? ", " : "") "\\fB" dashes(p[1]) "\\fR" roff(rest) }
                else t = t (i > 1 ? ", " : "") roff(w[i])
            }
            print ".TP"; print t; if (body != "") print roff(body)
        }
        NR == 1 { print ".SS \"dlsolve " cmd "\""; print roff($0); next }
        /^Usage:/ { print ".PP"; print "\\fBUsage:\\fR " roff(substr($0, 8)); next }
        /^(Positionals|Options):$/ { section = "list"; print ".PP"; print "\\fI" $0 "\\fR"; next }
        /^Examples?:$/ { section = "example"; print ".PP"; print "\\fI" $0 "\\fR"; print ".RS"; print ".nf"; next }
        /^$/ { if (pending_head != "") { item(pending_head, pending_body); pending_head = "" }
               if (section == "example") { print ".fi"; print ".RE" }
               section = "text"; next }
        section == "example" { sub(/^  /, ""); print roff($0); next }
        section == "list" && /^                              / { sub(/^ +/, ""); pending_body = $0; next }
        section == "list" && /^  / {
            if (pending_head != "") item(pending_head, pending_body)
            line = substr($0, 3)
            if (line !~ /  /) { pending_head = line; pending_body = ""; next }  # the description follows on the next line
            pending_head = line; sub(/  +.*/, "", pending_head)
            pending_body = line; sub(/^[^ ]+( [^ ]+)*  +/, "", pending_body)
            next
        }
        { if (pending_head != "") { item(pending_head, pending_body); pending_head = "" }
          if (section != "list") { print ".PP"; print roff($0) } }
        END { if (pending_head != "") item(pending_head, pending_body)
              if (section == "example") { print ".fi"; print ".RE" } }
        '
    done
} > "$out"
