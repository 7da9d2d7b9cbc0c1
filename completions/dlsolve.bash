# bash completion for dlsolve: commands, options, the words of --format and --dtype, and
# problem files (*.json, *.py) and folders. Installed as
# share/bash-completion/completions/dlsolve; tests/install/completion.sh checks it
# against `dlsolve --help`.
_dlsolve() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="params shapes rf flops summary forward backward train solve graph compare check convert export vary"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    local command=${COMP_WORDS[1]}
    case $prev in
        -f|--format)
            if [ "$command" = check ]; then COMPREPLY=($(compgen -W "text json" -- "$cur"))
            elif [ "$command" = graph ]; then COMPREPLY=($(compgen -W "dot json" -- "$cur"))
            else COMPREPLY=($(compgen -W "text json markdown latex" -- "$cur")); fi
            return ;;
        --to) COMPREPLY=($(compgen -W "moodle-xml qti prairielearn" -- "$cur")); return ;;
        -o|--out) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --from) COMPREPLY=($(compgen -W "json python" -- "$cur")); return ;;
        --framework) COMPREPLY=($(compgen -W "keras pytorch" -- "$cur")); return ;;
        --input) return ;;
        --dtype) COMPREPLY=($(compgen -W "float32 float16 bfloat16 float64 int8" -- "$cur")); return ;;
        --style) COMPREPLY=($(compgen -W "dlsolve keras keras2 torchinfo" -- "$cur")); return ;;
        --junit) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -l|--layer|-p|--param|-n|--steps|-e|--epochs|--precision|--max-elements|-j|--jobs|--depth) return ;;
    esac
    if [[ $cur == -* ]]; then
        local options="-h --help -f --format --standalone -q --quiet --from --framework --input"
        case $command in
            convert) options="-h --help --from --framework --input" ;;
            graph) options="-h --help -f --format -q --quiet --from --framework --input" ;;
            export) options="-h --help --to -o --out" ;;
            rf) options+=" -l --layer" ;;
            params) options+=" --style --formulas --depth" ;;
            summary) options+=" --dtype --style --formulas --depth" ;;
            compare) options+=" --dtype" ;;
            forward|solve) options+=" --all --precision --max-elements" ;;
            backward) options+=" --all --precision --max-elements -p --param" ;;
            train) options+=" --all --precision --max-elements -p --param -n --steps -e --epochs" ;;
            check) options="-h --help -f --format -q --quiet --junit -j --jobs --max-elements" ;;
            vary) options="-h --help --n --seed --out --max-elements" ;;
        esac
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -f -X '!*.py' -- "$cur") $(compgen -d -- "$cur"))
}
complete -o filenames -F _dlsolve dlsolve
