import type { Command, Help } from 'commander';

/**
 * The man page and the shell completions, made from the same registered commands as `--help`:
 * commander's own Help object gives each command's usage, arguments and options with the very
 * terms and descriptions `--help` prints, so the three never disagree.
 */

/** A command and everything under it, with its full name ("canary new"). */
interface CommandEntry {
  path: string[];
  command: Command;
}

function walk(command: Command, path: string[] = []): CommandEntry[] {
  const entries: CommandEntry[] = [{ path, command }];
  for (const child of command.commands) entries.push(...walk(child, [...path, child.name()]));
  return entries;
}

/** Text the command adds after its help (examples, exit status), as `--help` prints it. */
function afterHelp(command: Command): string {
  let text = '';
  // addHelpText listens for this event (commander's Command is an EventEmitter; its types omit it)
  (command as unknown as NodeJS.EventEmitter).emit('afterHelp', { error: false, command, write: (chunk: string) => (text += chunk) });
  return text.trim();
}

/** Text for roff: backslashes and hyphens escaped, no line starting with a control character. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

export interface ManPageFacts {
  version: string;
}

/** replaywatch(1) in man(7) roff. */
export function renderManPage(program: Command, facts: ManPageFacts): string {
  const help = program.createHelp();
  const out: string[] = [];
  out.push(`.TH REPLAYWATCH 1 "" "replaywatch ${roff(facts.version)}" "User Commands"`);
  out.push('.SH NAME', `replaywatch \\- ${roff(lowerFirst(program.description()).replace(/\.$/, ''))}`);
  out.push('.SH SYNOPSIS', '.B replaywatch', '.I command', '[\\fIoptions\\fR] [\\fIarguments\\fR]');
  out.push('.SH DESCRIPTION', roff(program.description()));
  out.push(
    '.PP',
    "Every command below prints the same text with \\fB\\-\\-help\\fR. Logs are read plain or gzipped, several files merged in time order, \\fB\\-\\fR for standard input.",
  );
  out.push('.SH COMMANDS');
  for (const { path, command } of walk(program).slice(1)) {
    out.push(`.SS "${roff(usageOf(help, command, path))}"`);
    out.push(roff(command.description()));
    for (const argument of help.visibleArguments(command)) {
      out.push('.TP', `.I ${roff(help.argumentTerm(argument))}`, roff(help.argumentDescription(argument)));
    }
    for (const option of help.visibleOptions(command)) {
      out.push('.TP', `.B ${roff(help.optionTerm(option))}`, roff(help.optionDescription(option)));
    }
    const after = afterHelp(command);
    if (after !== '') out.push('.PP', '.nf', roff(after), '.fi');
  }
  out.push('.SH GLOBAL OPTIONS');
  for (const option of help.visibleOptions(program)) out.push('.TP', `.B ${roff(help.optionTerm(option))}`, roff(help.optionDescription(option)));
  out.push(
    '.SH EXIT STATUS',
    '.TP',
    '.B 0',
    'no replayer or prefetcher found (scan), or the command succeeded',
    '.TP',
    '.B 1',
    'a replayer or prefetcher was found (scan)',
    '.TP',
    '.B 2',
    'bad usage or unreadable input',
    '.SH ENVIRONMENT',
    '.TP',
    '.B NO_COLOR',
    'no colour in the terminal report (https://no\\-color.org)',
    '.TP',
    '.B XDG_DATA_HOME',
    'where the store lives by default ($XDG_DATA_HOME/replaywatch/state.duckdb, else ~/.local/share/replaywatch/state.duckdb)',
    '.TP',
    '.B REPLAYWATCH_BASE_URL',
    "your server's address for new canaries (canary new \\-\\-base\\-url)",
    '.SH SHELL COMPLETION',
    '.nf',
    'source <(replaywatch completion bash)      # in ~/.bashrc',
    'source <(replaywatch completion zsh)       # in ~/.zshrc, after compinit',
    '.fi',
    '.SH SEE ALSO',
    'The README and docs/ of the replaywatch package.',
  );
  return out.join('\n') + '\n';
}

function usageOf(help: Help, command: Command, path: string[]): string {
  // commandUsage names the parent chain itself ("replaywatch canary new [options]")
  const usage = help.commandUsage(command);
  return usage.startsWith('replaywatch') ? usage : `replaywatch ${path.join(' ')} ${usage}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Long (or else short) flags of a command's options, --help included. */
function flagsOf(help: Help, command: Command): { flag: string; description: string }[] {
  return help.visibleOptions(command).map((option) => ({ flag: option.long ?? option.short ?? '', description: option.description })).filter((entry) => entry.flag !== '');
}

export type Shell = 'bash' | 'zsh';
export const shells: readonly Shell[] = ['bash', 'zsh'];

/**
 * A completion script: subcommands where one may come, each command's flags after a dash, files
 * otherwise. A word becomes part of the command's path only when it names a subcommand there, so
 * an option's value (`--format combined`) is never taken for one.
 */
export function renderCompletion(program: Command, shell: Shell): string {
  const help = program.createHelp();
  const entries = walk(program);
  const key = (path: string[]): string => path.map((part) => ` ${part}`).join('');
  const known = entries.slice(1).map((entry) => `"${key(entry.path)}"`).join('|');
  if (shell === 'bash') {
    const cases = entries.map(({ path, command }) => {
      const subs = command.commands.map((child) => child.name()).join(' ');
      const flags = flagsOf(help, command).map((entry) => entry.flag).join(' ');
      return `    "${key(path)}") subs="${subs}"; opts="${flags}" ;;`;
    });
    return `# bash completion for replaywatch: source <(replaywatch completion bash)
_replaywatch() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" key="" subs="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "$key \${COMP_WORDS[i]}" in
      ${known}) key="$key \${COMP_WORDS[i]}" ;;
    esac
  done
  case "$key" in
${cases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n "$subs" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _replaywatch replaywatch
`;
  }
  const zshQuote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;
  const describe = (name: string, description: string): string => zshQuote(`${name.replace(/:/g, '\\:')}:${description.replace(/\s+/g, ' ')}`);
  const cases = entries.map(({ path, command }) => {
    const subs = command.commands.map((child) => describe(child.name(), child.description()));
    const flags = flagsOf(help, command).map((entry) => describe(entry.flag, entry.description));
    return `    ("${key(path)}") subs=(${subs.join(' ')}); opts=(${flags.join(' ')}) ;;`;
  });
  return `#compdef replaywatch
# zsh completion for replaywatch: source <(replaywatch completion zsh) after compinit,
# or save as _replaywatch in a directory of $fpath
_replaywatch() {
  local path_key="" i
  local -a subs opts
  for ((i = 2; i < CURRENT; i++)); do
    case "$path_key \${words[i]}" in
      (${known.replace(/\|/g, '|')}) path_key="$path_key \${words[i]}" ;;
    esac
  done
  case "$path_key" in
${cases.join('\n')}
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then
    _describe -t options 'option' opts
  elif (( \${#subs} )); then
    _describe -t commands 'command' subs
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" == "_replaywatch" ]]; then
  _replaywatch "$@"
else
  compdef _replaywatch replaywatch
fi
`;
}
