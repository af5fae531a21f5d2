/**
 * Reverse DNS against a real DNS server on loopback: dnsmasq, started and stopped here, plus
 * a "server" that reads queries and never answers (test/support/dnsmasq.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createDnsResolver,
  createReverseCache,
  loadAttributor,
  reverseLookupAll,
  type ReverseResolver,
} from '../../src/attribute/index.js';
import { type Dnsmasq, dnsmasqSkip, silentDnsServer, startDnsmasq } from '../support/dnsmasq.js';

const skip = dnsmasqSkip('the reverse-DNS tests');

/** Until dnsmasq answers a name it holds (started is not yet listening everywhere). */
async function waitForAnswer(resolver: ReverseResolver, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await resolver.resolveAddresses('crawl-10.googlebot.com')).length > 0) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`dnsmasq did not answer within 10 s: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('reverse DNS against dnsmasq on loopback', { skip }, () => {
  let directory: string;
  let dnsmasq: Dnsmasq;
  let silent: Awaited<ReturnType<typeof silentDnsServer>>;
  let live: ReverseResolver;
  let dead: ReverseResolver;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'replaywatch-rdns-'));
    dnsmasq = await startDnsmasq(directory, [
      // answer these zones locally: a missing name is NXDOMAIN, not "no upstream"
      'local=/2.0.192.in-addr.arpa/',
      'local=/8.b.d.0.1.0.0.2.ip6.arpa/',
      'local=/googlebot.com/',
      'local=/example.test/',
      // forward-confirmed: the A record holds the address (host-record also makes the PTR)
      'host-record=crawl-10.googlebot.com,192.0.2.10',
      // a PTR under googlebot.com whose forward lookup names another address: not confirmed
      'ptr-record=20.2.0.192.in-addr.arpa,crawl-20.googlebot.com',
      'host-record=crawl-20.googlebot.com,192.0.2.99',
      // two names, one confirmed
      'ptr-record=40.2.0.192.in-addr.arpa,good.example.test',
      'ptr-record=40.2.0.192.in-addr.arpa,bad.example.test',
      'host-record=good.example.test,192.0.2.40',
      'host-record=bad.example.test,192.0.2.41',
      // IPv6, confirmed through AAAA
      'host-record=v6.example.test,2001:db8::10',
      // 192.0.2.30 has no PTR at all
    ]);
    live = createDnsResolver({ servers: [`127.0.0.1:${dnsmasq.port}`], timeoutMs: 1000 });
    await waitForAnswer(live, dnsmasq.log);
    silent = await silentDnsServer();
    dead = createDnsResolver({ servers: [`127.0.0.1:${silent.port}`], timeoutMs: 300 });
  });

  after(async () => {
    live?.close?.();
    dead?.close?.();
    await silent?.close();
    await dnsmasq?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('confirms a PTR whose forward lookup holds the address', async () => {
    const results = await reverseLookupAll(['192.0.2.10'], live);
    assert.deepEqual(results.get('192.0.2.10'), { names: ['crawl-10.googlebot.com'], confirmed: ['crawl-10.googlebot.com'], status: 'ok' });
  });

  it('does not confirm a PTR whose forward lookup names another address', async () => {
    const results = await reverseLookupAll(['192.0.2.20'], live);
    assert.deepEqual(results.get('192.0.2.20'), { names: ['crawl-20.googlebot.com'], confirmed: [], status: 'ok' });
  });

  it('reports an address without a PTR as none', async () => {
    const results = await reverseLookupAll(['192.0.2.30'], live);
    assert.deepEqual(results.get('192.0.2.30'), { names: [], confirmed: [], status: 'none' });
  });

  it('confirms only the names that resolve back, and IPv6 through AAAA', async () => {
    const results = await reverseLookupAll(['192.0.2.40', '2001:db8::10', '192.0.2.40'], live, { concurrency: 2 });
    assert.deepEqual([...results.keys()], ['192.0.2.40', '2001:db8::10']);
    const two = results.get('192.0.2.40')!;
    assert.deepEqual([...two.names].sort(), ['bad.example.test', 'good.example.test']);
    assert.deepEqual(two.confirmed, ['good.example.test']);
    assert.deepEqual(results.get('2001:db8::10'), { names: ['v6.example.test'], confirmed: ['v6.example.test'], status: 'ok' });
  });

  it('caches per run: a second lookup asks nothing', async () => {
    let queries = 0;
    const counting: ReverseResolver = {
      resolvePtr: (ip) => (queries++, live.resolvePtr(ip)),
      resolveAddresses: (name) => (queries++, live.resolveAddresses(name)),
    };
    const cache = createReverseCache();
    await reverseLookupAll(['192.0.2.10', '192.0.2.30'], counting, { cache });
    const asked = queries;
    const again = await reverseLookupAll(['192.0.2.10', '192.0.2.30'], counting, { cache });
    assert.equal(queries, asked);
    assert.equal(again.get('192.0.2.10')!.status, 'ok');
  });

  it('times out against a server that never answers, and the run still finishes', async () => {
    const ips = ['192.0.2.10', '192.0.2.20', '192.0.2.30', '192.0.2.40', '198.51.100.1'];
    const started = performance.now();
    const results = await reverseLookupAll(ips, dead, { concurrency: 2, timeoutMs: 300 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`# ${ips.length} lookups against a silent server finished in ${seconds.toFixed(2)} s`);
    assert.equal(results.size, ips.length);
    for (const ip of ips) assert.equal(results.get(ip)!.status, 'timeout', ip);
  });

  it('limits concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    const slow: ReverseResolver = {
      resolvePtr: async (ip) => {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await live.resolvePtr(ip);
        } finally {
          inFlight--;
        }
      },
      resolveAddresses: (name) => live.resolveAddresses(name),
    };
    const ips = Array.from({ length: 12 }, (_, index) => `192.0.2.${100 + index}`);
    const results = await reverseLookupAll(ips, slow, { concurrency: 3 });
    assert.equal(results.size, 12);
    assert.ok(most <= 3, `at most 3 in flight, saw ${most}`);
  });

  it('verifies a crawler online by forward-confirmed reverse DNS, and keeps the offline verdict when DNS is silent', async () => {
    const attributor = loadAttributor();
    const googlebot = attributor.classifyAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')!;
    // 192.0.2.x is in no published Googlebot range: offline it is an impostor
    assert.equal(attributor.verifyCrawler('192.0.2.10', googlebot), 'impostor');
    assert.equal(await attributor.verifyCrawlerOnline('192.0.2.10', googlebot, live), 'verified');
    assert.equal(await attributor.verifyCrawlerOnline('192.0.2.20', googlebot, live), 'impostor');
    assert.equal(await attributor.verifyCrawlerOnline('192.0.2.30', googlebot, live), 'impostor');
    assert.equal(await attributor.verifyCrawlerOnline('192.0.2.10', googlebot, dead, { timeoutMs: 300 }), 'impostor');
    assert.equal(await attributor.verifyCrawlerOnline('66.249.66.1', googlebot, dead, { timeoutMs: 300 }), 'verified');
  });
});
