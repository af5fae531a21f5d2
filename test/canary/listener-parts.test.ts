import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTrustedProxies, RateLimiter, resolveClientAddress } from '../../src/serve/index.js';

describe('client address behind proxies', () => {
  const trusted = parseTrustedProxies(['127.0.0.1/32', '10.0.0.0/8', '::1']);

  it('believes X-Forwarded-For only from a trusted peer', () => {
    assert.equal(resolveClientAddress('203.0.113.9', '6.6.6.6', trusted), '203.0.113.9');
    assert.equal(resolveClientAddress('127.0.0.1', '198.51.100.7', trusted), '198.51.100.7');
    assert.equal(resolveClientAddress('::1', '2001:db8::7', trusted), '2001:db8::7');
  });

  it('takes the right-most untrusted address, so a forged left part proves nothing', () => {
    assert.equal(resolveClientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7', trusted), '198.51.100.7');
    assert.equal(resolveClientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', trusted), '198.51.100.7');
    assert.equal(resolveClientAddress('127.0.0.1', '198.51.100.7:5555', trusted), '198.51.100.7');
    assert.equal(resolveClientAddress('127.0.0.1', '[2001:db8::9]:443', trusted), '2001:db8::9');
  });

  it('stops at garbage and keeps the last address a trusted hop vouched for', () => {
    assert.equal(resolveClientAddress('127.0.0.1', '<script>', trusted), '127.0.0.1');
    assert.equal(resolveClientAddress('127.0.0.1', '198.51.100.7, nonsense, 10.0.0.5', trusted), '10.0.0.5');
  });

  it('rejects a bad --trust-proxy', () => {
    assert.throws(() => parseTrustedProxies(['not-a-cidr']), /--trust-proxy/);
  });
});

describe('rate limiter', () => {
  it('gives each client a burst, refills over time, and caps the total', () => {
    const limiter = new RateLimiter({ burst: 3, perSecond: 1, globalBurst: 5, globalPerSecond: 1, maxKeys: 100 });
    assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a', 0)), [true, true, true, false]);
    assert.deepEqual([1, 2, 3].map(() => limiter.take('b', 0)), [true, true, false], 'the global bucket is empty after 5');
    assert.equal(limiter.take('a', 1000), true, 'refilled one token a second');
  });

  it('keeps a bounded number of buckets', () => {
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, globalBurst: 1e9, globalPerSecond: 1e9, maxKeys: 50 });
    for (let i = 0; i < 1000; i++) limiter.take(`k${i}`, 0);
    assert.ok(limiter.size <= 50);
  });
});
