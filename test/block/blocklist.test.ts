// The blocklist model and writers without servers: CIDR aggregation, selection, refusals, the
// escaping every writer applies to provenance, --dry-run, and the scan path.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { aggregateCidrs, CidrSet, formatCidr, parseCidrText, subtractCidr } from '../../src/common/cidr.js';
import { blocklistWriters, buildBlocklist, type BlockSelection, type ReportModel } from '../../src/report/index.js';
import { block, hostileOrg, loopbackReport, runCli, tempDir, writeReport } from './support.js';

const cidrs = (...texts: string[]) => texts.map((text) => parseCidrText(text)!);
const texts = (list: ReturnType<typeof cidrs>) => list.map(formatCidr);

describe('CIDR arithmetic', () => {
  it('aggregates to the smallest exact cover, IPv4 and IPv6', () => {
    assert.deepEqual(texts(aggregateCidrs(cidrs('10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.5'))), ['10.0.0.0/30', '10.0.0.5/32']);
    // .1 and .2 are adjacent but not one prefix: no merge wider than the addresses
    assert.deepEqual(texts(aggregateCidrs(cidrs('10.0.0.1', '10.0.0.2'))), ['10.0.0.1/32', '10.0.0.2/32']);
    assert.deepEqual(texts(aggregateCidrs(cidrs('10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24', '10.0.0.7'))), ['10.0.0.0/23']);
    assert.deepEqual(texts(aggregateCidrs(cidrs('2001:db8:0:0::/64', '2001:db8:0:1::/64', '2001:db8:0:3::/64'))), ['2001:db8::/63', '2001:db8:0:3::/64']);
    assert.deepEqual(texts(aggregateCidrs(cidrs('::ffff:1.2.3.4', '1.2.3.5'))), ['1.2.3.4/31']);
  });

  it('subtracts a hole and leaves exactly the rest', () => {
    assert.deepEqual(texts(subtractCidr(parseCidrText('10.0.0.0/30')!, parseCidrText('10.0.0.1')!)), ['10.0.0.0/32', '10.0.0.2/31']);
    assert.deepEqual(subtractCidr(parseCidrText('10.0.0.0/30')!, parseCidrText('10.0.0.0/8')!), []);
    assert.deepEqual(texts(subtractCidr(parseCidrText('10.0.0.0/30')!, parseCidrText('10.0.1.0/24')!)), ['10.0.0.0/30']);
  });

  it('answers membership for both families', () => {
    const set = new CidrSet(cidrs('150.70.0.0/16', '2001:db8:1:2::/64'));
    assert.ok(set.has('150.70.97.43'));
    assert.ok(set.has('::ffff:150.70.1.1'));
    assert.ok(set.has('2001:db8:1:2:aaaa::1'));
    assert.ok(!set.has('150.71.0.1'));
    assert.ok(!set.has('2001:db8:1:3::1'));
    assert.ok(!set.has('not an address'));
  });
});

const selection = (overrides: Partial<BlockSelection> = {}): BlockSelection => ({ kinds: ['replayer', 'prefetcher'], minConfidence: 0.5, names: [], asns: [], add: [], except: [], widen: false, force: false, ...overrides });
const context = { now: '2026-01-01T00:00:00Z', tool: 'replaywatch test', scanLabel: 'report r.json', ownAddresses: ['198.51.100.7', 'fe80::1'], duration: '24h' };

/** The loopback report moved to public documentation space, so refusals are only the ones asked for. */
function publicReport(): ReportModel {
  const report = JSON.parse(JSON.stringify(loopbackReport()).replace(/127\.0\.0\.0\/8/g, '203.0.113.0/24').replace(/127\.0\.0\./g, '203.0.113.')) as ReportModel;
  return report;
}

describe('the blocklist model', () => {
  it('selects by kind and confidence, and names the sources with why', () => {
    const list = buildBlocklist(publicReport(), selection(), context);
    assert.deepEqual(list.entries.map((entry) => formatCidr(entry.cidr)), ['203.0.113.2/31', '2001:db8:5:6::/64']);
    assert.deepEqual(list.sources.map((source) => [source.kind, source.name, source.cidrs]), [
      ['replayer', hostileOrg, ['203.0.113.2/31']],
      ['replayer', 'V6 Replayer', ['2001:db8:5:6::/64']],
    ]);
    assert.match(list.sources[0]!.why, /replayed 30 rare URLs first requested by 9 other clients, 50% of them denied/);
    const withWeak = buildBlocklist(publicReport(), selection({ minConfidence: 0.2, kinds: ['prefetcher', 'link-preview', 'probe'] }), context);
    assert.deepEqual(withWeak.entries.map((entry) => formatCidr(entry.cidr)), ['203.0.113.4/32', '203.0.113.6/31']);
  });

  it('selects by name or ASN', () => {
    assert.deepEqual(buildBlocklist(publicReport(), selection({ names: ['v6 repl'] }), context).entries.map((entry) => formatCidr(entry.cidr)), ['2001:db8:5:6::/64']);
    assert.deepEqual(buildBlocklist(publicReport(), selection({ asns: [64500] }), context).entries.map((entry) => formatCidr(entry.cidr)), ['203.0.113.2/31']);
    assert.deepEqual(buildBlocklist(publicReport(), selection({ names: ['nobody'] }), context).entries, []);
  });

  it('adds and excepts by hand, and widens only when asked', () => {
    const list = buildBlocklist(publicReport(), selection({ add: ['192.0.2.0/25', '192.0.2.128/25'], except: ['203.0.113.3'] }), context);
    assert.deepEqual(list.entries.map((entry) => formatCidr(entry.cidr)), ['192.0.2.0/24', '203.0.113.2/32', '2001:db8:5:6::/64']);
    assert.equal(list.entries[0]!.added, true);
    const widened = buildBlocklist(publicReport(), selection({ widen: true }), context);
    // the announced /24 also holds the verified crawler: refused, and said so
    assert.deepEqual(widened.entries.map((entry) => formatCidr(entry.cidr)), ['2001:db8::/32']);
    assert.deepEqual(widened.refused.map((refusal) => [refusal.cidr, refusal.reason]), [['203.0.113.0/24', 'the verified crawler Googlebot']]);
    const forced = buildBlocklist(publicReport(), selection({ widen: true, force: true }), context);
    assert.deepEqual(forced.entries.map((entry) => formatCidr(entry.cidr)), ['203.0.113.0/24', '2001:db8::/32']);
  });

  it('refuses private ranges, loopback, this machine and verified crawlers unless forced', () => {
    const report = publicReport();
    report.sources[0]!.ips.push('10.1.2.3', '198.51.100.7', '203.0.113.5');
    const list = buildBlocklist(report, selection({ add: ['0.0.0.0/0', '::1'] }), context);
    assert.deepEqual(list.refused.map((refusal) => [refusal.cidr, refusal.reason]), [
      ['10.1.2.3/32', 'a private range'],
      ['198.51.100.7/32', "this machine's own address 198.51.100.7"],
      ['203.0.113.5/32', 'the verified crawler Googlebot'],
      ['0.0.0.0/0', 'the unspecified range'],
      ['::1/128', 'loopback'],
    ]);
    assert.deepEqual(list.entries.map((entry) => formatCidr(entry.cidr)), ['203.0.113.2/31', '2001:db8:5:6::/64']);
    const forced = buildBlocklist(report, selection({ force: true }), context);
    assert.equal(forced.refused.length, 0);
    assert.equal(forced.forced.length, 3);
    assert.ok(forced.entries.some((entry) => formatCidr(entry.cidr) === '10.1.2.3/32'));
  });

  it('every writer keeps hostile names inside comments or escaped data', () => {
    const report = publicReport();
    report.input.files = ['a.log\n}\ndeny all;', 'b"log,=cmd()'];
    const list = buildBlocklist(report, selection({ kinds: ['replayer', 'probe'] }), context);
    for (const [target, writer] of Object.entries(blocklistWriters)) {
      const text = writer.render(list);
      if (target === 'json' || target === 'crowdsec') {
        const parsed = JSON.parse(text);
        assert.ok(!JSON.stringify(parsed).includes('\\u0000'));
        continue;
      }
      for (const line of text.trimEnd().split('\n')) {
        // text from the report appears only in comment lines (and in CSV's quoted fields)
        if (line.startsWith('#')) assert.match(line, /^#[\x20-\x7e]*[^\\]$/, `${target}: ${line}`);
        else if (target !== 'csv') assert.doesNotMatch(line, /allow|Replay|Prober|a\.log|table inet x|cmd|deny all/, `${target}: ${line}`);
      }
      if (target === 'csv') assert.match(text, /^203\.0\.113\.2\/31,ipv4,replayer,"Replay Cloud\nallow all;/m);
    }
  });
});

describe('replaywatch block', () => {
  it('--dry-run prints the diff against the existing file and writes nothing', async () => {
    const dir = tempDir('block-dry-run');
    try {
      const report = writeReport(dir.path, publicReport());
      const output = join(dir.path, 'deny.conf');
      await block(['--from', report, '--to', 'nginx', '-o', output]);
      const before = readFileSync(output, 'utf8');
      const same = await runCli(['block', '--from', report, '--to', 'nginx', '-o', output, '--dry-run'], { SOURCE_DATE_EPOCH: '1767225600' });
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /deny\.conf: no change/);
      const changed = await runCli(['block', '--from', report, '--to', 'nginx', '-o', output, '--dry-run', '--add', '198.51.100.0/24', '--except', '203.0.113.3'], { SOURCE_DATE_EPOCH: '1767225600' });
      assert.equal(changed.code, 1, changed.stderr);
      assert.match(changed.stdout, /^\+deny 198\.51\.100\.0\/24;$/m);
      assert.match(changed.stdout, /^-deny 203\.0\.113\.2\/31;$/m);
      assert.match(changed.stdout, /^\+deny 203\.0\.113\.2\/32;$/m);
      assert.match(changed.stdout, /^ deny 2001:db8:5:6::\/64;$/m);
      assert.equal(readFileSync(output, 'utf8'), before, 'nothing written');
      const fresh = await runCli(['block', '--from', report, '--to', 'cidr', '-o', join(dir.path, 'new.txt'), '--dry-run']);
      assert.equal(fresh.code, 1);
      assert.match(fresh.stdout, /^--- \/dev\/null$/m);
      assert.ok(!existsSync(join(dir.path, 'new.txt')));
    } finally {
      dir.remove();
    }
  });

  it('scans logs by the scan code path: the same list as from the scan report', async () => {
    const fixture = 'test/fixtures/golden/access.log';
    const common = ['--offline', '--state', '/nonexistent/replaywatch-block.duckdb'];
    const scanned = await block([fixture, '--to', 'cidr', ...common]);
    const fromReport = await block(['--from', 'test/expected/scan.json', '--to', 'cidr']);
    const body = (text: string) => text.split('\n').filter((line) => !line.startsWith('#'));
    assert.deepEqual(body(scanned.stdout), body(fromReport.stdout));
    assert.ok(body(scanned.stdout).length > 1);
    assert.match(scanned.stdout, /^# scan: scan of test\/fixtures\/golden\/access\.log: /m);
  });

  it('reads a report whose fields have the wrong types without failing, and prints them safely', async () => {
    const dir = tempDir('block-odd-report');
    try {
      const odd = {
        version: 1,
        input: { files: 'not a list', format: { x: 1 } },
        sources: [
          { kind: 'replayer', confidence: 0.9, ips: ['198.51.100.9', 42, '2001:db8::1', 'garbage'], network: { cidr: 7, asn: 'AS1', org: ['x'] }, actor: { name: 5 }, agent: {}, pattern: ['\n'] },
        ],
        probes: [{ ip: '198.51.100.10', network: { cidr: '198.51.100.0/24', asn: null, org: 'P\nQ' }, paths: 'many', examples: 'not a list' }],
      };
      const report = join(dir.path, 'odd.json');
      writeFileSync(report, JSON.stringify(odd));
      const result = await runCli(['block', '--from', report, '--to', 'nginx', '--kind', 'replayer,probe']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout.split('\n').filter((line) => line.startsWith('deny')), ['deny 198.51.100.9/32;', 'deny 198.51.100.10/32;', 'deny 2001:db8::/64;']);
      assert.match(result.stderr, /skipped 1 entry of the report that is not an address/);
      for (const line of result.stdout.trimEnd().split('\n')) assert.match(line, /^(# [\x20-\x7e]*|deny [0-9a-f:.]+\/\d+;)$/, line);
    } finally {
      dir.remove();
    }
  });

  it('rejects bad usage and a file that is not a report, with a hint', async () => {
    const dir = tempDir('block-usage');
    try {
      writeFileSync(join(dir.path, 'bad.json'), JSON.stringify({ version: 1, sources: [{ kind: 'replayer' }] }));
      const cases: [string[], RegExp][] = [
        [['--from', join(dir.path, 'bad.json'), '--to', 'nginx'], /is not a report of scan --json/],
        [['--from', 'test/expected/scan.json', '--to', 'iptables'], /--to iptables is not a target/],
        [['--from', 'test/expected/scan.json'], /--to is required/],
        [['--from', 'test/expected/scan.json', '--to', 'nginx', '--add', '1.2.3.4/33'], /not an address or CIDR: 1\.2\.3\.4\/33/],
        [['--from', 'test/expected/scan.json', '--to', 'nginx', '--kind', 'people'], /--kind people is not a kind/],
        [['--from', 'test/expected/scan.json', '--to', 'nginx', '--dry-run'], /--dry-run compares with the file named by --output/],
      ];
      for (const [args, message] of cases) {
        const result = await runCli(['block', ...args]);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message);
        assert.match(result.stderr, /\[E_(USAGE|INPUT_UNREADABLE)\]/);
      }
    } finally {
      dir.remove();
    }
  });
});
