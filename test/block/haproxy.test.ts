// block --to haproxy against Debian's HAProxy: `haproxy -c` accepts a configuration whose ACL
// reads the file, and a running haproxy on loopback answers 403 to the blocked addresses
// (127.0.0.2, .3) and 200 to others.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../support/net.js';
import { block, fetchFrom, requireBinary, startDaemon, tempDir, waitUntil, writeReport, type Daemon } from './support.js';

const haproxyBinary = '/usr/sbin/haproxy';
const skip = requireBinary(haproxyBinary, 'haproxy', 'the HAProxy blocklist test');

describe('block --to haproxy with a real HAProxy', { skip }, () => {
  const dir = tempDir('block-haproxy');
  const config = join(dir.path, 'haproxy.cfg');
  const acl = join(dir.path, 'replaywatch.acl');
  let haproxy: Daemon;
  let port: number;

  before(async () => {
    await block(['--from', writeReport(dir.path), '--to', 'haproxy', '--force', '-o', acl]);
    port = await freeLoopbackPort();
    writeFileSync(
      config,
      `global
  pidfile ${dir.path}/haproxy.pid
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend web
  bind 127.0.0.1:${port}
  http-request deny deny_status 403 if { src -f ${acl} }
  http-request return status 200 content-type text/plain string "page"
`,
    );
    haproxy = startDaemon(haproxyBinary, ['-db', '-f', config], 'SIGUSR1');
    await waitUntil(() => fetchFrom(port, '/', { from: '127.0.0.1' }), haproxy, 'haproxy');
  });

  after(async () => {
    await haproxy?.stop();
    dir.remove();
  });

  it('writes an ACL file haproxy -c accepts', () => {
    const check = spawnSync(haproxyBinary, ['-c', '-f', config], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const text = readFileSync(acl, 'utf8');
    for (const line of text.trimEnd().split('\n')) assert.match(line, /^(# [\x20-\x7e]*|[0-9a-f:.]+\/\d+)$/, line);
    assert.deepEqual(
      text.split('\n').filter((line) => line !== '' && !line.startsWith('#')),
      ['127.0.0.2/31', '2001:db8:5:6::/64'],
    );
  });

  it('answers 403 to the blocked addresses and 200 to everyone else', async () => {
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.2' })).status, 403);
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.3' })).status, 403);
    for (const from of ['127.0.0.1', '127.0.0.4', '127.0.0.6']) assert.equal((await fetchFrom(port, '/', { from })).status, 200, from);
  });
});
