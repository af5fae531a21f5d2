import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIPv4, formatIPv6, parseAddress, prefixMask, type Cidr } from '../../src/attribute/address.js';
import { AgentClassifier, compilePackageRules, type PackageEntry } from '../../src/attribute/agents.js';
import { loadCatalogue } from '../../src/attribute/catalogue.js';
import { loadCompiledCatalogue } from '../../src/attribute/compiled-catalogue.js';
import { loadAttributor, type CatalogueAttributor } from '../../src/attribute/index.js';
import { ReplaywatchError } from '../../src/common/errors.js';

const dataDirectory = fileURLToPath(new URL('../../data/', import.meta.url));

/** Addresses the brief names, then the edges and middle of every 11th catalogue prefix, then pseudo-random ones. */
function sampleAddresses(attributor: CatalogueAttributor): string[] {
  const addresses = new Set([
    '150.70.97.43',
    '216.104.15.130',
    '40.107.1.1',
    '66.249.66.1',
    '2a01:111:f400::1',
    '172.224.226.1', // iCloud Private Relay
    '2a02:26f7:b3c0:4000::1', // iCloud Private Relay (IPv6)
    '104.47.1.1',
    '8.8.8.8',
    '203.177.44.10',
    '::ffff:150.70.97.43',
    '192.0.2.1',
    '10.1.2.3',
    '2001:4860:4801:10::1',
    '2606:4700::1111',
  ]);
  let count = 0;
  for (const entry of attributor.catalogue.entries) {
    for (const cidr of entry.cidrList) if (count++ % 11 === 0) for (const address of edgesOf(cidr)) addresses.add(address);
  }
  let seed = 4242;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let index = 0; index < 3000; index++) addresses.add(formatIPv4(next()));
  for (let index = 0; index < 1000; index++) addresses.add(formatIPv6([0x20000000 | (next() >>> 3), next(), next(), next()]));
  return [...addresses];
}

function edgesOf(cidr: Cidr): string[] {
  if (cidr.version === 4) {
    const last = (cidr.value | ~prefixMask(cidr.bits)) >>> 0;
    const out = [cidr.value, last, cidr.value + Math.floor((last - cidr.value) / 2)];
    if (cidr.value > 0) out.push(cidr.value - 1);
    if (last < 0xffffffff) out.push(last + 1);
    return out.map(formatIPv4);
  }
  const last = cidr.words.map((word, index) => (word | ~prefixMask(cidr.bits - index * 32)) >>> 0);
  return [formatIPv6(cidr.words), formatIPv6(last)];
}

function contains(cidr: Cidr, ip: string): boolean {
  const address = parseAddress(ip)!;
  if (cidr.version === 4) return address.version === 4 && ((address.value & prefixMask(cidr.bits)) >>> 0) === cidr.value;
  if (address.version !== 6) return false;
  return cidr.words.every((word, index) => ((address.words[index]! & prefixMask(cidr.bits - index * 32)) >>> 0) === word);
}

describe('compiled catalogue', () => {
  let compiled: CatalogueAttributor;
  let parsed: CatalogueAttributor;
  let addresses: string[];
  const scratch = mkdtempSync(join(tmpdir(), 'replaywatch-catalogue-'));
  before(() => {
    compiled = loadAttributor();
    parsed = loadAttributor({ tableBytes: compiled.table.bytes, catalogue: loadCatalogue() });
    addresses = sampleAddresses(parsed);
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('is what loadAttributor reads', () => {
    // a stale or missing file is rebuilt by the first load, so by now it is current
    assert.equal(loadAttributor({ tableBytes: compiled.table.bytes }).catalogueSource, 'compiled');
  });

  it('answers like the JSON-parsed catalogue', () => {
    assert.ok(addresses.length > 5000);
    const googlebot = { kind: 'crawler', name: 'Googlebot', actor: 'googlebot' } as const;
    const bingbot = { kind: 'crawler', name: 'bingbot', actor: 'bingbot' } as const;
    for (const ip of addresses) {
      assert.deepEqual(compiled.actors(ip), parsed.actors(ip), ip);
      assert.deepEqual(compiled.network(ip), parsed.network(ip), ip);
      assert.equal(compiled.networkKey(ip), parsed.networkKey(ip), ip);
      assert.deepEqual(compiled.edgeOf(ip), parsed.edgeOf(ip), ip);
      assert.equal(compiled.verifyCrawler(ip, googlebot), parsed.verifyCrawler(ip, googlebot), ip);
      assert.equal(compiled.verifyCrawler(ip, bingbot), parsed.verifyCrawler(ip, bingbot), ip);
    }
    assert.equal(compiled.actors('172.224.226.1')[0]?.id, 'apple-private-relay');
    assert.equal(compiled.actors('2a01:111:f400::1')[0]?.id, 'microsoft-eop');
    compiled.catalogue.entries.forEach((entry, index) => {
      const other = parsed.catalogue.entries[index]!;
      assert.deepEqual(entry.cidrList, other.cidrList, entry.id);
      assert.equal(entry.hasNetworks, other.hasNetworks, entry.id);
    });
  });

  it('gives the same numeric network ids exactly where networkKey is the same', () => {
    const keyOfId = new Map<number, string>();
    const idOfKey = new Map<string, number>();
    for (const ip of addresses) {
      const address = parseAddress(ip)!;
      if (address.version !== 4) continue;
      const id = compiled.networkIdOfV4(address.value);
      const key = compiled.networkKey(ip);
      assert.equal(keyOfId.get(id) ?? key, key, ip);
      assert.equal(idOfKey.get(key) ?? id, id, ip);
      keyOfId.set(id, key);
      idOfKey.set(key, id);
    }
  });

  it('matches a brute-force reading of the catalogue (longest prefix first, one match per entry, ASN last)', () => {
    const entries = parsed.catalogue.entries;
    for (const ip of addresses.filter((_, index) => index % 7 === 0)) {
      const hits: { entry: number; bits: number; order: number; text: string }[] = [];
      let order = 0;
      entries.forEach((entry, position) => {
        for (const cidr of entry.cidrList) {
          if (contains(cidr, ip)) hits.push({ entry: position, bits: cidr.bits, order, text: cidr.text });
          order++;
        }
      });
      hits.sort((a, b) => b.bits - a.bits || a.order - b.order);
      const expected: [string, string, string | number][] = [];
      const seen = new Set<number>();
      for (const hit of hits) {
        if (seen.has(hit.entry) || entries[hit.entry]!.verifyOnly) continue;
        seen.add(hit.entry);
        expected.push([entries[hit.entry]!.id, 'network', hit.text]);
      }
      const asn = compiled.network(ip).asn ?? 0;
      entries.forEach((entry, position) => {
        if (asn > 0 && !seen.has(position) && !entry.verifyOnly && entry.asnList.includes(asn)) {
          seen.add(position);
          expected.push([entry.id, 'asn', asn]);
        }
      });
      const actual = compiled.actors(ip).map((match) => [match.id, match.by, match.by === 'network' ? match.cidr! : match.asn!]);
      assert.deepEqual(actual, expected, ip);
    }
  });

  it('holds the declared-bot rules a fresh derivation gives, and classifies alike', () => {
    const rules = loadCompiledCatalogue().agentRules();
    assert.ok(rules, 'compiled agent rules missing or not current: run `node dist/attribute/build-catalogue.js` after tsc');
    assert.deepEqual(rules.rules, compilePackageRules().rules, 'stale compiled agent rules: rebuild with `npm run prepare`');
    const packageEntries = createRequire(import.meta.url)('crawler-user-agents') as (PackageEntry & { instances: string[] })[];
    const fromPackage = new AgentClassifier(parsed.catalogue, packageEntries);
    const fromRules = new AgentClassifier(compiled.catalogue, rules);
    assert.equal(fromRules.ruleCount, fromPackage.ruleCount);
    const agents = packageEntries.flatMap((entry) => entry.instances);
    agents.push('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'Ünïcödé Googlebot/2.1 日本語', '');
    for (const agent of agents) assert.deepEqual(fromRules.classify(agent), fromPackage.classify(agent), agent);
  });

  it('rebuilds a missing file, and ignores and rebuilds one whose sources changed', () => {
    const catalogueCopy = join(scratch, 'actors.json');
    const rangesCopy = join(scratch, 'ranges') + '/';
    const compiledCopy = join(scratch, 'generated', 'catalogue.bin');
    cpSync(join(dataDirectory, 'actors.json'), catalogueCopy);
    cpSync(join(dataDirectory, 'ranges'), rangesCopy, { recursive: true });
    const options = { cataloguePath: catalogueCopy, rangesDirectory: rangesCopy, compiledPath: compiledCopy };
    assert.equal(loadCompiledCatalogue(options).from, 'json');
    assert.equal(loadCompiledCatalogue(options).from, 'compiled');
    const address = parseAddress('198.51.100.77')!; // TEST-NET-2: in no range file
    assert.deepEqual(loadCompiledCatalogue(options).catalogue.match(address, 0), []);

    appendFileSync(join(rangesCopy, 'shodan.txt'), '198.51.100.0/24\n');
    const changed = loadCompiledCatalogue(options);
    assert.equal(changed.from, 'json');
    assert.equal(changed.catalogue.match(address, 0)[0]?.id, 'shodan');
    const reloaded = loadCompiledCatalogue(options);
    assert.equal(reloaded.from, 'compiled');
    assert.equal(reloaded.catalogue.match(address, 0)[0]?.cidr, '198.51.100.0/24');

    writeFileSync(compiledCopy, Buffer.from('not a catalogue'));
    assert.equal(loadCompiledCatalogue(options).from, 'json');
  });

  it('still reports what is wrong with data/actors.json when a compiled file exists', () => {
    const catalogueCopy = join(scratch, 'broken.json');
    const raw = JSON.parse(readFileSync(join(dataDirectory, 'actors.json'), 'utf8')) as { actors: Record<string, unknown>[] };
    raw.actors[0]!.documented = 'long ago';
    writeFileSync(catalogueCopy, JSON.stringify(raw));
    assert.throws(
      () => loadCompiledCatalogue({ cataloguePath: catalogueCopy, compiledPath: join(scratch, 'generated', 'catalogue.bin') }),
      (error: unknown) => error instanceof ReplaywatchError && /documented must be a year/.test(error.message),
    );
  });
});
