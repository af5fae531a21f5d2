import { Argument } from 'commander';
import type { RegisterCommand } from '../main.js';
import { renderCompletion, shells, type Shell } from '../help-pages.js';

/** `replaywatch completion bash|zsh`: a completion script made from the registered commands. */
export const registerCompletion: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('completion')
    .description('print a shell completion script for bash or zsh')
    .addArgument(new Argument('<shell>', 'the shell').choices([...shells]))
    .addHelpText('after', '\nExamples:\n  source <(replaywatch completion bash)     # in ~/.bashrc\n  source <(replaywatch completion zsh)      # in ~/.zshrc, after compinit')
    .action((shell: Shell) => {
      io.stdout.write(renderCompletion(program, shell));
      setExitCode(0);
    });
};
