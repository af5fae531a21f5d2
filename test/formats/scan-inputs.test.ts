import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ParsedRecord, resolveFormat, scanInputs } from '../../src/formats/index.js';
import { expandInputs } from '../../src/ingest/index.js';

const dir = mkdtempSync(join(tmpdir(), 'replaywatch-scan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const combined = (second: number, path = '/'): string => `192.0.2.1 - - [01/Mar/2026:10:00:${String(second).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 200 1 "-" "x"`;

test('detects the format, counts skips with file line numbers, reports the time span', async () => {
  const path = write('access.log', [combined(1), 'garbage line', combined(2), '', combined(3, '/last')].join('\n'));
  const records: ParsedRecord[] = [];
  const result = await scanInputs(await expandInputs([path]), null, (record) => records.push(record.toObject()));
  assert.equal(result.format, 'combined');
  assert.equal(result.counter.lines, 5);
  assert.equal(result.counter.records, 3);
  assert.equal(result.counter.meta, 1);
  assert.equal(result.counter.skipped, 1);
  assert.deepEqual(result.counter.examples, [{ line: 2, reason: 'line does not match the format', text: 'garbage line', file: path }]);
  assert.equal(result.from, Date.UTC(2026, 2, 1, 10, 0, 1));
  assert.equal(result.to, Date.UTC(2026, 2, 1, 10, 0, 3));
  assert.equal(records[2].url, '/last');
});

test('a later file in another format is re-detected; an explicit format is not', async () => {
  const first = write('a.log', [combined(1), combined(2)].join('\n') + '\n');
  const second = write('b.log.gz', gzipSync('{"ts":1772359300,"request":{"client_ip":"192.0.2.9","method":"GET","uri":"/j"},"status":200}\n'));
  const changes: string[] = [];
  const result = await scanInputs([...(await expandInputs([first])), ...(await expandInputs([second]))], null, () => {}, { onFormatChange: (_file, format) => changes.push(format.name) });
  assert.equal(result.format, 'combined, caddy');
  assert.deepEqual(result.formats.map((entry) => entry.format), ['combined', 'caddy']);
  assert.deepEqual(changes, ['caddy']);
  assert.equal(result.counter.skipped, 0);
  const fixed = await scanInputs([...(await expandInputs([first, second]))], resolveFormat('combined'), () => {});
  assert.equal(fixed.counter.skipped, 1);
});

test('overlong lines are skips with their line numbers, before and after detection', async () => {
  const lines = [combined(1), 'x'.repeat(5000), combined(2)];
  for (let i = 0; i < 100; i++) lines.push(combined(3));
  lines.push('y'.repeat(5000), combined(4));
  const result = await scanInputs(await expandInputs([write('long.log', lines.join('\n'))]), null, () => {}, { maxLineBytes: 1000 });
  assert.equal(result.counter.lines, lines.length);
  assert.equal(result.counter.records, lines.length - 2);
  assert.deepEqual(result.counter.examples.map((example) => [example.line, example.reason]), [[2, 'line longer than the limit'], [104, 'line longer than the limit']]);
});

test('undetectable and empty inputs are errors with codes', async () => {
  await assert.rejects(scanInputs(await expandInputs([write('prose.txt', 'hello\nworld\n')]), null, () => {}), (error: Error & { code?: string }) => error.code === 'E_FORMAT_UNDETECTED');
  await assert.rejects(scanInputs(await expandInputs([write('empty.log', '')]), null, () => {}), (error: Error & { code?: string }) => error.code === 'E_INPUT_EMPTY');
});

test('progress covers the bytes of every file', async () => {
  const a = write('p1.log', combined(1) + '\n');
  const b = write('p2.log', combined(2) + '\n');
  const seen: [number, number][] = [];
  await scanInputs(await expandInputs([a, b]), null, () => {}, { progress: (read, total) => seen.push([read, total]) });
  const last = seen[seen.length - 1];
  assert.equal(last[0], last[1]);
});
