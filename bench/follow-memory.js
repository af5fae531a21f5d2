#!/usr/bin/env node
/**
 * Memory of a long `follow`: 10 M lines (10 chunks of 1 M, 1.4 days each, consecutive in time)
 * written to a followed log one chunk at a time, each chunk arriving by rotation (access.log ->
 * access.log.1, a new access.log), the follow engine polling and analysing as `follow` does.
 * Prints RSS, heap and array buffers after each chunk (after a full GC), and the ratio of the
 * last to the first: flat memory is a ratio near 1 once the index reaches its budget.
 *
 *   node --expose-gc bench/follow-memory.js [--chunks 10] [--lines-per-chunk 1000000] [--budget 128MB]
 *
 * Compares, never asserts (STYLE.md): the figure goes in docs/PERFORMANCE.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FollowSession } from '../dist/scan/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const chunks = Number(option('--chunks', 10));
const perChunk = Number(option('--lines-per-chunk', 1_000_000));
const budgetText = option('--budget', '128MB');
const budget = Number.parseFloat(budgetText) * (/gb/i.test(budgetText) ? 1 << 30 : /mb/i.test(budgetText) ? 1 << 20 : 1);
const gc = globalThis.gc ?? (() => {});
const mb = (bytes) => `${(bytes / (1 << 20)).toFixed(0)} MB`;

const dir = mkdtempSync(join(tmpdir(), 'replaywatch-follow-bench-'));
const log = join(dir, 'access.log');
const dayMs = 86_400_000;
const start = Date.parse('2026-03-02T00:00:00Z');
const session = new FollowSession({ targets: [dir], memoryBudget: budget });
const rows = [];
const began = performance.now();
let readSeconds = 0;
let analyseSeconds = 0;
try {
  for (let chunk = 0; chunk < chunks; chunk++) {
    const next = join(dir, 'next.log');
    const made = spawnSync(process.execPath, [join(root, 'bench/generate-log.js'), '--lines', String(perChunk), '--seed', String(chunk + 1), '--days', '1.4', '--start', new Date(start + chunk * 1.4 * dayMs).toISOString(), '--out', next], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(made.stderr);
    // rotation: the old log moves aside (the follower finishes it), the new one takes its name
    try {
      renameSync(log, `${log}.1`);
    } catch {}
    renameSync(next, log);
    const size = statSync(log).size;
    let readStarted = performance.now();
    while (session.poll() > 0) {
      // as `follow` does between polls: analyse now and then (here every ~250 k lines)
      if (session.lines % 250_000 < 65_000) {
        readSeconds += (performance.now() - readStarted) / 1000;
        const analysed = performance.now();
        session.analyze();
        analyseSeconds += (performance.now() - analysed) / 1000;
        readStarted = performance.now();
      }
    }
    readSeconds += (performance.now() - readStarted) / 1000;
    const analysed = performance.now();
    const { model } = session.analyze();
    analyseSeconds += (performance.now() - analysed) / 1000;
    rmSync(`${log}.1`, { force: true });
    gc();
    const memory = process.memoryUsage();
    rows.push({ lines: session.lines, rss: memory.rss, heap: memory.heapUsed, buffers: memory.arrayBuffers, sources: model.sources.length, dropped: model.warnings.some((warning) => warning.startsWith('rare-URL detail was dropped')), size });
    const row = rows.at(-1);
    console.log(`${String(row.lines).padStart(10)} lines  rss ${mb(row.rss).padStart(7)}  heap ${mb(row.heap).padStart(7)}  array buffers ${mb(row.buffers).padStart(7)}  sources ${row.sources}${row.dropped ? '  (index at its budget: oldest detail dropped)' : ''}`);
  }
} finally {
  session.close();
  rmSync(dir, { recursive: true, force: true });
}
const first = rows[0];
const last = rows.at(-1);
const total = (performance.now() - began) / 1000;
console.log(`\nbudget ${budgetText}; rss after the last chunk / after the first: ${(last.rss / first.rss).toFixed(2)}; peak rss ${mb(Math.max(...rows.map((row) => row.rss)))}`);
console.log(`read ${(readSeconds).toFixed(1)} s (${Math.round(last.lines / readSeconds).toLocaleString('en-US')} lines/s), analyses ${analyseSeconds.toFixed(1)} s, total with generation ${total.toFixed(0)} s`);
