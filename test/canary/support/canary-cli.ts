// A launcher with only the canary command, used by the tests when the full binary
// (bin/replaywatch.js -> dist) cannot start yet. It mirrors src/cli/main.ts: same error text,
// same exit codes.
import { Command, CommanderError } from 'commander';
import { registerCanary } from '../../../src/cli/commands/canary.js';
import { processIo } from '../../../src/cli/io.js';
import { describeError, exitCodeFor, ReplaywatchError } from '../../../src/common/errors.js';

async function run(argv: string[]): Promise<number> {
  const io = processIo();
  let exitCode = 0;
  const program = new Command('replaywatch')
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();
  registerCanary(program, io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr.write(describeError(error) + '\n');
    return error instanceof ReplaywatchError ? exitCodeFor[error.code] : 3;
  }
  return exitCode;
}

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
