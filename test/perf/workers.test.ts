import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, generateLog, scanJson } from './support.js';

// workers start at 32 MB by default; these logs are a few MB, so lower the threshold
const PARALLEL = { REPLAYWATCH_PARALLEL_MIN_BYTES: String(1 << 20) };

test('the JSON report is the same with 1, 2 and 3 workers (byte ranges of a plain file)', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-workers-'));
  try {
    const log = join(dir, 'access.log');
    generateLog(log, 40_000);
    const one = scanJson([log], ['--workers', '1'], PARALLEL);
    assert.ok(one.report !== null, one.stderr);
    assert.equal(one.status, 1, 'the generated log holds replayers');
    assert.ok(one.report.sources.some((source: { kind: string }) => source.kind === 'replayer'));
    for (const workers of ['2', '3']) {
      const many = scanJson([log], ['--workers', workers], PARALLEL);
      assert.equal(many.status, one.status, many.stderr);
      assert.deepEqual(many.report, one.report, `--workers ${workers}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the JSON report is the same with 1 and 3 workers on several files, plain and .gz, with skipped lines', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-workers-'));
  try {
    const first = join(dir, 'first.log');
    const second = join(dir, 'second.log');
    generateLog(first, 20_000, ['--seed', '2', '--days', '3']);
    generateLog(second, 20_000, ['--seed', '3', '--days', '3', '--start', '2026-03-05T00:00:00Z']);
    // a few lines that do not parse, in the middle of a range, keep their file line numbers
    const lines = readFileSync(first, 'latin1').split('\n');
    lines.splice(15_000, 0, 'garbage line one', 'garbage line two');
    writeFileSync(first, lines.join('\n'), 'latin1');
    writeFileSync(`${second}.gz`, gzipSync(readFileSync(second)));
    rmSync(second);
    const files = [first, `${second}.gz`];
    const one = scanJson(files, ['--workers', '1'], PARALLEL);
    assert.ok(one.report !== null, one.stderr);
    assert.equal(one.report.input.skipped, 2);
    const three = scanJson(files, ['--workers', '3'], PARALLEL);
    assert.deepEqual(three.report, one.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one .gz file read in two halves by two threads gives the report one reader gives (line numbers of skipped lines too)', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-workers-'));
  try {
    const plain = join(dir, 'access.log');
    generateLog(plain, 60_000, ['--seed', '5', '--days', '4']);
    const lines = readFileSync(plain, 'latin1').split('\n');
    lines.splice(50_000, 0, 'garbage in the second half');
    lines.splice(100, 0, 'garbage in the first half');
    // two members, as `cat a.gz b.gz` makes
    const text = lines.join('\n');
    const middle = text.indexOf('\n', text.length >> 1) + 1;
    const gz = join(dir, 'access.log.gz');
    writeFileSync(gz, Buffer.concat([gzipSync(Buffer.from(text.slice(0, middle), 'latin1')), gzipSync(Buffer.from(text.slice(middle), 'latin1'))]));
    const one = scanJson([gz], ['--workers', '1'], PARALLEL);
    assert.ok(one.report !== null, one.stderr);
    assert.equal(one.report.input.skipped, 2);
    for (const workers of ['2', '4']) {
      // the .gz is under 1 MB: a lower threshold still
      const many = scanJson([gz], ['--workers', workers], { REPLAYWATCH_PARALLEL_MIN_BYTES: String(64 << 10), REPLAYWATCH_TIMINGS: '1' });
      assert.match(many.stderr, /task 1: worker/, 'the second half was read by a worker and merged');
      assert.deepEqual(many.report, one.report, `--workers ${workers}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a parallel scan reports progress that only grows and ends at the total', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-workers-'));
  try {
    const log = join(dir, 'access.log');
    generateLog(log, 30_000);
    const { scan } = await import('../../src/scan/index.js');
    const seen: [number, number][] = [];
    await scan({ inputs: [log], workers: 2, parallelMinBytes: 1 << 20, progress: (read, total) => seen.push([read, total]) });
    assert.ok(seen.length >= 2, `progress reported ${seen.length} times`);
    const total = statSync(log).size;
    for (let index = 0; index < seen.length; index++) {
      assert.equal(seen[index]![1], total);
      if (index > 0) assert.ok(seen[index]![0] >= seen[index - 1]![0], `progress went back: ${JSON.stringify(seen)}`);
    }
    assert.equal(seen[seen.length - 1]![0], total);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the JSON report is the same with 1 and 2 workers on many files (this thread takes tasks from the queue too)', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-workers-'));
  try {
    const files: string[] = [];
    for (let day = 0; day < 6; day++) {
      const path = join(dir, `access-${day}.log`);
      generateLog(path, 6_000, ['--seed', String(10 + day), '--days', '1', '--start', `2026-03-0${day + 1}T00:00:00Z`]);
      files.push(path);
    }
    const one = scanJson(files, ['--workers', '1'], PARALLEL);
    assert.ok(one.report !== null, one.stderr);
    const two = scanJson(files, ['--workers', '2'], PARALLEL);
    assert.equal(two.status, one.status, two.stderr);
    assert.deepEqual(two.report, one.report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
