import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, Detector, clientKeyOf, classifyPath, PathKind, FirstSeenIndex, type AnalysisContext } from '../../src/detect/index.js';
import { random, toRecord, type RecordSpec } from '../support/records.js';

/** Same network = same /16 (IPv4) or /32 (IPv6) in these fixtures; the vendor's ranges are catalogued. */
const context: AnalysisContext = {
  networkKey: (address) => (address.includes(':') ? address.split(':').slice(0, 2).join(':') : address.split('.').slice(0, 2).join('.')),
  actors: (address) =>
    address.startsWith('150.70.') || address.startsWith('216.104.15.')
      ? [{ id: 'trend-micro-2012', name: 'Trend Micro', kind: 'replayer', by: 'network', documented: 'documented 2010-2012', source: 'webmaster reports' }]
      : [],
  verifyCrawler: (address) => (address.startsWith('66.249.') ? 'verified' : 'impostor'),
};

const BASE = Date.parse('2026-03-02T08:00:00Z');
const MINUTE = 60_000;
const OLD_AGENT = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)';

/** People with sessions (pages, assets, referrers, a login) and private URLs; a replay cloud re-fetching some. */
function incident(seed: number): { records: RecordSpec[]; replayers: string[] } {
  const next = random(seed);
  const records: RecordSpec[] = [];
  const replayers = ['150.70.97.43', '150.70.97.44', '216.104.15.130'];
  for (let user = 0; user < 40; user++) {
    const ip = `${20 + user}.${(user * 7) % 250}.${user}.${10 + user}`;
    let time = BASE + Math.floor(next() * 3 * 24 * 60) * MINUTE;
    records.push({ ip, time, url: '/login', method: 'POST', status: 302, referrer: 'https://site.example/login' });
    for (let page = 0; page < 6; page++) {
      time += Math.floor(next() * 20 + 1) * MINUTE;
      const url = page % 2 === 0 ? `/search?q=user${user}+thing${page}` : `/articles/${page}`;
      records.push({ ip, time, url, bytes: 30000, referrer: 'https://site.example/' });
      records.push({ ip, time: time + 1000, url: '/static/site.css', referrer: `https://site.example${url}` });
      records.push({ ip, time: time + 1000, url: '/static/logo.png', referrer: `https://site.example${url}` });
      if (url.startsWith('/search') && user % 3 === 0) {
        const replayer = replayers[Math.floor(next() * replayers.length)]!;
        const lag = Math.floor(next() * 8 * 60 + 2) * MINUTE;
        records.push({ ip: replayer, time: time + lag, url, status: next() < 0.5 ? 403 : 200, bytes: 1800, userAgent: OLD_AGENT, protocol: 'HTTP/1.0' });
      }
    }
  }
  return { records, replayers };
}

function run(records: RecordSpec[]) {
  const detector = new Detector({
    classifyAgent: (agent) =>
      agent.includes('Googlebot') ? { kind: 'crawler', name: 'Googlebot' } : agent.includes('Slackbot') ? { kind: 'link-preview', name: 'Slackbot' } : null,
  });
  for (const spec of records) detector.observe(toRecord(spec));
  return { detector, findings: analyze(detector, context) };
}

test('a replay cloud re-fetching people\'s private URLs is one replayer source with every address, and no person is reported', () => {
  const { records, replayers } = incident(1);
  const { detector, findings } = run(records);
  const active = findings.sources.filter((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
  assert.equal(active.length, 1, JSON.stringify(active.map((s) => s.reasons)));
  const source = active[0]!;
  assert.equal(source.kind, 'replayer');
  assert.equal(source.pattern, 'deferred');
  assert.ok(source.confidence >= 0.9, `confidence ${source.confidence}`);
  assert.deepEqual(source.clients.map((client) => detector.clientKeys[client]).sort(), [...replayers].sort());
  assert.ok(source.victims >= 5);
  assert.ok(source.authMismatch > 0.2);
  assert.equal(source.examples.length, 3);
  for (const example of source.examples) assert.ok(example.lagSeconds >= 120 && example.url.startsWith('/search'));
});

test('findings do not depend on the order lines arrive in', () => {
  const { records } = incident(2);
  const shuffled = [...records];
  const next = random(99);
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
  }
  const strip = (findings: ReturnType<typeof run>['findings'], detector: Detector) =>
    findings.sources.map((source) => ({ ...source, clients: source.clients.map((client) => detector.clientKeys[client]).sort(), examples: source.examples.length }));
  const first = run(records);
  const second = run(shuffled);
  assert.deepEqual(strip(second.findings, second.detector), strip(first.findings, first.detector));
});

test('a mail scanner first on one-time links that people open minutes later is a prefetcher', () => {
  const records: RecordSpec[] = [];
  for (let user = 0; user < 12; user++) {
    const ip = `81.${user}.3.4`;
    const sent = BASE + user * 37 * MINUTE;
    const url = `/auth/magic?token=tok${user}x9f`;
    records.push({ ip: `40.107.${user % 3}.${20 + user}`, time: sent + 5000, url, method: 'HEAD', bytes: 0, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) HeadlessChrome/120.0' });
    records.push({ ip: `40.107.${user % 3}.${20 + user}`, time: sent + 6000, url, bytes: 4000, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) HeadlessChrome/120.0' });
    records.push({ ip, time: sent + (3 + user % 5) * MINUTE, url, status: 410, bytes: 900, referrer: '-' });
    records.push({ ip, time: sent + (4 + user % 5) * MINUTE, url: '/static/app.css', referrer: 'https://site.example/' });
    records.push({ ip, time: sent + (4 + user % 5) * MINUTE, url: '/static/hero.jpg', referrer: 'https://site.example/' });
  }
  const { detector, findings } = run(records);
  const prefetchers = findings.sources.filter((source) => source.kind === 'prefetcher');
  assert.equal(prefetchers.length, 1);
  assert.equal(prefetchers[0]!.clients.length, 12);
  assert.ok(prefetchers[0]!.clients.every((client) => detector.clientKeys[client]!.startsWith('40.107.')));
  assert.equal(findings.sources.filter((source) => source.kind === 'replayer').length, 0);
});

test('colleagues opening a shared link and a viral page are not replayers', () => {
  const records: RecordSpec[] = [];
  for (let visitor = 0; visitor < 300; visitor++) {
    const ip = `${30 + (visitor % 150)}.${visitor % 200}.1.${visitor % 250}`;
    records.push({ ip, time: BASE + visitor * 20_000, url: '/blog/viral-post', referrer: 'https://news.example/' });
    records.push({ ip, time: BASE + visitor * 20_000 + 500, url: '/static/post.jpg', referrer: 'https://site.example/blog/viral-post' });
  }
  for (let team = 0; team < 10; team++) {
    const sharer = `90.${team}.0.1`;
    const url = `/docs/shared/plan-${team}`;
    records.push({ ip: sharer, time: BASE + team * 3600_000, url, referrer: 'https://site.example/docs' });
    records.push({ ip: sharer, time: BASE + team * 3600_000 + 400, url: '/static/docs.css', referrer: `https://site.example${url}` });
    for (let colleague = 0; colleague < 3; colleague++) {
      const ip = `${100 + colleague}.${team}.0.9`;
      records.push({ ip, time: BASE + team * 3600_000 + (colleague + 1) * 7 * MINUTE, url, referrer: 'https://mail.example/' });
      records.push({ ip, time: BASE + team * 3600_000 + (colleague + 1) * 7 * MINUTE + 300, url: '/static/docs.css', referrer: `https://site.example${url}` });
    }
  }
  const { findings } = run(records);
  assert.deepEqual(findings.sources.filter((source) => source.kind === 'replayer' || source.kind === 'prefetcher'), []);
});

test('rare that day: a popular page re-fetched a minute after one visit is weak evidence, named only with the catalogue', () => {
  const records: RecordSpec[] = [];
  // /guest.htm is visited by one person a day for 30 days: popular overall, rare each day
  for (let day = 0; day < 30; day++) {
    const ip = `70.${day}.${day}.1`;
    const time = BASE + day * 86_400_000 + 5 * 3600_000;
    records.push({ ip, time, url: '/guest.htm', bytes: 9129 });
    records.push({ ip, time: time + 1000, url: '/images/pool.jpg' });
    if (day === 3 || day === 17) records.push({ ip: '216.104.15.130', time: time + 67_000, url: '/guest.htm', bytes: 9129, userAgent: OLD_AGENT });
    if (day === 9) records.push({ ip: '150.70.64.197', time: time + 35 * MINUTE, url: '/guest.htm', bytes: 9129, userAgent: OLD_AGENT });
  }
  const { detector, findings } = run(records);
  // each day's visitor follows the previous day's on a page popular overall: weak candidates,
  // never named (below 0.5) without the catalogue
  for (const source of findings.sources.filter((source) => source.kind === 'replayer' && source.actorId === undefined)) {
    assert.ok(source.weakOnly && source.confidence < 0.5, `${source.confidence}: ${source.reasons.join('; ')}`);
  }
  const replayers = findings.sources.filter((source) => source.kind === 'replayer' && source.confidence >= 0.5);
  assert.equal(replayers.length, 1);
  assert.ok(replayers[0]!.weakOnly);
  assert.ok(replayers[0]!.confidence >= 0.5, `catalogue raises it: ${replayers[0]!.confidence}`);
  assert.deepEqual(replayers[0]!.clients.map((client) => detector.clientKeys[client]).sort(), ['150.70.64.197', '216.104.15.130']);
  assert.equal(replayers[0]!.lagSeconds!.min, 67);
});

test('declared link previewers and crawlers are their own kinds; a fake Googlebot is named', () => {
  const records: RecordSpec[] = [];
  for (let index = 0; index < 5; index++) {
    records.push({ ip: `66.249.66.${index}`, time: BASE + index * MINUTE, url: `/articles/${index}`, userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    records.push({ ip: '45.155.205.9', time: BASE + index * MINUTE, url: `/articles/${index}`, userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    records.push({ ip: `3.91.0.${index}`, time: BASE + index * MINUTE, url: `/share/${index}`, userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' });
  }
  const { findings } = run(records);
  const kinds = findings.sources.map((source) => `${source.kind}:${source.agentName}:${source.verified}`).sort();
  assert.deepEqual(kinds, ['crawler:Googlebot:false', 'crawler:Googlebot:true', 'link-preview:Slackbot:undefined']);
});

test('a scanner hunting for other software is a probe', () => {
  const records: RecordSpec[] = ['//phpmyadmin/', '//_phpMyAdmin/', '/.env', '/.git/config', '/wp-login.php', '/index.html'].map((url, index) => ({
    ip: '45.155.205.9',
    time: BASE + index * 1000,
    url,
    status: url === '/index.html' ? 200 : 404,
  }));
  const { detector, findings } = run(records);
  assert.equal(findings.probes.length, 1);
  assert.equal(detector.clientKeys[findings.probes[0]!.client], '45.155.205.9');
  assert.equal(findings.probes[0]!.paths, 5);
});

test('IPv6 clients are /64s; paths are classified from bytes', () => {
  assert.equal(clientKeyOf('2001:db8:1:2:a:b:c:d'), '2001:db8:1:2::/64');
  assert.equal(clientKeyOf('2001:db8:1:2::9'), '2001:db8:1:2::/64');
  assert.equal(clientKeyOf('::ffff:1.2.3.4'), '0:0:0:0::/64');
  assert.equal(clientKeyOf('10.1.2.3'), '10.1.2.3');
  const kind = (path: string) => classifyPath(Buffer.from(path), 0, Buffer.byteLength(path));
  assert.equal(kind('/static/a.CSS?v=3'), PathKind.Asset);
  assert.equal(kind('/phpmyadmin/js/functions.js?ts=1324498093'), PathKind.Script);
  assert.equal(kind('/search?q=a.png'), PathKind.Page);
  assert.equal(kind('/v1.2/items'), PathKind.Page);
  assert.equal(kind('/'), PathKind.Page);
});

const POPULAR_URL = Buffer.from('/popular');

test('a URL seen by more clients than the bound keeps no per-client detail', () => {
  const index = new FirstSeenIndex({ maxClients: 8, maxClientsPerDay: 4 });
  for (let client = 0; client < 100; client++) index.observe(1, 2, client, 1_700_000_000 + client * 60, 200, 10, true, POPULAR_URL, 0, POPULAR_URL.length);
  let rare = 0;
  index.forEachRareUnit(() => rare++);
  // the URL is popular overall, and its day unit (100 clients in one day) too
  assert.equal(rare, 0);
  assert.ok(index.popularUnits >= 2);
});

test('the slot table grows through many sizes and still finds every key, edge hash words included', () => {
  // hash words at the ends of the range, and runs that share a home, with a tiny first table
  const index = new FirstSeenIndex({ maxClients: 2, maxClientsPerDay: 2, initialCapacity: 1024 });
  const keys: [number, number][] = [];
  const next = random(7);
  for (const high of [0, -1, 0x7fffffff, -0x80000000, 1]) for (const low of [0, -1, 0x7fffffff, -0x80000000, 1]) keys.push([high, low]);
  for (let key = 0; key < 200; key++) keys.push([0x12345678, key]);
  for (let key = 0; key < 20_000; key++) keys.push([Math.floor(next() * 2 ** 32) | 0, Math.floor(next() * 2 ** 32) | 0]);
  const url = Buffer.from('/k');
  const time = 1_700_000_000;
  // first client for every key, a second for every key, a third for every even key (popular then)
  for (const [high, low] of keys) index.observe(high, low, 1, time, 200, 1, false, url, 0, url.length);
  for (const [high, low] of keys) index.observe(high, low, 2, time + 1, 200, 1, false, url, 0, url.length);
  keys.forEach(([high, low], at) => {
    if (at % 2 === 0) index.observe(high, low, 3, time + 2, 200, 1, false, url, 0, url.length);
  });
  assert.equal(index.units, keys.length);
  assert.equal(index.popularUnits, Math.ceil(keys.length / 2));
  let rare = 0;
  index.forEachRareUnit((_bucket, _url, entries) => {
    rare++;
    assert.deepEqual(entries.map((entry) => entry.client), [1, 2]);
  });
  assert.equal(rare, Math.floor(keys.length / 2));
});

test('under a budget the slot table grows in place and still finds every key, runs that wrap round the end included', () => {
  // a budget reserves the table at its most, so every growth rehashes it in place (spreadSlots)
  const index = new FirstSeenIndex({ maxClients: 2, maxClientsPerDay: 2, initialCapacity: 1024, memoryBudget: 64 << 20 });
  const keys: [number, number][] = [];
  const next = random(11);
  // keys whose homes are the table's last slots and its first, at every size: homeSlot scales
  // (tag ^ low * HOME_MIX) >>> 1, and the tag of a global unit is high ^ (-1 * TAG_MIX)
  const globalTag = Math.imul(-1, 0x9e3779b1);
  for (let key = 0; key < 300; key++) {
    const low = key * 7919;
    for (const home of [-1 - 2 * key, 2 * key]) keys.push([home ^ Math.imul(low, 0x27d4eb2d) ^ globalTag, low]);
  }
  for (let key = 0; key < 30_000; key++) keys.push([Math.floor(next() * 2 ** 32) | 0, Math.floor(next() * 2 ** 32) | 0]);
  const url = Buffer.from('/k');
  const time = 1_700_000_000;
  keys.forEach(([high, low], at) => {
    index.observe(high, low, 1, time, 200, 1, false, url, 0, url.length);
    // every key so far is found after each growth
    if ((at & (at - 1)) === 0) for (let earlier = 0; earlier <= at; earlier++) assert.equal(index.countOf(keys[earlier]![0], keys[earlier]![1], -1), 1, `key ${earlier} after ${at + 1}`);
  });
  for (const [high, low] of keys) index.observe(high, low, 2, time + 1, 200, 1, false, url, 0, url.length);
  assert.equal(index.units, keys.length);
  for (const [high, low] of keys) assert.equal(index.countOf(high, low, -1), 2);
});

test('a path ends at its first ?, # or ; wherever it sits in the words read four bytes at a time', () => {
  for (let length = 1; length < 14; length++) {
    for (const stop of ['?', '#', ';']) {
      const path = `/${'a'.repeat(length - 1)}`;
      for (const [text, kind] of [[`${path}.png${stop}x=1.js`, PathKind.Asset], [`${path}${stop}y.png`, PathKind.Page], [`${path}.js`, PathKind.Script]] as const) {
        // the slice sits at an odd offset of a larger buffer, as lines do in a read
        const buffer = Buffer.from(`GET ${text} HTTP/1.1`);
        assert.equal(classifyPath(buffer, 4, 4 + Buffer.byteLength(text)), kind, `${text}`);
      }
    }
  }
});
