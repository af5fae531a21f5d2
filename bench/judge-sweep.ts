/**
 * The simulated judge over seeds the test suite does not run: every scenario, `combined`, each
 * seed given, one line per case with what misses the bar (test/support/judge.ts). New seeds
 * are how to see what hidden scenarios will find; a model change is measured on them beside
 * the hand labels. Asserts nothing.
 *
 *   npm run build && node --import tsx bench/judge-sweep.ts 7 8 11 12 14
 *   node --import tsx bench/judge-sweep.ts --scenario lowtraffic 8      # one case, with the judge's summary
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { barFailures, judge } from '../test/support/judge.js';

const bin = join(import.meta.dirname, '..', 'bin', 'replaywatch.js');
const args = process.argv.slice(2);
const only = args[0] === '--scenario' ? args[1]! : null;
const seeds = (only === null ? args : args.slice(2)).map(Number);
if (seeds.length === 0 || seeds.some((seed) => !Number.isInteger(seed))) {
  console.error('usage: judge-sweep.ts [--scenario NAME] SEED...');
  process.exit(2);
}
const scenarios = only !== null ? [only] : ['mixed', 'clean', 'incident', 'mail', 'small', 'confounded', 'lowtraffic'];
const work = mkdtempSync(join(tmpdir(), 'replaywatch-sweep-'));
try {
  for (const scenario of scenarios) {
    for (const seed of seeds) {
      const dir = join(work, `${scenario}-${seed}`);
      spawnSync(process.execPath, [bin, 'simulate', '--scenario', scenario, '--seed', String(seed), '--out', dir]);
      const scan = spawnSync(process.execPath, [bin, 'scan', join(dir, 'access.log'), '--json', '--offline'], { encoding: 'utf8', maxBuffer: 512 << 20 });
      const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8'));
      const verdict = judge(truth, JSON.parse(scan.stdout));
      const failures = barFailures(truth, verdict);
      // issue 10's bar for hidden scenarios is stricter than the suite's: precision 98%, recall 97%
      if (truth.actors.some((actor: { kind: string }) => actor.kind === 'replayer' || actor.kind === 'prefetcher')) {
        if (verdict.precision < 0.98 && verdict.precision >= 0.97) failures.push(`precision ${(verdict.precision * 100).toFixed(1)}% < 98% (issue 10)`);
        if (verdict.recall < 0.97 && verdict.recall >= 0.95) failures.push(`recall ${(verdict.recall * 100).toFixed(1)}% < 97% (issue 10)`);
      }
      console.log(`${scenario} ${seed}: ${failures.length === 0 ? 'ok' : failures.join('; ')}`);
      if (only !== null) console.log(verdict.summary);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
