#!/usr/bin/env node
// Calibration of the confidence: among sources reported at confidence c, how many are real?
// Scans simulated scenarios (truth from the simulator) and the real logs (truth from the hand
// labels in test/realworld/labels) at --min-confidence 0, and prints, per confidence band, the
// replayer/prefetcher sources and the share of them that are real. A source is real when most of
// its addresses are positives (simulator truth) or labelled `replayer` (labels); a source whose
// addresses are all unlabelled or `unsure` is left out. Usage: node bench/calibration.js [--quick]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'replaywatch.js');
const quick = process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'replaywatch-calibration-'));
const run = (args) => {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0 && result.status !== 1) throw new Error(`${args.join(' ')}: exit ${result.status}: ${result.stderr.slice(0, 500)}`);
  return result.stdout;
};
const scan = (input) => JSON.parse(run(['scan', input, '--json', '--offline', '--min-confidence', '0', '--state', '/nonexistent/state.duckdb'])).sources.filter((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
const clientOf = (ip) => (ip.includes(':') ? ip.split(':').slice(0, 4).join(':') : ip);

const observations = { simulated: [], real: [] };
const scenarios = quick ? [['mixed', 101], ['lowtraffic', 101]] : [['mixed', 101], ['mixed', 202], ['clean', 101], ['incident', 202], ['mail', 101], ['small', 202], ['confounded', 101], ['confounded', 202], ['lowtraffic', 101], ['lowtraffic', 202]];
for (const [scenario, seed] of scenarios) {
  const out = join(work, `${scenario}-${seed}`);
  run(['simulate', '--scenario', scenario, '--seed', String(seed), '--out', out]);
  const truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8'));
  const positive = new Set(truth.actors.filter((actor) => actor.kind === 'replayer' || actor.kind === 'prefetcher').flatMap((actor) => actor.ips.map(clientOf)));
  for (const source of scan(join(out, 'access.log'))) {
    const real = source.ips.filter((ip) => positive.has(clientOf(ip))).length * 2 > source.ips.length;
    observations.simulated.push({ confidence: source.confidence, real, where: `${scenario}-${seed}` });
  }
}
const labelDir = join(root, 'test', 'realworld', 'labels');
const realLogs = join(root, '..', 'shared', 'data', 'real-logs');
if (existsSync(realLogs)) {
  for (const file of readdirSync(labelDir).filter((name) => name.endsWith('.tsv'))) {
    const labels = new Map();
    for (const line of readFileSync(join(labelDir, file), 'utf8').split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const [ip, label] = line.split('\t');
      labels.set(ip, label);
    }
    for (const source of scan(join(realLogs, file.replace(/\.tsv$/, '.log.gz')))) {
      const known = source.ips.filter((ip) => labels.get(ip) === 'replayer' || labels.get(ip) === 'not');
      if (known.length === 0) continue;
      const real = known.filter((ip) => labels.get(ip) === 'replayer').length * 2 > known.length;
      observations.real.push({ confidence: source.confidence, real, where: file });
    }
  }
}
rmSync(work, { recursive: true, force: true });

const bands = [[0, 0.2], [0.2, 0.4], [0.4, 0.5], [0.5, 0.7], [0.7, 0.9], [0.9, 1.01]];
console.log('| confidence | simulated: sources, real | real logs: sources, real | both: real share |');
console.log('| --- | ---: | ---: | ---: |');
for (const [low, high] of bands) {
  const cell = (list) => {
    const inBand = list.filter((entry) => entry.confidence >= low && entry.confidence < high);
    return { count: inBand.length, real: inBand.filter((entry) => entry.real).length };
  };
  const simulated = cell(observations.simulated);
  const real = cell(observations.real);
  const count = simulated.count + real.count;
  const share = count === 0 ? '–' : `${(((simulated.real + real.real) / count) * 100).toFixed(0)}%`;
  console.log(`| ${low.toFixed(1)}–${Math.min(1, high).toFixed(1)} | ${simulated.count}, ${simulated.real} | ${real.count}, ${real.real} | ${share} |`);
}
