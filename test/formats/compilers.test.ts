/**
 * Apache LogFormat and nginx log_format strings compile to the same layout scanner; these
 * are the inputs that break naive parsers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplaywatchError } from '../../src/common/errors.js';
import { type FormatOptions, type ParsedRecord, ScanOutcome, ScanRecord, resolveFormat } from '../../src/formats/index.js';

function parse(format: string, line: string, options?: FormatOptions): ParsedRecord & { outcome: number; reason: string } {
  const scanner = resolveFormat(format, options).createScanner();
  const record = new ScanRecord();
  const buffer = Buffer.from(line);
  const outcome = scanner.scan(buffer, 0, buffer.length, record);
  return { ...record.toObject(), outcome, reason: record.reason };
}

const COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';

test('apache: escaped quotes inside quoted fields', () => {
  const record = parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET /q?x=\\"a\\" HTTP/1.1" 200 1 "-" "Mozilla \\"evil\\" \\\\ end"');
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.url, '/q?x=\\"a\\"');
  assert.equal(record.userAgent, 'Mozilla \\"evil\\" \\\\ end');
});

test('apache: an unescaped quote inside the request (old servers) is passed over', () => {
  const record = parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET /a"b HTTP/1.0" 404 1 "-" "x"');
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.url, '/a"b');
});

test('apache: missing closing quote and truncation are skips with specific reasons', () => {
  assert.equal(parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla').reason, 'no closing quote in user agent');
  assert.equal(parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1').reason, 'no closing quote in request');
  assert.equal(parse(COMBINED, '192.0.2.1 - - [41/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"').reason, 'bad timestamp');
  assert.equal(parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "-" 408 - "-" "-"').reason, 'empty request ("-")');
  assert.equal(parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "\u0016\u0003\u0001" 400 0 "-" "-"').reason, 'binary data');
  assert.equal(parse(COMBINED, '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 2x0 1 "-" "x"').reason, 'bad status');
});

test('apache: time zones, a request without protocol, absolute-form targets', () => {
  const east = parse(COMBINED, '192.0.2.1 - - [10/Oct/2000:13:55:36 +0530] "GET /scripts/x.dll" 404 - "-" "-"');
  assert.equal(east.time, Date.UTC(2000, 9, 10, 8, 25, 36));
  assert.equal(east.url, '/scripts/x.dll');
  assert.equal(east.protocol, '');
  assert.equal(east.bytes, -1);
  const proxy = parse(COMBINED, '192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET http://www.example.com:8080 HTTP/1.1" 200 1 "-" "-"');
  assert.equal(proxy.url, '/');
  assert.equal(proxy.host, 'www.example.com');
});

test('apache: %D %T %{ms}T durations, %O only when no %b, %I ignored', () => {
  assert.equal(parse('%h %t "%r" %>s %b %D', '192.0.2.1 [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 2500').duration, 2.5);
  assert.equal(parse('%h %t "%r" %>s %b %T', '192.0.2.1 [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 3').duration, 3000);
  assert.equal(parse('%h %t "%r" %>s %b %{ms}T', '192.0.2.1 [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 42').duration, 42);
  assert.equal(parse('%h %t "%r" %>s %I %O', '192.0.2.1 [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 300 900').bytes, 900);
  assert.equal(parse('%h %t "%r" %>s %b %I %O', '192.0.2.1 [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 77 300 900').bytes, 77);
});

test('apache: %{...}t strftime, sec and msec', () => {
  const custom = parse('%h [%{%Y-%m-%d %H:%M:%S %z}t] "%r" %>s %b', '192.0.2.1 [2026-03-01 10:00:00 +0100] "GET / HTTP/1.1" 200 5');
  assert.equal(custom.outcome, ScanOutcome.Ok, custom.reason);
  assert.equal(custom.time, Date.UTC(2026, 2, 1, 9));
  assert.equal(parse('%h %{sec}t "%r" %>s %b', '192.0.2.1 1772359200 "GET / HTTP/1.1" 200 5').time, 1772359200000);
  assert.equal(parse('%h %{msec}t "%r" %>s %b', '192.0.2.1 1772359200123 "GET / HTTP/1.1" 200 5').time, 1772359200123);
  assert.equal(parse('%h %{%d/%b/%Y:%T}t "%r" %>s %b', '192.0.2.1 01/Mar/2026:10:00:00 "GET / HTTP/1.1" 200 5').time, Date.UTC(2026, 2, 1, 10));
});

test('apache: %m %U%q %H, %v:%p, %a and %{c}a', () => {
  const split = parse('%a %v:%p %m %U%q %H %>s', '192.0.2.9 shop.example.com:443 GET /cart?id=1&x=2 HTTP/1.1 200');
  assert.equal(split.outcome, ScanOutcome.Ok, split.reason);
  assert.equal(split.ip, '192.0.2.9');
  assert.equal(split.host, 'shop.example.com');
  assert.equal(split.method, 'GET');
  assert.equal(split.url, '/cart?id=1&x=2');
  assert.equal(split.protocol, 'HTTP/1.1');
  const noQuery = parse('%{c}a %m %U%q %H %>s', '192.0.2.9 GET /cart HTTP/1.1 200');
  assert.equal(noQuery.url, '/cart');
});

test('apache: %{X-Forwarded-For}i is the client only with clientIpField', () => {
  const format = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" "%{X-Forwarded-For}i"';
  const line = '10.0.0.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x" "203.0.113.5, 10.0.0.1"';
  assert.equal(parse(format, line).ip, '10.0.0.1');
  assert.equal(parse(format, line, { clientIpField: 'x-forwarded-for' }).ip, '203.0.113.5');
  // '-' (no header) falls back to %h
  assert.equal(parse(format, line.replace('"203.0.113.5, 10.0.0.1"', '"-"'), { clientIpField: 'X-Forwarded-For' }).ip, '10.0.0.1');
  // the preset reads appended X-Forwarded-For fields too (combined + "$http_x_forwarded_for")
  const preset = parse('combined', line, { clientIpField: 'x-forwarded-for' });
  assert.equal(preset.ip, '10.0.0.1', 'combined has no forwarded-for field; it ignores trailing fields');
});

test('apache: config-style escaped format strings and modifiers', () => {
  const record = parse('%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%400,501{User-agent}i\\"', '192.0.2.1 - - [01/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"');
  assert.equal(record.outcome, ScanOutcome.Ok, record.reason);
  assert.equal(record.userAgent, 'ua');
});

test('nginx: default combined, $request_uri, $uri$is_args$args, $uri?$args', () => {
  const main = parse('$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"', '2001:db8::1 - - [01/Mar/2026:10:00:00 +0000] "GET /p?q=1 HTTP/2.0" 200 5 "-" "ua"');
  assert.equal(main.ip, '2001:db8::1');
  assert.equal(main.url, '/p?q=1');
  assert.equal(parse('$remote_addr $request_method $request_uri $status', '192.0.2.1 GET /a/b?c=d 200').url, '/a/b?c=d');
  assert.equal(parse('$remote_addr $request_method $uri$is_args$args $status', '192.0.2.1 GET /a/b?c=d 200').url, '/a/b?c=d');
  assert.equal(parse('$remote_addr $request_method $uri$is_args$args $status', '192.0.2.1 GET /a/b 200').url, '/a/b');
  assert.equal(parse('$remote_addr $request_method $uri?$args $status', '192.0.2.1 GET /a?c=d 200').url, '/a?c=d');
  assert.equal(parse('$remote_addr $request_method $uri?$args $status', '192.0.2.1 GET /a? 200').url, '/a');
});

test('nginx: $time_iso8601, $msec, $request_time, ${var}, $host$request_uri, $scheme', () => {
  const iso = parse('$remote_addr [$time_iso8601] $scheme://$host$request_uri $status $request_time', '192.0.2.1 [2026-03-01T10:00:00+02:00] https://example.com/x?y=1 200 0.120');
  assert.equal(iso.outcome, ScanOutcome.Ok, iso.reason);
  assert.equal(iso.time, Date.UTC(2026, 2, 1, 8));
  assert.equal(iso.host, 'example.com');
  assert.equal(iso.url, '/x?y=1');
  assert.equal(iso.duration, 120);
  const msec = parse('${remote_addr} ${msec} "${request}" ${status}', '192.0.2.1 1772359200.123 "GET / HTTP/1.1" 200');
  assert.equal(msec.time, 1772359200123);
});

test('nginx: \\x22 escapes, quoted config snippets, $http_x_forwarded_for with clientIpField', () => {
  const format = "'$remote_addr - $remote_user [$time_local] \"$request\" ' '$status $body_bytes_sent \"$http_referer\" ' '\"$http_user_agent\" \"$http_x_forwarded_for\"'";
  const line = '10.0.0.2 - - [01/Mar/2026:10:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "agent \\x22q\\x22" "198.51.100.7"';
  const plain = parse(format, line);
  assert.equal(plain.outcome, ScanOutcome.Ok, plain.reason);
  assert.equal(plain.userAgent, 'agent \\x22q\\x22');
  assert.equal(plain.ip, '10.0.0.2');
  assert.equal(parse(format, line, { clientIpField: 'x-forwarded-for' }).ip, '198.51.100.7');
});

test('format strings that cannot work fail at resolve time with E_FORMAT_UNKNOWN', () => {
  const isUnknown = (error: unknown): boolean => error instanceof ReplaywatchError && error.code === 'E_FORMAT_UNKNOWN';
  assert.throws(() => resolveFormat('%h %Z'), isUnknown);
  assert.throws(() => resolveFormat('%h%u'), isUnknown, 'adjacent fields without a separator');
  assert.throws(() => resolveFormat('%{Referer'), isUnknown);
  assert.throws(() => resolveFormat('json:nothing=x'), isUnknown);
  assert.throws(() => resolveFormat('json:ip=a'), isUnknown, 'a mapping needs a url');
  assert.throws(() => resolveFormat('not a format'), isUnknown);
});
