import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parseIPv4 } from '../../src/attribute/address.js';
import { loadAttributor, type CatalogueAttributor } from '../../src/attribute/index.js';
import { IpTable } from '../../src/attribute/ip-table.js';

describe('IP -> network table', () => {
  let attributor: CatalogueAttributor;
  before(() => {
    attributor = loadAttributor();
    // Printed, not asserted: machines are noisy. The ceiling is 100 ms.
    const again = IpTable.load();
    console.log(
      `# ip table: ${again.rangeCounts.v4} IPv4 + ${again.rangeCounts.v6} IPv6 ASN ranges, ` +
        `${(again.bytes.byteLength / 1e6).toFixed(1)} MB, loaded in ${again.loadMilliseconds.toFixed(1)} ms ` +
        `(first load ${attributor.loadTimings.tableMs.toFixed(1)} ms, catalogue ${attributor.loadTimings.catalogueMs.toFixed(1)} ms)`,
    );
  });

  it('names well-known IPv4 networks', () => {
    assert.deepEqual(attributor.network('8.8.8.8'), { cidr: '8.8.8.0/24', asn: 15169, org: 'Google LLC', country: 'US', rdns: [] });
    const trend = attributor.network('150.70.5.1'); // inside 150.70.0.0/20, announced today
    assert.equal(trend.asn, 16880);
    assert.match(trend.org!, /TREND MICRO/i);
    assert.equal(trend.cidr, '150.70.0.0/20');
    assert.equal(trend.country, 'JP');
    assert.equal(attributor.network('216.104.15.130').asn, 16880);
    assert.equal(attributor.networkKey('216.104.15.130'), 'AS16880');
  });

  it('names IPv6 networks by their top 64 bits', () => {
    const google = attributor.network('2001:4860:4860::8888');
    assert.equal(google.asn, 15169);
    assert.equal(google.org, 'Google LLC');
    const trend = attributor.network('2620:101:4034::1');
    assert.equal(trend.asn, 16880);
    assert.equal(attributor.networkKey('2001:4860:4860::8844'), 'AS15169');
  });

  it('treats ::ffff:a.b.c.d as the IPv4 address', () => {
    assert.deepEqual(attributor.network('::ffff:8.8.8.8'), attributor.network('8.8.8.8'));
  });

  it('names the 2010-2012 replay block, unannounced today, after the catalogue with its date', () => {
    const old = attributor.network('150.70.97.43');
    assert.equal(old.asn, null);
    assert.equal(old.cidr, '150.70.0.0/16');
    assert.equal(old.org, 'Trend Micro (documented 2010-2012)');
    assert.equal(attributor.networkKey('150.70.64.197'), attributor.networkKey('150.70.75.35'));
  });

  it('falls back to /24 and /48 for unknown addresses, and says what reserved space is', () => {
    assert.deepEqual(attributor.network('10.1.2.3'), { cidr: '10.1.2.0/24', asn: null, org: 'private network', country: null, rdns: [] });
    assert.equal(attributor.network('100.64.9.9').org, 'carrier-grade NAT (shared address space)');
    assert.equal(attributor.network('127.0.0.1').org, 'loopback');
    assert.equal(attributor.networkKey('192.168.7.20'), '192.168.7.0/24');
    const v6 = attributor.network('fd12:3456:789a:1::1');
    assert.equal(v6.cidr, 'fd12:3456:789a::/48');
    assert.equal(v6.org, 'private network (unique local)');
    assert.equal(attributor.network('not-an-address').asn, null);
  });

  it('has numeric fast paths that agree with networkKey', () => {
    assert.equal(attributor.asnOfV4(parseIPv4('8.8.8.8')), 15169);
    assert.equal(attributor.asnOfV4(parseIPv4('10.0.0.1')), 0);
    const pairs: [string, string, boolean][] = [
      ['8.8.8.8', '8.8.4.4', true], // both AS15169
      ['150.70.64.197', '150.70.97.43', true], // one documented block
      ['10.0.0.1', '10.0.0.2', true],
      ['10.0.0.1', '10.0.1.1', false],
      ['8.8.8.8', '1.1.1.1', false],
    ];
    for (const [a, b, same] of pairs) {
      const byKey = attributor.networkKey(a) === attributor.networkKey(b);
      const byId = attributor.networkIdOfV4(parseIPv4(a)) === attributor.networkIdOfV4(parseIPv4(b));
      assert.equal(byKey, same, `${a} ${b}`);
      assert.equal(byId, same, `${a} ${b} (numeric)`);
    }
  });

  it('works from a SharedArrayBuffer copy (worker threads)', () => {
    const shared = new IpTable(attributor.table.toShared());
    assert.equal(shared.asnOfV4(parseIPv4('8.8.8.8')), 15169);
    assert.equal(shared.rangeV4(shared.indexV4(parseIPv4('8.8.8.8'))).org, 'Google LLC');
  });

  it('finds the same IPv4 range through the /16 jump section as a plain binary search', () => {
    const table = attributor.table;
    const count = table.rangeCounts.v4;
    const reference = (address: number): number => {
      let low = 0;
      let high = count - 1;
      while (low <= high) {
        const middle = (low + high) >>> 1;
        if (table.rangeV4(middle).start <= address) low = middle + 1;
        else high = middle - 1;
      }
      return high >= 0 && address <= table.rangeV4(high).end ? high : -1;
    };
    const probes: number[] = [0, 0xffffffff];
    for (let index = 0; index < count; index += 37) {
      const { start, end } = table.rangeV4(index);
      probes.push(start, end, Math.max(0, start - 1), Math.min(0xffffffff, end + 1));
    }
    for (let block = 0; block < 65536; block += 13) probes.push(block * 65536, Math.max(0, block * 65536 - 1), block * 65536 + 65535);
    for (const address of probes) assert.equal(table.indexV4(address), reference(address), String(address));
  });

  it('measures lookup rates (printed)', () => {
    const count = 2_000_000;
    const addresses = new Uint32Array(count);
    let seed = 12345;
    for (let index = 0; index < count; index++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      addresses[index] = seed;
    }
    let known = 0;
    let started = performance.now();
    for (let index = 0; index < count; index++) if (attributor.asnOfV4(addresses[index]!) !== 0) known++;
    const v4Rate = count / ((performance.now() - started) / 1000);
    const table = attributor.table;
    started = performance.now();
    for (let index = 0; index < count; index++) if (table.asnOfV6(0x20000000 + (addresses[index]! >>> 4), addresses[index]!) !== 0) known++;
    const v6Rate = count / ((performance.now() - started) / 1000);
    const texts = Array.from({ length: 200_000 }, (_, index) => `${(addresses[index]! >>> 24) & 255}.${(addresses[index]! >>> 16) & 255}.${(addresses[index]! >>> 8) & 255}.${addresses[index]! & 255}`);
    started = performance.now();
    let keys = 0;
    for (const text of texts) keys += attributor.networkKey(text).length;
    const keyRate = texts.length / ((performance.now() - started) / 1000);
    console.log(
      `# lookups: asnOfV4 ${(v4Rate / 1e6).toFixed(1)} M/s, asnOfV6 ${(v6Rate / 1e6).toFixed(1)} M/s, ` +
        `networkKey(text) ${(keyRate / 1e6).toFixed(2)} M/s (${known} known, ${keys} key chars)`,
    );
    assert.ok(known > 0);
  });
});
