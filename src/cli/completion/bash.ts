/** `tlsmcp completion bash`: a bash completion function for the whole command tree. */
import { posixTables } from './posix-tables.js';
import type { CompletionSpec } from './spec.js';

export function bashCompletion(spec: CompletionSpec): string {
  const p = `_${spec.program.replace(/\W/g, '_')}`;
  return `# ${spec.program} completion for bash. Load it with:
#   source <(${spec.program} completion bash)
# or save it as /etc/bash_completion.d/${spec.program}.

${posixTables(spec, p)}

${p}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" w i sub
  [ "$COMP_CWORD" -gt 0 ] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path so far: known subcommands, skipping options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " $(${p}_valued "$cmdpath") " in *" \${COMP_WORDS[i-1]} "*) continue ;; esac
    for sub in $(${p}_subcommands "$cmdpath"); do
      if [ "$sub" = "$w" ]; then cmdpath="\${cmdpath:+$cmdpath }$w"; break; fi
    done
  done
  COMPREPLY=()
  case " $(${p}_valued "$cmdpath") " in
    *" $prev "*)
      local choices
      choices="$(${p}_choices "$cmdpath|$prev")"
      if [ -n "$choices" ]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
      else
        case " $(${p}_paths "$cmdpath") " in *" $prev "*) COMPREPLY=($(compgen -f -- "$cur")) ;; esac
      fi
      return 0
      ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${p}_options "$cmdpath")" -- "$cur"))
  elif [ -n "$(${p}_subcommands "$cmdpath")" ]; then
    COMPREPLY=($(compgen -W "$(${p}_subcommands "$cmdpath")" -- "$cur"))
  elif [ -n "$(${p}_arguments "$cmdpath")" ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o default -F ${p} ${spec.program}
`;
}
