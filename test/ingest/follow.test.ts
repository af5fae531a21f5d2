/**
 * LogFollower, tail -F semantics on real files: growth, a partial last line, rotation by
 * rename and a new file, copytruncate, .gz and numbered rotations in a directory skipped, and a
 * restart from saved positions (also after a rotation nobody saw), with no line read twice.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isRotatedName, LogFollower, type FollowPosition } from '../../src/ingest/index.js';

const root = mkdtempSync(join(tmpdir(), 'replaywatch-follow-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const dir = join(root, String(counter++));
  rmSync(dir, { recursive: true, force: true });
  return (mkdtempSync(dir + '-'));
};

function follower(targets: string[], positions?: FollowPosition[], fromEnd = false): { follower: LogFollower; lines: string[] } {
  const lines: string[] = [];
  return { lines, follower: new LogFollower(targets, { positions, fromEnd, onLine: (file, line, start, end, number) => lines.push(`${file.split('/').pop()}:${number}:${line.toString('utf8', start, end)}`) }) };
}

test('reads what a file gains, a partial line only once it ends', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, 'one\ntwo\nthr');
  const { follower: tail, lines } = follower([log]);
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:one', 'access.log:2:two']);
  appendFileSync(log, 'ee\r\nfour\n');
  tail.poll();
  assert.deepEqual(lines.slice(2), ['access.log:3:three', 'access.log:4:four']);
  tail.poll();
  assert.equal(lines.length, 4, 'nothing read twice');
  tail.close();
});

test('a UTF-8 byte order mark before a file\'s first line is not part of it, also when the line arrives in pieces', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('on')]));
  const { follower: tail, lines } = follower([log]);
  tail.poll();
  appendFileSync(log, 'e\ntwo\n');
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:one', 'access.log:2:two']);
  tail.close();
});

test('rotation: the renamed file is finished (last line without newline too), then the new one is read from its start', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, 'a1\na2\n');
  const { follower: tail, lines } = follower([log]);
  tail.poll();
  appendFileSync(log, 'a3\na4');
  renameSync(log, join(dir, 'access.log.1'));
  writeFileSync(log, 'b1\n');
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:a1', 'access.log:2:a2', 'access.log:3:a3', 'access.log:4:a4', 'access.log:1:b1']);
  tail.close();
});

test('truncation in place (copytruncate): read again from the start', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, 'old line one\nold line two\n');
  const { follower: tail, lines } = follower([log]);
  tail.poll();
  truncateSync(log, 0);
  appendFileSync(log, 'new\n');
  tail.poll();
  assert.deepEqual(lines.map((line) => line.split(':').pop()), ['old line one', 'old line two', 'new']);
  tail.close();
});

test('a directory: current logs followed, new ones picked up, .gz and numbered rotations skipped', () => {
  const dir = freshDir();
  writeFileSync(join(dir, 'access.log'), 'x\n');
  writeFileSync(join(dir, 'access.log.1'), 'rotated\n');
  writeFileSync(join(dir, 'access.log.2.gz'), gzipSync('compressed\n'));
  writeFileSync(join(dir, 'access.log-20260301'), 'dated\n');
  const { follower: tail, lines } = follower([dir]);
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:x']);
  writeFileSync(join(dir, 'other.log'), 'y\n');
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:x', 'other.log:1:y']);
  assert.ok(isRotatedName('access.log.3') && isRotatedName('error.log.gz') && !isRotatedName('access.log'));
  tail.close();
});

test('--from-end: only lines written after the start', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, 'before\n');
  const { follower: tail, lines } = follower([log], undefined, true);
  tail.poll();
  appendFileSync(log, 'after\n');
  tail.poll();
  assert.deepEqual(lines, ['access.log:1:after']);
  tail.close();
});

test('a restart resumes at the saved offsets, and finishes a file rotated while it was down', () => {
  const dir = freshDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, 'l1\nl2\npart');
  const first = follower([log]);
  first.follower.poll();
  const saved = first.follower.positions();
  first.follower.close();
  assert.equal(saved[0]!.offset, 6, 'the offset ends at the last complete line');
  // more lines, then a rotation, all while nobody follows
  appendFileSync(log, 'ial\nl4\n');
  renameSync(log, join(dir, 'access.log.1'));
  writeFileSync(log, 'n1\n');
  const second = follower([log], saved);
  second.follower.poll();
  assert.deepEqual(second.lines, ['access.log:3:partial', 'access.log:4:l4', 'access.log:1:n1']);
  const again = second.follower.positions();
  second.follower.close();
  // and a plain restart on the same file
  appendFileSync(log, 'n2\n');
  const third = follower([log], again);
  third.follower.poll();
  assert.deepEqual(third.lines, ['access.log:2:n2']);
  third.follower.close();
});
