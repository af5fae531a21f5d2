/**
 * Issue 11, defects 8-11: what is read. A damaged .gz is read up to the damage and the rest
 * counted as skipped with the reason; a directory reads its access logs and names what it
 * left out; a named pipe or process substitution is read as a stream; combined lines with a
 * leading space and a `:port` after the address are recognised.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { forEachLine } from '../../src/ingest/index.js';
import { simulate } from '../../src/simulate/index.js';
import { cliPath, runCli, scratchDir } from '../support/cli.js';

const offline = ['--offline', '--state', '/nonexistent/replaywatch-test.duckdb'];

interface Report {
  input: { lines: number; records: number; skipped: number; skippedReasons: Record<string, number>; files: string[]; format: string };
  warnings: string[];
}

const log = simulate({ scenario: 'small', seed: 5 }).files[0]!.data;
const logLines = log.toString().split('\n').filter((line) => line !== '').length;
const gzipped = gzipSync(log);

function scanJson(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; report: Report; stderr: string } {
  const run = runCli(['scan', ...args, '--json', ...offline], { env });
  assert.ok(run.status === 0 || run.status === 1, `exit ${run.status}: ${run.stderr}`);
  return { status: run.status, report: JSON.parse(run.stdout) as Report, stderr: run.stderr };
}

/** Lines `gzip -dc` recovers from a damaged file (what a careful reader can get), a cut last line included. */
function gzipRecovers(path: string): number {
  const result = spawnSync('sh', ['-c', `gzip -dc < '${path}' 2>/dev/null | awk 'END { print NR }'`], { encoding: 'utf8' });
  return Number(result.stdout.trim());
}

test('a truncated .gz and one with trailing garbage are read up to the damage, beside a good file, on one thread and on several', () => {
  const directory = scratchDir('gzip');
  const truncated = join(directory, 'access.log.2.gz');
  writeFileSync(truncated, gzipped.subarray(0, Math.floor(gzipped.length * 0.6)));
  const garbage = join(directory, 'other.log.gz');
  writeFileSync(garbage, Buffer.concat([gzipped, Buffer.from('\u001f\u008bnot gzip at all, trailing garbage')]));
  const corrupt = join(directory, 'corrupt.log.gz');
  const flipped = Buffer.from(gzipped);
  flipped[Math.floor(flipped.length / 2)] ^= 0xff;
  writeFileSync(corrupt, flipped);
  const good = join(directory, 'access.log');
  writeFileSync(good, log);
  const expectedTruncated = gzipRecovers(truncated);
  assert.ok(expectedTruncated > 0 && expectedTruncated < logLines);
  for (const workers of ['1', '2']) {
    // REPLAYWATCH_PARALLEL_MIN_BYTES: let the small files go to worker threads and gzip halves
    const env = { REPLAYWATCH_PARALLEL_MIN_BYTES: '1000' };
    const one = scanJson([truncated, good, '--workers', workers], env);
    // every line gzip recovers is read: a record, or skipped (the cut last line); the damage is one skip more
    assert.equal(one.report.input.records + one.report.input.skipped - 1, logLines + expectedTruncated, `workers ${workers}: every line gzip recovers is read`);
    assert.ok(one.report.input.records >= logLines + expectedTruncated - 1);
    assert.ok(one.report.warnings.some((warning) => warning.includes('damaged gzip data in') && warning.includes('access.log.2.gz')), one.report.warnings.join('\n'));
    assert.ok(Object.keys(one.report.input.skippedReasons).some((reason) => reason.startsWith('damaged gzip data')));
    const two = scanJson([garbage, '--workers', workers], env);
    assert.equal(two.report.input.records, logLines, `workers ${workers}: all the lines before trailing garbage`);
    assert.ok(two.report.warnings.some((warning) => warning.includes('damaged gzip data')));
    const three = scanJson([corrupt, good, '--workers', workers], env);
    assert.ok(three.report.input.records >= logLines, 'the good file, and what came before the corrupt block');
    assert.ok(three.report.input.skipped >= 1);
  }
});

test('forEachLine: damaged gzip is E_INPUT_UNREADABLE without onDamage, and heard once with it', async () => {
  const directory = scratchDir('gzip-unit');
  const path = join(directory, 'cut.gz');
  writeFileSync(path, gzipped.subarray(0, gzipped.length - 100));
  await assert.rejects(forEachLine(path, () => {}), { code: 'E_INPUT_UNREADABLE' });
  const reasons: string[] = [];
  let lines = 0;
  await forEachLine(path, () => lines++, undefined, { onDamage: (reason) => reasons.push(reason) });
  assert.equal(reasons.length, 1);
  assert.match(reasons[0]!, /damaged gzip data in .*cut\.gz \(unexpected end of file\)/);
  assert.ok(lines >= gzipRecovers(path));
});

test('a directory reads its access logs and names what it left out, and why', () => {
  const directory = scratchDir('directory');
  const logs = join(directory, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'access.log'), log);
  symlinkSync(join(directory, 'gone'), join(logs, 'access.log.1'));
  spawnSync('mkfifo', [join(logs, 'pipe')]);
  writeFileSync(join(logs, 'error.log'), '2026/03/02 08:00:00 [error] 12#0: *1 open() "/x" failed (2: No such file or directory)\n');
  writeFileSync(join(logs, 'truth.json'), JSON.stringify({ actors: [{ ips: ['1.2.3.4'] }] }, null, 2));
  writeFileSync(join(logs, 'notes.txt'), 'remember to rotate\nthe logs on friday\n');
  const { report } = scanJson([logs]);
  assert.deepEqual(report.input.files, [join(logs, 'access.log')]);
  assert.equal(report.input.records, logLines);
  assert.equal(report.input.skipped, 0);
  const warning = report.warnings.find((text) => text.startsWith('left out of the directory'));
  assert.ok(warning, report.warnings.join('\n'));
  for (const [name, why] of [['access.log.1', 'dangling link'], ['pipe', 'named pipe'], ['error.log', 'error log'], ['truth.json', 'not an access log'], ['notes.txt', 'not an access log']]) {
    assert.match(warning, new RegExp(`${name}: [^;]*${why}`), `${name} named with "${why}" in: ${warning}`);
  }
});

test('a named pipe and a process substitution are read as streams, gzip or not', async () => {
  const directory = scratchDir('fifo');
  const fifo = join(directory, 'pipe');
  spawnSync('mkfifo', [fifo]);
  const child = spawn(process.execPath, [cliPath, 'scan', fifo, '--json', ...offline], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  // the writer opens the pipe after the reader: blocks until the scan opens it
  writeFileSync(fifo, gzipped);
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.ok(status === 0 || status === 1, `exit ${status}`);
  assert.equal((JSON.parse(stdout) as Report).input.records, logLines);
  const file = join(directory, 'access.log');
  writeFileSync(file, log);
  const substituted = spawnSync('bash', ['-c', `node '${cliPath}' scan <(cat '${file}') --json ${offline.join(' ')}`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.ok(substituted.status === 0 || substituted.status === 1, substituted.stderr);
  assert.equal((JSON.parse(substituted.stdout) as Report).input.records, logLines);
});

test('combined lines with a leading space and a :port after the address are recognised without --format', () => {
  const directory = scratchDir('port');
  const path = join(directory, 'honeypot.log');
  writeFileSync(path, log.toString().replace(/^(\S+) /gm, (_, address: string) => ` ${address}${address.includes(':') ? '' : ':51234'} `));
  const { report } = scanJson([path]);
  assert.equal(report.input.format, 'combined');
  assert.equal(report.input.records, logLines);
  assert.equal(report.input.skipped, 0);
});
