// block --to apache against Debian's Apache 2.4: `apachectl configtest` accepts a configuration
// that includes the file, and a running apache2 on loopback answers 403 to the blocked
// addresses (127.0.0.2, .3) and 200 to others. The server has its own config directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freeLoopbackPort } from '../support/net.js';
import { block, fetchFrom, requireBinary, startDaemon, tempDir, waitUntil, writeReport, type Daemon } from './support.js';

const apacheBinary = '/usr/sbin/apache2';
const skip = requireBinary(apacheBinary, 'apache2', 'the Apache blocklist test');
const modules = '/usr/lib/apache2/modules';

describe('block --to apache with a real Apache 2.4', { skip }, () => {
  const dir = tempDir('block-apache');
  let apache: Daemon;
  let port: number;

  before(async () => {
    chmodSync(dir.path, 0o755); // children run as www-data when apache2 is started by root
    mkdirSync(join(dir.path, 'www'), { mode: 0o755 });
    writeFileSync(join(dir.path, 'www', 'index.html'), 'page\n', { mode: 0o644 });
    await block(['--from', writeReport(dir.path), '--to', 'apache', '--force', '-o', join(dir.path, 'replaywatch.conf')]);
    port = await freeLoopbackPort();
    const runAs = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
    writeFileSync(
      join(dir.path, 'apache2.conf'),
      `ServerRoot ${dir.path}
ServerName localhost
Listen 127.0.0.1:${port}
PidFile ${dir.path}/apache2.pid
ErrorLog ${dir.path}/error.log
LogLevel warn
Mutex file:${dir.path}
${runAs}LoadModule mpm_event_module ${modules}/mod_mpm_event.so
LoadModule authz_core_module ${modules}/mod_authz_core.so
LoadModule authz_host_module ${modules}/mod_authz_host.so
LoadModule dir_module ${modules}/mod_dir.so
DocumentRoot ${dir.path}/www
DirectoryIndex index.html
<Directory ${dir.path}/www>
    Include ${dir.path}/replaywatch.conf
</Directory>
`,
    );
    writeFileSync(join(dir.path, 'envvars'), '');
    apache = startDaemon(apacheBinary, ['-d', dir.path, '-f', join(dir.path, 'apache2.conf'), '-DFOREGROUND'], 'SIGTERM');
    await waitUntil(() => fetchFrom(port, '/', { from: '127.0.0.1' }), apache, 'apache2');
  });

  after(async () => {
    await apache?.stop();
    dir.remove();
  });

  it('writes a file apachectl configtest accepts, provenance in comments only', () => {
    const check = spawnSync('apachectl', ['configtest'], { encoding: 'utf8', env: { ...process.env, APACHE_CONFDIR: dir.path } });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout + check.stderr, /Syntax OK/);
    const text = readFileSync(join(dir.path, 'replaywatch.conf'), 'utf8');
    for (const line of text.trimEnd().split('\n'))
      assert.match(line, /^(# [\x20-\x7e]*[^\\]|<RequireAll>|<\/RequireAll>|    Require all granted|    Require not ip [0-9a-f:.]+\/\d+)$/, `line: ${line}`);
    assert.deepEqual(
      text.split('\n').filter((line) => line.includes('Require not')),
      ['    Require not ip 127.0.0.2/31', '    Require not ip 2001:db8:5:6::/64'],
    );
  });

  it('answers 403 to the blocked addresses and 200 to everyone else', async () => {
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.2' })).status, 403);
    assert.equal((await fetchFrom(port, '/', { from: '127.0.0.3' })).status, 403);
    for (const from of ['127.0.0.1', '127.0.0.4', '127.0.0.5']) {
      const answer = await fetchFrom(port, '/', { from });
      assert.equal(answer.status, 200, from);
      assert.equal(answer.body, 'page\n');
    }
  });
});
