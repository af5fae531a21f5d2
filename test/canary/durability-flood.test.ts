// The listener loses no acknowledged hit across a crash and a restart, and a flood of junk
// (garbage bytes, oversized headers, slowloris, bodies, probes) leaves it answering and the
// store intact. Loopback only; the flood is bounded in count and time and stops by itself.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { agents, fetchFrom, runCliJson, sleep, startListener, tempDir, type ReportJson, type RunningListener } from './support/harness.js';

describe('canary listener durability', () => {
  const dir = tempDir('canary-durable');
  const state = join(dir.path, 'state.duckdb');
  after(() => dir.remove());

  it('keeps every acknowledged hit across a crash (SIGKILL) and a restart', async () => {
    const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', 'crash test', '--state', state, '--json']);
    const path = new URL(canary.url).pathname;

    let listener = await startListener(['--state', state]);
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.0.1', headers: { 'user-agent': agents.browser } })).status, 200);
    // killed at once: the hit was acknowledged but not yet imported into DuckDB (every 2 s)
    await listener.kill();
    assert.ok(existsSync(`${state}.hits.jsonl`), 'the hit waits in the journal');

    // readable while no listener runs: the report reads the journal too
    let report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    assert.equal(report.canaries[0]!.firstHit?.ip, '127.0.0.1');

    // a restart takes over the stale writer lock and imports what the crash left
    listener = await startListener(['--state', state]);
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.0.2', headers: { 'user-agent': agents.oldBrowser } })).status, 200);
    assert.equal(await listener.stop(), 0);
    assert.ok(!existsSync(`${state}.hits.jsonl`) && !existsSync(`${state}.hits.importing.jsonl`), 'a clean stop leaves everything in DuckDB');
    assert.ok(!existsSync(`${state}.writer.pid`), 'and releases the writer lock');

    report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    const entry = report.canaries[0]!;
    assert.equal(entry.firstHit?.ip, '127.0.0.1');
    assert.deepEqual(entry.others.map((other) => [other.ip, other.kind]), [['127.0.0.2', 'replayer']]);
  });
});

describe('canary listener under a flood of junk', () => {
  const dir = tempDir('canary-flood');
  const state = join(dir.path, 'state.duckdb');
  let listener: RunningListener | undefined;
  after(async () => {
    await listener?.kill();
    dir.remove();
  });

  it('survives 10,000 junk requests, keeps answering and keeps the store intact', { timeout: 120_000 }, async () => {
    const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', 'flood test', '--state', state, '--json']);
    const path = new URL(canary.url).pathname;
    listener = await startListener(['--state', state]);
    const port = listener.port;
    assert.equal((await fetchFrom(port, path, { from: '127.0.0.1', headers: { 'user-agent': agents.browser } })).status, 200);

    const total = 10_000;
    const concurrency = 64;
    const deadline = Date.now() + 60_000; // the flood stops by itself, whatever happens
    const outcomes = new Map<string, number>();
    const slowSockets: Socket[] = [];
    let sent = 0;

    const junk = (n: number): { payload: Buffer; hold?: boolean } => {
      switch (n % 8) {
        case 0: // garbage bytes
          return { payload: Buffer.from(Array.from({ length: 200 + (n % 300) }, (_, i) => (n * 31 + i * 17) % 256)) };
        case 1: // an oversized header block
          return { payload: Buffer.from(`GET / HTTP/1.1\r\nHost: x\r\nX-Junk: ${'a'.repeat(20_000)}\r\n\r\n`) };
        case 2: // slowloris: a request that never finishes (a bounded number are held open)
          return { payload: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n`), hold: slowSockets.length < 200 };
        case 3: // a body nobody asked for, to the canary path
          return { payload: Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'b'.repeat(4000)}`) };
        case 4: // a token-shaped guess
          return { payload: Buffer.from(`GET /notes/${String(n).padStart(6, '0')}-aaaaaa-bbbbbb-cccccc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`) };
        case 5: // an absurd request line
          return { payload: Buffer.from(`GET /${'x'.repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`) };
        case 6: // smuggling-shaped headers
          return { payload: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n') };
        default: // a scanner's probe
          return { payload: Buffer.from(`GET /phpmyadmin/index.php?n=${n} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`) };
      }
    };

    const one = (n: number) =>
      new Promise<void>((done) => {
        const { payload, hold } = junk(n);
        // 64 junk clients: 127.0.1.x, none of them the addresses checked afterwards
        const socket = connect({ host: '127.0.0.1', port, localAddress: `127.0.1.${1 + (n % 64)}` });
        let answer = '';
        const finish = (outcome: string) => {
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          done();
        };
        socket.setTimeout(8_000, () => socket.destroy());
        socket.on('connect', () => {
          socket.write(payload);
          if (hold) {
            slowSockets.push(socket);
            finish('held');
          }
        });
        socket.on('data', (chunk) => {
          if (answer.length < 64) answer += chunk.toString('latin1');
        });
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (!hold) finish(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed');
        });
      });

    const workers = Array.from({ length: concurrency }, async () => {
      while (sent < total && Date.now() < deadline) await one(sent++);
    });
    await Promise.all(workers);
    assert.equal(sent, total, `only ${sent} junk requests in 60 s`);
    assert.ok(!outcomes.has('200'), `junk got a canary page: ${JSON.stringify([...outcomes])}`);

    // still answering: the machine's own fetch of a real canary (the global bucket refills in ~1 s)
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetchFrom(port, path, { from: '127.0.0.2', headers: { 'user-agent': agents.oldBrowser } }).catch(() => ({ status: -1 }))).status;
      if (status !== 200) await sleep(200);
    }
    assert.equal(status, 200, `outcomes: ${JSON.stringify([...outcomes])}`);

    // slowloris sockets are cut by the server (headersTimeout 5 s), not by us
    await sleep(6_500);
    const stillOpen = slowSockets.filter((socket) => !socket.destroyed && !socket.closed).length;
    for (const socket of slowSockets) socket.destroy();
    assert.equal(stillOpen, 0, `${stillOpen} slow sockets still open`);

    const report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    const entry = report.canaries[0]!;
    assert.equal(entry.firstHit?.ip, '127.0.0.1');
    assert.deepEqual(entry.others.map((other) => other.ip), ['127.0.0.2'], 'no junk recorded');
    assert.equal(listener.process.exitCode, null, 'the listener is still running');
    process.stderr.write(`flood outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}\n`);
  });
});
