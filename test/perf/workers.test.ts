import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
