/**
 * Seeded fuzzing of what replaywatch reads (issue 11): mutated log lines in several formats,
 * plain and gzip (whole, truncated, with trailing garbage), through the real CLI entry point
 * (`main` with captured output), and mutated HTTP requests against the real canary listener.
 * Bounded in count and in time, so it runs in CI on every push. Asserts:
 * - no crash: the exit status is 0, 1 or 2 (3 is an internal error);
 * - nothing lost: every input line is a record, a header/blank line, or a skipped line;
 * - nothing injected: no raw control byte reaches the terminal output;
 * - the listener answers every request or closes it, and still records a real canary after.
 *
 * REPLAYWATCH_FUZZ_SEED picks another seed (the seed is printed with any failure);
 * REPLAYWATCH_FUZZ_ROUNDS more rounds.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createCanary, CanaryRecorder } from '../../src/canary/index.js';
import { main } from '../../src/cli/main.js';
import { parseTrustedProxies, startCanaryListener } from '../../src/serve/index.js';
import { simulate } from '../../src/simulate/index.js';
// mulberry32: small, seeded, the same on every machine
import { random } from '../support/records.js';

const seed = Number(process.env.REPLAYWATCH_FUZZ_SEED ?? 20261206);
const rounds = Number(process.env.REPLAYWATCH_FUZZ_ROUNDS ?? 60);
/** Wall-clock cap per fuzz test: the loop stops early on a slow machine (and says how far it got). */
const TIME_CAP_MS = 45_000;
/** Raw bytes a terminal would obey: C0 controls but '\n', DEL, C1 controls, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const nasties = ['\u001b]0;PWNED\u0007', '\u001b[31m', '\u009b2J', '\r', '\u0000', '\u202e', '"', '\\', '\\"', ' ', '\t', '%', '\u00ff', '\ud83d\ude00', '::ffff:', '%eth0', ':65535', '[', ']', '{', '}', '-', '\n'];
const times = ['[31/Dec/9999:23:59:59 +0000]', '[01/Jan/1970:00:00:00 +0000]', '[30/Feb/2026:10:00:00 +0000]', '[99/Zzz/2026:99:99:99 +9999]', '[]'];

function mutate(line: string, next: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  let text = line;
  const edits = 1 + Math.floor(next() * 3);
  for (let edit = 0; edit < edits; edit++) {
    const at = Math.floor(next() * (text.length + 1));
    switch (Math.floor(next() * 9)) {
      case 0: text = text.slice(0, at) + pick(nasties) + text.slice(at); break;
      case 1: text = text.slice(0, at); break;
      case 2: text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 20)); break;
      case 3: text = text.replace(/\[[^\]]*\]/, pick(times)); break;
      case 4: text = text.replace(/^\S+/, pick(['::ffff:203.0.113.9', 'fe80::1%eth0', '-', '', '999.1.1.1', ' 1.2.3.4:5678', '[2001:db8::1]:443'])); break;
      case 5: text = text.slice(0, at) + 'A'.repeat(Math.floor(next() * 5000)) + text.slice(at); break;
      case 6: text = text.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x250)) + text.slice(at); break;
      case 7: text = text.replace(/"[^"]*"/, `"${pick(nasties)}GET /reset/Zq9XbT4kLmP2wRt7?password=x HTTP/1.1"`); break;
      default: break; // unchanged: most of a log is well-formed
    }
  }
  // a line is one line: a '\n' mutation makes two, counted as two below
  return text;
}

/** A captured CLI run through the real entry point. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough(), env: { NO_COLOR: '1', XDG_DATA_HOME: dataHome }, cwd: process.cwd() });
  return { code, stdout: out, stderr: err };
}

const dataHome = mkdtempSync(join(tmpdir(), 'replaywatch-fuzz-data-'));

test(`fuzz: mutated logs, plain and gzip, through scan and explain (seed ${seed})`, async () => {
  const next = random(seed);
  const directory = mkdtempSync(join(tmpdir(), 'replaywatch-fuzz-'));
  const base = simulate({ scenario: 'small', seed: seed % 1000, days: 1 });
  const sources: string[][] = [base.files[0]!.data.toString().split('\n').filter(Boolean)];
  for (const format of ['nginx-json', 'w3c', 'caddy'] as const) {
    sources.push(simulate({ scenario: 'small', seed: seed % 1000, days: 1, format }).files[0]!.data.toString().split('\n').filter(Boolean));
  }
  const started = Date.now();
  let done = 0;
  for (let round = 0; round < rounds && Date.now() - started < TIME_CAP_MS; round++, done++) {
    const lines = sources[round % sources.length]!;
    const from = Math.floor(next() * Math.max(1, lines.length - 300));
    const chosen = lines.slice(from, from + 50 + Math.floor(next() * 250)).map((line) => (next() < 0.3 ? mutate(line, next) : line));
    const text = chosen.join('\n') + (next() < 0.8 ? '\n' : '');
    const inputLines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    let bytes: Buffer = Buffer.from(text, 'utf8');
    let damaged = false;
    const shape = Math.floor(next() * 5);
    if (shape === 1) bytes = gzipSync(bytes);
    if (shape === 2) {
      bytes = gzipSync(bytes).subarray(0, Math.max(20, Math.floor(bytes.length * next() * 0.3)));
      damaged = true;
    }
    if (shape === 3) {
      bytes = Buffer.concat([gzipSync(bytes), Buffer.from('\u001f\u008b garbage \u001b[2J')]);
      damaged = true;
    }
    const path = join(directory, `round-${round}.log${shape >= 1 && shape <= 3 ? '.gz' : ''}`);
    writeFileSync(path, bytes);
    const where = `seed ${seed} round ${round} (${path})`;
    const common = ['--offline', '--state', join(directory, 'none.duckdb'), '--workers', '1', '--no-progress'];
    const terminal = await run(['scan', path, ...common]);
    assert.ok([0, 1, 2].includes(terminal.code), `${where}: exit ${terminal.code}: ${terminal.stderr}`);
    assert.doesNotMatch(terminal.stdout + terminal.stderr, RAW_CONTROL, `${where}: raw control byte on the terminal`);
    const json = await run(['scan', path, '--json', ...common]);
    assert.ok([0, 1, 2].includes(json.code), `${where}: exit ${json.code}: ${json.stderr}`);
    if (json.code !== 2) {
      const input = (JSON.parse(json.stdout) as { input: { lines: number; records: number; skipped: number } }).input;
      // every line is a record, a skipped line, or a header/blank line (never more than the input)
      assert.ok(input.records + input.skipped <= input.lines, `${where}: ${JSON.stringify(input)}`);
      if (!damaged) assert.equal(input.lines, inputLines, `${where}: every input line is counted`);
    }
    const address = /^\s*(\d+\.\d+\.\d+\.\d+)/m.exec(text)?.[1] ?? '203.0.113.9';
    const explained = await run(['explain', address, path, ...common]);
    assert.ok([0, 1, 2].includes(explained.code), `${where}: explain exit ${explained.code}: ${explained.stderr}`);
    assert.doesNotMatch(explained.stdout + explained.stderr, RAW_CONTROL, `${where}: raw control byte in explain`);
  }
  assert.ok(done >= Math.min(rounds, 4), `only ${done} rounds in ${TIME_CAP_MS} ms`);
});

test(`fuzz: mutated HTTP requests against the canary listener (seed ${seed})`, async () => {
  const next = random(seed ^ 0x5bd1e995);
  const directory = mkdtempSync(join(tmpdir(), 'replaywatch-fuzz-listener-'));
  const statePath = join(directory, 'state.duckdb');
  const canary = await createCanary(statePath, { label: 'fuzz \u001b[31m', baseUrl: 'http://127.0.0.1' });
  const recorder = await CanaryRecorder.start({ statePath, importIntervalMs: 500 });
  const listener = await startCanaryListener({ host: '127.0.0.1', port: 0, recorder, trustProxy: parseTrustedProxies(['127.0.0.1/32']) });
  const path = new URL(canary.url).pathname;
  const requestLines = [
    `GET ${path} HTTP/1.1`, `HEAD ${path} HTTP/1.0`, `GET ${path}?${'q'.repeat(3000)} HTTP/1.1`, 'GET /notes/aaaaaa-bbbbbb-cccccc-dddddd HTTP/1.1',
    'GET / HTTP/1.1', `POST ${path} HTTP/1.1`, 'GET http://evil/ HTTP/1.1', `GET ${path}#frag HTTP/1.1`,
  ];
  const send = (raw: Buffer, from = '127.0.0.1') =>
    new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: listener.port, localAddress: from });
      let answer = '';
      socket.setTimeout(3000, () => socket.destroy());
      socket.on('connect', () => socket.end(raw));
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 'closed'));
    });
  const started = Date.now();
  const statuses = new Map<string, number>();
  try {
    for (let index = 0; index < 300 && Date.now() - started < TIME_CAP_MS; index++) {
      const line = requestLines[Math.floor(next() * requestLines.length)]!;
      const headers = [`Host: x`, `User-Agent: ${mutate('Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', next)}`, `X-Forwarded-For: ${mutate('203.0.113.9, 127.0.0.1', next)}`];
      let raw = `${next() < 0.3 ? mutate(line, next) : line}\r\n${headers.join('\r\n')}\r\n\r\n`;
      if (next() < 0.1) raw = raw.slice(0, Math.floor(next() * raw.length));
      const status = await send(Buffer.from(raw, next() < 0.5 ? 'utf8' : 'latin1'));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(['200', '400', '404', '405', '408', '413', '414', '429', '431', '501', '505', 'closed'].includes(status), `seed ${seed} request ${index}: ${status} for ${JSON.stringify(raw.slice(0, 200))}`);
    }
    // still alive and still recording
    // (from an address of its own: the fuzzing one is rate-limited by now, as it should be)
    assert.equal(await send(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`), '127.0.5.1'), '200', JSON.stringify([...statuses]));
    const report = await run(['canary', 'report', '--state', statePath]);
    assert.ok(report.code === 0 || report.code === 1, report.stderr);
    assert.doesNotMatch(report.stdout + report.stderr, RAW_CONTROL, 'canary report prints what requests sent, escaped');
    const listed = await run(['canary', 'list', '--state', statePath]);
    assert.doesNotMatch(listed.stdout, RAW_CONTROL);
  } finally {
    await listener.close();
    await recorder.close();
  }
});
