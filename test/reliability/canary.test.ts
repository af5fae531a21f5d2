/**
 * Issue 11, defects 4, 7 and 14 (canary): the first fetch of a canary minted a moment ago is
 * recorded, never answered 404 and lost; a revoke takes effect on the next request; reads and
 * minting work while the listener records a stream of hits; a canary URL with a long query
 * is still a hit; purge needs a unit and --yes to delete every hit; hits a scan finds in logs
 * reach the store. Runs the real listener on loopback.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fetchFrom, runCli, runCliJson, sleep, startListener, tempDir, type ReportJson, type RunningListener } from '../canary/support/harness.js';
import { combinedLine } from '../support/hostile-log.js';

describe('canary listener: nothing lost, nothing stale', () => {
  const dir = tempDir('reliability-canary');
  const state = join(dir.path, 'state.duckdb');
  let listener: RunningListener;

  before(async () => {
    await runCliJson(['canary', 'new', '--label', 'first', '--state', state, '--json']);
    listener = await startListener(['--state', state]);
  });
  after(async () => {
    await listener?.stop();
    dir.remove();
  });

  it('a canary fetched the moment it is minted is a hit, 20 of 20, at 0 ms and at 200 ms', async () => {
    const tokens: string[] = [];
    for (let round = 0; round < 20; round++) {
      const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', `instant ${round}`, '--state', state, '--json']);
      if (round % 2 === 1) await sleep(200);
      const answer = await fetchFrom(listener.port, new URL(canary.url).pathname + (round === 0 ? `?q=${'x'.repeat(3000)}` : ''), { from: '127.0.3.1' });
      assert.equal(answer.status, 200, `round ${round}: the first fetch was answered ${answer.status}`);
      tokens.push(canary.token);
    }
    const report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    for (const token of tokens) {
      const entry = report.canaries.find((canary) => canary.token === token);
      assert.equal(entry?.firstHit?.ip, '127.0.3.1', `${token}: the first fetch is recorded`);
    }
  });

  it('a revoked canary is answered 404 on the very next request', async () => {
    const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', 'to revoke', '--state', state, '--json']);
    const path = new URL(canary.url).pathname;
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.3.2' })).status, 200);
    await runCliJson(['canary', 'revoke', canary.token, '--state', state, '--json']);
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.3.3' })).status, 404);
  });

  it('REPLAYWATCH_TIMINGS=1 tells on stderr how long each store session waited and held the file; stdout stays the JSON', async () => {
    const made = await runCli(['canary', 'new', '--label', 'timed', '--state', state, '--json'], { REPLAYWATCH_TIMINGS: '1' });
    assert.equal(made.code, 0, made.stderr);
    assert.equal((JSON.parse(made.stdout) as { label: string }).label, 'timed');
    assert.match(made.stderr, /^replaywatch: store write session: opened in \d+ ms \(\d+ tr(y|ies)\), held \d+ ms/m);
    const report = await runCli(['canary', 'report', '--state', state, '--json'], { REPLAYWATCH_TIMINGS: '1' });
    assert.match(report.stderr, /^replaywatch: store read session: opened in \d+ ms/m);
    const quiet = await runCli(['canary', 'list', '--state', state, '--json']);
    assert.equal(quiet.stderr, '', 'nothing without the variable');
  });

  it('report and new work while hits and made-up tokens flow (no E_STATE_LOCKED)', async () => {
    const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', 'busy', '--state', state, '--json']);
    const path = new URL(canary.url).pathname;
    let stop = false;
    let sent = 0;
    const loops = Array.from({ length: 10 }, async (_, loop) => {
      while (!stop) {
        const target = loop % 2 === 0 ? path : `/notes/${String(sent).padStart(6, '0')}-aaaaaa-bbbbbb-cccccc`;
        await fetchFrom(listener.port, target, { from: `127.0.4.${1 + (sent++ % 200)}` }).catch(() => undefined);
      }
    });
    try {
      await sleep(1000);
      for (let round = 0; round < 3; round++) {
        const report = await runCli(['canary', 'report', '--state', state, '--json']);
        assert.ok(report.code === 0 || report.code === 1, `report during the flood: exit ${report.code}: ${report.stderr}`);
        const made = await runCli(['canary', 'new', '--label', `during ${round}`, '--state', state, '--json']);
        assert.equal(made.code, 0, `new during the flood: ${made.stderr}`);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    assert.ok(sent > 100, `the flood ran (${sent} requests)`);
  });
});

describe('canary purge and scan --state', () => {
  const dir = tempDir('reliability-purge');
  const state = join(dir.path, 'state.duckdb');
  after(() => dir.remove());

  it('purge: a unit is required, "m" is refused, and deleting every hit needs --yes', async () => {
    const canary = await runCliJson<{ token: string; url: string }>(['canary', 'new', '--label', 'logged', '--state', state, '--json']);
    // the hits come from a scan of the site's own log: they must reach the store
    const log = join(dir.path, 'access.log');
    const path = new URL(canary.url).pathname;
    writeFileSync(log, [combinedLine('81.2.69.160', Date.now() - 120_000, path), combinedLine('150.70.97.43', Date.now() - 60_000, path, { protocol: 'HTTP/1.0' })].join('\n') + '\n');
    const scan = await runCli(['scan', log, '--offline', '--format', 'combined', '--state', state, '--json']);
    assert.ok(scan.code === 0 || scan.code === 1, scan.stderr);
    const list = await runCliJson<{ canaries: { token: string; hits: number }[] }>(['canary', 'list', '--state', state, '--json']);
    assert.equal(list.canaries.find((entry) => entry.token === canary.token)?.hits, 2, 'the two logged fetches are stored');
    // scanning again adds nothing
    await runCli(['scan', log, '--offline', '--format', 'combined', '--state', state, '--json']);
    const again = await runCliJson<{ canaries: { token: string; hits: number }[] }>(['canary', 'list', '--state', state, '--json']);
    assert.equal(again.canaries.find((entry) => entry.token === canary.token)?.hits, 2);

    for (const bad of ['1', '1m', 'soon']) {
      const run = await runCli(['canary', 'purge', '--older-than', bad, '--state', state]);
      assert.equal(run.code, 2, bad);
      assert.match(run.stderr, /needs a number and a unit.*\[E_USAGE\]/, bad);
    }
    const refused = await runCli(['canary', 'purge', '--older-than', '1min', '--state', state]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /would delete every hit \(2\); nothing was deleted/);
    const kept = await runCliJson<{ canaries: { token: string; hits: number }[] }>(['canary', 'list', '--state', state, '--json']);
    assert.equal(kept.canaries[0]?.hits, 2);
    const confirmed = await runCliJson<{ hits: number }>(['canary', 'purge', '--older-than', '1min', '--yes', '--state', state, '--json']);
    assert.equal(confirmed.hits, 2);
  });
});

describe('canary listener memory under a flood from many addresses', () => {
  const dir = tempDir('reliability-flood');
  const state = join(dir.path, 'state.duckdb');
  after(() => dir.remove());

  it('20,000 requests from 10,000 addresses (hits, made-up tokens, other paths): peak RSS stays bounded', async () => {
    const canary = await runCliJson<{ url: string }>(['canary', 'new', '--state', state, '--json']);
    const listener = await startListener(['--state', state]);
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${listener.process.pid}/status`, 'utf8'))![1]) / 1024;
    const path = new URL(canary.url).pathname;
    let peak = rss();
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 200);
    let sent = 0;
    try {
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (sent < 20_000) {
            const n = sent++;
            const target = n % 4 === 0 ? path : n % 4 === 1 ? `/notes/${String(n).padStart(6, '0')}-aaaaaa-bbbbbb-cccccc` : `/x?${n}`;
            const from = `127.${1 + (((n % 10_000) >> 8) % 200)}.${(n % 10_000) & 255}.${1 + (n % 7)}`;
            await fetchFrom(listener.port, target, { from, headers: { 'user-agent': `flood ${n}` } }).catch(() => undefined);
          }
        }),
      );
      peak = Math.max(peak, rss());
    } finally {
      clearInterval(sampler);
      await listener.stop();
    }
    // measured: 169 MB (402 MB before the listener stopped re-reading the store per unknown
    // token and importing a hit a statement; the issue saw 534-862 MB): the bound leaves room
    assert.ok(peak < 300, `peak RSS ${peak.toFixed(0)} MB`);
  });
});
