import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option } from 'commander';
import { ReplaywatchError } from '../../common/errors.js';
import { scenarioNames, simulate, simulateFormats, summarizeTruth, type SimulateFormat } from '../../simulate/index.js';
import type { RegisterCommand } from '../main.js';

interface SimulateFlags {
  scenario: string;
  seed: string;
  format: SimulateFormat;
  out?: string;
  truth?: string;
  days?: string;
  users?: string;
  lines?: string;
  rotate?: boolean;
}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new ReplaywatchError('E_USAGE', `--${name} must be a whole number, got "${text}"`);
  return value;
}

/** `replaywatch simulate`: a realistic synthetic log and its ground truth, deterministic by seed. */
export const registerSimulate: RegisterCommand = (program, io, setExitCode) => {
  program
    .command('simulate')
    .description('write a realistic synthetic access log and its ground truth (who is which kind), deterministic by seed')
    .addOption(new Option('--scenario <name>', 'what happens in the log').choices(scenarioNames).default('mixed'))
    .option('--seed <n>', 'random seed: the same seed writes the same bytes', '1')
    .addOption(new Option('--format <name>', 'log format to write').choices([...simulateFormats]).default('combined'))
    .option('--out <dir>', 'write DIR/access.log (or the rotated set) and DIR/truth.json')
    .option('--truth <file>', 'where to write the ground truth (required without --out; the log then goes to stdout)')
    .option('--days <n>', "days of traffic (default: the scenario's)")
    .option('--users <n>', "regular visitors (default: the scenario's)")
    .option('--lines <n>', 'approximate number of lines (scales the visitors)')
    .option('--rotate', 'write a daily-rotated set: access.log, access.log.1, access.log.2.gz, ...')
    .action((flags: SimulateFlags) => {
      const seed = positiveInteger('seed', flags.seed) ?? 1;
      if (flags.out === undefined && flags.truth === undefined) {
        throw new ReplaywatchError('E_USAGE', 'simulate needs somewhere to put the ground truth', {
          hint: 'replaywatch simulate --out DIR   (or: replaywatch simulate --truth truth.json > access.log)',
        });
      }
      if (flags.out === undefined && flags.rotate === true) {
        throw new ReplaywatchError('E_USAGE', '--rotate writes several files and needs --out DIR');
      }
      const days = positiveInteger('days', flags.days);
      if (days === 0) throw new ReplaywatchError('E_USAGE', '--days must be at least 1');
      const simulation = simulate({
        scenario: flags.scenario,
        seed,
        format: flags.format,
        days,
        users: positiveInteger('users', flags.users),
        lines: positiveInteger('lines', flags.lines),
        rotate: flags.rotate === true,
      });
      const truthText = JSON.stringify(simulation.truth, null, 2) + '\n';
      const summary = summarizeTruth(simulation.truth)
        .map((entry) => `${entry.kind} ${entry.actors}${entry.clients !== entry.actors ? ` (${entry.clients} clients)` : ''}`)
        .join(', ');
      if (flags.out !== undefined) {
        const dir = resolve(io.cwd, flags.out);
        mkdirSync(dir, { recursive: true });
        for (const file of simulation.files) writeFileSync(join(dir, file.name), file.data);
        const truthPath = flags.truth !== undefined ? resolve(io.cwd, flags.truth) : join(dir, 'truth.json');
        writeFileSync(truthPath, truthText);
        const logPath = join(flags.out, simulation.files.length === 1 ? 'access.log' : '');
        io.stdout.write(
          `wrote ${simulation.truth.lines} lines (${simulation.truth.format}, scenario ${simulation.truth.scenario}, seed ${seed}, ` +
            `${simulation.truth.from.slice(0, 10)} to ${simulation.truth.to.slice(0, 10)}) to ${simulation.files.map((file) => join(flags.out!, file.name)).join(', ')}\n` +
            `truth: ${truthPath}\nactors: ${summary}\n` +
            `next: npx replaywatch scan ${logPath}\n`,
        );
      } else {
        writeFileSync(resolve(io.cwd, flags.truth!), truthText);
        for (const file of simulation.files) io.stdout.write(file.data);
        io.stderr.write(`wrote ${simulation.truth.lines} lines; truth: ${flags.truth}\nactors: ${summary}\n`);
      }
      setExitCode(0);
    });
};
