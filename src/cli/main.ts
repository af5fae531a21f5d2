import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { describeError, exitCodeFor, ReplaywatchError } from '../common/errors.js';
import { commands, needsWholeProgram } from './commands/index.js';
import { processIo, type CliIo } from './io.js';

const require = createRequire(import.meta.url);
const packageJson = require('../../package.json') as { version: string };

/**
 * The program with every command registered: what `--help`, the man page and the shell
 * completions are all made from. `setExitCode` hears the exit code a command chose. With
 * `only`, just that command is registered (and its module loaded): what `main` does when argv
 * names a command, so that a command starts without loading every other one.
 */
export async function buildProgram(io: CliIo, setExitCode: (code: number) => void = () => {}, only?: string): Promise<Command> {
  const program = new Command('replaywatch')
    .description('Find the third parties that replay the URLs your users visit, from web-server access logs.')
    .version(packageJson.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // commander's own errors (unknown option, missing argument) carry our code like every other
      outputError: (text, write) => write(`${text.replace(/\n$/, '').replace(/^error: /, 'replaywatch: ')} [E_USAGE]\n`),
    })
    .exitOverride();
  const chosen = commands.filter((command) => only === undefined || command.name === only);
  for (const register of await Promise.all(chosen.map((command) => command.load()))) register(program, io, setExitCode);
  return program;
}

/**
 * The one place that reads argv, prints and picks exit codes.
 * Each command module registers itself and resolves to its exit code.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  // `replaywatch canary new ...` registers (and loads) the canary command alone; anything else
  // (--help, --version, `help`, an unknown word, completion) gets the whole program
  const named = argv[0];
  const only = named !== undefined && commands.some((command) => command.name === named) && !needsWholeProgram.has(named) ? named : undefined;
  try {
    const program = await buildProgram(
      io,
      (code) => {
        exitCode = code;
      },
      only,
    );
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is bad usage
      if (error.exitCode === 0) return 0;
      return 2;
    }
    io.stderr.write(describeError(error) + '\n');
    if (error instanceof ReplaywatchError) return exitCodeFor[error.code];
    return 3;
  }
  return exitCode;
}

export type RegisterCommand = (program: Command, io: CliIo, setExitCode: (code: number) => void) => void;
