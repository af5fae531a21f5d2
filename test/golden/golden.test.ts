/**
 * Golden files: the CLI's terminal and JSON output on a small fixture of our own, compared
 * byte for byte with test/expected/. Refresh with `node scripts/update-golden.js` (after
 * `npm run build`) and review the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JS module shared with scripts/update-golden.js
import { goldenEnv, goldenRuns } from './runs.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

for (const run of goldenRuns as { name: string; args: string[]; expected: string; exit: number; env?: Record<string, string> }[]) {
  test(`golden: ${run.name}`, () => {
    const result = spawnSync(process.execPath, [join(repoRoot, 'bin', 'replaywatch.js'), ...run.args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, ...goldenEnv, ...run.env },
    });
    assert.equal(result.status, run.exit, result.stderr);
    const expected = readFileSync(join(repoRoot, 'test', 'expected', run.expected), 'utf8');
    assert.equal(result.stdout, expected, `output differs from test/expected/${run.expected}; if the change is intended, run node scripts/update-golden.js and review the diff`);
  });
}

test('golden JSON keeps the contract field names', () => {
  const report = JSON.parse(readFileSync(join(repoRoot, 'test', 'expected', 'scan.json'), 'utf8'));
  assert.equal(report.version, 1);
  for (const key of ['files', 'lines', 'records', 'skipped', 'skippedExamples', 'format', 'from', 'to']) assert.ok(key in report.input, key);
  assert.ok(Array.isArray(report.sources) && Array.isArray(report.probes) && Array.isArray(report.warnings));
  const source = report.sources[0];
  for (const key of ['kind', 'pattern', 'confidence', 'network', 'ips', 'requests', 'replays', 'urls', 'victims', 'lagSeconds', 'authMismatch', 'examples']) assert.ok(key in source, key);
  for (const key of ['cidr', 'asn', 'org', 'country', 'rdns']) assert.ok(key in source.network, key);
  for (const key of ['min', 'p50', 'p90', 'max']) assert.ok(key in source.lagSeconds, key);
  const example = source.examples[0];
  for (const key of ['url', 'origin', 'replay', 'lagSeconds']) assert.ok(key in example, key);
  for (const key of ['ip', 'time', 'status', 'bytes']) assert.ok(key in example.origin && key in example.replay, key);
  for (const key of ['ip', 'network', 'paths', 'first', 'last', 'examples']) assert.ok(key in report.probes[0], key);
  assert.equal(report.input.skipped, 1);
  assert.match(report.input.skippedExamples[0].reason, /./);
});
