import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIPv6, parseAddress, parseCidr, parseIPv4, parseIPv6 } from '../../src/attribute/address.js';

describe('address parsing', () => {
  it('parses dotted quads and rejects near misses', () => {
    assert.equal(parseIPv4('8.8.8.8'), 0x08080808);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '01234.1.1.1', 'a.b.c.d', '', '1.2.3.4 ']) {
      assert.equal(parseIPv4(bad), -1, bad);
    }
  });

  it('parses IPv6 forms: compressed, full, embedded IPv4, zone', () => {
    const words = new Uint32Array(4);
    assert.ok(parseIPv6('2001:db8::1', words));
    assert.deepEqual([...words], [0x20010db8, 0, 0, 1]);
    assert.ok(parseIPv6('2001:0db8:0000:0000:0000:0000:0000:0001', words));
    assert.deepEqual([...words], [0x20010db8, 0, 0, 1]);
    assert.ok(parseIPv6('::', words));
    assert.deepEqual([...words], [0, 0, 0, 0]);
    assert.ok(parseIPv6('fe80::1%eth0', words));
    assert.equal(words[0], 0xfe800000);
    assert.ok(parseIPv6('64:ff9b::192.0.2.33', words));
    assert.equal(words[3], 0xc0000221);
    for (const bad of ['1::2::3', ':1', '1:', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9']) assert.equal(parseIPv6(bad, words), false, bad);
  });

  it('treats IPv4-mapped IPv6 as IPv4', () => {
    assert.deepEqual(parseAddress('::ffff:8.8.8.8'), { version: 4, value: 0x08080808 });
  });

  it('parses CIDRs, masking host bits', () => {
    assert.equal(parseCidr('150.70.97.43/16')!.text, '150.70.0.0/16');
    assert.equal(parseCidr('216.104.0.0/19')!.text, '216.104.0.0/19');
    assert.equal(parseCidr('2a01:111:f400::5/48')!.text, '2a01:111:f400::/48');
    assert.equal(parseCidr('1.2.3.4')!.bits, 32);
    assert.equal(parseCidr('1.2.3.4/33'), null);
    assert.equal(parseCidr('1.2.3.4/x'), null);
    assert.equal(formatIPv6([0x20010db8, 0, 0x10000, 0]), '2001:db8:0:0:1::');
  });
});
