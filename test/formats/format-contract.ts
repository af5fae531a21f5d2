/**
 * The contract every format runs (habit 9: shared contracts get shared suites):
 * sample lines parse to their expected fields; garbage is a Skip with a reason and never
 * throws; blank lines are Meta; a scanner survives any byte sequence.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LogFormat, type ParsedRecord, ScanOutcome, ScanRecord } from '../../src/formats/index.js';

export interface ContractCase {
  line: string;
  expect?: Partial<ParsedRecord>;
}

/** Lines no access-log format should accept. */
const GARBAGE: (string | Buffer)[] = [
  'hello world',
  '-',
  '"',
  '[',
  '{',
  '{"a":',
  '{"msg":"starting server","level":"info"}',
  'Mar  3 10:00:00 host kernel: [12345.678] eth0: link up',
  '2026/03/01 10:00:00 [error] 12#12: *1 open() "/x" failed (2: No such file or directory)',
  Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
  Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x22, 0x5b, 0x7b, 0x0a]),
  Buffer.from('1.2.3.4 - - [01/Jan/2026:00:00:00 +0000] "\u0000\u0001\u0002" 400 0 "-" "-"'.replace(/\\u/g, '')),
];

function parseWith(format: LogFormat, lines: (string | Buffer)[]): { outcome: number; record: ParsedRecord; reason: string }[] {
  const scanner = format.createScanner();
  const record = new ScanRecord();
  return lines.map((line) => {
    const buffer = typeof line === 'string' ? Buffer.from(line) : line;
    const outcome = scanner.scan(buffer, 0, buffer.length, record);
    return { outcome, record: record.toObject(), reason: record.reason };
  });
}

/** Registers the contract tests for one format. `headers` are fed first (W3C `#Fields:`). */
export function runFormatContract(format: LogFormat, cases: ContractCase[], headers: string[] = []): void {
  test(`${format.name}: sample lines parse to their fields`, () => {
    const results = parseWith(format, [...headers, ...cases.map((entry) => entry.line)]).slice(headers.length);
    results.forEach((result, index) => {
      const entry = cases[index];
      assert.equal(result.outcome, entry.line.startsWith('#') ? ScanOutcome.Meta : ScanOutcome.Ok, `line ${index}: ${result.reason} :: ${entry.line.slice(0, 120)}`);
      if (entry.expect === undefined) return;
      for (const [key, value] of Object.entries(entry.expect)) {
        assert.deepEqual((result.record as unknown as Record<string, unknown>)[key], value, `${key} of line ${index}`);
      }
    });
  });

  test(`${format.name}: garbage is a Skip with a reason, never a throw`, () => {
    const scanner = format.createScanner();
    const record = new ScanRecord();
    for (const header of headers) scanner.scan(Buffer.from(header), 0, Buffer.byteLength(header), record);
    for (const line of GARBAGE) {
      const buffer = typeof line === 'string' ? Buffer.from(line) : line;
      const outcome = scanner.scan(buffer, 0, buffer.length, record);
      if (outcome === ScanOutcome.Meta) continue; // '#'-less garbage can't be meta, but W3C treats '#...' as directives
      assert.equal(outcome, ScanOutcome.Skip, `accepted garbage: ${buffer.toString('latin1')}`);
      assert.ok(record.reason.length > 0, 'a skip has a reason');
    }
  });

  test(`${format.name}: truncated and mangled samples never throw`, () => {
    const scanner = format.createScanner();
    const record = new ScanRecord();
    for (const header of headers) scanner.scan(Buffer.from(header), 0, Buffer.byteLength(header), record);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (const entry of cases) {
      const buffer = Buffer.from(entry.line);
      for (let cut = 0; cut < buffer.length; cut += Math.max(1, Math.floor(buffer.length / 40))) {
        const outcome = scanner.scan(buffer, 0, cut, record);
        if (outcome === ScanOutcome.Skip) assert.ok(record.reason.length > 0);
      }
      for (let round = 0; round < 50; round++) {
        const mangled = Buffer.from(buffer);
        for (let k = 0; k < 4; k++) mangled[Math.floor(random() * mangled.length)] = Math.floor(random() * 256);
        const outcome = scanner.scan(mangled, 0, mangled.length, record);
        if (outcome === ScanOutcome.Skip) assert.ok(record.reason.length > 0);
      }
      // a slice inside a larger buffer reads only its own bytes
      const padded = Buffer.concat([Buffer.from('XXXX'), buffer, Buffer.from('"YYYY\n')]);
      const outcome = scanner.scan(padded, 4, 4 + buffer.length, record);
      if (!entry.line.startsWith('#')) assert.equal(outcome, ScanOutcome.Ok, record.reason);
    }
  });

  test(`${format.name}: blank lines are Meta`, () => {
    const scanner = format.createScanner();
    const record = new ScanRecord();
    assert.equal(scanner.scan(Buffer.alloc(0), 0, 0, record), ScanOutcome.Meta);
    assert.equal(scanner.scan(Buffer.from('   '), 0, 3, record), ScanOutcome.Meta);
  });
}
