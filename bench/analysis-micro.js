/**
 * The analysis alone, repeated on one detector: CPU time per run (min and median of N), so a
 * change to the model can be compared with the code before it on a shared, noisy machine.
 *
 *   npm run build && node bench/analysis-micro.js FILE [runs] [--root DIR]
 *
 * DIR: another checkout's root (with its dist/ built) to measure its analysis on the same log:
 * run both, alternately, and compare the minimums. Asserts nothing.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { forEachLine } from './read-lines.js';

const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = resolve(rootAt >= 0 ? args[rootAt + 1] : new URL('..', import.meta.url).pathname);
const positional = args.filter((arg, index) => !arg.startsWith('--') && (rootAt < 0 || index !== rootAt + 1));
const file = positional[0];
const runs = Number(positional[1] ?? 5);
if (file === undefined) {
  console.error('usage: analysis-micro.js FILE [runs] [--root DIR]');
  process.exit(2);
}
const load = (path) => import(pathToFileURL(resolve(root, 'dist', path)).href);
const { resolveFormat, ScanOutcome, ScanRecord } = await load('formats/index.js');
const { Detector, analyze } = await load('detect/index.js');
const { loadAttributor } = await load('attribute/index.js');

const attributor = loadAttributor();
const scanner = resolveFormat('combined').createScanner();
const record = new ScanRecord();
const detector = new Detector({ classifyAgent: (agent) => attributor.classifyAgent(agent) });
forEachLine(file, (buffer, start, end) => {
  if (scanner.scan(buffer, start, end, record) === ScanOutcome.Ok) detector.observe(record);
});

const context = {
  networkKey: (address) => attributor.networkKey(address),
  actors: (address) => attributor.actors(address),
  verifyCrawler: (address, agent) => attributor.verifyCrawler(address, agent),
};
const times = [];
let sources = 0;
for (let run = 0; run < runs; run++) {
  const before = process.cpuUsage();
  sources = analyze(detector, context).sources.length;
  const cpu = process.cpuUsage(before);
  times.push((cpu.user + cpu.system) / 1000);
}
times.sort((a, b) => a - b);
console.log(`${root}: analysis cpu min ${times[0].toFixed(0)} ms, median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs; ${sources} sources, ${detector.clientCount} clients, ${detector.index.units} units`);
