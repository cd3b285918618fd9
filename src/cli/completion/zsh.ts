/** `tlsmcp completion zsh`: a zsh completion function (compadd) for the whole command tree. */
import { posixTables } from './posix-tables.js';
import type { CompletionSpec } from './spec.js';

export function zshCompletion(spec: CompletionSpec): string {
  const p = `_${spec.program.replace(/\W/g, '_')}`;
  return `#compdef ${spec.program}
# ${spec.program} completion for zsh. Load it (after compinit) with:
#   source <(${spec.program} completion zsh)

${posixTables(spec, p)}

${p}() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmdpath="" w i sub choices
  # The command path so far: known subcommands, skipping options and their values.
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in -*) continue ;; esac
    case " $(${p}_valued "$cmdpath") " in *" \${words[i-1]} "*) continue ;; esac
    for sub in \${=$(${p}_subcommands "$cmdpath")}; do
      if [[ "$sub" == "$w" ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; break; fi
    done
  done
  case " $(${p}_valued "$cmdpath") " in
    *" $prev "*)
      choices="$(${p}_choices "$cmdpath|$prev")"
      if [[ -n "$choices" ]]; then
        compadd -- \${=choices}
      else
        case " $(${p}_paths "$cmdpath") " in *" $prev "*) _files ;; esac
      fi
      return 0
      ;;
  esac
  if [[ "$cur" == -* ]]; then
    compadd -- \${=$(${p}_options "$cmdpath")}
  elif [[ -n "$(${p}_subcommands "$cmdpath")" ]]; then
    compadd -- \${=$(${p}_subcommands "$cmdpath")}
  elif [[ -n "$(${p}_arguments "$cmdpath")" ]]; then
    _files
  fi
  return 0
}

if (( $+functions[compdef] )); then
  compdef ${p} ${spec.program}
fi
`;
}
