/**
 * The combined format's one-pass scanner must read every line exactly as the generic layout
 * scanner does (it reads the lines it is sure of and hands the rest over): same outcome, same
 * skip reason, same record, same layout variant. Checked on edge cases written for it, on
 * every line of the real combined logs and format samples in ../shared (when present), and
 * on a generated log.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { CombinedScanner } from '../../src/formats/combined-scanner.js';
import { type LayoutScanner } from '../../src/formats/pattern.js';
import { resolveFormat, ScanOutcome, ScanRecord } from '../../src/formats/index.js';
import { random } from '../support/records.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const shared = join(repoRoot, '..', 'shared', 'data');

/** [fast path taken, lines compared] */
function compare(lines: Buffer[], label: string): [number, number] {
  const combined = resolveFormat('combined').createScanner() as CombinedScanner;
  assert.ok(combined instanceof CombinedScanner, 'the combined preset uses its own scanner');
  // the generic scanner alone: a second instance, so neither sees the other's state
  const generic = (resolveFormat('combined').createScanner() as CombinedScanner)['generic'] as LayoutScanner;
  const fastRecord = new ScanRecord();
  const genericRecord = new ScanRecord();
  const probe = new ScanRecord();
  let fast = 0;
  lines.forEach((line, index) => {
    // in a larger buffer, as the reader hands lines over (bytes after the line must not matter)
    const buffer = Buffer.concat([Buffer.from('x"\n'), line, Buffer.from('\n" "q"')]);
    const start = 3;
    const end = 3 + line.length;
    if ((combined as unknown as { fast(b: Buffer, s: number, e: number, r: ScanRecord): boolean }).fast(buffer, start, end, probe)) fast++;
    const a = combined.scan(buffer, start, end, fastRecord);
    const b = generic.scan(buffer, start, end, genericRecord);
    const where = `${label} line ${index + 1}: ${line.toString('latin1').slice(0, 160)}`;
    assert.equal(a, b, `outcome, ${where}`);
    if (a === ScanOutcome.Ok) {
      assert.deepEqual(fastRecord.toObject(), genericRecord.toObject(), `record, ${where}`);
      assert.equal(combined.lastVariant, generic.lastVariant, `variant, ${where}`);
    } else {
      assert.equal(fastRecord.reason, genericRecord.reason, `reason, ${where}`);
    }
  });
  return [fast, lines.length];
}

const EDGE_CASES = [
  '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
  '2001:db8::7 - - [02/Mar/2026:00:00:01 +0000] "POST /login HTTP/1.1" 302 - "-" "curl/8.5.0"',
  '198.51.100.4 - - [02/Mar/2026:00:00:02 +0100] "GET /search?q=vpn+router HTTP/2.0" 200 31022 "https://example.org/" "Mozilla/5.0" "203.0.113.9"',
  // absolute-form target: host and path split
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET http://example.com:8080/a?b=1 HTTP/1.1" 200 5 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET https://example.com HTTP/1.1" 200 5 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET hello HTTP/1.1" 200 5 "-" "-"',
  // address with a port, in brackets, a list, or absent
  '203.0.113.5:5123 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '[2001:db8::1]:443 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5, 10.0.0.1 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '- - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  // escapes and stray quotes
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /a\\"b HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /a"b HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "http://x/"quoted"" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla "quoted" agent"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "agent\\\\"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "ref\\" "x" "ua"',
  // requests that are not requests
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "-" 400 0 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "" 400 0 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET!not found" 404 0 "-" "-"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /a b c HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /path-only" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET  HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /tab\there HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET /ctl\u0001 HTTP/1.1" 200 5 "-" "ua"',
  // numbers
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 0200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 2x0 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 -5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 12345678901 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200  "-" "ua"',
  // times
  '203.0.113.5 - - [02/Mar/2026:00:00:03.123 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [32/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Xyz/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  // users, idents, spacing
  '203.0.113.5 ident user [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5  - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  // fallbacks of the generic scanner: common, vhost in front, extra fields
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5',
  'www.example.com 203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  'www.example.com:443 203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" 0.004 "x"',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"trailing',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" ""',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "" "ua"',
  // truncated, a container prefix, blank, binary
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozil',
  '203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTT',
  '2025-12-31T17:37:40.493035218+01:00 stdout F 203.0.113.5 - - [02/Mar/2026:00:00:03 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '',
  '   ',
  '\u0000\u0001\u0002 binary junk that is long enough to pass the length gate',
  'not a log line at all, though it is long enough to be tried',
];

test('the combined scanner reads edge cases exactly as the generic scanner does', () => {
  const [fast] = compare(EDGE_CASES.map((line) => Buffer.from(line, 'latin1')), 'edge case');
  assert.ok(fast >= 10, `the fast path reads the plain lines (${fast})`);
});

test('the combined scanner reads a generated log exactly as the generic scanner does, nearly all on its fast path', () => {
  const lines: Buffer[] = [];
  const agents = ['Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0', '-', 'curl/8.5.0', 'Googlebot/2.1 (+http://www.google.com/bot.html)'];
  for (let i = 0; i < 3000; i++) {
    const ip = i % 7 === 0 ? `2001:db8:${(i % 50).toString(16)}::${(i % 9).toString(16)}` : `198.51.${i % 256}.${(i * 7) % 256}`;
    const target = i % 5 === 0 ? `/search?q=${i}&x=%22y%22` : i % 3 === 0 ? `/static/app.js?v=${i}` : `/articles/${i}-title`;
    const line = `${ip} - ${i % 11 === 0 ? 'alice' : '-'} [0${1 + (i % 9)}/Mar/2026:${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:07 +0100] "${i % 13 === 0 ? 'HEAD' : 'GET'} ${target} HTTP/1.${i % 2}" ${[200, 304, 404, 403][i % 4]} ${i % 6 === 0 ? '-' : i * 13} "${i % 4 === 0 ? '-' : `https://www.example.com/p/${i}`}" "${agents[i % agents.length]}"`;
    lines.push(Buffer.from(line));
  }
  const [fast, total] = compare(lines, 'generated');
  assert.equal(fast, total);
});

test('the combined scanner reads the real combined logs and samples exactly as the generic scanner does', (t) => {
  if (!existsSync(shared)) {
    if (process.env.CI === 'true') assert.fail(`${shared} is missing: CI must have ../shared beside the repository`);
    t.skip(`skipped: ${shared} not found (the real logs live beside the repository)`);
    return;
  }
  const files = [
    ...['elastic_apache_logs.log.gz', 'nielsbasjes_hackers-access.log.gz', 'honeynet2004_httpd_access_log.log.gz'].map((name) => join(shared, 'real-logs', name)),
    ...readdirSync(join(shared, 'format-samples')).filter((name) => name.endsWith('.log')).map((name) => join(shared, 'format-samples', name)),
  ];
  let fast = 0;
  let total = 0;
  for (const file of files) {
    let text = readFileSync(file);
    if (file.endsWith('.gz')) text = gunzipSync(text);
    const lines: Buffer[] = [];
    for (let start = 0; start < text.length; ) {
      let newline = text.indexOf(10, start);
      if (newline < 0) newline = text.length;
      const end = newline > start && text[newline - 1] === 13 ? newline - 1 : newline;
      lines.push(text.subarray(start, end));
      start = newline + 1;
    }
    const [f, n] = compare(lines, file);
    fast += f;
    total += n;
  }
  assert.ok(total > 10_000, `lines compared: ${total}`);
  assert.ok(fast > total / 2, `fast path on ${fast} of ${total} lines`);
});

test('the combined scanner reads mutated lines exactly as the generic scanner does (seeded fuzz)', () => {
  const next = random(4242);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // the bytes a combined line's structure turns on, and some it must not trip on
  const alphabet = [' ', '"', '\\', '[', ']', ':', ',', '-', '/', '?', 'H', 'T', 'P', '0', '9', '\t', '\u0001', '\u007f', 'é', 'x'];
  const seeds = [...EDGE_CASES.slice(0, 6), '203.0.113.5 - alice [02/Mar/2026:00:00:03 +0000] "GET /a/b?c=d HTTP/1.1" 200 512 "https://example.org/x" "Mozilla/5.0 (X11)"'];
  const lines: Buffer[] = [];
  for (let round = 0; round < 4000; round++) {
    let text = pick(seeds);
    const edits = 1 + Math.floor(next() * 3);
    for (let edit = 0; edit < edits; edit++) {
      const at = Math.floor(next() * (text.length + 1));
      const kind = next();
      if (kind < 0.4) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
      else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
    }
    lines.push(Buffer.from(text, 'utf8'));
  }
  const [fast, total] = compare(lines, 'mutated');
  assert.equal(total, 4000);
  assert.ok(fast > 500 && fast < total, `fast path on ${fast} of ${total} mutated lines`);
});
