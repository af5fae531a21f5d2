/**
 * Reverse DNS from `replaywatch scan`, against a real dnsmasq on loopback that logs every
 * query: names are looked up (with forward confirmation) only for the clients the report
 * shows, never for every address, and --offline makes no query at all. Runs the real CLI
 * (dist/, built by `npm test`). Outside CI a missing dnsmasq skips (saying so); in CI it fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Dnsmasq, dnsmasqSkip, silentDnsServer, startDnsmasq } from '../support/dnsmasq.js';

const skip = dnsmasqSkip("scan's reverse-DNS test");

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(repoRoot, 'test', 'fixtures', 'golden', 'access.log');

function scan(...flags: string[]) {
  const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'replaywatch.js'), 'scan', fixture, '--json', '--state', '/nonexistent/state.duckdb', ...flags], { encoding: 'utf8' });
  assert.equal(run.status, 1, run.stderr);
  return JSON.parse(run.stdout) as {
    sources: { kind: string; ips: string[]; network: { rdns: string[] } }[];
    attribution: { reverseDns: string };
  };
}

describe('scan looks up reverse names for the clients it reports, and only those', { skip }, () => {
  let directory: string;
  let dnsmasq: Dnsmasq;
  let port: number;

  const ptrQueries = (): string[] =>
    readFileSync(dnsmasq.queryLog, 'utf8')
      .split('\n')
      .filter((line) => /query\[PTR\]/.test(line))
      .map((line) => /query\[PTR\] (\S+)/.exec(line)![1]!);

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'replaywatch-scan-rdns-'));
    dnsmasq = await startDnsmasq(directory, [
      'local=/in-addr.arpa/',
      'local=/ip6.arpa/',
      'local=/trendnet.org/',
      'local=/example.net/',
      // the replay cloud: one forward-confirmed name, one PTR that does not resolve back
      'host-record=sjdc-wtp-gs-maya6.sdi.trendnet.org,150.70.97.43',
      'ptr-record=130.15.104.216.in-addr.arpa,claims.example.net',
      'host-record=claims.example.net,192.0.2.1',
      // a person, whose name must never be asked for
      'host-record=cpe-73-12-9-4.example.net,73.12.9.4',
    ]);
    port = dnsmasq.port;
  });

  after(async () => {
    await dnsmasq?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('names the replay cloud, confirmed forward, and asks nothing about people', () => {
    const report = scan('--dns-server', `127.0.0.1:${port}`, '--dns-timeout', '1500');
    assert.equal(report.attribution.reverseDns, 'done');
    const replayer = report.sources.find((source) => source.kind === 'replayer')!;
    assert.ok(replayer.ips.includes('150.70.97.43'));
    const shown = new Set(report.sources.flatMap((source) => source.ips));
    const asked = ptrQueries();
    assert.ok(asked.includes('43.97.70.150.in-addr.arpa'), `asked: ${asked.join(', ')}`);
    assert.ok(!asked.includes('4.9.12.73.in-addr.arpa'), 'a person behind 73.12.9.4 is not reported, so not looked up');
    for (const name of asked) {
      const ip = name.replace('.in-addr.arpa', '').split('.').reverse().join('.');
      assert.ok(shown.has(ip), `looked up ${ip}, which the report does not show`);
    }
    // the source's network carries the confirmed name of its first address
    const withName = report.sources.find((source) => source.network.rdns.includes('sjdc-wtp-gs-maya6.sdi.trendnet.org'));
    assert.ok(withName, JSON.stringify(report.sources.map((source) => [source.ips[0], source.network.rdns])));
    // a PTR that does not resolve back to the address is not trusted as the name
    const network = withName.network as { rdns: string[]; rdnsUnconfirmed?: string[] };
    assert.ok(!network.rdns.includes('claims.example.net'));
    assert.ok(network.rdnsUnconfirmed?.includes('claims.example.net'));
  });

  it('--offline asks nothing and says so', () => {
    const before = ptrQueries().length;
    const report = scan('--offline', '--dns-server', `127.0.0.1:${port}`);
    assert.equal(report.attribution.reverseDns, 'offline');
    assert.equal(ptrQueries().length, before);
    for (const source of report.sources) assert.deepEqual(source.network.rdns, []);
  });

  it('a server that never answers times out and the scan still reports', async () => {
    const silent = await silentDnsServer();
    try {
      const started = Date.now();
      const child = spawn(process.execPath, [join(repoRoot, 'bin', 'replaywatch.js'), 'scan', fixture, '--json', '--state', '/nonexistent/state.duckdb', '--dns-server', `127.0.0.1:${silent.port}`, '--dns-timeout', '500'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 1);
      const report = JSON.parse(stdout) as { sources: { kind: string; network: { rdns: string[] } }[] };
      assert.ok(report.sources.some((source) => source.kind === 'replayer'));
      for (const source of report.sources) assert.deepEqual(source.network.rdns, []);
      assert.ok(Date.now() - started < 60_000, 'bounded by the timeout, not hanging');
    } finally {
      await silent.close();
    }
  });
});
