import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { describeError, exitCodeFor, ReplaywatchError } from '../common/errors.js';
import { commands } from './commands/index.js';
import { processIo, type CliIo } from './io.js';

const require = createRequire(import.meta.url);
const packageJson = require('../../package.json') as { version: string };

/**
 * The program with every command registered: what `--help`, the man page and the shell
 * completions are all made from. `setExitCode` hears the exit code a command chose.
 */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void = () => {}): Command {
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
  for (const register of commands) register(program, io, setExitCode);
  return program;
}

/**
 * The one place that reads argv, prints and picks exit codes.
 * Each command module registers itself and resolves to its exit code.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });

  try {
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
