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

  it('covers the kinds the issue asks for', () => {
    const ids = new Set(attributor.catalogue.entries.map((entry) => entry.id));
    for (const id of ['microsoft-eop', 'proofpoint', 'mimecast', 'barracuda', 'cisco-ironport', 'zscaler', 'netskope', 'slack', 'discord', 'facebook', 'twitter', 'telegram', 'whatsapp', 'microsoft-preview', 'linkedin', 'googlebot', 'bingbot', 'censys', 'shodan', 'stretchoid', 'cloudflare']) {
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
