import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { expandInputs, rotationKey, sniffFirstTime } from '../../src/ingest/index.js';

const root = mkdtempSync(join(tmpdir(), 'replaywatch-inputs-'));
after(() => rmSync(root, { recursive: true, force: true }));

const clf = (day: number): string => `192.0.2.1 - - [${String(day).padStart(2, '0')}/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n`;

function folder(name: string, files: Record<string, string | Buffer>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

const names = (files: { path: string }[]): string[] => files.map((file) => (file.path === '-' ? '-' : basename(file.path)));

test('a rotated set reads oldest first: highest number first, then the live file', async () => {
  const dir = folder('rotated', {
    'access.log': clf(9),
    'access.log.1': clf(8),
    'access.log.2.gz': gzipSync(clf(7)),
    'access.log.10.gz': gzipSync(clf(1)),
    'access.log.3.gz': gzipSync(clf(6)),
  });
  const files = await expandInputs([dir]);
  assert.deepEqual(names(files), ['access.log.10.gz', 'access.log.3.gz', 'access.log.2.gz', 'access.log.1', 'access.log']);
  assert.deepEqual(files.map((file) => file.gzip), [true, true, true, false, false]);
});

test('date-suffixed rotation (logrotate dateext) reads by date, then the live file', async () => {
  const dir = folder('dated', {
    'access.log-20260302.gz': gzipSync(clf(2)),
    'access.log': clf(4),
    'access.log-20260301.gz': gzipSync(clf(1)),
    'access.log-20260303': clf(3),
  });
  assert.deepEqual(names(await expandInputs([dir])), ['access.log-20260301.gz', 'access.log-20260302.gz', 'access.log-20260303', 'access.log']);
});

test('unrelated files are ordered by their first timestamp, whatever the argument order', async () => {
  const dir = folder('unrelated', {
    'b-site.log': clf(1),
    'a-site.log': clf(5),
    'c-site.log': '{"ts":1772150400.5,"request":{"uri":"/"}}\n', // 2026-02-27
    'w3c.log': '#Fields: date time c-ip\n2026-02-28 00:00:00 192.0.2.1\n',
  });
  const files = await expandInputs([join(dir, 'a-site.log'), join(dir, 'b-site.log'), join(dir, 'c-site.log'), join(dir, 'w3c.log')]);
  assert.deepEqual(names(files), ['c-site.log', 'w3c.log', 'b-site.log', 'a-site.log']);
});

test('a directory gives its log files, skipping non-logs, hidden and binary files; gzip by magic', async () => {
  const dir = folder('mixed', {
    'access.log': clf(1),
    'nginx.pid': '1234\n',
    '.hidden.log': clf(1),
    'core.dump': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x00, 0x01]),
    'packed.log': gzipSync(clf(2)),
    'notes.md': 'hello\n',
  });
  mkdirSync(join(dir, 'subdir'));
  const files = await expandInputs([dir]);
  assert.deepEqual(names(files).sort(), ['access.log', 'packed.log']);
  assert.equal(files.find((file) => file.path.endsWith('packed.log'))?.gzip, true);
});

test("'-' is stdin, read after the files; duplicates are read once", async () => {
  const dir = folder('stdin', { 'access.log': clf(1) });
  const files = await expandInputs(['-', join(dir, 'access.log'), dir]);
  assert.deepEqual(names(files), ['access.log', '-']);
  assert.equal(files[1].size, -1);
});

test('missing files, directories without logs, unreadable files: E_INPUT_UNREADABLE with the file and reason', async () => {
  const isUnreadable = (fragment: string) => (error: Error & { code?: string }) => error.code === 'E_INPUT_UNREADABLE' && error.message.includes(fragment);
  await assert.rejects(expandInputs([join(root, 'missing.log')]), isUnreadable('missing.log: no such file'));
  const empty = folder('nologs', { 'server.conf': 'x\n' });
  await assert.rejects(expandInputs([empty]), isUnreadable('no access logs (server.conf: not a log, by its name)'));
  const locked = folder('locked', { 'access.log': clf(1) });
  chmodSync(join(locked, 'access.log'), 0o000);
  if (process.getuid?.() === 0) {
    // root reads mode-000 files: a child loads the module as root, then becomes nobody (65534)
    // and asks, so the code need not be readable by nobody
    const script = [
      `const { expandInputs } = await import(${JSON.stringify(new URL('../../src/ingest/index.ts', import.meta.url).href)});`,
      'process.setgid(65534);',
      'process.setuid(65534);',
      `try { await expandInputs([${JSON.stringify(join(locked, 'access.log'))}]); console.log('{}'); }`,
      'catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const error = JSON.parse(child.stdout.trim().split('\n').pop()!) as { code?: string; message?: string };
    assert.equal(error.code, 'E_INPUT_UNREADABLE', child.stdout);
    assert.ok(error.message?.includes('permission denied'), error.message);
  } else {
    await assert.rejects(expandInputs([join(locked, 'access.log')]), isUnreadable('permission denied'));
  }
});

test('rotationKey and sniffFirstTime', () => {
  assert.deepEqual(rotationKey('access.log.12.gz'), { base: 'access.log', kind: 'numbered', order: 12 });
  assert.deepEqual(rotationKey('error_log-2026-03-01'), { base: 'error_log', kind: 'dated', order: 2026030100 });
  assert.deepEqual(rotationKey('u_ex260301.log'), { base: 'u_ex260301.log', kind: 'live', order: 0 });
  assert.equal(sniffFirstTime(Buffer.from(clf(3))), Date.UTC(2026, 2, 3, 10));
  assert.equal(sniffFirstTime(Buffer.from('[01/Mar/2026:10:00:00 +0100]')), Date.UTC(2026, 2, 1, 9));
  assert.ok(Number.isNaN(sniffFirstTime(Buffer.from('no time here\n'))));
});
