import { Command } from 'commander';
import { recordLogHits } from '../../canary/index.js';
import { defaultStatePath } from '../../store/index.js';
import cliProgress from 'cli-progress';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { foundReplayers, renderHtml, renderJson, renderTerminal } from '../../report/index.js';
import { ReplaywatchError } from '../../common/errors.js';
import { useColour, type CliIo } from '../io.js';
import type { RegisterCommand } from '../main.js';
import { scan, type ScanOptions } from '../../scan/index.js';
import { engineOptions, parseScanOptions, scanOptionSpecs } from '../scan-options.js';

export function addScanOptions(command: Command, without: readonly string[] = []): Command {
  for (const spec of scanOptionSpecs) {
    if (without.some((flag) => spec.flags.startsWith(flag))) continue;
    if ('defaultValue' in spec && spec.defaultValue !== false) command.option(spec.flags, spec.description, spec.defaultValue);
    else command.option(spec.flags, spec.description);
  }
  return command;
}

/** A progress bar on stderr for long reads, only on a terminal. */
export function progressHook(io: CliIo, enabled: boolean): { hook: ScanOptions['progress']; stop: () => void } {
  if (!enabled || io.stderr.isTTY !== true) return { hook: undefined, stop: () => {} };
  let bar: cliProgress.SingleBar | null = null;
  const started = Date.now();
  return {
    hook: (bytesRead, totalBytes) => {
      if (bar === null) {
        if (Date.now() - started < 500 || totalBytes <= 0) return;
        bar = new cliProgress.SingleBar(
          { stream: io.stderr as NodeJS.WritableStream & { isTTY: boolean }, format: 'reading {bar} {percentage}% · {value}/{total} MB · {eta_formatted} left', hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.ceil(totalBytes / 1e6), 0);
      }
      bar.update(Math.floor(bytesRead / 1e6));
    },
    stop: () => {
      if (bar !== null) (bar as cliProgress.SingleBar).stop();
    },
  };
}

export const registerScan: RegisterCommand = (program, io, setExitCode) => {
  const command = program
    .command('scan')
    .description('read access logs, find who replays or prefetches your users\' URLs, and report with evidence')
    .argument('[inputs...]', 'log files, directories, .gz files, or - for stdin', ['-'])
    .addHelpText(
      'after',
      '\nExit status: 0 no replayer or prefetcher found, 1 found, 2 bad usage or unreadable input.\n\nExamples:\n  replaywatch scan /var/log/nginx/\n  replaywatch scan access.log.2.gz access.log.1 access.log --json\n  zcat old.log.gz | replaywatch scan - --format combined --offline',
    );
  addScanOptions(command).action(async (inputs: string[], raw: Record<string, unknown>) => {
    const options = parseScanOptions(raw);
    const progress = progressHook(io, options.progress);
    let result;
    try {
      result = await scan(await engineOptions(inputs, options, io, { progress: progress.hook }));
    } finally {
      progress.stop();
    }
    const { model } = result;
    // the canary hits found in the log go to the store, so `canary report` knows them too
    if (result.canaryHits.length > 0) {
      await recordLogHits(options.state ?? defaultStatePath(io.env), result.canaryHits).catch((error: Error) => model.warnings.push(`the canary hits found in the log could not be stored: ${error.message}`));
    }
    if (options.html !== undefined) writeHtml(resolve(io.cwd, options.html), renderHtml(model));
    io.stdout.write(options.json ? renderJson(model) : renderTerminal(model, { colour: useColour(io.stdout, io.env) }));
    setExitCode(foundReplayers(model) ? 1 : 0);
  });
};

function writeHtml(path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (error) {
    throw new ReplaywatchError('E_USAGE', `cannot write the HTML report to ${path}`, { cause: error, hint: 'give --html a path in a directory you can write' });
  }
}
