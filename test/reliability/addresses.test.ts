/**
 * Defect 1 of issue 11: an IPv4-mapped IPv6 address (`::ffff:203.0.113.9`, what dual-stack
 * servers and Node apps log) is its IPv4 client everywhere, and a zone id (`fe80::1%eth0`) is
 * dropped; before, every mapped address collapsed into one /64 client and nothing was found.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clientAddressText, mappedIPv4Start, zoneStart } from '../../src/common/ip-text.js';
import { resolveFormat, ScanOutcome, ScanRecord } from '../../src/formats/index.js';
import { Field } from '../../src/formats/record.js';
import { normaliseAddress } from '../../src/serve/index.js';
import { simulate } from '../../src/simulate/index.js';
import { runCli, scratchDir } from '../support/cli.js';

const offline = ['--offline', '--state', '/nonexistent/replaywatch-test.duckdb'];

test('ip-text: mapped IPv4 and zone ids reduce to the client, other text is kept', () => {
  for (const [text, client] of [
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:203.0.113.9', '203.0.113.9'],
    ['0:0:0:0:0:ffff:203.0.113.9', '203.0.113.9'],
    ['fe80::1%eth0', 'fe80::1'],
    ['203.0.113.9', '203.0.113.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['::ffff:2001:db8::1', '::ffff:2001:db8::1'],
    ['::ffff:999.1.1.1', '::ffff:999.1.1.1'],
  ]) {
    assert.equal(clientAddressText(text!), client, text);
    const bytes = Buffer.from(`x${text} y`);
    const start = mappedIPv4Start(bytes, 1, 1 + text!.length);
    const end = zoneStart(bytes, start, 1 + text!.length);
    // the byte form agrees with the text form except for octet ranges, which it leaves to the parser
    if (!text!.includes('999')) assert.equal(bytes.toString('latin1', start, end), client, `bytes: ${text}`);
  }
  assert.equal(normaliseAddress('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(normaliseAddress('fe80::1%eth0'), 'fe80::1');
});

test('records: every format sets the IPv4 client of a mapped address', () => {
  const combined = '::ffff:203.0.113.9 - - [10/Oct/2025:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"';
  for (const [format, text] of [['combined', combined], ['common', combined.slice(0, combined.indexOf(' "-"'))]] as const) {
    const line = Buffer.from(text);
    const record = new ScanRecord();
    assert.equal(resolveFormat(format).createScanner().scan(line, 0, line.length, record), ScanOutcome.Ok);
    assert.equal(record.text(Field.Ip), '203.0.113.9', format);
  }
  const json = Buffer.from('{"remote_addr":"fe80::1%eth0","time_iso8601":"2025-10-10T13:55:36+00:00","request":"GET /a HTTP/1.1","status":200}');
  const record = new ScanRecord();
  assert.equal(resolveFormat('nginx-json').createScanner().scan(json, 0, json.length, record), ScanOutcome.Ok);
  assert.equal(record.text(Field.Ip), 'fe80::1');
});

test('scan: a log written with ::ffff: addresses finds the same sources as the IPv4 log', () => {
  const directory = scratchDir('mapped');
  const simulation = simulate({ scenario: 'incident', seed: 1, days: 3 });
  const plain = simulation.files[0]!.data.toString();
  const mapped = plain.replace(/^(\d+\.\d+\.\d+\.\d+) /gm, '::ffff:$1 ');
  writeFileSync(join(directory, 'plain.log'), plain);
  writeFileSync(join(directory, 'mapped.log'), mapped);
  const before = runCli(['scan', join(directory, 'plain.log'), '--json', ...offline]);
  const after = runCli(['scan', join(directory, 'mapped.log'), '--json', ...offline]);
  assert.equal(after.status, before.status, after.stderr);
  const sources = (text: string) => (JSON.parse(text) as { sources: { kind: string; ips: string[] }[] }).sources.map((source) => `${source.kind} ${source.ips.join(',')}`).sort();
  assert.ok(sources(before.stdout).length >= 3, 'the incident has sources');
  assert.deepEqual(sources(after.stdout), sources(before.stdout));
});
