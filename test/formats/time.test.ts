import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnyTimeParser, ClfTimeParser, IsoTimeParser, StrftimeParser, parsedTime } from '../../src/formats/time.js';

function run(parser: { parse(line: Buffer, pos: number, end: number): number }, text: string): number {
  const buffer = Buffer.from(text);
  return parser.parse(buffer, 0, buffer.length) < 0 ? Number.NaN : parsedTime.value;
}

test('CLF: offsets both ways, fractions, no zone, the day cache across days and zones', () => {
  const clf = new ClfTimeParser();
  assert.equal(run(clf, '10/Oct/2000:13:55:36 -0700'), Date.UTC(2000, 9, 10, 20, 55, 36));
  assert.equal(run(clf, '10/Oct/2000:13:55:36 +0000'), Date.UTC(2000, 9, 10, 13, 55, 36));
  assert.equal(run(clf, '11/Oct/2000:00:00:00 +0100'), Date.UTC(2000, 9, 10, 23));
  assert.equal(run(clf, '29/Feb/2024:23:59:59 +0000'), Date.UTC(2024, 1, 29, 23, 59, 59));
  assert.equal(run(clf, '14/Jan/2015:12:48:57.127'), Date.UTC(2015, 0, 14, 12, 48, 57, 127));
  assert.ok(Number.isNaN(run(clf, '10/Foo/2000:13:55:36 -0700')));
  assert.ok(Number.isNaN(run(clf, '10/Oct/2000:25:55:36 -0700')));
  assert.ok(Number.isNaN(run(clf, '10/Oct/2000')));
});

test('CLF: the remembered timestamp is reused only for the same 26 bytes', () => {
  const clf = new ClfTimeParser();
  const same = '02/Mar/2026:10:00:00 +0000';
  assert.equal(run(clf, same), Date.UTC(2026, 2, 2, 10));
  assert.equal(run(clf, same), Date.UTC(2026, 2, 2, 10));
  // the same clock in another zone, the next second, a fraction, no zone: each read afresh
  assert.equal(run(clf, '02/Mar/2026:10:00:00 +0200'), Date.UTC(2026, 2, 2, 8));
  assert.equal(run(clf, '02/Mar/2026:10:00:01 +0200'), Date.UTC(2026, 2, 2, 8, 0, 1));
  assert.equal(run(clf, '02/Mar/2026:10:00:01.500 +0200'), Date.UTC(2026, 2, 2, 8, 0, 1, 500));
  assert.equal(run(clf, '02/Mar/2026:10:00:01'), Date.UTC(2026, 2, 2, 10, 0, 1));
  assert.equal(run(clf, '02/Mar/2026:10:00:01 +0200'), Date.UTC(2026, 2, 2, 8, 0, 1));
  // a bad line after a good one is still bad
  assert.ok(Number.isNaN(run(clf, '02/Mar/2026:10:00:01 +02x0')));
  // the position after the timestamp is the same whether it was remembered or parsed
  const line = Buffer.from(`[${same}] "GET / HTTP/1.1"`);
  assert.equal(clf.parse(line, 1, line.length), 27);
  assert.equal(clf.parse(line, 1, line.length), 27);
});

test('ISO 8601: Z, offsets with and without colon, fractions, space separator', () => {
  const iso = new IsoTimeParser();
  assert.equal(run(iso, '2026-03-01T10:00:00Z'), Date.UTC(2026, 2, 1, 10));
  assert.equal(run(iso, '2026-03-01T10:00:00.123456789+01:00'), Date.UTC(2026, 2, 1, 9, 0, 0, 123));
  assert.equal(run(iso, '2026-03-01T10:00:00-0230'), Date.UTC(2026, 2, 1, 12, 30));
  assert.equal(run(iso, '2026-03-01 10:00:00'), Date.UTC(2026, 2, 1, 10));
  assert.ok(Number.isNaN(run(iso, '2026-13-01T10:00:00Z')));
});

test('epoch numbers by magnitude, and strftime', () => {
  const any = new AnyTimeParser();
  assert.equal(run(any, '1772359200'), 1772359200000);
  assert.equal(run(any, '1772359200.5'), 1772359200500);
  assert.equal(run(any, '1772359200123'), 1772359200123);
  assert.equal(run(any, '1772359200123456'), 1772359200123.456);
  assert.equal(run(new StrftimeParser('%a, %d %b %Y %H:%M:%S %Z'), 'Sun, 01 Mar 2026 10:00:00 GMT'), Date.UTC(2026, 2, 1, 10));
  assert.equal(run(new StrftimeParser('%s'), '1772359200'), 1772359200000);
});
