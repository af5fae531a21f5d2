/**
 * `replaywatch follow` as a process: a webhook receiver on loopback gets each finding once
 * (signed, and retried when it answers 503), --exec runs once per finding, a restart with
 * --state tells nothing again, and
 * the dashboard in headless Chromium shows a new source within 2 s of its lines being written,
 * without a reload.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../support/net.js';
import { artifactPath, browserSkip, launchBrowser } from '../support/browser.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'replaywatch.js');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

function startFollow(args: string[]): Running {
  const child = spawn(process.execPath, [bin, 'follow', ...args], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Waits for `condition`, polling; fails with `what` after `limitMs` (a bound against hanging, not a timing claim). */
async function until(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting: ${what}`);
    await sleep(50);
  }
}

describe('follow, as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-follow-cli-'));
  let lines: string[];
  before(() => {
    const made = spawnSync(process.execPath, [bin, 'simulate', '--out', join(dir, 'sim'), '--seed', '6', '--days', '3'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    lines = readFileSync(join(dir, 'sim', 'access.log'), 'utf8').split('\n').filter(Boolean);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a loopback webhook receiver gets each finding once, signed; a restart tells nothing again', async () => {
    const secret = 'test-secret';
    const logs = join(dir, 'webhook-logs');
    mkdirSync(logs);
    const log = join(logs, 'access.log');
    writeFileSync(log, lines.slice(0, Math.floor(lines.length / 2)).join('\n') + '\n');
    const accepted: string[] = [];
    const refusedOnce = new Set<string>();
    let badSignatures = 0;
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
        const given = Buffer.from(String(request.headers['x-replaywatch-signature'] ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          badSignatures++;
          response.writeHead(401).end();
          return;
        }
        const event = JSON.parse(body.toString('utf8')) as { key: string; verdict?: string };
        const id = `${event.key}=${event.verdict ?? 'probe'}`;
        // the first delivery of each finding fails: the sender must retry it
        if (!refusedOnce.has(id)) {
          refusedOnce.add(id);
          response.writeHead(503).end();
          return;
        }
        accepted.push(id);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const state = join(dir, 'webhook-state.duckdb');
    const executed = join(dir, 'exec.jsonl');
    const args = [logs, '--json', '--webhook', url, '--webhook-secret', secret, '--state', state, '--interval', '200', '--exec', `cat >> '${executed}'`];
    try {
      const first = startFollow(args);
      const told = () => first.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { key: string; verdict?: string });
      await until(() => told().length > 0 && accepted.length === told().length, 'the first findings delivered');
      const early = told().length;
      appendFileSync(log, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n');
      await until(() => told().length > early && accepted.length === told().length, 'findings from the appended half delivered');
      assert.equal(await first.stop(), 0, first.stderr());
      assert.ok(readFileSync(`${state}.follow`).length > 0, 'the state was saved');
      const delivered = accepted.length;
      assert.equal(new Set(accepted).size, accepted.length, 'a finding was delivered twice');
      assert.deepEqual([...accepted].sort(), told().map((event) => `${event.key}=${event.verdict ?? 'probe'}`).sort());

      // restarted: nothing told again; a new probing client is told once
      const second = startFollow(args);
      const probe = Array.from({ length: 12 }, (_, index) => `198.51.100.77 - - [${lines.at(-1)!.split('[')[1]!.split(']')[0]}] "GET /${['.env', '.git/config', 'wp-login.php', 'phpmyadmin/', 'admin.php', '.aws/credentials', 'server-status', 'HNAP1/', 'cgi-bin/test.cgi', 'backup.zip', 'config.php.bak', 'shell.php'][index]} HTTP/1.1" 404 153 "-" "curl/8.0"`);
      appendFileSync(log, probe.join('\n') + '\n');
      await until(() => second.stdout().includes('198.51.100.77') && accepted.length > delivered, 'the new probe delivered');
      assert.equal(await second.stop(), 0, second.stderr());
      const afterRestart = second.stdout().split('\n').filter(Boolean);
      assert.equal(afterRestart.length, 1, `the restart told again: ${afterRestart.join('\n')}`);
      assert.deepEqual(accepted.slice(delivered), ['probe|198.51.100.77=probe']);
      assert.equal(badSignatures, 0);
      // --exec ran once per event, the event's JSON on its stdin
      const ran = readFileSync(executed, 'utf8').split('\n').filter(Boolean);
      assert.deepEqual(ran, [...first.stdout().split('\n').filter(Boolean), ...afterRestart]);
    } finally {
      server.close();
    }
  });

  const skip = browserSkip('the live dashboard check in headless Chromium');
  it('the dashboard shows a new source within 2 s of its lines, without a reload', { skip }, async () => {
    const logs = join(dir, 'dashboard-logs');
    mkdirSync(logs);
    const log = join(logs, 'access.log');
    // the antivirus cloud's lines are held back, then written while the page is open
    const isTrend = (line: string) => line.startsWith('150.70.') || line.startsWith('216.104.15.');
    writeFileSync(log, lines.filter((line) => !isTrend(line)).join('\n') + '\n');
    const held = lines.filter(isTrend);
    assert.ok(held.length > 10);
    const port = await freeLoopbackPort();
    const follow = startFollow([logs, '--dashboard', `127.0.0.1:${port}`, '--interval', '200']);
    const browser = await launchBrowser();
    try {
      await until(() => follow.stderr().includes('dashboard on'), 'the dashboard listening');
      const page = await browser.newPage({ width: 1280, height: 900 });
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.locator('#sources-table').waitFor();
      assert.doesNotMatch((await page.locator('#sources-table').textContent()) ?? '', /trend micro/i);
      await page.evaluate(() => Object.assign(window, { notReloaded: true }));
      appendFileSync(log, held.join('\n') + '\n');
      await page.waitForFunction(() => /trend micro/i.test(document.querySelector('#sources-table')?.textContent ?? ''), undefined, { timeout: 2000 });
      assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was reloaded');
      assert.match((await page.locator('#live').textContent()) ?? '', /lines\/s/);
      assert.ok(await page.locator('#source-1 figure.timeline svg').count() > 0, 'the live page draws plots');
      await page.screenshot({ path: artifactPath('dashboard-live.png') });
      assert.deepEqual([...new Set(requests)].sort(), [`http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/events`]);
    } finally {
      await browser.close();
      await follow.stop();
    }
  });
});

describe('follow --anonymize', () => {
  it("pseudonymizes people's addresses in every event, and names the replayers", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replaywatch-follow-anon-'));
    try {
      const made = spawnSync(process.execPath, [bin, 'simulate', '--scenario', 'incident', '--out', join(dir, 'sim'), '--seed', '3', '--days', '3'], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      const truth = JSON.parse(readFileSync(join(dir, 'sim', 'truth.json'), 'utf8')) as { actors: { kind: string; ips: string[] }[] };
      // people (bots, crawlers, previewers and probers are named by design)
      const personKinds = new Set(['human', 'dynamic-ip', 'ipv6-privacy', 'cgnat', 'vpn', 'office-nat', 'colleague', 'viral']);
      const people = new Set(truth.actors.filter((actor) => personKinds.has(actor.kind)).flatMap((actor) => actor.ips));
      const follow = startFollow([join(dir, 'sim', 'access.log'), '--json', '--anonymize', '--interval', '200']);
      try {
        const events = () => follow.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string; source?: { kind: string; ips: string[]; examples: { origin: { ip: string } }[] } });
        await until(() => events().some((event) => event.source?.kind === 'replayer'), 'a replayer told');
        const replayer = events().find((event) => event.source?.kind === 'replayer')!.source!;
        assert.ok(replayer.ips.every((ip) => !ip.startsWith('anon-')), 'replayers stay named');
        assert.ok(replayer.examples.length > 0 && replayer.examples.every((example) => example.origin.ip.startsWith('anon-')), JSON.stringify(replayer.examples.map((example) => example.origin.ip)));
        for (const address of people) assert.ok(!follow.stdout().includes(`"${address}"`), `${address} (a person) printed in full`);
      } finally {
        await follow.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('follow, bad usage', () => {
  it('refuses a missing input and a .gz file (it will not grow) with exit 2', () => {
    const missing = spawnSync(process.execPath, [bin, 'follow', join(tmpdir(), 'replaywatch-no-such-log')], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /does not exist/);
    const dir = mkdtempSync(join(tmpdir(), 'replaywatch-follow-gz-'));
    try {
      writeFileSync(join(dir, 'access.log.2.gz'), '');
      const gz = spawnSync(process.execPath, [bin, 'follow', join(dir, 'access.log.2.gz')], { encoding: 'utf8' });
      assert.equal(gz.status, 2);
      assert.match(gz.stderr, /replaywatch scan/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
