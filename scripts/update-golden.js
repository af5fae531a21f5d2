#!/usr/bin/env node
// Refreshes test/expected/ from the CLI's current output on test/fixtures/golden/access.log.
// Review the diff before committing: a golden file changes only when the output should.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { goldenEnv, goldenRuns } from '../test/golden/runs.js';

for (const run of goldenRuns) {
  const result = spawnSync(process.execPath, ['bin/replaywatch.js', ...run.args], { encoding: 'utf8', env: { ...process.env, ...goldenEnv, ...run.env } });
  writeFileSync(`test/expected/${run.expected}`, result.stdout);
  console.log(`test/expected/${run.expected}: exit ${result.status}, ${result.stdout.length} bytes`);
}
