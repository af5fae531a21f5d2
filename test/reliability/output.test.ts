/**
 * Issue 11, defects 3, 5 and 6: what reaches a reader. Strings from logs and requests are
 * escaped before a terminal sees them (JSON stays exact); people's addresses are pseudonyms
 * in every output of --anonymize, stable with the key in the data directory; secrets in URLs
 * are redacted by default in every report and shown with --show-secrets.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { renderCanaryReport, renderHitLine, type CanaryReport } from '../../src/canary/index.js';
import { terminalText } from '../../src/common/terminal-text.js';
import { createRedactor, looksSecret } from '../../src/report/index.js';
import { runCli, scratchDir } from '../support/cli.js';
import { combinedLine, replayedLog, replayerAddress } from '../support/hostile-log.js';

const offline = ['--offline', '--state', '/nonexistent/replaywatch-test.duckdb'];
/** Bytes a terminal obeys: C0 controls but '\n', DEL, C1 controls (as UTF-8 text), bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const hostile = {
  agent: 'Evil\u001b]0;PWNED\u0007 \u001b[31mred\u001b[0m \u009b2J \r\u0000end',
  url: '/page?x=\u001b[2J\u001b]0;PWNED\u0007',
};

test('terminalText: controls, C1 and bidi are shown as escapes; plain text is untouched', () => {
  assert.equal(terminalText('/a?b=c d'), '/a?b=c d');
  assert.equal(terminalText('\u001b]0;PWNED\u0007'), '\\x1b]0;PWNED\\x07');
  assert.equal(terminalText('a\u009bb\r\n\u0000\u202e'), 'a\\u009bb\\r\\n\\x00\\u202e');
  assert.doesNotMatch(terminalText(hostile.agent), RAW_CONTROL);
});

test('scan and explain: hostile user agents, URLs and skipped lines are escaped on the terminal, exact in JSON', () => {
  const directory = scratchDir('escape');
  const { text } = replayedLog(['/orders/1', '/orders/2', '/orders/3', '/orders/4', hostile.url], { replayerAgent: hostile.agent });
  // a line that is skipped, with the bytes in it
  const skipped = `9.9.9.9 - - [02/Mar/2026:08:00:00 +0000] "GET /\u001b]0;PWNED\u0007`;
  const log = join(directory, 'access.log');
  writeFileSync(log, `${text}${skipped}\n${combinedLine('9.9.9.8', Date.UTC(2026, 2, 2, 9), '/x', { agent: hostile.agent })}\n`);
  const scan = runCli(['scan', log, ...offline]);
  assert.equal(scan.status, 1, scan.stderr);
  assert.doesNotMatch(scan.stdout + scan.stderr, RAW_CONTROL);
  assert.match(scan.stdout, /\\x1b\]0;PWNED\\x07/, 'the skipped line is shown, escaped');
  const explained = runCli(['explain', replayerAddress, log, ...offline]);
  assert.equal(explained.status, 0, explained.stderr);
  assert.doesNotMatch(explained.stdout + explained.stderr, RAW_CONTROL);
  assert.ok(explained.stdout.includes('Evil\\x1b]0;PWNED\\x07 \\x1b[31mred'), explained.stdout);
  const other = runCli(['explain', '9.9.9.8', log, ...offline]);
  assert.doesNotMatch(other.stdout, RAW_CONTROL);
  // JSON keeps the exact bytes (JSON.stringify escapes them as \u001b)
  const json = JSON.parse(runCli(['explain', replayerAddress, log, '--json', ...offline]).stdout) as { clients: { counts: { userAgent: string } }[] };
  assert.equal(json.clients[0]!.counts.userAgent, hostile.agent);
});

test('canary report and watch lines escape what came from requests', () => {
  const report: CanaryReport = {
    canaries: [
      {
        token: 't',
        label: 'laptop\u001b[2J',
        url: 'http://x/notes/t',
        created: '2026-03-02T00:00:00Z',
        revoked: null,
        firstHit: { time: '2026-03-02T00:00:01Z', ip: '10.0.0.1', userAgent: hostile.agent, repeats: 0 } as never,
        others: [{ kind: 'replayer', time: '2026-03-02T00:01:00Z', lagSeconds: 59, ip: '150.70.97.43', network: { cidr: '150.70.0.0/16', org: 'x\u009b' }, actors: [], userAgent: hostile.agent } as never],
        verdict: { status: 'leaks', sentence: `fetched by ${hostile.agent}`, details: [] },
      },
    ],
  } as CanaryReport;
  assert.doesNotMatch(renderCanaryReport(report).join('\n'), RAW_CONTROL);
  const line = renderHitLine({ id: 'i', token: 't', time: 0, ip: '1.2.3.4', peer: '1.2.3.4', method: 'GET\u001b', url: hostile.url, userAgent: hostile.agent } as never, 'l\u0007');
  assert.doesNotMatch(line, RAW_CONTROL);
});

const secretUrls = [
  '/login?user=ann&password=hunter2hunter2',
  '/reset/Zq9XbT4kLmP2wRt7',
  '/oauth/callback?code=4/0AeanS0bZ8xYk3&state=xyz',
  '/api?jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  '/download?token=abc123secret&key=AKIAIOSFODNN7EXAMPLE&sig=9f86d081884c7d659a2f',
  '/share/aZ3kQ9mX7pL2vB8nR4tW6yE1/view',
];
const secretValues = ['hunter2hunter2', 'Zq9XbT4kLmP2wRt7', '4/0AeanS0bZ8xYk3', 'eyJhbGciOiJIUzI1NiJ9', 'abc123secret', 'AKIAIOSFODNN7EXAMPLE', '9f86d081884c7d659a2f', 'aZ3kQ9mX7pL2vB8nR4tW6yE1'];

test('redaction: secrets become [redacted:hash] with the name kept; equal secrets, equal hashes; words and slugs stay', () => {
  const redact = createRedactor(Buffer.alloc(32, 7));
  for (const url of secretUrls) {
    const redacted = redact(url);
    for (const secret of secretValues) assert.ok(!redacted.includes(secret), `${secret} in ${redacted}`);
    assert.match(redacted, /\[redacted:[0-9a-f]{6}\]/);
  }
  assert.match(redact('/login?user=ann&password=hunter2hunter2'), /^\/login\?user=ann&password=\[redacted:[0-9a-f]{6}\]$/);
  assert.equal(redact('/a?token=same1'), redact('/a?token=same1').toString());
  assert.notEqual(redact('/a?token=same1'), redact('/a?token=same2'));
  for (const plain of ['/blog/how-to-install-nginx-on-debian-12', '/products/100?page=2&sort=price', '/static/app.3f4a9b2c.js', '/search?q=gift+ideas']) assert.equal(redact(plain), plain);
  assert.equal(looksSecret('Release-Notes-2024-Edition-Part2'), false);
});

test('scan and explain redact secrets by default, in terminal and JSON; --show-secrets shows them', () => {
  const directory = scratchDir('secrets');
  const log = join(directory, 'access.log');
  writeFileSync(log, replayedLog(secretUrls).text);
  const env = { XDG_DATA_HOME: directory };
  for (const args of [['scan', log], ['scan', log, '--json'], ['explain', replayerAddress, log], ['explain', replayerAddress, log, '--json'], ['explain', '81.2.69.160', log]]) {
    const run = runCli([...args, ...offline], { env });
    assert.ok(run.status === 0 || run.status === 1, run.stderr);
    for (const secret of secretValues) assert.ok(!run.stdout.includes(secret), `${args.join(' ')} prints ${secret}`);
    assert.match(run.stdout, /redacted:[0-9a-f]{6}/, args.join(' '));
  }
  const shown = runCli(['explain', replayerAddress, log, '--show-secrets', ...offline], { env });
  assert.ok(shown.stdout.includes('password=hunter2hunter2'), shown.stdout);
});

test('--anonymize: no person\'s address in any output, pseudonyms stable with the key, not addresses, and said', () => {
  const directory = scratchDir('anon');
  const log = join(directory, 'access.log');
  const { text, people } = replayedLog(['/orders/1', '/orders/2', '/orders/3', '/orders/4', '/orders/5']);
  writeFileSync(log, `${text}${'10.1.2.3 - - [02/Mar/2026:14:00:00 +0000] "GET /truncated'}\n`);
  people.push('10.1.2.3');
  const env = { XDG_DATA_HOME: join(directory, 'data') };
  const runs = [
    ['scan', log, '--anonymize'],
    ['scan', log, '--anonymize', '--json'],
    ['explain', replayerAddress, log, '--anonymize'],
    ['explain', replayerAddress, log, '--anonymize', '--json'],
    ['explain', people[0]!, log, '--anonymize'],
    ['explain', '81.2.0.0/16', log, '--anonymize', '--json'],
  ].map((args) => ({ args, run: runCli([...args, ...offline], { env }) }));
  for (const { args, run } of runs) {
    for (const person of people) assert.ok(!run.stdout.includes(person) && !run.stderr.includes(person), `${args.join(' ')} prints ${person}:\n${run.stdout}`);
    assert.match(run.stdout, /anon-81\.2-[0-9a-f]{8}/, args.join(' '));
  }
  assert.match(runs[0]!.run.stdout, /Anonymized \(--anonymize\)/);
  assert.equal((JSON.parse(runs[1]!.run.stdout) as { privacy: { anonymized: boolean } }).privacy.anonymized, true);
  assert.match(runs[2]!.run.stdout, /Anonymized \(--anonymize\)/);
  const pseudonyms = (output: string) => [...output.matchAll(/anon-[0-9a-f.:]+-[0-9a-f]{8}/g)].map((match) => match[0]).sort();
  const again = runCli(['scan', log, '--anonymize', ...offline], { env });
  assert.deepEqual(pseudonyms(again.stdout), pseudonyms(runs[0]!.run.stdout), 'the same key, the same pseudonyms');
  const otherKey = runCli(['scan', log, '--anonymize', ...offline], { env: { XDG_DATA_HOME: join(directory, 'other') } });
  assert.notDeepEqual(pseudonyms(otherKey.stdout), pseudonyms(runs[0]!.run.stdout), 'another key, other pseudonyms');
  for (const pseudonym of pseudonyms(again.stdout)) assert.equal(ipaddr.isValid(pseudonym), false, pseudonym);
  // the replayer stays named
  assert.ok(runs[0]!.run.stdout.includes(replayerAddress));
});
