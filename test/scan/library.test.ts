/**
 * The scan engine as a library (src/scan): canaries are matched on every worker, so a scan with
 * canaries splits across threads and reports what one thread reports; the engine writes nothing
 * of its own to stderr and reads no environment; the package entry exports it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { canaryUrl, mintToken, type CanaryInput } from '../../src/canary/index.js';
import { scan } from '../../src/scan/index.js';
import { generateLog } from '../perf/support.js';

/** A log of the bench generator with canary fetches spliced in near its start, middle and end. */
function logWithCanaryHits(dir: string): { log: string; canaries: CanaryInput[] } {
  const log = join(dir, 'access.log');
  generateLog(log, 40_000, ['--seed', '7', '--days', '3']);
  const canaries: CanaryInput[] = ['laptop', 'phone', 'never opened'].map((label, index) => {
    const token = mintToken();
    return { token, label, url: canaryUrl('https://www.example.com', token), created: Date.parse('2026-03-01T00:00:00Z') + index };
  });
  const lines = readFileSync(log, 'latin1').split('\n');
  const hit = (token: string, ip: string, agent: string, at: number): void => {
    const time = lines[at]!.slice(lines[at]!.indexOf('['), lines[at]!.indexOf(']') + 1);
    lines.splice(at, 0, `${ip} - - ${time} "GET /notes/${token} HTTP/1.1" 200 512 "-" "${agent}"`);
  };
  // splice from the end so earlier positions stay where they were
  hit(canaries[1]!.token, '150.70.97.43', 'Mozilla/4.0 (compatible; MSIE 6.0)', lines.length - 200);
  hit(canaries[0]!.token, '216.104.15.130', 'Mozilla/4.0 (compatible; MSIE 6.0)', 30_000);
  hit(canaries[0]!.token, '150.70.97.44', 'Mozilla/4.0 (compatible; MSIE 6.0)', 21_000);
  hit(canaries[0]!.token, '73.12.9.4', 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0', 100);
  writeFileSync(log, lines.join('\n'), 'latin1');
  return { log, canaries };
}

test('a scan with canaries uses every worker and reports what one thread reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-library-'));
  try {
    const { log, canaries } = logWithCanaryHits(dir);
    const clock = () => Date.parse('2026-03-10T00:00:00Z');
    const one = await scan({ inputs: [log], workers: 1, canaries, clock });
    const lines: string[] = [];
    const two = await scan({ inputs: [log], workers: 2, canaries, clock, parallelMinBytes: 1 << 20, diagnostics: (text) => lines.push(text) });
    assert.match(lines.join(''), /task 1: worker/, 'a worker read a task: canaries did not keep the scan on one thread');
    assert.deepEqual(two.model, one.model);
    const section = one.model.canaries as { label: string; firstHit: { ip: string } | null; others: { ip: string }[]; verdict: { status: string } }[];
    assert.equal(section.length, 3);
    const byLabel = new Map(section.map((entry) => [entry.label, entry]));
    const fetchers = (label: string) => [byLabel.get(label)!.firstHit?.ip, ...byLabel.get(label)!.others.map((other) => other.ip)];
    assert.deepEqual(fetchers('laptop'), ['73.12.9.4', '150.70.97.44', '216.104.15.130'], 'the hits in both halves of the log were found, in time order');
    assert.deepEqual(fetchers('phone'), ['150.70.97.43']);
    assert.equal(byLabel.get('never opened')!.verdict.status, 'never-opened');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the engine prints nothing and reads no environment: timings go to the diagnostics sink only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-library-'));
  const write = process.stderr.write;
  const saved = process.env.REPLAYWATCH_TIMINGS;
  let written = '';
  try {
    const log = join(dir, 'access.log');
    generateLog(log, 2_000);
    process.env.REPLAYWATCH_TIMINGS = '1';
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    const quiet = await scan({ inputs: [log], workers: 1 });
    process.stderr.write = write;
    assert.equal(written, '', 'the engine wrote to stderr itself');
    assert.ok(quiet.model.input.records > 0);
    const heard: string[] = [];
    await scan({ inputs: [log], workers: 1, diagnostics: (text) => heard.push(text) });
    assert.match(heard.join(''), /timings:[\s\S]*total/);
  } finally {
    process.stderr.write = write;
    if (saved === undefined) delete process.env.REPLAYWATCH_TIMINGS;
    else process.env.REPLAYWATCH_TIMINGS = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's library example type-checks against the package's declarations and runs", async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const root = join(import.meta.dirname, '..', '..');
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = /## Use it as a library[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(example, 'README has no library example');
  // inside the package, so `replaywatch` resolves to this package through its `exports`
  const scratch = join(root, '.scratch');
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(join(scratch, 'library-'));
  try {
    const log = join(dir, 'access.log');
    generateLog(log, 5_000);
    const source = example.replace("['/var/log/nginx/']", JSON.stringify([log])).replace("'report.html'", JSON.stringify(join(dir, 'report.html')));
    writeFileSync(join(dir, 'example.ts'), `export {};\n${source}`);
    writeFileSync(join(dir, 'example.mjs'), source);
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', join(dir, 'example.ts')],
      { encoding: 'utf8', cwd: root },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    const run = spawnSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8', cwd: root });
    assert.equal(run.status, 0, run.stderr);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
