#!/usr/bin/env node
/**
 * Latency of `canary report` and `canary new` (issue 11, defect 7): wall time of each command
 * as a user sees it (spawn to exit, Node's start included), with the canary listener running
 * idle, then while a flood of fetches flows through it (10 loops, half of them a real canary,
 * half made-up token-shaped paths, as in test/reliability/canary.test.ts). Also times a bare
 * `node -e 0` and `replaywatch --version` (Node's start and the CLI's own start), and a
 * `scan --offline` of a small log, so start-up costs can be told apart.
 *
 *   node bench/canary-latency.js [--rounds 10] [--loops 10] [--bin bin/replaywatch.js]
 *
 * `--bin` runs another build (e.g. /work/main/bin/replaywatch.js) to compare. The flood runs in
 * a child process of its own, so the timer here is not slowed by it. With /usr/bin/time
 * (Debian's `time`), each command's CPU seconds (user + system) are kept too: on a shared
 * machine they move less than wall time, and say whether a command did less work or only
 * waited less. REPLAYWATCH_TIMINGS=1 is set for the commands and the listener: their store
 * sessions say how long each open waited for another process and how long the listener's
 * imports held the file. Compares, never asserts (STYLE.md): the figures go in docs/PERFORMANCE.md and
 * docs/RELIABILITY.md (case 7).
 */
const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
/** where /usr/bin/time writes (the last line: user and system seconds), set once the temporary folder exists */
let cpuFile = null;
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};

if (args[0] === '--flood') await flood(Number(args[1]), args[2], Number(args[3]));
else await main();

async function main() {
  const rounds = Number(option('--rounds', 10));
  const loops = Number(option('--loops', 10));
  const bin = resolve(option('--bin', join(root, 'bin/replaywatch.js')));
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-canary-bench-'));
  cpuFile = join(dir, 'cpu.txt');
  const state = join(dir, 'state.duckdb');
  const log = join(dir, 'access.log');
  writeFileSync(log, smallLog(2000));
  const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');
  const loadBefore = load();
  const rows = [];
  let listener = null;
  try {
    const first = JSON.parse((await run(bin, ['canary', 'new', '--label', 'bench', '--state', state, '--json'])).stdout);
    const path = new URL(first.url).pathname;
    rows.push(await measure('node -e 0 (Node start)', rounds, () => run(null, ['-e', '0'])));
    rows.push(await measure('replaywatch --version', rounds, () => run(bin, ['--version'])));
    rows.push(await measure('replaywatch scan --offline (2,000 lines)', Math.max(3, rounds >> 1), () => run(bin, ['scan', log, '--offline', '--json', '--no-progress'], [0, 1])));
    listener = await startListener(bin, state);
    // a few hits from other clients, so that the report attributes something
    for (let i = 0; i < 5; i++) await fetchFrom(listener.port, path, `127.0.9.${i + 1}`);
    rows.push(await measure('canary report, listener idle', rounds, () => run(bin, ['canary', 'report', '--state', state, '--json'], [0, 1])));
    rows.push(await measure('canary new, listener idle', rounds, () => run(bin, ['canary', 'new', '--label', 'idle', '--state', state, '--json'])));

    const flooder = spawn(process.execPath, [fileURLToPath(import.meta.url), '--flood', String(listener.port), path, String(loops)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let floodOut = '';
    flooder.stdout.on('data', (chunk) => (floodOut += chunk));
    const flooderDone = new Promise((done) => flooder.on('close', done));
    await sleep(1500);
    const floodStarted = performance.now();
    const listenerBefore = listener.output().length;
    rows.push(await measure(`canary report, ${loops} loops flooding`, rounds, () => run(bin, ['canary', 'report', '--state', state, '--json'], [0, 1])));
    rows.push(await measure(`canary new, ${loops} loops flooding`, rounds, () => run(bin, ['canary', 'new', '--label', 'flood', '--state', state, '--json'])));
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    const imports = sessions(listener.output().slice(listenerBefore)).filter((session) => session.write);
    flooder.kill('SIGTERM');
    await flooderDone;
    const sent = Number(/sent (\d+)/.exec(floodOut)?.[1] ?? 0);
    const hits = JSON.parse((await run(bin, ['canary', 'list', '--state', state, '--json'])).stdout).canaries.find((canary) => canary.token === first.token)?.hits ?? 0;
    print(rows, { bin, loadBefore, loadAfter: load(), sent, floodSeconds, hits, rounds, imports });
  } finally {
    await listener?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one command `rounds` times (one after another) and keeps every wall time and failure. */
async function measure(name, rounds, once) {
  const times = [];
  const cpu = [];
  const waits = [];
  const failures = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const result = await once();
    times.push(performance.now() - started);
    if (result.cpuMs !== null) cpu.push(result.cpuMs);
    for (const session of sessions(result.stderr)) waits.push(session);
    if (!result.ok) failures.push(`exit ${result.code}: ${result.stderr.trim().split('\n')[0]}`);
  }
  process.stderr.write(`bench: ${name}: median ${median(times).toFixed(0)} ms\n`);
  return { name, times, cpu, waits, failures };
}

/** One command; its wall time is the caller's, its CPU time /usr/bin/time's (null without it). */
function run(bin, argv, okCodes = [0]) {
  return new Promise((done, reject) => {
    const command = [process.execPath, ...(bin === null ? argv : [bin, ...argv])];
    const timed = timeBinary !== null && cpuFile !== null;
    const env = { ...process.env, NO_COLOR: '1', REPLAYWATCH_TIMINGS: '1' };
    const child = timed ? spawn(timeBinary, ['-f', '%U %S', '-o', cpuFile, ...command], { cwd: root, env }) : spawn(command[0], command.slice(1), { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      let cpuMs = null;
      if (timed) {
        const [user, system] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        cpuMs = (user + system) * 1000;
      }
      done({ code, ok: okCodes.includes(code), stdout, stderr, cpuMs });
    });
  });
}

function startListener(bin, state) {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [bin, 'canary', 'serve', '--listen', '127.0.0.1:0', '--state', state], { cwd: root, env: { ...process.env, NO_COLOR: '1', REPLAYWATCH_TIMINGS: '1' } });
    let output = '';
    let started = false;
    const exited = new Promise((resolveExit) => child.on('exit', resolveExit));
    const onData = (chunk) => {
      output += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match && !started) {
        started = true;
        done({ port: Number(match[1]), output: () => output, stop: () => (child.kill('SIGTERM'), exited) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!/listening on/.test(output)) reject(new Error(`canary serve exited ${code}: ${output}`));
    });
  });
}

/** The store sessions a command or the listener printed (REPLAYWATCH_TIMINGS=1). */
function sessions(stderr) {
  return [...stderr.matchAll(/store (read|write) session: opened in (\d+) ms \((\d+) tr(?:y|ies)\), held (\d+) ms/g)].map((match) => ({
    write: match[1] === 'write',
    openMs: Number(match[2]),
    tries: Number(match[3]),
    heldMs: Number(match[4]),
  }));
}

/** The flood (a child process): `loops` loops, even ones fetching the canary, odd ones made-up tokens, each from rotating 127.0.4.x addresses. */
async function flood(port, path, loops) {
  let stop = false;
  let sent = 0;
  process.on('SIGTERM', () => (stop = true));
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (!stop) {
        const target = loop % 2 === 0 ? path : `/notes/${String(sent).padStart(6, '0')}-aaaaaa-bbbbbb-cccccc`;
        await fetchFrom(port, target, `127.0.4.${1 + (sent++ % 200)}`).catch(() => undefined);
      }
    }),
  );
  process.stdout.write(`sent ${sent}\n`);
}

function fetchFrom(port, path, from) {
  return new Promise((done, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress: from, agent: false, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => done(response.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A small combined log: people browsing, one replayer, so the scan has something to find. */
function smallLog(lines) {
  const out = [];
  const start = Date.parse('2026-03-02T00:00:00Z');
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const stamp = (ms) => {
    const d = new Date(ms);
    const two = (n) => String(n).padStart(2, '0');
    return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  };
  const agent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
  for (let i = 0; i < lines; i++) {
    const time = start + i * 30_000;
    out.push(`81.2.${(i >> 8) & 255}.${1 + (i % 200)} - - [${stamp(time)}] "GET /page/${i} HTTP/1.1" 200 512 "-" "${agent}"`);
    if (i % 50 === 0) out.push(`150.70.97.${1 + (i % 100)} - - [${stamp(time + 600_000)}] "GET /page/${i} HTTP/1.0" 200 512 "-" "-"`);
  }
  return out.join('\n') + '\n';
}

function median(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function print(rows, info) {
  const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] ?? cpus()[0]?.model ?? 'unknown';
  const out = [];
  out.push(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} cores, ${cpu}, Node ${process.version}; ${info.bin}`);
  out.push(`Load average before ${info.loadBefore}, after ${info.loadAfter}; ${info.rounds} runs of each, one after another; wall time from spawn to exit.`);
  out.push(`Flood: ${info.sent} requests in about ${info.floodSeconds.toFixed(0)} s of measuring (${(info.sent / Math.max(1, info.floodSeconds + 1.5)).toFixed(0)}/s); the bench canary had ${info.hits} hits at the end.`);
  if (info.imports.length > 0) {
    const held = info.imports.map((session) => session.heldMs);
    out.push(`The listener's imports while the commands ran: ${held.length}, holding the store ${median(held).toFixed(0)} ms (median), ${Math.max(...held).toFixed(0)} ms at most.`);
  }
  out.push('');
  out.push('| what | min ms | median ms | max ms | over 1 s | median CPU ms | store busy (waited ms, max) | failed |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const sorted = row.times.slice().sort((a, b) => a - b);
    const cpu = row.cpu.length > 0 ? median(row.cpu).toFixed(0) : '';
    // an open that needed more than one try waited for another process
    const busy = row.waits.filter((session) => session.tries > 1);
    const waited = row.waits.length === 0 ? '' : `${busy.length} of ${row.waits.length}${busy.length > 0 ? ` (${Math.max(...busy.map((session) => session.openMs))})` : ''}`;
    const slow = sorted.filter((ms) => ms > 1000).length;
    out.push(`| ${row.name} | ${sorted[0].toFixed(0)} | ${median(sorted).toFixed(0)} | ${sorted[sorted.length - 1].toFixed(0)} | ${slow} | ${cpu} | ${waited} | ${row.failures.length} of ${row.times.length} |`);
  }
  const failures = rows.flatMap((row) => row.failures.map((failure) => `${row.name}: ${failure}`));
  if (failures.length > 0) out.push('', 'Failures:', ...[...new Set(failures)].map((failure) => `- ${failure}`));
  process.stdout.write(out.join('\n') + '\n');
}

function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}
