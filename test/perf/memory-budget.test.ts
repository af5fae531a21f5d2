import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, generateLog, scanJson } from './support.js';

test('past the memory budget the oldest rare-URL detail is dropped and the report says so (1 and 2 workers)', () => {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-budget-'));
  try {
    const log = join(dir, 'hostile.log');
    // every line a new random URL
    generateLog(log, 60_000, ['--hostile']);
    for (const workers of ['1', '2']) {
      // the flag on one run, the environment variable on the other: both set the budget
      const budget: [string[], NodeJS.ProcessEnv] = workers === '1' ? [['--memory-budget', '1MB'], {}] : [[], { REPLAYWATCH_MEMORY_BUDGET: '1MB' }];
      const { report, stderr } = scanJson([log], ['--workers', workers, ...budget[0]], { ...budget[1], REPLAYWATCH_PARALLEL_MIN_BYTES: String(1 << 20) });
      assert.ok(report !== null, stderr);
      assert.equal(report.input.records, 60_000);
      const warning = report.warnings.find((text: string) => text.includes('rare-URL detail was dropped'));
      assert.ok(warning, `workers ${workers}: ${JSON.stringify(report.warnings)}`);
    }
    // the default budget holds this log whole: nothing is dropped
    const { report } = scanJson([log], ['--workers', '1']);
    assert.ok(!report.warnings.some((text: string) => text.includes('rare-URL detail was dropped')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
