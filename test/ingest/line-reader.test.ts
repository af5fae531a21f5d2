import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Inflater } from '../../src/ingest/gunzip.js';
import { CHUNK_BYTES, forEachLine, forEachLineInRange, forEachLineOfGzipHalf, newGzipCut, readHeadBytes, splitRanges } from '../../src/ingest/index.js';

const dir = mkdtempSync(join(tmpdir(), 'replaywatch-lines-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect(path: string, options = {}): Promise<string[]> {
  const lines: string[] = [];
  await forEachLine(path, (buffer, start, end) => lines.push(buffer.toString('latin1', start, end)), undefined, options);
  return lines;
}

/** Pseudo-random lines of varied length, a few longer than a chunk boundary would like. */
function makeLines(count: number, seed = 1): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const length = seed % 97 === 0 ? 5000 + (seed % 3000) : seed % 180;
    lines.push(`${i}:` + String.fromCharCode(97 + (seed % 26)).repeat(length));
  }
  return lines;
}

test('LF, CRLF, no trailing newline, empty lines', async () => {
  assert.deepEqual(await collect(write('lf.log', 'a\nb\n\nc\n')), ['a', 'b', '', 'c']);
  assert.deepEqual(await collect(write('crlf.log', 'a\r\nb\r\n\r\nc\r\n')), ['a', 'b', '', 'c']);
  assert.deepEqual(await collect(write('tail.log', 'a\nb')), ['a', 'b']);
  assert.deepEqual(await collect(write('tail-cr.log', 'a\r\nb\r')), ['a', 'b']);
  assert.deepEqual(await collect(write('empty.log', '')), []);
  assert.deepEqual(await collect(write('one.log', '\n')), ['']);
});

test('a UTF-8 byte order mark before the first line is not part of it (file, gzip, stdin, ranges, head bytes)', async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const text = Buffer.concat([bom, Buffer.from('a\r\nb\n')]);
  assert.deepEqual(await collect(write('bom.log', text)), ['a', 'b']);
  assert.deepEqual(await collect(write('bom.log.gz', gzipSync(text))), ['a', 'b']);
  // only at the very start: a mark inside the file is data
  assert.deepEqual(await collect(write('bom-later.log', Buffer.concat([Buffer.from('a\n'), bom, Buffer.from('b\n')]))), ['a', '\u00ef\u00bb\u00bfb']);
  const lines: string[] = [];
  await forEachLine('-', (buffer, start, end) => lines.push(buffer.toString('latin1', start, end)), undefined, { stdin: Readable.from([text]) });
  assert.deepEqual(lines, ['a', 'b']);
  const ranged: string[] = [];
  for (const range of [{ start: 0, end: 6 }, { start: 6, end: text.length }]) await forEachLineInRange(join(dir, 'bom.log'), range.start, range.end, (buffer, start, end) => ranged.push(buffer.toString('latin1', start, end)));
  assert.deepEqual(ranged, ['a', 'b']);
  assert.equal((await readHeadBytes({ path: join(dir, 'bom.log'), gzip: false, size: text.length } as never, 100)).toString('latin1'), 'a\r\nb\n');
});

test('lines across chunk boundaries arrive whole (a file larger than one read)', async () => {
  const lines = makeLines(120_000);
  const text = lines.join('\n') + '\n';
  assert.ok(text.length > CHUNK_BYTES * 2, 'the file spans several reads');
  assert.deepEqual(await collect(write('big.log', text)), lines);
});

test('an overlong line is cut, reported once, and the next line is intact', async () => {
  const long = 'L'.repeat(200_000);
  const overlong: string[] = [];
  const lines = await collect(write('long.log', `first\n${long}\nlast\n${long}`), {
    maxLineBytes: 1000,
    onOverlongLine: (buffer: Buffer, start: number, end: number) => overlong.push(buffer.toString('latin1', start, end)),
  });
  assert.deepEqual(lines, ['first', 'last']);
  assert.deepEqual(overlong, ['L'.repeat(1000), 'L'.repeat(1000)]);
});

test('gzip: single member, multi-member, detected by content not name; progress is reported', async () => {
  const lines = makeLines(5000, 3);
  const single = write('single.log.gz', gzipSync(lines.join('\n') + '\n'));
  const multi = write('multi.log.gz', Buffer.concat([gzipSync(lines.slice(0, 2000).join('\n') + '\n'), gzipSync(lines.slice(2000).join('\n'))]));
  const disguised = write('disguised.log', gzipSync('x\ny\n'));
  assert.deepEqual(await collect(single), lines);
  assert.deepEqual(await collect(multi), lines);
  const seen: string[] = [];
  let progressCalls = 0;
  await forEachLine({ path: disguised, size: 0, gzip: true }, (buffer, start, end) => seen.push(buffer.toString('latin1', start, end)), () => progressCalls++);
  assert.deepEqual(seen, ['x', 'y']);
  assert.ok(progressCalls > 0);
  assert.deepEqual(await collect(disguised), ['x', 'y'], 'a path string is sniffed for gzip too');
});

test('stdin: plain and gzip streams', async () => {
  const read = async (stream: Readable): Promise<string[]> => {
    const lines: string[] = [];
    await forEachLine('-', (buffer, start, end) => lines.push(buffer.toString('latin1', start, end)), undefined, { stdin: stream });
    return lines;
  };
  assert.deepEqual(await read(Readable.from([Buffer.from('a\nb'), Buffer.from('c\r\nd\n')])), ['a', 'bc', 'd']);
  const zipped = gzipSync('one\ntwo\n');
  assert.deepEqual(await read(Readable.from([zipped.subarray(0, 5), zipped.subarray(5)])), ['one', 'two']);
  assert.deepEqual(await read(Readable.from([])), []);
});

test('byte ranges visit every line exactly once, for any split', async () => {
  const lines = makeLines(3000, 9);
  for (const ending of ['\n', '']) {
    const text = lines.join('\n') + ending;
    const path = write(`ranges${ending === '' ? '-open' : ''}.log`, text);
    const size = Buffer.byteLength(text);
    for (const count of [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64]) {
      const ranges = await splitRanges(path, count, 1);
      assert.equal(ranges[0].start, 0);
      assert.equal(ranges[ranges.length - 1].end, size);
      const seen: string[] = [];
      for (const range of ranges) {
        await forEachLineInRange(path, range.start, range.end, (buffer, start, end) => seen.push(buffer.toString('latin1', start, end)));
      }
      assert.deepEqual(seen, lines, `split into ${count}`);
    }
    // arbitrary (not line-aligned) cut points, including cuts right after and before '\n'
    let seed = 5;
    for (let round = 0; round < 20; round++) {
      const cuts = new Set<number>([0, size]);
      for (let k = 0; k < 1 + (round % 9); k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        cuts.add(seed % size);
      }
      const points = [...cuts].sort((a, b) => a - b);
      const seen: string[] = [];
      for (let i = 0; i + 1 < points.length; i++) {
        await forEachLineInRange(path, points[i], points[i + 1], (buffer, start, end) => seen.push(buffer.toString('latin1', start, end)));
      }
      assert.deepEqual(seen, lines, `cuts ${points.join(',')}`);
    }
  }
});

test('splitRanges gives the first range extra bytes (at most a quarter of a range) and still tiles the file', async () => {
  const lines = makeLines(3000, 4);
  const text = lines.join('\n') + '\n';
  const path = write('first-extra.log', text);
  const size = Buffer.byteLength(text);
  for (const count of [2, 3, 5]) {
    for (const extra of [0, 1000, 10 * size]) {
      const ranges = await splitRanges(path, count, 1, extra);
      assert.equal(ranges.length, count);
      assert.equal(ranges[0]!.start, 0);
      assert.equal(ranges[count - 1]!.end, size);
      for (let i = 1; i < count; i++) assert.equal(ranges[i]!.start, ranges[i - 1]!.end);
      const first = ranges[0]!.end;
      // a range ends at a line start, within a line of its target
      const base = size / count;
      const target = base + Math.min(extra, base / 4);
      assert.ok(first >= target && first < target + 12_000, `count ${count}, extra ${extra}: first range ${first}, target ${target}`);
      const seen: string[] = [];
      for (const range of ranges) await forEachLineInRange(path, range.start, range.end, (buffer, start, end) => seen.push(buffer.toString('latin1', start, end)));
      assert.deepEqual(seen, lines);
    }
  }
});

test('splitRanges keeps ranges at least minBytes long', async () => {
  const path = write('small.log', 'a\nb\nc\n');
  assert.deepEqual(await splitRanges(path, 8), [{ start: 0, end: 6 }]);
  assert.deepEqual(await splitRanges(write('none.log', ''), 4), [{ start: 0, end: 0 }]);
});

test('a missing file is E_INPUT_UNREADABLE naming the file and the reason', async () => {
  await assert.rejects(collect(join(dir, 'nope.log')), (error: Error & { code?: string }) => error.code === 'E_INPUT_UNREADABLE' && error.message.includes('nope.log') && error.message.includes('no such file'));
  await assert.rejects(forEachLineInRange(join(dir, 'nope.log'), 0, 10, () => {}), (error: Error & { code?: string }) => error.code === 'E_INPUT_UNREADABLE');
});

test('a corrupt gzip stream is E_INPUT_UNREADABLE, after the lines before the damage', async () => {
  const good = gzipSync('a\nb\n'.repeat(1000));
  const broken = write('broken.log.gz', Buffer.concat([good.subarray(0, good.length - 12), Buffer.from('garbage!garbage!')]));
  await assert.rejects(collect(broken), (error: Error & { code?: string }) => error.code === 'E_INPUT_UNREADABLE');
});

/** The lines the two halves of a gzip file visit, read in the given order (or at once). */
async function halves(path: string, half: number, order: 'first-then-second' | 'second-then-first' | 'together'): Promise<[string[], string[]]> {
  const cut = newGzipCut();
  const first: string[] = [];
  const second: string[] = [];
  const read = (isSecond: boolean, into: string[]): Promise<void> =>
    forEachLineOfGzipHalf(path, isSecond, half, cut, (buffer, start, end) => into.push(buffer.toString('latin1', start, end)));
  if (order === 'first-then-second') {
    await read(false, first);
    await read(true, second);
  } else if (order === 'second-then-first') {
    await read(true, second);
    await read(false, first);
  } else {
    await Promise.all([read(false, first), read(true, second)]);
  }
  return [first, second];
}

test('gzip halves: two readers visit every line exactly once, in order, wherever and whenever they cut', async () => {
  // lines that compress poorly (the file spans many reads), several members, CRLF, no final newline
  let seed = 7;
  const lines = Array.from({ length: 60_000 }, (_, index) => {
    let line = `${index}:`;
    for (let digit = index % 150; digit > 0; digit--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      line += (seed >>> 16).toString(36);
    }
    return line;
  });
  const text = lines.slice(0, 25_000).join('\r\n') + '\r\n';
  const rest = lines.slice(25_000).join('\n');
  const file = write('halves.log.gz', Buffer.concat([gzipSync(text), gzipSync(rest)]));
  const size = (await import('node:fs')).statSync(file).size;
  for (const half of [0, 1, Math.floor(size / 3), Math.floor(size / 2), size - 1, size]) {
    for (const order of ['first-then-second', 'second-then-first', 'together'] as const) {
      const [first, second] = await halves(file, half, order);
      assert.deepEqual([...first, ...second], lines, `half ${half}, ${order}`);
    }
  }
  // a file of many compressed reads: read one after the other, the second reader cuts about where it passed `half`
  const big = write('halves-big.log.gz', gzipSync(Array.from({ length: 8 }, () => text + rest + '\n').join('')));
  const bigSize = (await import('node:fs')).statSync(big).size;
  assert.ok(bigSize > 2 << 20, 'several reads of compressed bytes');
  const [first, second] = await halves(big, Math.floor(bigSize / 2), 'second-then-first');
  assert.equal(first.length + second.length, lines.length * 8);
  assert.ok(Math.abs(first.length - second.length) < lines.length * 8 * 0.2, `halves of about the same size: ${first.length} and ${second.length}`);
  // a tiny file: one member, one piece of output
  const small = write('small.log.gz', gzipSync('a\nb\nc'));
  for (const order of ['first-then-second', 'second-then-first', 'together'] as const) {
    const [first, second] = await halves(small, 10, order);
    assert.deepEqual([...first, ...second], ['a', 'b', 'c'], order);
  }
});

test('gzip halves: a corrupt stream is E_INPUT_UNREADABLE for either reader', async () => {
  const good = gzipSync('a\nb\n'.repeat(1000));
  const broken = write('broken-half.log.gz', Buffer.concat([good.subarray(0, good.length - 12), Buffer.from('garbage!garbage!')]));
  for (const second of [false, true]) {
    await assert.rejects(
      forEachLineOfGzipHalf(broken, second, 0, newGzipCut(), () => {}),
      (error: Error & { code?: string }) => error.code === 'E_INPUT_UNREADABLE' && error.message.includes('broken-half.log.gz'),
    );
  }
});

test('gzip: a member that ends exactly where a compressed read ends is followed by the next (whole file and halves)', async () => {
  // stored (level 0) members have a size we can choose: the first is exactly one 256 KiB read
  let first = Buffer.alloc(0);
  for (let length = 262_000; length < 262_200 && first.length !== 262_144; length++) {
    const text = Buffer.alloc(length, 'x');
    for (let at = 99; at < length; at += 100) text[at] = 10;
    first = gzipSync(text, { level: 0 });
  }
  assert.equal(first.length, 262_144, 'a member of exactly one read');
  const expected = (gunzipSync(first).toString('latin1') + 'tail one\ntail two\n').split('\n').slice(0, -1);
  const path = write('boundary.log.gz', Buffer.concat([first, gzipSync('tail one\ntail two\n')]));
  assert.deepEqual(await collect(path), expected);
  for (const half of [100_000, 262_144, 262_150]) {
    const [head, tail] = await halves(path, half, 'together');
    assert.deepEqual([...head, ...tail], expected, `half ${half}`);
  }
});

test('gzip: where Node has no synchronous zlib handle, the stream reads the same lines (whole file and halves)', async () => {
  const lines = makeLines(20_000, 3);
  const path = write('fallback.log.gz', Buffer.concat([gzipSync(lines.slice(0, 7000).join('\n') + '\n'), gzipSync(lines.slice(7000).join('\n'))]));
  const withHandle = await collect(path);
  const open = Inflater.open;
  Inflater.open = () => null;
  try {
    assert.deepEqual(await collect(path), withHandle);
    const [head, tail] = await halves(path, 1000, 'together');
    assert.deepEqual([...head, ...tail], withHandle);
  } finally {
    Inflater.open = open;
  }
  assert.deepEqual(withHandle, lines);
});

test('readHeadBytes: the first bytes of a plain or gzip file; a truncated gzip gives what came before the damage', async () => {
  const text = makeLines(20_000, 11).join('\n') + '\n';
  const plain = write('head.log', text);
  const gz = write('head.log.gz', gzipSync(text));
  const size = (path: string): number => readFileSync(path).length;
  assert.deepEqual(await readHeadBytes({ path: plain, size: size(plain), gzip: false }, 1000), Buffer.from(text).subarray(0, 1000));
  const head = await readHeadBytes({ path: gz, size: size(gz), gzip: true }, 1000);
  assert.ok(head.length >= 1000 && text.startsWith(head.toString('latin1')), 'a prefix of the text, at least the limit');
  const whole = Buffer.from(gzipSync(text));
  const truncated = write('head-cut.log.gz', whole.subarray(0, whole.length >> 1));
  const partial = await readHeadBytes({ path: truncated, size: size(truncated), gzip: true }, 1 << 30);
  assert.ok(partial.length > 0 && partial.length < text.length && text.startsWith(partial.toString('latin1')));
  const garbage = write('head-garbage.log.gz', Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff]));
  await assert.rejects(readHeadBytes({ path: garbage, size: 14, gzip: true }, 1000));
});
