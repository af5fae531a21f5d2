/**
 * Issue 11, defects 12 and 13: exit codes and messages a script can rely on, and times that
 * cannot be. Every line skipped is exit 2 with the reason; explain of an absent address is 1;
 * a damaged store is E_STATE_IO (2), never an internal error (3); a format string that can
 * read nothing is refused; every error carries its code and no misleading hint; a time before
 * 1990, after 2099 or on no real day (30/Feb) is a skipped line, and the window is not stretched.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveFormat, ScanOutcome, ScanRecord } from '../../src/formats/index.js';
import { daysInMonth } from '../../src/formats/time.js';
import { runCli, scratchDir } from '../support/cli.js';
import { combinedLine, replayedLog } from '../support/hostile-log.js';

const offline = ['--offline', '--state', '/nonexistent/replaywatch-test.duckdb'];

test('every line skipped: exit 2, E_NO_RECORDS with the reasons', () => {
  const directory = scratchDir('skipped');
  const path = join(directory, 'junk.log');
  writeFileSync(path, 'not a log line\nnor this one\n');
  const run = runCli(['scan', path, '--format', 'combined', ...offline]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /no line of .*junk\.log could be read as a request: 2 of 2 lines skipped \(2 line does not match the format\) \[E_NO_RECORDS\]/);
  // undetected format: its own code and hint, not "check the path"
  const undetected = runCli(['scan', path, ...offline]);
  assert.equal(undetected.status, 2);
  assert.match(undetected.stderr, /\[E_FORMAT_UNDETECTED\]/);
  assert.doesNotMatch(undetected.stderr, /check the path/);
});

test('explain of an address that is not in the log: exit 1, "not found"', () => {
  const directory = scratchDir('explain');
  const path = join(directory, 'access.log');
  writeFileSync(path, replayedLog(['/a', '/b', '/c']).text);
  const run = runCli(['explain', '198.51.100.77', path, ...offline]);
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /198\.51\.100\.77 not found/);
  assert.equal(runCli(['explain', '81.2.69.160', path, ...offline]).status, 0);
});

test('impossible --format strings are refused with E_FORMAT_UNKNOWN; unknown options carry E_USAGE', () => {
  const directory = scratchDir('format');
  const path = join(directory, 'access.log');
  writeFileSync(path, replayedLog(['/a']).text);
  for (const format of ['%h %l %u %t "%r %>s %b', '%t', '$time_local $status']) {
    const run = runCli(['scan', path, '--format', format, ...offline]);
    assert.equal(run.status, 2, format);
    assert.match(run.stderr, /\[E_FORMAT_UNKNOWN\]/, format);
  }
  assert.throws(() => resolveFormat('%h %l %u %t "%r %>s %b'), /quotes do not pair/);
  assert.throws(() => resolveFormat('%t'), /names no client address .* and no request or URL/);
  const unknown = runCli(['scan', '--bogus']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown option '--bogus' \[E_USAGE\]/);
});

test('a truncated store is E_STATE_IO (exit 2), never an internal error, wherever it was cut', () => {
  const directory = scratchDir('store');
  const state = join(directory, 'state.duckdb');
  const made = runCli(['canary', 'new', '--label', 'cut', '--state', state, '--json']);
  assert.equal(made.status, 0, made.stderr);
  const bytes = readFileSync(state);
  for (const share of [0, 0.004, 0.25, 0.47, 0.75]) {
    const cut = join(directory, `cut-${share}.duckdb`);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * share)));
    const run = runCli(['canary', 'report', '--state', cut]);
    // 0: the cut spared what report reads; otherwise a damaged store, said so
    assert.ok(run.status === 0 || (run.status === 2 && /\[E_STATE_IO\]/.test(run.stderr)), `cut at ${share}: exit ${run.status}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /internal error|E_INTERNAL/);
  }
});

test('times: 30/Feb is no date; 1970 and 9999 are skipped lines with a warning, and the window stays', () => {
  assert.equal(daysInMonth(2026, 2), 28);
  assert.equal(daysInMonth(2024, 2), 29);
  assert.equal(daysInMonth(2100, 2), 28);
  assert.equal(daysInMonth(2000, 2), 29);
  const record = new ScanRecord();
  const line = Buffer.from('1.2.3.4 - - [30/Feb/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"');
  assert.equal(resolveFormat('combined').createScanner().scan(line, 0, line.length, record), ScanOutcome.Skip);
  const iso = Buffer.from('{"time_iso8601":"2026-02-30T10:00:00+00:00","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status":200}');
  const outcome = resolveFormat('nginx-json').createScanner().scan(iso, 0, iso.length, record);
  assert.ok(outcome === ScanOutcome.Skip || Number.isNaN(record.time), `30 February read as ${record.time}`);

  const directory = scratchDir('time');
  const path = join(directory, 'access.log');
  const { text } = replayedLog(['/a', '/b', '/c']);
  const bad = [
    combinedLine('5.5.5.5', 0, '/epoch').replace(/\[[^\]]+\]/, '[01/Jan/1970:00:00:00 +0000]'),
    combinedLine('5.5.5.6', 0, '/far').replace(/\[[^\]]+\]/, '[31/Dec/9999:23:59:59 +0000]'),
    combinedLine('5.5.5.7', 0, '/feb').replace(/\[[^\]]+\]/, '[30/Feb/2026:10:00:00 +0000]'),
  ];
  writeFileSync(path, text + bad.join('\n') + '\n');
  const run = runCli(['scan', path, '--json', ...offline]);
  const report = JSON.parse(run.stdout) as { input: { from: string; to: string; skipped: number; skippedReasons: Record<string, number> }; warnings: string[] };
  assert.equal(report.input.skipped, 3);
  assert.equal(report.input.skippedReasons['time out of range (before 1990 or after 2099)'], 2);
  assert.equal(report.input.skippedReasons['bad timestamp'], 1);
  assert.match(report.input.from, /^2026-03-02/);
  assert.match(report.input.to, /^2026-03-02/);
  assert.ok(report.warnings.some((warning) => /2 lines had a time before 1990 or after 2099/.test(warning)), report.warnings.join('\n'));
});
