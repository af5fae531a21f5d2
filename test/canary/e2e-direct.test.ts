// End to end, directly over loopback: the CLI mints a canary, `canary serve` runs as a child
// process, the machine under test (127.0.0.1) opens it, other loopback addresses replay it, and
// `canary report --json` names each correctly while the listener still runs.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { agents, fetchFrom, runCli, runCliJson, sleep, startListener, startWatch, tempDir, type ReportJson, type RunningListener } from './support/harness.js';

describe('canary, listener reached directly', () => {
  const dir = tempDir('canary-direct');
  const state = join(dir.path, 'state.duckdb');
  let listener: RunningListener;
  let webhookServer: ReturnType<typeof createServer>;
  const webhookBodies: unknown[] = [];
  let canary: { token: string; url: string; label: string };
  let path: string;

  before(async () => {
    webhookServer = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        webhookBodies.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((done) => webhookServer.listen(0, '127.0.0.1', done));
    const webhookPort = (webhookServer.address() as { port: number }).port;

    canary = await runCliJson(['canary', 'new', '--label', 'work laptop, Firefox + antivirus', '--base-url', 'https://canary.example.org', '--state', state, '--json']);
    path = new URL(canary.url).pathname;
    listener = await startListener(['--state', state, '--webhook', `http://127.0.0.1:${webhookPort}/hook`]);
  });

  after(async () => {
    await listener?.kill();
    await new Promise<void>((done) => webhookServer.close(() => done()));
    dir.remove();
  });

  it('mints an unguessable token in an ordinary-looking URL', () => {
    assert.match(canary.token, /^[0-9a-hjkmnp-tv-z]{6}(-[0-9a-hjkmnp-tv-z]{6}){3}$/);
    assert.equal(canary.url, `https://canary.example.org/notes/${canary.token}`);
    assert.equal(canary.label, 'work laptop, Firefox + antivirus');
  });

  it('answers unknown paths with a plain 404 that reflects nothing', async () => {
    const probe = await fetchFrom(listener.port, '/notes/zzzzzz-zzzzzz-zzzzzz-zzzzzz?<script>', { from: '127.0.0.9' });
    assert.equal(probe.status, 404);
    assert.equal(probe.body, 'Not found\n');
    const other = await fetchFrom(listener.port, '/etc/passwd', { from: '127.0.0.9' });
    assert.equal(other.status, 404);
    assert.equal(other.body, 'Not found\n');
  });

  it('records the machine under test, a replayer and a link previewer, and reports them while it runs', async () => {
    const first = await fetchFrom(listener.port, path, { from: '127.0.0.1', headers: { 'user-agent': agents.browser, 'accept-language': 'en-GB' } });
    assert.equal(first.status, 200);
    assert.match(first.body, /intentionally empty/);
    assert.ok(!first.body.includes(canary.token), 'the page does not reflect the URL');
    await sleep(1100);
    // a replayer that also claims another address in X-Forwarded-For: not trusted, so ignored
    assert.equal((await fetchFrom(listener.port, `${path}?utm=1`, { from: '127.0.0.2', headers: { 'user-agent': agents.oldBrowser, 'x-forwarded-for': '6.6.6.6' } })).status, 200);
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.0.3', headers: { 'user-agent': agents.slack } })).status, 200);
    // a reload by the machine under test is not a leak
    assert.equal((await fetchFrom(listener.port, path, { from: '127.0.0.1', headers: { 'user-agent': agents.browser } })).status, 200);

    const report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    assert.equal(report.canaries.length, 1);
    const entry = report.canaries[0]!;
    assert.equal(entry.token, canary.token);
    assert.equal(entry.label, canary.label);
    assert.equal(entry.url, canary.url);
    assert.ok(!Number.isNaN(Date.parse(entry.created)));
    assert.deepEqual(
      { ip: entry.firstHit?.ip, userAgent: entry.firstHit?.userAgent },
      { ip: '127.0.0.1', userAgent: agents.browser },
    );
    const others = entry.others.map((other) => ({ ip: other.ip, kind: other.kind, userAgent: other.userAgent }));
    assert.deepEqual(others, [
      { ip: '127.0.0.2', kind: 'replayer', userAgent: agents.oldBrowser },
      { ip: '127.0.0.3', kind: 'link-preview', userAgent: agents.slack },
    ]);
    assert.ok(entry.others[0]!.lagSeconds >= 1, `lag ${entry.others[0]!.lagSeconds}`);
    for (const other of entry.others) {
      assert.ok(!Number.isNaN(Date.parse(other.time)));
      assert.deepEqual(Object.keys(other.network).sort(), ['asn', 'cidr', 'country', 'org']);
    }
    assert.equal(entry.verdict.status, 'leaks');
    assert.match(entry.verdict.sentence, /later by 127\.0\.0\.2 .*this machine's browsing leaks/);
  });

  it('prints a readable report and the list', async () => {
    const text = await runCli(['canary', 'report', canary.label, '--state', state]);
    // 1, as scan: the canary reached a replayer (issue 11, defect 12)
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /work laptop/);
    assert.match(text.stdout, /replayer .*127\.0\.0\.2/);
    assert.match(text.stdout, /link-preview .*127\.0\.0\.3/);
    const list = await runCli(['canary', 'list', '--state', state]);
    assert.match(list.stdout, new RegExp(`${canary.token}.*4 hit`));
  });

  it('posted each hit to the webhook', async () => {
    for (let i = 0; i < 50 && webhookBodies.length < 4; i++) await sleep(100);
    assert.equal(webhookBodies.length, 4);
    const first = webhookBodies[0] as Record<string, unknown>;
    assert.equal(first.event, 'canary.hit');
    assert.equal(first.token, canary.token);
    assert.equal(first.ip, '127.0.0.1');
  });

  it('watch prints new hits as they come', async () => {
    const watch = startWatch(state);
    try {
      await watch.ready;
      assert.equal((await fetchFrom(listener.port, path, { from: '127.0.0.4', headers: { 'user-agent': 'late-fetcher/1.0' } })).status, 200);
      const line = await watch.next(/127\.0\.0\.4/);
      assert.match(line, /work laptop.*127\.0\.0\.4.*late-fetcher/);
    } finally {
      watch.stop();
    }
  });

  it('revoke stops the listener answering the canary', async () => {
    const revoked = await runCliJson<{ revoked: string[] }>(['canary', 'revoke', canary.token, '--state', state, '--json']);
    assert.deepEqual(revoked.revoked, [canary.token]);
    // the listener re-reads the live canaries at least every 5 s
    let status = 200;
    for (let i = 0; i < 80 && status === 200; i++) {
      await sleep(100);
      status = (await fetchFrom(listener.port, path, { from: '127.0.0.5' })).status;
    }
    assert.equal(status, 404);
    const missing = await runCli(['canary', 'report', 'no such canary', '--state', state]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /E_NOT_FOUND/);
  });

  it('a second listener on the same store is refused, naming the first', async () => {
    const second = await runCli(['canary', 'serve', '--listen', '127.0.0.1:0', '--state', state]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, new RegExp(`pid ${listener.process.pid}.*E_STATE_LOCKED`));
  });
});
