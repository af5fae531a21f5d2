import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActorMatch, Attributor } from '../../src/attribute/types.js';
import { buildCanaryReport, type CanaryHitInput } from '../../src/canary/index.js';

// A small hand-made attribution: the vendor's replay range, a mail scanner, a chat previewer.
const actors: Record<string, ActorMatch> = {
  '150.70': { id: 'trend', name: 'Trend Micro Web Reputation', kind: 'replayer', by: 'network', documented: 'documented 2010-2012', source: 'test' },
  '40.94': { id: 'safelinks', name: 'Microsoft Safe Links', kind: 'scanner', by: 'network', documented: 'documented 2016-', source: 'test' },
};
const prefix = (ip: string) => ip.split('.').slice(0, 2).join('.');
const attributor: Attributor = {
  network: (ip) => ({ cidr: `${prefix(ip)}.0.0/16`, asn: prefix(ip) === '150.70' ? 16880 : null, org: prefix(ip) === '150.70' ? 'TREND MICRO INC' : null, country: prefix(ip) === '150.70' ? 'JP' : null, rdns: [] }),
  networkKey: (ip) => prefix(ip),
  actors: (ip) => (actors[prefix(ip)] ? [actors[prefix(ip)]!] : []),
  classifyAgent: (ua) => (/Slackbot/.test(ua) ? { kind: 'link-preview', name: 'Slackbot' } : /Googlebot/.test(ua) ? { kind: 'crawler', name: 'Googlebot' } : null),
  verifyCrawler: () => 'unverifiable',
};

const created = Date.parse('2026-03-02T10:00:00Z');
const canary = { token: 't', label: 'laptop', url: 'https://x/notes/t', created, revoked: null };
const browser = 'Mozilla/5.0 Firefox/128.0';
const at = (minutes: number, ip: string, userAgent: string | null = browser): CanaryHitInput => ({ token: 't', time: created + minutes * 60_000, ip, userAgent, method: 'GET' });

describe('canary verdict', () => {
  it('never opened', () => {
    const [entry] = buildCanaryReport([canary], [], attributor, created + 3 * 3600_000).canaries;
    assert.equal(entry!.firstHit, null);
    assert.equal(entry!.verdict.status, 'never-opened');
    assert.equal(entry!.verdict.sentence, 'never opened: no fetch in the 3 h since it was created');
  });

  it('still waiting is a verdict, and reloads by the same client are not leaks', () => {
    const hits = [at(1, '73.12.9.4'), at(2, '73.12.9.4')];
    const [entry] = buildCanaryReport([canary], hits, attributor, created + 26 * 3600_000 + 60_000).canaries;
    assert.equal(entry!.firstHit!.ip, '73.12.9.4');
    assert.equal(entry!.firstHit!.repeats, 1);
    assert.deepEqual(entry!.others, []);
    assert.equal(entry!.verdict.status, 'waiting');
    assert.equal(entry!.verdict.sentence, 'opened from 73.12.9.4; no other fetch in the 26 h since the first');
  });

  it('names a replayer with its lag, network and documented owner', () => {
    const hits = [at(0, '73.12.9.4'), at(3, '150.70.97.43', 'Mozilla/4.0 (compatible; MSIE 6.0)'), at(4, '2001:db8::1', browser)];
    const [entry] = buildCanaryReport([canary], hits, attributor, created + 3600_000).canaries;
    const [vendor, other] = entry!.others;
    assert.equal(vendor!.kind, 'replayer');
    assert.equal(vendor!.lagSeconds, 180);
    assert.deepEqual(vendor!.network, { cidr: '150.70.0.0/16', asn: 16880, org: 'TREND MICRO INC', country: 'JP' });
    assert.equal(
      vendor!.sentence,
      "fetched 3 min later by 150.70.97.43 (Trend Micro Web Reputation, documented 2010-2012; TREND MICRO INC, AS16880, JP): this machine's browsing leaks to Trend Micro Web Reputation",
    );
    assert.equal(other!.kind, 'replayer');
    assert.equal(entry!.verdict.status, 'leaks');
    assert.match(entry!.verdict.sentence, /^fetched 3 min later by 150\.70\.97\.43 .* \(and 1 other network\)$/);
  });

  it('declared link previewers and crawlers are named as such', () => {
    const hits = [at(0, '73.12.9.4'), at(0.05, '54.1.2.3', 'Slackbot-LinkExpanding 1.0'), at(600, '66.249.66.1', 'Googlebot/2.1')];
    const [entry] = buildCanaryReport([canary], hits, attributor, created + 3600_000 * 12).canaries;
    assert.deepEqual(entry!.others.map((other) => other.kind), ['link-preview', 'crawler']);
    assert.equal(entry!.others[0]!.agent, 'Slackbot');
    assert.equal(entry!.verdict.status, 'previewed');
  });

  it('a catalogued mail scanner that fetched before the person is a prefetcher', () => {
    const hits = [at(0, '40.94.1.1', browser), at(0.02, '40.94.7.7', browser), at(2, '73.12.9.4'), at(90, '150.70.97.43')];
    const [entry] = buildCanaryReport([canary], hits, attributor, created + 3600_000 * 3).canaries;
    assert.equal(entry!.firstHit!.ip, '73.12.9.4', 'the click is the person, not the scanner');
    assert.deepEqual(entry!.others.map((other) => [other.ip, other.kind, other.lagSeconds]), [
      ['40.94.1.1', 'prefetcher', -120],
      ['40.94.7.7', 'prefetcher', -118.8],
      ['150.70.97.43', 'replayer', 5280],
    ]);
    assert.match(entry!.others[0]!.sentence, /^fetched 2 min before the click by 40\.94\.1\.1 \(Microsoft Safe Links/);
  });

  it('without a later person, the scanner remains the first fetch', () => {
    const [entry] = buildCanaryReport([canary], [at(0, '40.94.1.1')], attributor, created + 60_000).canaries;
    assert.equal(entry!.firstHit!.ip, '40.94.1.1');
    assert.equal(entry!.verdict.status, 'waiting');
  });

  it('a client is its IPv4 address or its IPv6 /64: privacy addresses and the IPv4-mapped form are repeats', () => {
    const v6 = [at(0, '2001:db8:1:2::10'), at(1, '2001:db8:1:2:ffff::7'), at(2, '2001:db8:1:3::10')];
    const [six] = buildCanaryReport([canary], v6, attributor, created + 3600_000).canaries;
    assert.equal(six!.firstHit!.repeats, 1, 'the same /64');
    assert.deepEqual(six!.others.map((other) => other.ip), ['2001:db8:1:3::10'], 'another /64');
    const v4 = [at(0, '73.12.9.4'), at(1, '::ffff:73.12.9.4'), at(2, '73.12.9.5'), at(3, 'not an address'), at(4, 'not an address')];
    const [four] = buildCanaryReport([canary], v4, attributor, created + 3600_000).canaries;
    assert.equal(four!.firstHit!.repeats, 1, 'the IPv4-mapped form of the same address');
    assert.deepEqual(four!.others.map((other) => other.ip), ['73.12.9.5', 'not an address', 'not an address'], 'another address, and text that is no address');
  });

  it('an attributor given as a loader is loaded only to attribute a fetch, and once', () => {
    let loads = 0;
    const loader = () => {
      loads++;
      return attributor;
    };
    const unopened = buildCanaryReport([canary], [{ ...at(0, '73.12.9.4'), token: 'other' }], loader, created + 60_000);
    assert.equal(unopened.canaries[0]!.verdict.status, 'never-opened');
    assert.equal(loads, 0, 'no fetch of the canary shown: nothing to attribute');
    const hits = [at(0, '73.12.9.4'), at(3, '150.70.97.43', 'Mozilla/4.0 (compatible; MSIE 6.0)'), at(4, '150.70.97.44')];
    const loaded = buildCanaryReport([canary], hits, loader, created + 3600_000);
    assert.equal(loads, 1);
    assert.deepEqual(loaded, buildCanaryReport([canary], hits, attributor, created + 3600_000), 'the same report as with the attributor itself');
  });

  it('ignores hits of other tokens and keeps canaries in the order given', () => {
    const second = { ...canary, token: 'u', label: 'phone' };
    const report = buildCanaryReport([second, canary], [at(0, '73.12.9.4'), { ...at(1, '1.1.1.1'), token: 'zzz' }], attributor, created + 60_000);
    assert.deepEqual(report.canaries.map((entry) => [entry.label, entry.firstHit?.ip ?? null]), [['phone', null], ['laptop', '73.12.9.4']]);
  });
});
