import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../../', import.meta.url).pathname;

/** A log from the bench generator (bench/generate-log.js), deterministic for a seed. */
export function generateLog(out: string, lines: number, extra: string[] = []): void {
  const result = spawnSync(process.execPath, [join(root, 'bench/generate-log.js'), '--lines', String(lines), '--out', out, ...extra], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`generate-log failed: ${result.stderr}`);
}

function newest(dir: string): number {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

/** The bin runs dist/: build it when src/ is newer (scripts/test.sh builds before the tests anyway). */
export function ensureBuilt(): void {
  const built = join(root, 'dist/cli/main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newest(join(root, 'src'))) return;
  const result = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build failed: ${result.stdout}${result.stderr}`);
}

/** `replaywatch scan --json --offline` with the real bin; returns the exit code and parsed report. */
export function scanJson(files: string[], args: string[], env: Record<string, string> = {}): { status: number | null; report: any; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin/replaywatch.js'), 'scan', ...files, '--json', '--offline', '--no-progress', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 << 20,
  });
  let report: any = null;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    // left null: the assertion says what came out
  }
  return { status: result.status, report, stderr: result.stderr };
}
