/** '-' reads the process's real standard input (plain or gzip) in a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

const reader = fileURLToPath(new URL('../../src/ingest/index.ts', import.meta.url));
const script = `
import { expandInputs, forEachLine } from ${JSON.stringify(reader)};
const lines = [];
for (const input of await expandInputs(['-'])) await forEachLine(input, (b, s, e) => lines.push(b.toString('utf8', s, e)));
process.stdout.write(JSON.stringify(lines));
`;

function run(input: Buffer): string[] {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { input, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as string[];
}

test('stdin: plain text, CRLF, no final newline', () => {
  assert.deepEqual(run(Buffer.from('a\r\nb\nc')), ['a', 'b', 'c']);
});

test('stdin: gzip is recognised by its magic bytes', () => {
  assert.deepEqual(run(gzipSync('x\ny\n')), ['x', 'y']);
});
