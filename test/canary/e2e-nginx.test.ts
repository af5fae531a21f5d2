// End to end through a real reverse proxy: Debian's nginx in front of `canary serve`, which
// trusts X-Forwarded-For from 127.0.0.1 only. Then the log-based path: nginx's own access log,
// scanned with the canary matcher and buildCanaryReport, finds the same canaries.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Attributor } from '../../src/attribute/types.js';
import { buildCanaryReport, createCanaryMatcher, loadCanaries, type CanaryHitInput } from '../../src/canary/index.js';
import { agents, fetchFrom, runCli, runCliJson, sleep, startListener, tempDir, type ReportJson, type RunningListener } from './support/harness.js';

const nginxBinary = '/usr/sbin/nginx';
const haveNginx = existsSync(nginxBinary);
if (!haveNginx && process.env.CI === 'true') {
  throw new Error(`${nginxBinary} is missing: CI must install nginx (scripts/test.sh does) for the reverse-proxy canary test`);
}
const skip = haveNginx ? false : `skipped: ${nginxBinary} not installed (apt-get install nginx): the canary test through a real nginx reverse proxy and the access-log path did not run`;
if (skip) process.stderr.write(`${skip}\n`);

/** A small hand-made attribution: loopback networks, declared agents by name. */
const attributor: Attributor = {
  network: (ip) => ({ cidr: `${ip}/32`, asn: null, org: 'loopback', country: null, rdns: [] }),
  networkKey: (ip) => ip,
  actors: () => [],
  classifyAgent: (userAgent) => (/Slackbot/.test(userAgent) ? { kind: 'link-preview', name: 'Slackbot' } : /Googlebot/.test(userAgent) ? { kind: 'crawler', name: 'Googlebot' } : null),
  verifyCrawler: () => 'unverifiable',
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe('canary behind a real nginx reverse proxy', { skip }, () => {
  const dir = tempDir('canary-nginx');
  const state = join(dir.path, 'state.duckdb');
  const accessLog = join(dir.path, 'access.log');
  let listener: RunningListener;
  let nginx: ChildProcess;
  let nginxPort: number;
  let nginxOutput = '';
  const canaries: Array<{ token: string; url: string; label: string }> = [];

  before(async () => {
    canaries.push(await runCliJson(['canary', 'new', '--label', 'laptop via proxy', '--base-url', 'https://www.example.org', '--state', state, '--json']));
    canaries.push(await runCliJson(['canary', 'new', '--label', 'never opened', '--base-url', 'https://www.example.org', '--state', state, '--json']));
    listener = await startListener(['--state', state, '--trust-proxy', '127.0.0.1/32']);

    nginxPort = await freePort();
    chmodSync(dir.path, 0o755); // nginx workers run as an unprivileged user when started by root
    const config = `
daemon off;
master_process on;
worker_processes 1;
pid ${dir.path}/nginx.pid;
error_log ${dir.path}/error.log info;
events { worker_connections 128; }
http {
  access_log ${accessLog} combined;
  client_body_temp_path ${dir.path}/client_body;
  proxy_temp_path ${dir.path}/proxy;
  fastcgi_temp_path ${dir.path}/fastcgi;
  uwsgi_temp_path ${dir.path}/uwsgi;
  scgi_temp_path ${dir.path}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://127.0.0.1:${listener.port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Via "1.1 test-nginx";
    }
  }
}
`;
    writeFileSync(join(dir.path, 'nginx.conf'), config);
    nginx = spawn(nginxBinary, ['-p', dir.path, '-c', join(dir.path, 'nginx.conf'), '-e', join(dir.path, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout!.on('data', (chunk) => (nginxOutput += chunk));
    nginx.stderr!.on('data', (chunk) => (nginxOutput += chunk));
    for (let i = 0; i < 100; i++) {
      try {
        await fetchFrom(nginxPort, '/ready', { from: '127.0.0.9' });
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error(`nginx did not start: ${nginxOutput} ${existsSync(join(dir.path, 'error.log')) ? readFileSync(join(dir.path, 'error.log'), 'utf8') : ''}`);
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((done) => nginx.once('exit', done));
      nginx.kill('SIGQUIT');
      await Promise.race([exited, sleep(5000)]);
      if (nginx.exitCode === null) nginx.kill('SIGKILL');
    }
    await listener?.kill();
    dir.remove();
  });

  it('takes the client from X-Forwarded-For of the trusted proxy and reports each fetcher correctly', async () => {
    const path = new URL(canaries[0]!.url).pathname;
    assert.equal((await fetchFrom(nginxPort, path, { from: '127.0.0.1', headers: { 'user-agent': agents.browser } })).status, 200);
    await sleep(1100); // the access log has whole seconds: keep the order visible there too
    // the replayer forges an X-Forwarded-For; the right-most untrusted address (added by nginx) wins
    assert.equal((await fetchFrom(nginxPort, path, { from: '127.0.0.2', headers: { 'user-agent': agents.oldBrowser, 'x-forwarded-for': '6.6.6.6' } })).status, 200);
    await sleep(1100);
    assert.equal((await fetchFrom(nginxPort, path, { from: '127.0.0.3', headers: { 'user-agent': agents.slack } })).status, 200);
    assert.equal((await fetchFrom(nginxPort, '/wp-login.php', { from: '127.0.0.4' })).status, 404);

    const report = await runCliJson<ReportJson>(['canary', 'report', '--state', state, '--json']);
    const entry = report.canaries.find((canary) => canary.token === canaries[0]!.token)!;
    assert.equal(entry.firstHit?.ip, '127.0.0.1');
    assert.deepEqual(
      entry.others.map((other) => [other.ip, other.kind]),
      [
        ['127.0.0.2', 'replayer'],
        ['127.0.0.3', 'link-preview'],
      ],
    );
    const untouched = report.canaries.find((canary) => canary.token === canaries[1]!.token)!;
    assert.equal(untouched.firstHit, null);
    assert.equal(untouched.verdict.status, 'never-opened');
  });

  it('finds the same canaries in nginx\'s own access log', async () => {
    // nginx writes the access log line after the response; give it a moment
    await sleep(300);
    const stored = await loadCanaries(state);
    const matcher = createCanaryMatcher(stored.map((canary) => canary.token));
    const log = readFileSync(accessLog);
    const hits: CanaryHitInput[] = [];
    let lines = 0;
    for (let start = 0; start < log.length; ) {
      let end = log.indexOf(0x0a, start);
      if (end === -1) end = log.length;
      lines++;
      // a tiny combined-format parse (the scan's format compiler does this for real)
      const line = log.subarray(start, end);
      const quote = line.indexOf(0x22); // '"'
      const urlStart = line.indexOf(0x20, quote) + 1; // after the method
      const urlEnd = line.indexOf(0x20, urlStart);
      const index = matcher.match(line, urlStart, urlEnd);
      if (index !== -1) {
        const text = line.toString('latin1');
        const time = /\[([^\]]+)\]/.exec(text)![1]!.replace(/^(\d+)\/(\w+)\/(\d+):/, '$1 $2 $3 ');
        const quoted = text.match(/"[^"]*"/g)!;
        hits.push({
          token: stored[index]!.token,
          time: Date.parse(time),
          ip: text.slice(0, text.indexOf(' ')),
          userAgent: quoted[quoted.length - 1]!.slice(1, -1),
          method: text.slice(quote + 1, urlStart - 1),
        });
      }
      start = end + 1;
    }
    assert.ok(lines >= 5, `${lines} lines in the access log`);
    assert.equal(hits.length, 3, 'three canary fetches in the log, probes and health checks ignored');

    const fromLog = buildCanaryReport(stored, hits, attributor, Date.now());
    const entry = fromLog.canaries.find((canary) => canary.token === canaries[0]!.token)!;
    assert.equal(entry.firstHit?.ip, '127.0.0.1');
    assert.deepEqual(
      entry.others.map((other) => [other.ip, other.kind]),
      [
        ['127.0.0.2', 'replayer'],
        ['127.0.0.3', 'link-preview'],
      ],
    );
    assert.equal(fromLog.canaries.find((canary) => canary.token === canaries[1]!.token)!.firstHit, null);
  });

  it('replaywatch scan finds the same canaries in nginx\'s access log, while the listener runs', async () => {
    const result = await runCli(['scan', accessLog, '--json', '--offline', '--state', state, '--format', 'combined']);
    assert.ok(result.code === 0 || result.code === 1, `scan exited ${result.code}: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { input: { records: number }; canaries?: ReportJson['canaries'] };
    assert.ok(report.input.records >= 5);
    const entry = report.canaries?.find((canary) => canary.token === canaries[0]!.token);
    assert.ok(entry, 'the scan report has a canaries section with the canary');
    assert.equal(entry.firstHit?.ip, '127.0.0.1');
    assert.deepEqual(
      entry.others.map((other) => [other.ip, other.kind]),
      [
        ['127.0.0.2', 'replayer'],
        ['127.0.0.3', 'link-preview'],
      ],
    );
    assert.equal(report.canaries!.find((canary) => canary.token === canaries[1]!.token)!.firstHit, null);
    const text = await runCli(['scan', accessLog, '--offline', '--state', state, '--format', 'combined']);
    assert.match(text.stdout, /Canaries \(2\)/);
    assert.match(text.stdout, /laptop via proxy/);
  });
});
