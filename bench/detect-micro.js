/**
 * Where the time goes on one core, stage by stage, on a generated log:
 *   split  — lines out of 4 MiB reads (indexOf '\n'), nothing else
 *   scan   — split + the format's scanner filling a ScanRecord
 *   detect — split + scan + Detector.observe
 *
 *   npm run build && node bench/detect-micro.js FILE [format] [--stage split|scan|detect]
 *
 * Plain JavaScript over dist/, as the bin runs: under tsx the same code measures 20-40% slower.
 *
 * Compares stages against each other (the split stage is the baseline); asserts nothing.
 */
import { statSync } from 'node:fs';
import { forEachLine } from './read-lines.js';
import { resolveFormat, ScanOutcome, ScanRecord } from '../dist/formats/index.js';
import { Detector } from '../dist/detect/index.js';

const args = process.argv.slice(2);
const file = args[0];
if (file === undefined) {
  console.error('usage: detect-micro.js FILE [format] [--stage split|scan|detect]');
  process.exit(2);
}
const formatName = args[1] && !args[1].startsWith('--') ? args[1] : 'combined';
const stageIndex = args.indexOf('--stage');
const stages = stageIndex >= 0 ? [args[stageIndex + 1]] : ['split', 'scan', 'detect'];


const bytes = statSync(file).size;
for (const stage of stages) {
  const scanner = resolveFormat(formatName).createScanner();
  const record = new ScanRecord();
  const detector = new Detector();
  let lines = 0;
  let ok = 0;
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  forEachLine(file, (buffer, start, end) => {
    lines++;
    if (stage === 'split') return;
    if (scanner.scan(buffer, start, end, record) !== ScanOutcome.Ok) return;
    ok++;
    if (stage === 'detect') detector.observe(record);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const rss = process.memoryUsage().rss;
  console.log(
    `${stage.padEnd(7)} ${(lines / seconds / 1e6).toFixed(2)} M lines/s  ${(bytes / seconds / 1e6).toFixed(0)} MB/s  ${seconds.toFixed(2)} s  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s  records ${ok}  rss ${(rss / 1e6).toFixed(0)} MB` +
      (stage === 'detect' ? `  clients ${detector.clientCount}  units ${detector.index.units}  index ${(detector.index.memoryBytes() / 1e6).toFixed(0)} MB` : ''),
  );
}
