import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { cdnOf, loadAttributor, parseCatalogue, type CatalogueAttributor } from '../../src/attribute/index.js';
import { ReplaywatchError } from '../../src/common/errors.js';

const catalogueUrl = new URL('../../data/actors.json', import.meta.url);
const rangesUrl = new URL('../../data/ranges/', import.meta.url);

function validEntry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'example',
    kind: 'replayer',
    name: 'Example',
    networks: { cidrs: ['192.0.2.0/24'] },
    source: 'a test',
    documented: '2020',
    ...overrides,
  };
}

describe('actor catalogue', () => {
  let attributor: CatalogueAttributor;
  before(() => {
    attributor = loadAttributor();
  });

  it('names the incident vendor for the 2010-2012 replay addresses, with the date', () => {
    for (const ip of ['150.70.97.43', '216.104.15.130', '150.70.84.7', '150.70.188.172']) {
      const [first] = attributor.actors(ip);
      assert.ok(first, ip);
      assert.equal(first.id, 'trendmicro-wrs-2010', ip);
      assert.equal(first.kind, 'replayer');
      assert.equal(first.by, 'network');
      assert.equal(first.documented, 'documented 2010-2012');
      assert.equal(first.owner, 'Trend Micro');
      assert.match(first.source, /138240/);
    }
    assert.equal(attributor.actors('150.70.97.43')[0]!.cidr, '150.70.0.0/16');
    assert.equal(attributor.actors('216.104.15.130')[0]!.cidr, '216.104.0.0/19');
  });

  it('also matches the vendor by its current ASNs, after the more specific prefix', () => {
    const matches = attributor.actors('216.104.15.130');
    assert.deepEqual(
      matches.map((match) => [match.id, match.by]),
      [
        ['trendmicro-wrs-2010', 'network'],
        ['trendmicro', 'asn'],
      ],
    );
    assert.equal(matches[1]!.asn, 16880);
    assert.equal(matches[1]!.documented, 'documented 2026');
    assert.equal(attributor.actors('203.177.44.10')[0]!.id, 'trendmicro'); // AS132229
    const trend = attributor.catalogue.get('trendmicro-wrs-2010')!;
    assert.deepEqual(trend.rdnsSuffixes, ['.sdi.trendnet.org', '.trendmicro.com']);
    assert.equal(attributor.actorsForName('sjdc-wtp-gs-maya6.sdi.trendnet.org')[0]!.id, 'trendmicro-wrs-2010');
  });

  it('returns matches most specific first', () => {
    // Microsoft EOP /17 inside AS8075
    assert.deepEqual(
      attributor.actors('104.47.1.1').map((match) => match.id).slice(0, 2),
      ['microsoft-eop', 'microsoft'],
    );
    assert.equal(attributor.actors('66.249.66.1')[0]!.id, 'googlebot');
    assert.equal(attributor.actors('162.142.125.7')[0]!.id, 'censys');
    assert.deepEqual(attributor.actors('192.0.2.1'), []);
    // verify-only networks are not reported as the actor's
    assert.ok(!attributor.actors('8.8.8.8').some((match) => match.id === 'google-fetchers'));
  });

  it('names Blue Coat / Symantec WSS for the web-filter addresses of the 2015-2016 IIS log, not only their carrier', () => {
    // 8.28.16.254 fetches / on a schedule and a visitor's new pages the next days, 199.19.249.196 in
    // the same second as the visitor, 199.91.135.165 minutes after; 199.116.169.254 like 8.28.16.254
    const expected: [string, string][] = [
      ['8.28.16.254', '8.28.16.0/24'],
      ['199.19.249.196', '199.19.248.0/21'],
      ['199.91.135.165', '199.91.135.0/24'],
      ['199.116.169.254', '199.116.168.0/21'],
      ['8.39.233.200', '8.39.233.192/27'], // a KB4583 egress /27 (Denver DP5)
      ['38.134.125.230', '38.134.125.224/27'], // KB4583, Washington DP20
    ];
    for (const [ip, cidr] of expected) {
      const [first] = attributor.actors(ip);
      assert.ok(first, ip);
      assert.deepEqual([first.id, first.kind, first.by, first.cidr, first.documented], ['bluecoat-wss', 'gateway', 'network', cidr, 'documented 2015-2019'], ip);
      assert.match(first.source, /KB4583/);
    }
    // the IP table still names the carrier; the catalogue names who used the block
    assert.equal(attributor.network('8.28.16.254').asn, 3356);
    assert.match(attributor.network('199.91.135.165').org ?? '', /Blue Coat/);
    // only the /27s KB4583 lists, not the gaps between them
    for (const ip of ['38.134.125.130', '198.135.124.150', '8.39.233.130', '8.28.17.1']) {
      assert.ok(!attributor.actors(ip).some((match) => match.id === 'bluecoat-wss'), ip);
    }
  });

  it('names the web-filter clouds of the issue by their published ranges or their ASNs', () => {
    const first = (ip: string): [string, string] => {
      const [match] = attributor.actors(ip);
      assert.ok(match, ip);
      return [match.id, match.by];
    };
    // Forcepoint's 2019 cloud list, before its ASN (the elastic log's 85.115.58.180)
    assert.deepEqual(
      attributor.actors('85.115.58.180').map((match) => [match.id, match.by]),
      [
        ['forcepoint-cloud-2019', 'network'],
        ['forcepoint', 'asn'],
      ],
    );
    assert.equal(attributor.actors('85.115.58.180')[0]!.documented, 'documented 2019');
    // listed in 2019, routed by unrelated networks in 2026: left out
    assert.deepEqual(attributor.actors('103.1.196.1'), []);
    assert.deepEqual(first('185.125.225.10'), ['mcafee-web-gateway-cloud-2019', 'network']);
    assert.ok(!attributor.actors('161.69.240.1').some((match) => match.id === 'mcafee-web-gateway-cloud-2019'));
    assert.deepEqual(first('161.69.163.20'), ['mcafee', 'asn']); // the 2015-2016 IIS log
    // Websense's scheduled homepage checks in the 2009-2011 IIS log: named, but as a crawler, no
    // prior for replaying; the IP table has no route for them, so the entry's owner is the org
    for (const ip of ['208.80.193.27', '208.80.195.121']) {
      assert.deepEqual(first(ip), ['websense-2009', 'network'], ip);
      assert.equal(attributor.actors(ip)[0]!.kind, 'crawler');
      assert.equal(attributor.network(ip).org, 'Websense (Forcepoint) (documented 2009-2011)');
    }
    // FortiGuard's homepage checks in the 2009-2011 IIS log: AS40934
    for (const ip of ['208.91.113.20', '208.91.113.130']) assert.deepEqual(first(ip), ['fortinet', 'asn'], ip);
    const byAsn: [string, string][] = [
      ['8.34.34.10', 'zscaler'],
      ['8.36.116.10', 'netskope'],
      ['66.179.148.10', 'palo-alto'],
      ['64.235.157.234', 'barracuda'],
      ['103.29.28.10', 'sophos'],
      ['37.203.128.10', 'kaspersky'],
      ['81.161.59.10', 'bitdefender'],
      ['38.106.143.10', 'trustwave'],
    ];
    for (const [ip, id] of byAsn) assert.deepEqual(first(ip), [id, 'asn'], ip);
    assert.deepEqual(first('165.225.1.1'), ['zscaler', 'network']); // Zscaler's hub list
  });

  it('covers the kinds the issue asks for', () => {
    const ids = new Set(attributor.catalogue.entries.map((entry) => entry.id));
    for (const id of ['microsoft-eop', 'proofpoint', 'mimecast', 'barracuda', 'cisco-ironport', 'zscaler', 'netskope', 'bluecoat-wss', 'forcepoint', 'forcepoint-cloud-2019', 'websense-2009', 'palo-alto', 'mcafee', 'mcafee-web-gateway-cloud-2019', 'fortinet', 'sophos', 'kaspersky', 'bitdefender', 'trustwave', 'slack', 'discord', 'facebook', 'twitter', 'telegram', 'whatsapp', 'microsoft-preview', 'linkedin', 'googlebot', 'bingbot', 'censys', 'shodan', 'stretchoid', 'cloudflare']) {
      assert.ok(ids.has(id), id);
    }
  });

  it('has a source and a date for every entry, and every range file names its source', () => {
    const raw = JSON.parse(readFileSync(catalogueUrl, 'utf8')) as { actors: Record<string, unknown>[] };
    for (const entry of raw.actors) {
      assert.ok(typeof entry.source === 'string' && entry.source.length > 10, `${entry.id} source`);
      assert.match(String(entry.documented), /^\d{4}(-\d{4})?$/, `${entry.id} documented`);
    }
    for (const name of readdirSync(rangesUrl).filter((file) => file.endsWith('.txt'))) {
      assert.match(readFileSync(new URL(name, rangesUrl), 'utf8'), /^# source: .*\((CC0-1\.0)\)/m, name);
    }
  });

  it('rejects malformed entries, naming every problem', () => {
    const readRangeFile = (): string => '192.0.2.0/24\n';
    assert.doesNotThrow(() => parseCatalogue({ actors: [validEntry()] }, { readRangeFile }));
    const cases: [Record<string, unknown>, RegExp][] = [
      [validEntry({ source: '' }), /source is missing/],
      [validEntry({ documented: 'long ago' }), /documented must be a year/],
      [validEntry({ kind: 'villain' }), /kind must be one of/],
      [validEntry({ networks: { cidrs: ['150.70.0.0/33'] } }), /bad CIDR "150\.70\.0\.0\/33"/],
      [validEntry({ networks: { asns: [-1] } }), /AS numbers/],
      [validEntry({ userAgents: ['(unclosed'] }), /does not compile/],
      [validEntry({ rdnsSuffixes: ['trendmicro.com'] }), /must start with a dot/],
      [validEntry({ networks: { rangeFiles: ['../../etc/passwd'] } }), /plain \.txt name/],
      [validEntry({ id: 'Not Kebab' }), /kebab-case/],
      [{ ...validEntry(), networks: undefined }, /networks must be an object/],
    ];
    for (const [entry, message] of cases) {
      assert.throws(
        () => parseCatalogue({ actors: [entry] }, { readRangeFile }),
        (error: unknown) => error instanceof ReplaywatchError && message.test(error.message),
        String(message),
      );
    }
    assert.throws(() => parseCatalogue({ actors: [validEntry(), validEntry()] }, { readRangeFile }), /duplicate id/);
    assert.throws(() => parseCatalogue({ nothing: true }), /"actors" array/);
  });

  it('names CDN edges for the scan warning', () => {
    assert.equal(cdnOf('104.16.1.1', attributor), 'Cloudflare');
    assert.equal(cdnOf('2606:4700::1111', attributor), 'Cloudflare');
    assert.equal(cdnOf('13.32.1.1', attributor), 'Amazon CloudFront');
    assert.equal(cdnOf('151.101.1.1', attributor), 'Fastly');
    assert.equal(cdnOf('23.1.2.3', attributor), 'Akamai');
    assert.equal(cdnOf('8.8.8.8', attributor), null);
    assert.match(attributor.edgeOf('104.16.1.1')!.header, /CF-Connecting-IP/);
  });
});
