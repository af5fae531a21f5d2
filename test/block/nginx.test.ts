// block --to nginx and --to nginx-geo against Debian's nginx: `nginx -t` accepts the files, and a
// running nginx on loopback answers 403 to the blocked addresses (127.0.0.2, .3) and 200 to others.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { freeLoopbackPort } from '../support/net.js';
import { block, fetchFrom, hostileOrg, requireBinary, startDaemon, tempDir, waitUntil, writeReport, type Daemon } from './support.js';

const nginxBinary = '/usr/sbin/nginx';

/** GET / from ::1 to [::1]:port. */
function getOverIpv6(port: number): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '::1', family: 6, port, path: '/', agent: false, timeout: 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
const skip = requireBinary(nginxBinary, 'nginx', 'the nginx blocklist test');

describe('block --to nginx with a real nginx', { skip }, () => {
  const dir = tempDir('block-nginx');
  let nginx: Daemon;
  let port: number;
  let geoPort: number;
  let v6Port: number;

  before(async () => {
    chmodSync(dir.path, 0o755); // workers run unprivileged when nginx is started by root
    mkdirSync(join(dir.path, 'www'), { mode: 0o755 });
    writeFileSync(join(dir.path, 'www', 'index.html'), 'page\n', { mode: 0o644 });
    const report = writeReport(dir.path);
    await block(['--from', report, '--to', 'nginx', '--force', '-o', join(dir.path, 'deny.conf')]);
    await block(['--from', report, '--to', 'nginx-geo', '--force', '-o', join(dir.path, 'geo.conf')]);
    // a second list that also names ::1 (added by hand, forced: it is loopback) for an IPv6 client
    await block(['--from', report, '--to', 'nginx', '--force', '--add', '::1', '-o', join(dir.path, 'deny-v6.conf')]);
    port = await freeLoopbackPort();
    geoPort = await freeLoopbackPort();
    v6Port = await freeLoopbackPort();
    writeFileSync(
      join(dir.path, 'nginx.conf'),
      `daemon off;
worker_processes 1;
pid ${dir.path}/nginx.pid;
error_log ${dir.path}/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir.path}/body;
  proxy_temp_path ${dir.path}/proxy;
  fastcgi_temp_path ${dir.path}/fastcgi;
  uwsgi_temp_path ${dir.path}/uwsgi;
  scgi_temp_path ${dir.path}/scgi;
  include ${dir.path}/geo.conf;
  server {
    listen 127.0.0.1:${port};
    include ${dir.path}/deny.conf;
    # a static file: return would answer in the rewrite phase, before deny (access phase) runs
    location / { root ${dir.path}/www; }
  }
  server {
    listen 127.0.0.1:${v6Port};
    listen [::1]:${v6Port};
    include ${dir.path}/deny-v6.conf;
    location / { root ${dir.path}/www; }
  }
  server {
    listen 127.0.0.1:${geoPort};
    location / {
      if ($replaywatch_blocked) { return 404; }
      return 200 "page\\n";
    }
  }
}
`,
    );
    nginx = startDaemon(nginxBinary, ['-p', dir.path, '-c', join(dir.path, 'nginx.conf'), '-e', join(dir.path, 'error.log')], 'SIGQUIT');
    await waitUntil(() => fetchFrom(port, '/', { from: '127.0.0.1' }), nginx, 'nginx');
  });

  after(async () => {
    await nginx?.stop();
    dir.remove();
  });

  it('writes a file nginx -t accepts, with the provenance in comments only', () => {
    const check = spawnSync(nginxBinary, ['-t', '-p', dir.path, '-c', join(dir.path, 'nginx.conf'), '-e', join(dir.path, 'error.log')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const text = readFileSync(join(dir.path, 'deny.conf'), 'utf8');
    // every line is a comment or a deny; the hostile owner's name is escaped inside one comment line
    for (const line of text.trimEnd().split('\n')) assert.match(line, /^(# [\x20-\x7e]*|deny [0-9a-f:.]+\/\d+;)$/, line);
    assert.ok(text.includes('Replay Cloud\\x0aallow all;\\x0d\\x0a</RequireAll>'), 'the name is kept, escaped');
    assert.doesNotMatch(text, /^allow/m);
    assert.match(text, /^# written by replaywatch [^\n]* at 2026-01-01T00:00:00Z$/m);
    assert.match(text, /^# scan: report .*report\.json: access\.log\\x0a# injected; format combined; 100 records/m);
    assert.match(text, /^# source 1: replayer \(deferred\) Replay Cloud/m);
    assert.match(text, /^# forced: 127\.0\.0\.2\/32 of Replay Cloud.* although it is loopback \(--force\)$/m);
    // 127.0.0.2 and .3 are one /31; the IPv6 clients are one /64
    assert.deepEqual(
      text.split('\n').filter((line) => line.startsWith('deny')),
      ['deny 127.0.0.2/31;', 'deny 2001:db8:5:6::/64;'],
    );
  });

  it('answers 403 to the blocked addresses and 200 to everyone else (deny lines)', async () => {
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.2' })).status, 403);
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.3' })).status, 403);
    for (const from of ['127.0.0.1', '127.0.0.4', '127.0.0.5', '127.0.0.6']) assert.equal((await fetchFrom(port, '/', { from })).status, 200, from);
  });

  it('blocks an IPv6 client and lets the IPv4 one through on the same server', async () => {
    assert.equal((await getOverIpv6(v6Port)).status, 403);
    assert.equal((await fetchFrom(v6Port, '/', { from: '127.0.0.1' })).status, 200);
    assert.equal((await fetchFrom(v6Port, '/', { from: '127.0.0.2' })).status, 403);
  });

  it('answers the chosen status through the geo map', async () => {
    assert.equal((await fetchFrom(geoPort, '/', { from: '127.0.0.2' })).status, 404);
    assert.equal((await fetchFrom(geoPort, '/', { from: '127.0.0.3' })).status, 404);
    assert.equal((await fetchFrom(geoPort, '/', { from: '127.0.0.4' })).status, 200);
  });

  it('refuses loopback without --force, says so, and writes no rule for it', async () => {
    const result = await block(['--from', join(dir.path, 'report.json'), '--to', 'nginx']);
    assert.match(result.stderr, /refused to block 127\.0\.0\.2\/32 \(Replay Cloud\\x0aallow all;.*\): it is loopback; --force blocks it anyway/);
    assert.deepEqual(result.stdout.split('\n').filter((line) => line.startsWith('deny')), ['deny 2001:db8:5:6::/64;']);
    assert.match(result.stdout, /^# refused: 127\.0\.0\.3\/32 of Replay Cloud.*: loopback \(--force blocks it anyway\)$/m);
    assert.ok(hostileOrg.includes('\n'));
  });
});
