import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerSimulate } from '../../src/cli/commands/simulate.js';
import type { CliIo } from '../../src/cli/io.js';

/** Runs only the simulate command, as main() would register it, with captured output. */
async function runSimulate(args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  stderr.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd };
  let code = 0;
  const program = new Command('replaywatch').exitOverride().configureOutput({ writeOut: (text) => stdout.write(text), writeErr: (text) => stderr.write(text) });
  registerSimulate(program, io, (value) => {
    code = value;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    code = 2;
    stderr.write(String(error instanceof Error ? error.message : error));
  }
  return { stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString(), code };
}

test('simulate --out writes access.log and truth.json and says what to run next', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-sim-'));
  try {
    const result = await runSimulate(['simulate', '--scenario', 'small', '--seed', '9', '--days', '3', '--out', 'out'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /wrote \d+ lines/);
    assert.match(result.stdout, /npx replaywatch scan out\/access\.log/);
    const truth = JSON.parse(readFileSync(join(dir, 'out', 'truth.json'), 'utf8')) as { seed: number; format: string; lines: number; actors: unknown[] };
    assert.equal(truth.seed, 9);
    assert.equal(truth.format, 'combined');
    assert.equal(readFileSync(join(dir, 'out', 'access.log'), 'utf8').split('\n').length - 1, truth.lines);
    const again = await runSimulate(['simulate', '--scenario', 'small', '--seed', '9', '--days', '3', '--out', 'again'], dir);
    assert.equal(again.code, 0);
    assert.ok(readFileSync(join(dir, 'again', 'access.log')).equals(readFileSync(join(dir, 'out', 'access.log'))), 'same seed, different bytes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('simulate without --out writes the log to stdout and needs --truth', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-sim-'));
  try {
    const missing = await runSimulate(['simulate', '--scenario', 'small', '--days', '1'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /ground truth/);
    const result = await runSimulate(['simulate', '--scenario', 'small', '--days', '1', '--format', 'caddy', '--truth', 't.json'], dir);
    assert.equal(result.code, 0);
    assert.ok(existsSync(join(dir, 't.json')));
    assert.equal(JSON.parse(result.stdout.split('\n')[0]!).msg, 'handled request');
    const rotated = await runSimulate(['simulate', '--scenario', 'small', '--days', '3', '--rotate', '--out', 'r'], dir);
    assert.equal(rotated.code, 0);
    assert.ok(existsSync(join(dir, 'r', 'access.log.2.gz')));
    const bad = await runSimulate(['simulate', '--scenario', 'nope', '--truth', 'x.json'], dir);
    assert.equal(bad.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
