import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LineScanner, type ParsedRecord, ScanOutcome, ScanRecord, resolveFormat } from '../../src/formats/index.js';

function feed(scanner: LineScanner, lines: string[]): { outcome: number; record: ParsedRecord; reason: string }[] {
  const record = new ScanRecord();
  return lines.map((line) => {
    const buffer = Buffer.from(line);
    const outcome = scanner.scan(buffer, 0, buffer.length, record);
    return { outcome, record: record.toObject(), reason: record.reason };
  });
}

test('w3c: header lines are Meta, #Fields may change mid-file, url = stem ? query', () => {
  const results = feed(resolveFormat('w3c').createScanner(), [
    '#Software: Microsoft Internet Information Services 7.5',
    '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status',
    '2026-03-01 10:00:00 192.0.2.1 GET /a.aspx id=1 200',
    '#Fields: date time cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status sc-bytes time-taken',
    '2026-03-01 10:00:01 /b - 192.0.2.2 Mozilla/5.0+(Windows+NT+10.0) 404 512 15',
  ]);
  assert.deepEqual(results.map((result) => result.outcome), [ScanOutcome.Meta, ScanOutcome.Meta, ScanOutcome.Ok, ScanOutcome.Meta, ScanOutcome.Ok]);
  assert.equal(results[2].record.url, '/a.aspx?id=1');
  assert.equal(results[2].record.time, Date.UTC(2026, 2, 1, 10));
  assert.equal(results[4].record.url, '/b');
  assert.equal(results[4].record.ip, '192.0.2.2');
  assert.equal(results[4].record.userAgent, 'Mozilla/5.0 (Windows NT 10.0)');
  assert.equal(results[4].record.bytes, 512);
  assert.equal(results[4].record.duration, 15);
});

test('w3c: data before a header and wrong column counts are skips', () => {
  const results = feed(resolveFormat('w3c').createScanner(), [
    '2026-03-01 10:00:00 192.0.2.1 GET /a - 200',
    '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status',
    '2026-03-01 10:00:00 192.0.2.1 GET /a - 200 extra',
    '2026-03-01 99:00:00 192.0.2.1 GET /a - 200',
  ]);
  assert.equal(results[0].reason, 'data before any #Fields header');
  assert.equal(results[2].reason, 'column count differs from #Fields');
  assert.equal(results[3].reason, 'bad timestamp');
});

test('w3c: X-Forwarded-For column as the client with clientIpField', () => {
  const scanner = resolveFormat('w3c', { clientIpField: 'X-Forwarded-For' }).createScanner();
  const results = feed(scanner, [
    '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status X-Forwarded-For',
    '2026-03-01 10:00:00 10.0.0.1 GET /a - 200 203.0.113.9',
    '2026-03-01 10:00:00 10.0.0.1 GET /a - 200 -',
  ]);
  assert.equal(results[1].record.ip, '203.0.113.9');
  assert.equal(results[2].record.ip, '10.0.0.1');
});

test('cloudfront: a #Fields header overrides the fixed order; percent-decoded user agent', () => {
  const results = feed(resolveFormat('cloudfront').createScanner(), [
    '#Version: 1.0',
    '#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent) time-taken',
    '2026-03-01\t10:00:00\t192.0.2.3\tGET\t/x\ta=b\t200\tcurl%2F8.0%20(x)\t0.250',
  ]);
  assert.equal(results[2].outcome, ScanOutcome.Ok, results[2].reason);
  assert.equal(results[2].record.url, '/x?a=b');
  assert.equal(results[2].record.userAgent, 'curl/8.0 (x)');
  assert.equal(results[2].record.duration, 250);
});

test('iis-xml: entities decoded, non-event lines skipped', () => {
  const results = feed(resolveFormat('iis-xml').createScanner(), [
    '<Event><EventData><Data Name="date">2026-03-01</Data><Data Name="time">10:00:00</Data><Data Name="c-ip">192.0.2.1</Data><Data Name="cs-uri-stem">/a</Data><Data Name="cs-uri-query">x=&lt;1&gt;&amp;y</Data><Data Name="sc-status">200</Data></EventData></Event>',
    '<Other/>',
  ]);
  assert.equal(results[0].record.url, '/a?x=<1>&y');
  assert.equal(results[1].outcome, ScanOutcome.Skip);
});
