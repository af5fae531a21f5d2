/**
 * The detector on real logs, read in place from ../shared/data/real-logs (never copied).
 * The IIS log of 2009-2011 holds genuine replays by the antivirus vendor of the incident
 * (216.104.15.x and 150.70.x, a handful of requests minutes after a visitor).
 * Runs the real CLI (dist/, built by `npm test` before the tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const realLogs = join(repoRoot, '..', 'shared', 'data', 'real-logs');
const iisLog = join(realLogs, 'iis7_waikolai_W3SVC20_2009-2011.log.gz');

interface Source {
  kind: string;
  pattern?: string;
  confidence: number;
  ips: string[];
  network: { org: string | null; asn: number | null };
  actor?: { documented: string; name: string };
  examples: { lagSeconds: number }[];
}

function scan(file: string, ...flags: string[]): { status: number | null; report: { sources: Source[]; probes: { ip: string }[]; input: { format: string } } } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'replaywatch.js'), 'scan', file, '--json', '--offline', '--state', '/nonexistent/state.duckdb', ...flags], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.ok(run.stdout.length > 0, `scan printed nothing: ${run.stderr}`);
  return { status: run.status, report: JSON.parse(run.stdout) };
}

const vendorRange = (ip: string): boolean => ip.startsWith('150.70.') || ip.startsWith('216.104.15.');

if (!existsSync(iisLog)) {
  if (process.env.CI === 'true') test('the real logs are present in CI', () => assert.fail(`${realLogs} is missing`));
  else test.skip(`real-log detection: ${realLogs} not found, skipped the IIS 2009-2011 replay checks`);
} else {
  test('IIS 2009-2011: the vendor replays are a replayer at default settings, named and dated', () => {
    const { status, report } = scan(iisLog);
    assert.equal(status, 1, 'a replayer found exits 1');
    assert.equal(report.input.format, 'w3c');
    const vendor = report.sources.filter((source) => source.kind === 'replayer' && source.ips.some(vendorRange));
    assert.ok(vendor.length >= 1, `no replayer source in the vendor ranges: ${JSON.stringify(report.sources.map((s) => [s.kind, s.ips.slice(0, 3)]))}`);
    const ips = vendor.flatMap((source) => source.ips);
    for (const ip of ['216.104.15.130', '150.70.64.197']) assert.ok(ips.includes(ip), `${ip} missing from ${ips.join(', ')}`);
    for (const source of vendor) {
      assert.match(source.network.org ?? '', /trend ?micro/i);
      assert.match(source.actor?.documented ?? '', /2010.2012/);
      assert.ok(source.confidence >= 0.5);
      assert.ok(source.examples.some((example) => example.lagSeconds > 0 && example.lagSeconds < 3600), 'minutes after the visitor');
    }
  });

  test('IIS 2009-2011: the vendor of the incident is the first source reported, ahead of spam bots and crawlers', () => {
    const { report } = scan(iisLog);
    const first = report.sources.find((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
    assert.ok(first !== undefined && first.ips.some(vendorRange), `first source: ${JSON.stringify(first?.ips)} (${first?.network.org})`);
  });

  test('IIS 2009-2011: with --min-confidence 0 the vendor is there and crawlers are never replayers', () => {
    const { report } = scan(iisLog, '--min-confidence', '0');
    assert.ok(report.sources.some((source) => source.kind === 'replayer' && source.ips.some(vendorRange)));
    const crawlers = report.sources.filter((source) => source.kind === 'crawler');
    assert.ok(crawlers.length >= 3, 'Googlebot, Slurp, msnbot and friends are reported as crawlers');
    const crawlerIps = new Set(crawlers.flatMap((source) => source.ips));
    for (const source of report.sources.filter((s) => s.kind === 'replayer' || s.kind === 'prefetcher')) {
      for (const ip of source.ips) assert.ok(!crawlerIps.has(ip), `crawler ${ip} reported as ${source.kind}`);
    }
  });

  test('every real log scans to a report with its format and no replayer above 0.5 that is a declared crawler', () => {
    for (const [name, format] of [
      ['elastic_apache_logs.log.gz', 'combined'],
      ['nielsbasjes_hackers-access.log.gz', 'combined'],
      ['honeynet2004_httpd_access_log.log.gz', 'combined'],
      ['iis85_webknowit_W3SVC1_2015-2016.log.gz', 'w3c'],
    ] as const) {
      const { status, report } = scan(join(realLogs, name));
      assert.ok(status === 0 || status === 1, `${name}: exit ${status}`);
      assert.equal(report.input.format, format, name);
      const crawlerIps = new Set(report.sources.filter((source) => source.kind === 'crawler').flatMap((source) => source.ips));
      for (const source of report.sources.filter((s) => s.kind === 'replayer'))
        for (const ip of source.ips) assert.ok(!crawlerIps.has(ip), `${name}: crawler ${ip} reported as a replayer`);
    }
  });
}
