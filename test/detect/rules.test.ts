/**
 * Each rule of the detection model on its own (src/detect/*: policy, unit-walk, score,
 * snapshot-bursts, traits, signals), on small logs made here. The real-log and simulated
 * judges (test/realworld, test/judge) measure them together.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, DEFAULT_POLICY, Detector, signalsOf, type AnalysisContext, type DetectionPolicy } from '../../src/detect/index.js';
import { EvidenceTable } from '../../src/detect/evidence.js';
import { confirmHistories, type HistoryWatch, type Visit } from '../../src/detect/history-check.js';
import { atLeast } from '../../src/detect/repeat-victims.js';
import { patternOf, sweptPairs, uploadShare } from '../../src/detect/score.js';
import { isOnePersonsHistory } from '../../src/detect/snapshot-bursts.js';
import type { EvidencePair } from '../../src/detect/types.js';
import { ChanceModel, clockOf, isEntryPoint } from '../../src/detect/unit-walk.js';
import { urlKeyOf } from '../../src/detect/first-seen-index.js';
import { hashBytes, hashHigh, hashLow } from '../../src/detect/hash.js';
import { toRecord, type RecordSpec } from '../support/records.js';

/** Same network = same /16 in these fixtures; nothing is catalogued. */
const context: AnalysisContext = {
  networkKey: (address) => address.split('.').slice(0, 2).join('.'),
  actors: () => [],
  verifyCrawler: () => 'unknown',
};
const BASE = Date.parse('2026-03-02T08:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 86_400 * SECOND;
const FILTER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/47.0 Safari/537.36';

/**
 * The fixtures put visits on round minutes; a real log's clock runs to the second. Background
 * requests at irregular seconds and minutes (a stylesheet everyone loads: popular, no pair)
 * give the log a clock fine enough for in-step fetches (unit-walk.ts clockOf).
 */
function background(): RecordSpec[] {
  return Array.from({ length: 1500 }, (_, index) => ({ ip: '10.99.0.1', time: BASE + index * 1_733 * SECOND, url: '/static/site.css' }));
}

function run(records: RecordSpec[], policy: DetectionPolicy = DEFAULT_POLICY) {
  const detector = new Detector();
  for (const spec of [...records, ...background()].sort((a, b) => Number(a.time) - Number(b.time))) detector.observe(toRecord(spec));
  return { detector, findings: analyze(detector, context, policy) };
}

/** A person's visit: a page and its two assets, with referrers. */
function visit(ip: string, time: number, url: string, agent?: string): RecordSpec[] {
  return [
    { ip, time, url, referrer: 'https://site.example/', userAgent: agent },
    { ip, time: time + 300, url: '/static/site.css', referrer: `https://site.example${url}`, userAgent: agent },
    { ip, time: time + 400, url: '/static/logo.png', referrer: `https://site.example${url}`, userAgent: agent },
  ];
}

/** When quietSite's visit of a page on a day is: in hour page + 1, at a minute and second of its own. */
function quietVisitTime(day: number, page: number): number {
  return BASE + day * DAY + (page + 1) * 3600 * SECOND + ((day * 37 + page * 11) % 50) * MINUTE + ((day * 13 + page * 7) % 60) * SECOND;
}

/** A small site: ten menu pages, each visited once a day by a different person, for 60 days. */
function quietSite(): RecordSpec[] {
  const records: RecordSpec[] = [];
  for (let day = 0; day < 60; day++) {
    for (let page = 0; page < 10; page++) {
      records.push(...visit(`${30 + page}.${day}.0.1`, quietVisitTime(day, page), `/menu${page}.htm`));
    }
  }
  return records;
}

const reported = (findings: ReturnType<typeof run>['findings'], detector: Detector): string[] =>
  findings.sources.filter((source) => (source.kind === 'replayer' || source.kind === 'prefetcher') && source.confidence >= 0.5).flatMap((source) => source.clients.map((client) => detector.clientKeys[client]!));

test('chance: a private URL rare over the whole log is evidence whatever the lag; a page visited daily only when fetched soon after', () => {
  const { detector } = run(quietSite());
  const chance = new ChanceModel(detector, DEFAULT_POLICY);
  // a URL two clients requested over the log, not crawled: private
  assert.ok(chance.bits(true, 1, 2, 3 * 86_400, false) >= DEFAULT_POLICY.privateUrlBits);
  // the same URL fetched by a declared bot is discoverable: three days later is nothing special
  assert.ok(chance.bits(true, 1, 2, 3 * 86_400, true) < DEFAULT_POLICY.explainedBits);
  // a menu page, ~one person a day (its person-days over the log): six hours later is chance,
  // a minute later is not
  const key = [...keysOfDayUnits(detector)][0]!;
  assert.ok(chance.bits(false, key, 2, 6 * 3600, false) < DEFAULT_POLICY.explainedBits);
  assert.ok(chance.bits(false, key, 2, 60, false) >= DEFAULT_POLICY.explainedBits);
  assert.ok(chance.bits(false, key, 2, 0, false) <= DEFAULT_POLICY.maxPairBits);
});

/** The URL keys of the index's day units (the menu pages here). */
function keysOfDayUnits(detector: Detector): Set<number> {
  const keys = new Set<number>();
  const counts = detector.index.personDays();
  for (let page = 0; page < 10; page++) {
    const url = Buffer.from(`/menu${page}.htm`);
    hashBytes(url, 0, url.length);
    const key = urlKeyOf(hashHigh, hashLow);
    if (counts.get(key) > 0) keys.add(key);
  }
  return keys;
}

test('entry points prove nothing; pages and queries do', () => {
  for (const url of ['/', '/robots.txt', '/favicon.ico', '/index.html', '/Default.aspx', '/apple-touch-icon-120x120.png']) assert.ok(isEntryPoint(url), url);
  for (const url of ['/?q=secret', '/about', '/index.html?ref=mail', '/search?q=a']) assert.ok(!isEntryPoint(url), url);
});

test('a spam script walking the menu of a quiet site after its visitors is not a replayer', () => {
  const records = quietSite();
  // 40 walks from hosting addresses: every menu page within seconds, hours after its visitor
  for (let walk = 0; walk < 40; walk++) {
    const start = BASE + (walk + 1) * DAY + 20 * 3600 * SECOND;
    for (let page = 0; page < 10; page++) records.push({ ip: `185.${walk}.7.9`, time: start + page * 800, url: `/menu${page}.htm`, userAgent: `Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; walk ${walk})` });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), []);
});

test('a web filter fetching in step with its user, logged before or after, is the replayer, not the user', () => {
  const records: RecordSpec[] = [];
  for (let page = 0; page < 8; page++) {
    const time = BASE + page * 7 * MINUTE;
    const url = page === 3 ? '/id2.html' : `/docs/page-${page}?session=u1`;
    records.push(...visit('191.98.133.69', time, url, FILTER_AGENT));
    // the filter: the user's exact agent, the same second, logged first half of the time
    records.push({ ip: '199.19.249.196', time: time + (page % 2 === 0 ? -SECOND : SECOND), url, userAgent: FILTER_AGENT, status: page === 3 ? 404 : 200 });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), ['199.19.249.196']);
  const source = findings.sources.find((entry) => entry.kind === 'replayer')!;
  assert.equal(source.pattern, 'realtime');
  assert.ok(source.lagSeconds!.min >= 0, 'an in-step fetch logged first shows lag 0, never negative');
  const user = detector.clientOf('191.98.133.69');
  assert.ok(findings.evidence.get(user)!.human, 'the user behaves like a person');
});

test('two scripts walking in step with each other are nobody\'s victims', () => {
  const records = quietSite();
  for (let walk = 0; walk < 5; walk++) {
    const start = BASE + (walk + 2) * DAY + 22 * 3600 * SECOND;
    for (let page = 0; page < 10; page++) {
      records.push({ ip: `200.54.${walk}.99`, time: start + page * SECOND, url: `/menu${page}.htm`, userAgent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)' });
      records.push({ ip: `194.31.${walk}.222`, time: start + page * SECOND + 500, url: `/menu${page}.htm`, userAgent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)' });
    }
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), []);
});

test('a homepage checker fetching / on a schedule, after visitors or not, is not a replayer', () => {
  const records = quietSite();
  for (let check = 0; check < 40; check++) {
    records.push(...visit(`77.${check}.1.1`, BASE + check * 36 * 3600 * SECOND, '/'));
    records.push({ ip: `208.91.113.${check % 3}`, time: BASE + check * 36 * 3600 * SECOND + 10 * MINUTE, url: '/', userAgent: `Checker/${check % 4}` });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), []);
});

test('a person spread over a proxy farm (pages from some addresses, images from others) is not a replayer', () => {
  const records = quietSite();
  for (let page = 0; page < 40; page++) {
    const time = BASE + (page % 50) * DAY + 2 * 3600 * SECOND + 15 * MINUTE;
    const url = `/menu${page % 10}.htm`;
    records.push({ ip: `205.188.116.${page % 12}`, time, url, userAgent: 'Mozilla/4.0 (compatible; MSIE 7.0; AOL 9.0)' });
    for (let image = 0; image < 3; image++) records.push({ ip: `205.188.117.${(page + image) % 13}`, time: time + 500, url: `/images/${page % 10}-${image}.jpg`, userAgent: 'Mozilla/4.0 (compatible; MSIE 7.0; AOL 9.0)' });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), []);
});

test('walks: a burst of pages each first visited by someone else, or faster than anyone reads, is no evidence', () => {
  const pair = (url: string, originClient: number, replayTime: number, lag: number, inStep = false): EvidencePair => ({
    url,
    origin: { client: originClient, time: replayTime - lag, status: 200, bytes: 1000 },
    replay: { client: 99, time: replayTime, status: 200, bytes: 1000 },
    lagSeconds: lag,
    strong: false,
    authMismatch: false,
    bits: 3,
    inStep,
  });
  const manyPeople = [pair('/a', 1, 1000, 7200), pair('/b', 2, 1001, 9000), pair('/c', 3, 1002, 5000), pair('/d', 4, 1004, 6000)];
  assert.equal(sweptPairs(manyPeople, DEFAULT_POLICY).size, 4);
  const inStepFast = [pair('/a', 5, 2000, 0, true), pair('/b', 5, 2001, 0, true), pair('/c', 5, 2002, 1, true)];
  assert.equal(sweptPairs(inStepFast, DEFAULT_POLICY).size, 3, 'two scripts walking together');
  const inStepReading = [pair('/a', 5, 3000, 0, true), pair('/b', 5, 3040, 0, true), pair('/c', 5, 3090, 1, true)];
  assert.equal(sweptPairs(inStepReading, DEFAULT_POLICY).size, 0, 'a filter keeps its user\'s reading pace');
  const privateUrls = manyPeople.map((entry) => ({ ...entry, strong: true }));
  assert.equal(sweptPairs(privateUrls, DEFAULT_POLICY).size, 0, 'private URLs are not a walk of public pages');
});

test('one person\'s history: one network, a long span, in the person\'s order (strict); compressed pages suffice to name the pattern', () => {
  const hour = 3600;
  const history = (originTimes: number[], network = 7) => originTimes.map((originTime, index) => ({ time: 100_000 + index, originTime, network }));
  assert.ok(isOnePersonsHistory(history([0, 1800, 4000]), DEFAULT_POLICY, true), 'three pages over 67 min, in order');
  assert.ok(isOnePersonsHistory(history([4000, 1800, 0]), DEFAULT_POLICY, true), 'or in reverse order');
  assert.ok(!isOnePersonsHistory(history([0, 4000, 1800]), DEFAULT_POLICY, true), 'a walk in its own order is not the person\'s history');
  assert.ok(!isOnePersonsHistory(history([0, 60, 100]), DEFAULT_POLICY, true), 'a two-minute visit is not hours of history');
  assert.ok(!isOnePersonsHistory([...history([0, hour]), { time: 100_002, originTime: 2 * hour, network: 8 }], DEFAULT_POLICY, true), 'two pages of one network are too few');
  // naming the pattern of a source already found: pages read over minutes, fetched within seconds
  assert.ok(isOnePersonsHistory(history([0, 200]), DEFAULT_POLICY, false));
  assert.ok(!isOnePersonsHistory(history([0, 20]), DEFAULT_POLICY, false));
});

test('pattern: one burst shown to be a person\'s history, the other uploads compressed whoever visited the pages, is a snapshot; replays at reading pace are not', () => {
  // person: the last browser before the replay, in `network` (client = network here)
  const pair = (url: string, network: number, visited: number, fetched: number): EvidencePair => ({
    url,
    origin: { client: network, time: visited, status: 200, bytes: 1000 },
    replay: { client: 99, time: fetched, status: 200, bytes: 1000 },
    lagSeconds: fetched - visited,
    strong: false,
    authMismatch: false,
    bits: 0.3,
    person: { client: network, time: visited, status: 200, bytes: 1000 },
  });
  const day = 86_400;
  // upload 1: one person (network 7), four pages over two hours, fetched in four seconds that night
  const shown = [0, 1, 2, 3].map((page) => pair(`/a${page}`, 7, day + page * 2400, 2 * day + page));
  // uploads 2 and 3: pages whose last visitors were of several networks, fetched in seconds
  const others = (at: number) => [0, 1, 2, 3].map((page) => pair(`/b${at}-${page}`, 20 + page, at * day + page * 900, (at + 1) * day + page));
  const uploads = [...shown, ...others(3), ...others(5)];
  assert.equal(uploadShare(uploads, DEFAULT_POLICY), 1);
  assert.equal(patternOf(uploads, DEFAULT_POLICY, (client) => client).pattern, 'snapshot');
  // without the burst shown to be one person's, the same shape is not enough
  assert.equal(patternOf([...others(3), ...others(5), ...others(7)], DEFAULT_POLICY, (client) => client).pattern, 'deferred');
  // a replayer fetching each page hours later at the pace it was read: no upload, deferred
  const paced = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((page) => pair(`/c${page}`, 20 + (page % 5), day + page * 900, day + 6 * 3600 + page * 900));
  assert.equal(uploadShare(paced, DEFAULT_POLICY), 0);
  assert.equal(patternOf([...shown, ...paced], DEFAULT_POLICY, (client) => client).pattern, 'deferred');
});

test('a history app fetching one person\'s day in a burst is a snapshot replayer', () => {
  const records = quietSite();
  // the person: many pages over four hours of one day; the app fetches them all in seconds, that night
  const person = '81.40.1.1';
  const day = BASE + 20 * DAY;
  const pages: string[] = [];
  for (let page = 0; page < 8; page++) {
    const url = `/articles/${page}-travel`;
    pages.push(url);
    records.push(...visit(person, day + page * 30 * MINUTE, url));
  }
  pages.forEach((url, index) => records.push({ ip: '3.89.131.133', time: day + 14 * 3600 * SECOND + index * SECOND, url, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15' }));
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), ['3.89.131.133']);
  assert.equal(findings.sources.find((source) => source.kind === 'replayer')!.pattern, 'snapshot');
});

test('burst kin: one upload spread over addresses of several networks, with one agent, is one snapshot source; not when one of them behaves like a person', () => {
  const APP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15 (KHTML, like Gecko)';
  const upload = (personLike: boolean): RecordSpec[] => {
    const records = quietSite();
    // a person's seven pages over three hours; the app fetches them that night from three
    // addresses in turn, a second apart: A holds three of them, B and C two each
    const day = BASE + 20 * DAY;
    const fetchers = ['3.89.131.133', '18.206.185.123', '34.206.204.73'];
    for (let page = 0; page < 7; page++) {
      const url = `/articles/${page}-travel`;
      records.push(...visit('81.40.1.1', day + page * 30 * MINUTE, url));
      records.push({ ip: fetchers[page % 3]!, time: day + 14 * 3600 * SECOND + page * SECOND, url, userAgent: APP });
    }
    // C, the same agent, loading an image with a referrer: a person's browser
    if (personLike) records.push({ ip: '34.206.204.73', time: day + 15 * 3600 * SECOND, url: '/static/logo.png', referrer: 'https://site.example/', userAgent: APP });
    // D, the same agent ten days later: another person's two pages in one burst, too little alone
    const later = BASE + 30 * DAY;
    for (let page = 0; page < 2; page++) {
      const url = `/articles/${page}-garden`;
      records.push(...visit('82.50.1.1', later + page * 2 * MINUTE, url));
      records.push({ ip: '52.20.7.9', time: later + 20 * 3600 * SECOND + page * SECOND, url, userAgent: APP });
    }
    return records;
  };
  const kin = run(upload(false));
  assert.deepEqual(reported(kin.findings, kin.detector).sort(), ['18.206.185.123', '3.89.131.133', '34.206.204.73', '52.20.7.9']);
  const sources = kin.findings.sources.filter((source) => source.kind === 'replayer');
  assert.equal(sources.length, 1, 'one source');
  assert.equal(sources[0]!.pattern, 'snapshot');
  // an agent no other client may share: each address on its own, and B and C hold too little
  const alone = run(upload(false), { ...DEFAULT_POLICY, burstKinMaxClients: 1 });
  assert.deepEqual(reported(alone.findings, alone.detector), ['3.89.131.133']);
  // one client of the agent loads images: the agent is a person's, nobody is kin by it
  const person = run(upload(true));
  assert.deepEqual(reported(person.findings, person.detector), ['3.89.131.133']);
});

test('snapshot: a short session holding pages nobody else asked for, fetched in seconds hours later, is the person\'s history; the same walk of menu pages is not', () => {
  const APP = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15 (KHTML, like Gecko)';
  const session = (pages: string[]): RecordSpec[] => {
    const records = quietSite();
    // a person reads five pages over five minutes in the evening, after the day's other
    // visitors; an app fetches them three hours later, a second apart, in the same order
    const day = BASE + 20 * DAY;
    pages.forEach((url, index) => {
      records.push(...visit('81.40.1.1', day + 13 * 3600 * SECOND + index * 70 * SECOND, url));
      records.push({ ip: '3.89.131.133', time: day + 16 * 3600 * SECOND + index * SECOND, url, userAgent: APP });
    });
    return records;
  };
  const withSearches = session(['/menu1.htm', '/search?q=rust+boiler', '/menu3.htm', '/search?q=kitchen+invoice', '/menu5.htm']);
  const found = run(withSearches);
  assert.deepEqual(reported(found.findings, found.detector), ['3.89.131.133']);
  const source = found.findings.sources.find((candidate) => candidate.kind === 'replayer')!;
  assert.equal(source.pattern, 'snapshot');
  assert.ok(source.reasons.some((line) => line.includes("pages of one person's history")), source.reasons.join('\n'));
  // the two private searches alone, without the burst read as the person's: too little
  const strict = run(withSearches, { ...DEFAULT_POLICY, snapshotPrivatePages: 99 });
  assert.deepEqual(reported(strict.findings, strict.detector), []);
  // menu pages only (each read by others that day too): a script walking the menu after the
  // evening's one visitor looks the same, and nothing in it is private
  const menu = run(session(['/menu1.htm', '/menu2.htm', '/menu3.htm', '/menu4.htm', '/menu5.htm']));
  assert.deepEqual(reported(menu.findings, menu.detector), []);
});

test('the policy is passed in: a stricter explainedBits turns the same evidence into nothing', () => {
  const records: RecordSpec[] = [];
  for (let user = 0; user < 6; user++) {
    const url = `/search?q=private+words+${user}`;
    records.push(...visit(`${60 + user}.1.1.1`, BASE + user * 3 * 3600 * SECOND, url));
    records.push({ ip: '150.70.97.43', time: BASE + user * 3 * 3600 * SECOND + 40 * MINUTE, url, status: 403, bytes: 900 });
  }
  assert.deepEqual(reported(run(records).findings, run(records).detector), ['150.70.97.43']);
  const strict = { ...DEFAULT_POLICY, explainedBits: 7 };
  const { detector, findings } = run(records, strict);
  assert.deepEqual(reported(findings, detector), []);
  assert.equal(findings.policy.explainedBits, 7);
});

test('signals name what counted for and against a client', () => {
  const records: RecordSpec[] = [];
  for (let user = 0; user < 4; user++) {
    const url = `/orders/${1000 + user}`;
    records.push(...visit(`${60 + user}.1.1.1`, BASE + user * 3600 * SECOND, url));
    records.push({ ip: '150.70.97.43', time: BASE + user * 3600 * SECOND + 5 * MINUTE, url, status: 403, bytes: 900 });
  }
  const { detector, findings } = run(records);
  const replayer = detector.clientOf('150.70.97.43');
  const signals = signalsOf(findings.evidence.get(replayer), detector.summary(replayer), findings.policy);
  assert.ok(signals.for.some((line) => line.includes('too soon or too private to be chance')), signals.for.join('\n'));
  assert.ok(signals.for.some((line) => line.includes('pages only')));
  const person = detector.clientOf('60.1.1.1');
  const theirs = signalsOf(findings.evidence.get(person), detector.summary(person), findings.policy);
  assert.ok(theirs.against.some((line) => line.includes('behaves like a person')), theirs.against.join('\n'));
});

test('kin: shadow fetchers of two networks that share a distinctive agent are one source; a lone shadow alone is not reported', () => {
  const BARE = 'Mozilla/4.0';
  const shadows = (loneAgent: string): RecordSpec[] => {
    const records = quietSite();
    // a busy morning on `/` (14 visitors: more than a day unit of another page keeps)
    for (let index = 0; index < 14; index++) records.push(...visit(`90.${index}.0.1`, BASE + 40 * DAY + index * 11 * MINUTE, '/'));
    // fetcher A shadows three people in step, on three days, with its own agent and then the bare one
    for (const [day, page] of [[5, 2], [17, 4], [29, 6]] as const) {
      const time = quietVisitTime(day, page);
      records.push({ ip: '208.115.138.254', time, url: `/menu${page}.htm`, userAgent: day === 29 ? BARE : 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)' });
    }
    // fetcher B, another network, once: in step with one of the morning's visitors of `/`
    records.push({ ip: '8.21.4.254', time: BASE + 40 * DAY + 5 * 11 * MINUTE, url: '/', userAgent: loneAgent });
    return records;
  };
  // B's only fetch could be chance: alone, it is not reported
  const alone = run(shadows('Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0'));
  assert.deepEqual(reported(alone.findings, alone.detector), ['208.115.138.254']);
  const lone = alone.findings.evidence.get(alone.detector.clientOf('8.21.4.254'))!;
  assert.equal(lone.inStep, 1, 'the in-step fetch of a busy day\'s `/` is seen (a wide day unit)');
  // with the agent only A used, B is A's kin: one source of two networks
  const kin = run(shadows(BARE));
  assert.deepEqual(reported(kin.findings, kin.detector).sort(), ['208.115.138.254', '8.21.4.254']);
  const source = kin.findings.sources.find((entry) => entry.kind === 'replayer')!;
  assert.ok(source.reasons.some((reason) => reason.includes('"Mozilla/4.0"')), source.reasons.join('\n'));
  // an agent many clients use is nobody's signature
  const common = run(shadows(BARE), { ...DEFAULT_POLICY, kinAgentMaxClients: 1 });
  assert.deepEqual(reported(common.findings, common.detector), ['208.115.138.254']);
});

test('the clock: a log written to the minute shows no in-step fetches; times bucketed into one minute an hour make coincidences likelier', () => {
  const uniform = new Uint32Array(120).fill(50);
  assert.deepEqual(clockOf(uniform), { secondsFactor: 1, minutesFactor: 1 });
  const toTheMinute = new Uint32Array(120).fill(50);
  for (let second = 0; second < 60; second++) toTheMinute[second] = second === 0 ? 3000 : 0;
  assert.equal(clockOf(toTheMinute).secondsFactor, 60);
  const bucketed = new Uint32Array(120).fill(50);
  for (let minute = 60; minute < 120; minute++) bucketed[minute] = minute === 65 ? 3000 : 0;
  assert.equal(clockOf(bucketed).minutesFactor, 60);
  // too few records say nothing
  assert.deepEqual(clockOf(new Uint32Array(120).fill(1)), { secondsFactor: 1, minutesFactor: 1 });

  // a web filter in step with its user, the whole log written to the minute: no in-step pair
  const records: RecordSpec[] = [];
  for (let page = 0; page < 8; page++) {
    const time = BASE + page * 7 * MINUTE;
    records.push(...visit('191.98.133.69', time, `/docs/page-${page}?session=u1`, FILTER_AGENT));
    records.push({ ip: '199.19.249.196', time: time + SECOND, url: `/docs/page-${page}?session=u1`, userAgent: FILTER_AGENT });
  }
  const detector = new Detector();
  for (const spec of [...records, ...background()].sort((a, b) => Number(a.time) - Number(b.time))) {
    const record = toRecord(spec);
    record.time = Math.floor(record.time / 60_000) * 60_000;
    detector.observe(record);
  }
  const findings = analyze(detector, context);
  const filter = findings.evidence.get(detector.clientOf('199.19.249.196'));
  assert.equal(filter?.inStep ?? 0, 0, 'no fetch is in step on a clock that only tells minutes');
  assert.equal(new ChanceModel(detector, DEFAULT_POLICY).inStepSeconds, -1);
});

test('a web filter in step with its one user again and again on pages others visit too is reported (no 0.45 ceiling)', () => {
  const records = quietSite();
  // the user reads five menu pages on five days; the filter fetches each in the same second
  for (let day = 0; day < 5; day++) {
    const time = quietVisitTime(day + 10, day) + 20 * MINUTE + 17 * SECOND;
    records.push(...visit('191.98.133.69', time, `/menu${day}.htm`, FILTER_AGENT));
    records.push({ ip: '199.19.249.196', time: time + SECOND, url: `/menu${day}.htm`, userAgent: FILTER_AGENT });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), ['199.19.249.196']);
  const source = findings.sources.find((entry) => entry.kind === 'replayer')!;
  assert.equal(source.weakOnly, true, 'from pages rare only that day');
  assert.equal(source.victims, 1);
});

test('a spam script walking the whole menu, three of whose pages one visitor read that day in the same order, is no history snapshot', () => {
  const records = quietSite();
  const day = BASE + 30 * DAY;
  // one visitor reads three menu pages over two and a half hours
  // (after that day's quietSite visitors of those pages; `day` starts at 08:00 UTC)
  for (const [page, hour] of [[1, 7], [3, 8], [5, 9.5]] as const) records.push(...visit('81.1.1.1', day + hour * 3600 * SECOND + 7 * SECOND, `/menu${page}.htm`));
  // the other pages are busy that day: more visitors than a day unit keeps
  for (const page of [0, 2, 4, 6, 7, 8, 9]) for (let visitor = 0; visitor < 10; visitor++) records.push(...visit(`82.${page}.${visitor}.1`, day + (10 + visitor * 0.4) * 3600 * SECOND + page * 61 * SECOND, `/menu${page}.htm`));
  // the script walks the whole menu in its order late that evening (the same UTC day), and
  // again on two other days
  for (const [offset, label] of [[0, 'a'], [3 * DAY, 'b'], [9 * DAY, 'c']] as const) {
    for (let page = 0; page < 10; page++) records.push({ ip: '5.9.51.170', time: day + offset + 15 * 3600 * SECOND + page * 1300, url: `/menu${page}.htm`, userAgent: `Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; ${label})` });
  }
  const { detector, findings } = run(records);
  assert.deepEqual(reported(findings, detector), []);
  assert.equal(findings.evidence.get(detector.clientOf('5.9.51.170'))?.snapshotReplays ?? 0, 0, 'its three pages of the visitor are a small part of what it fetched');
});

/**
 * A replay cloud following one person: on ten days the person reads a menu page of the quiet
 * site, and 25-55 minutes later one of three addresses of one network fetches it, pages only.
 * Each fetch alone is a page visited daily, fetched long after (chance ~2%); the same person
 * before them on ten days is not chance (repeat-victims.ts).
 */
function followed(victimOf: (day: number, page: number) => string): RecordSpec[] {
  const records = quietSite();
  const cloud = ['45.76.1.10', '45.76.2.20', '45.76.3.30'];
  for (let index = 0; index < 10; index++) {
    const day = 3 + index * 5;
    const page = index % 10;
    const time = quietVisitTime(day, page) + 20 * MINUTE + 13 * SECOND;
    const victim = victimOf(day, page);
    if (victim !== '') records.push(...visit(victim, time, `/menu${page}.htm`));
    records.push({ ip: cloud[index % 3]!, time: time + (25 + ((index * 7) % 30)) * MINUTE + index * SECOND, url: `/menu${page}.htm`, userAgent: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/${100 + index}.0 Safari/537.36` });
  }
  return records;
}

test('repeat victims: a cloud that follows one person on ten days is a deferred replayer, all its addresses one source', () => {
  const { detector, findings } = run(followed(() => '77.7.0.1'));
  assert.deepEqual(reported(findings, detector).sort(), ['45.76.1.10', '45.76.2.20', '45.76.3.30']);
  const source = findings.sources.find((entry) => entry.kind === 'replayer')!;
  assert.equal(source.pattern, 'deferred');
  assert.equal(source.victims, 1);
  assert.ok(source.reasons.some((reason) => reason.includes('on 10 different days')), source.reasons.join('\n'));
  const evidence = findings.evidence.get(detector.clientOf('45.76.1.10'))!;
  assert.ok(evidence.repeatReplays >= 3);
  assert.ok(signalsOf(evidence, detector.summary(detector.clientOf('45.76.1.10')), DEFAULT_POLICY).for.some((line) => line.includes('followed day after day')));
});

test('repeat victims: the same fetches after whoever came last (a different person each day) are chance', () => {
  // the cloud's fetches as above, each after that day's own visitor of the page
  const { detector, findings } = run(followed(() => ''));
  assert.deepEqual(reported(findings, detector), []);
  assert.equal(findings.evidence.get(detector.clientOf('45.76.1.10'))?.repeatReplays ?? 0, 0);
});

test('repeat victims: a stricter repeatVictimBits turns the same evidence into nothing', () => {
  const { detector, findings } = run(followed(() => '77.7.0.1'), { ...DEFAULT_POLICY, repeatVictimBits: 60 });
  assert.deepEqual(reported(findings, detector), []);
});

test('repeat victims: the tail of days a person is followed is exact (Poisson binomial)', () => {
  assert.equal(atLeast([0.5, 0.5], 2), 0.25);
  assert.ok(Math.abs(atLeast([0.1, 0.2, 0.3], 1) - (1 - 0.9 * 0.8 * 0.7)) < 1e-12);
  assert.equal(atLeast([0.1, 0.2], 3), 0);
  assert.equal(atLeast([0.1], 0), 1);
});

/** The fixtures' catalogue: 104.47.0.0/16 documented by network as a mail link scanner's. */
const scannerContext: AnalysisContext = {
  ...context,
  actors: (address) =>
    address.startsWith('104.47.')
      ? [{ id: 'mail-scanner', name: 'Mail Scanner', kind: 'prefetcher', by: 'network', documented: 'documented 2026', source: 'fixture', cidr: '104.47.0.0/16' }]
      : [],
};

/** A newsletter's links (three tracking redirects and a signed unsubscribe link), each checked with HEAD and fetched, by `ip`. */
function scan(ip: string, time: number, message: number): RecordSpec[] {
  const urls = [1, 2, 3].map((link) => `/r/${message}/a1b2c3d4e5/${link}`).concat(`/unsubscribe?u=${message}&sig=9f8e7d6c5b4a3921`);
  return urls.flatMap((url, index) => [
    { ip, time: time + index * 3 * SECOND, url, method: 'HEAD', bytes: 0 },
    { ip, time: time + index * 3 * SECOND + SECOND, url, status: url.startsWith('/r/') ? 302 : 200, bytes: url.startsWith('/r/') ? 0 : 5900 },
  ]);
}

test('a mail scanner\'s scan of one-time links nobody followed is its prefetcher, inside documented prefixes only', () => {
  const records = [...quietSite(), ...scan('104.47.1.1', BASE + 20 * DAY, 491), ...scan('5.9.1.1', BASE + 22 * DAY, 492)];
  const detector = new Detector();
  for (const spec of [...records, ...background()].sort((a, b) => Number(a.time) - Number(b.time))) detector.observe(toRecord(spec));
  const findings = analyze(detector, scannerContext);
  const source = findings.sources.find((entry) => entry.kind === 'prefetcher');
  assert.ok(source !== undefined, 'the documented scanner is reported');
  assert.deepEqual(source.clients.map((client) => detector.clientKeys[client]), ['104.47.1.1']);
  assert.ok(source.confidence >= 0.5 && source.confidence < 0.9, String(source.confidence));
  assert.ok(source.reasons.some((reason) => reason.includes('nobody requested after it')), source.reasons.join('\n'));
  // the same scan from a network no catalogue names is not enough on its own
  assert.deepEqual(reported(findings, detector), ['104.47.1.1']);
});

test('victims shown by explain are bounded over all clients: past the bound a set stops growing and says "at least"', () => {
  const table = new EvidenceTable(4, 3, 4);
  for (const client of [0, 1]) table.touch(client);
  table.addVictim(0, 10);
  table.addVictim(0, 10); // the same victim again holds nothing more
  table.addVictim(0, 11);
  table.addVictim(0, 12);
  table.addVictim(0, 13); // past the per-client cap: not held, not a drop for the bound
  assert.equal(table.get(0)!.victims.size, 3);
  assert.equal(table.get(0)!.victimsCapped, true);
  assert.equal(table.victimsDropped, 0);
  table.addVictim(1, 20); // the fourth held: the bound
  table.addVictim(1, 21);
  table.addVictim(1, 22);
  assert.deepEqual([...table.get(1)!.victims], [20]);
  assert.equal(table.get(1)!.victimsCapped, true);
  assert.equal(table.victimsDropped, 2);
  const summary = { requests: 3, pages: 3, assets: 0, scripts: 0, writes: 0, withReferrer: 0, http10: 0, denied: 0, notFound: 0 };
  const shown = signalsOf({ ...table.get(1)!, explained: 1 }, summary as never, DEFAULT_POLICY);
  assert.match(shown.for.join('\n'), /after at least 1 different clients/);
});

test('history check: a burst of one person\'s pages (most of them pages many people visit), in the person\'s order and far faster, is that person\'s history; a menu walk, another order or a quick visit is not', () => {
  const person = 7;
  const app = 9;
  const t0 = 1_773_000_000;
  const burst = t0 + 21 * 3600;
  const watchOf = (times: number[], rareOverall = ['/orders/685116']): HistoryWatch => ({
    suspects: [{ clients: [app], people: new Map([[person, times]]), rareOverall: new Set(rareOverall) }],
    clients: new Set([app, person]),
    windows: new Map([[person, times.map((time): [number, number] => [time - DEFAULT_POLICY.historyWindowSeconds, time])]]),
  });
  const page = (time: number, url: string, status = 200): Visit => ({ time, url, status, bytes: 30_000 });
  const session = [page(t0, '/about'), page(t0 + 36, '/t/shoes/13285'), page(t0 + 54, '/orders/685116'), page(t0 + 254, '/pricing'), page(t0 + 369, '/')];
  const upload = [page(burst, '/about'), page(burst + 1, '/t/shoes/13285'), page(burst + 2, '/orders/685116', 302), page(burst + 3, '/pricing'), page(burst + 4, '/')];
  const confirmed = confirmHistories(watchOf([burst + 1, burst + 2]), new Map([[person, session], [app, upload]]), DEFAULT_POLICY);
  const pairs = confirmed.get(app) ?? [];
  // the home page proves nothing; the four others are the person's, visited over four minutes and fetched in three seconds
  assert.deepEqual(pairs.map((pair) => [pair.url, pair.origin.client, pair.origin.time, pair.replay.time, pair.history]), [
    ['/about', person, t0, burst, true],
    ['/t/shoes/13285', person, t0 + 36, burst + 1, true],
    ['/orders/685116', person, t0 + 54, burst + 2, true],
    ['/pricing', person, t0 + 254, burst + 3, true],
  ]);
  assert.equal(pairs.find((pair) => pair.url === '/orders/685116')?.authMismatch, true);
  // a visit of four minutes is history only with a page nobody else asked for (the order page):
  // on a small site a visitor reads the menu in minutes, and a script walking it after them fetches the same pages
  assert.equal(confirmHistories(watchOf([burst + 2], []), new Map([[person, session], [app, upload]]), DEFAULT_POLICY).size, 0);
  // the same pages over two hours are history without one
  const longer = session.map((visit, index) => ({ ...visit, time: t0 + index * 1800 }));
  assert.equal(confirmHistories(watchOf([burst + 2], []), new Map([[person, longer], [app, upload]]), DEFAULT_POLICY).get(app)?.length, 4);
  // all in one second: a script takes the menu at once, and the order says nothing
  const atOnce = upload.map((fetch) => ({ ...fetch, time: burst }));
  assert.equal(confirmHistories(watchOf([burst]), new Map([[person, session], [app, atOnce]]), DEFAULT_POLICY).size, 0);
  // a script walking the whole menu after the visitor: most of its pages the visitor never saw
  const walk = ['/guest.htm', '/about', '/t/shoes/13285', '/pricing', '/faq', '/news', '/links'].map((url, index) => page(burst + index, url));
  assert.equal(confirmHistories(watchOf([burst + 2]), new Map([[person, session], [app, walk]]), DEFAULT_POLICY).size, 0);
  // the person's pages in another order than the person's
  const shuffled = [page(burst, '/pricing'), page(burst + 1, '/about'), page(burst + 2, '/orders/685116'), page(burst + 3, '/t/shoes/13285')];
  assert.equal(confirmHistories(watchOf([burst + 2]), new Map([[person, session], [app, shuffled]]), DEFAULT_POLICY).size, 0);
  // a visit of a few seconds fetched in a few seconds is no upload of history
  const quick = session.map((visit, index) => ({ ...visit, time: t0 + index * 2 }));
  assert.equal(confirmHistories(watchOf([burst + 2]), new Map([[person, quick], [app, upload]]), DEFAULT_POLICY).size, 0);
  // visits after the burst, or older than the window, are not what it uploaded
  const later = session.map((visit) => ({ ...visit, time: visit.time + 22 * 3600 }));
  assert.equal(confirmHistories(watchOf([burst + 2]), new Map([[person, later], [app, upload]]), DEFAULT_POLICY).size, 0);
  const old = session.map((visit) => ({ ...visit, time: visit.time - 3 * 24 * 3600 }));
  assert.equal(confirmHistories(watchOf([burst + 2]), new Map([[person, old], [app, upload]]), DEFAULT_POLICY).size, 0);
});
