import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { clientKey, scenarioNames, simulate, simulateFormats, type Truth } from '../../src/simulate/index.js';

const combinedLine = /^(\S+) - (\S+) \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{3}) (\d+|-) "([^"\\]*(?:\\.[^"\\]*)*)" "([^"\\]*(?:\\.[^"\\]*)*)"$/;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Line {
  time: number;
  ip: string;
  method: string;
  url: string;
  protocol: string;
  status: number;
  bytes: number;
  referrer: string;
  userAgent: string;
}

function parseCombined(text: string): Line[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = combinedLine.exec(line);
      assert.ok(match, `not a combined line: ${line}`);
      const [, ip, , day, month, year, hour, minute, second, zone, method, url, protocol, status, bytes, referrer, userAgent] = match;
      const offset = (Number(zone!.slice(0, 3)) * 60 + Math.sign(Number(zone!.slice(0, 3)) || 1) * Number(zone!.slice(3))) * 60_000;
      const time = Date.UTC(Number(year), months.indexOf(month!), Number(day), Number(hour), Number(minute), Number(second)) - offset;
      return { time, ip: ip!, method: method!, url: url!, protocol: protocol!, status: Number(status), bytes: bytes === '-' ? 0 : Number(bytes), referrer: referrer!, userAgent: userAgent! };
    });
}

const cache = new Map<string, { truth: Truth; lines: Line[] }>();
function load(scenario: string, seed = 3): { truth: Truth; lines: Line[] } {
  const key = `${scenario}/${seed}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    const simulation = simulate({ scenario, seed, days: scenario === 'small' || scenario === 'lowtraffic' ? undefined : 7 });
    entry = { truth: simulation.truth, lines: parseCombined(simulation.files[0]!.data.toString()) };
    cache.set(key, entry);
  }
  return entry;
}

function actorsByClient(truth: Truth): Map<string, Truth['actors'][number]> {
  const map = new Map<string, Truth['actors'][number]>();
  for (const actor of truth.actors) for (const ip of actor.ips) map.set(clientKey(ip), actor);
  return map;
}

test('simulate is deterministic: the same seed writes the same bytes, another seed does not', () => {
  for (const format of simulateFormats) {
    const a = simulate({ scenario: 'small', seed: 5, format, days: 4 });
    const b = simulate({ scenario: 'small', seed: 5, format, days: 4 });
    assert.ok(a.files[0]!.data.equals(b.files[0]!.data), `${format} differs between runs`);
    assert.deepEqual(a.truth, b.truth);
  }
  const c = simulate({ scenario: 'small', seed: 6, days: 4 });
  assert.ok(!c.files[0]!.data.equals(simulate({ scenario: 'small', seed: 5, days: 4 }).files[0]!.data));
});

test('every scenario: lines in time order, every client belongs to exactly one truth actor, every truth address is in the log', () => {
  for (const scenario of scenarioNames) {
    const { truth, lines } = load(scenario);
    assert.equal(lines.length, truth.records, scenario);
    const owners = new Map<string, string>();
    for (const actor of truth.actors) {
      for (const ip of actor.ips) {
        const key = clientKey(ip);
        const owner = owners.get(key);
        assert.ok(owner === undefined || owner === actor.id, `${scenario}: ${ip} belongs to ${owner} and ${actor.id}`);
        owners.set(key, actor.id);
      }
    }
    const seen = new Set<string>();
    let previous = 0;
    for (const line of lines) {
      assert.ok(line.time >= previous, `${scenario}: out of order at ${line.ip} ${line.url}`);
      previous = line.time;
      assert.ok(owners.has(clientKey(line.ip)), `${scenario}: ${line.ip} is in no actor`);
      seen.add(line.ip);
    }
    for (const actor of truth.actors) for (const ip of actor.ips) assert.ok(seen.has(ip), `${scenario}: ${actor.id} ${ip} never appears`);
    assert.ok(lines[0]!.time >= Date.parse(truth.from) && lines[lines.length - 1]!.time < Date.parse(truth.to));
  }
});

test('scenarios carry the kinds they promise', () => {
  const kinds = (scenario: string): Set<string> => new Set(load(scenario).truth.actors.map((actor) => actor.kind));
  const confounders = ['human', 'cgnat', 'office-nat', 'dynamic-ip', 'ipv6-privacy', 'colleague', 'viral', 'monitor', 'feed-reader', 'vpn', 'crawler', 'fake-crawler', 'probe', 'link-preview'];
  for (const scenario of ['mixed', 'clean', 'incident', 'mail']) {
    const present = kinds(scenario);
    for (const kind of confounders) assert.ok(present.has(kind), `${scenario} lacks ${kind}`);
  }
  const mixed = load('mixed').truth.actors;
  assert.deepEqual(new Set(mixed.filter((actor) => actor.kind === 'replayer').map((actor) => actor.pattern)), new Set(['realtime', 'deferred', 'snapshot']));
  assert.ok(mixed.some((actor) => actor.kind === 'prefetcher'));
  for (const scenario of ['clean']) assert.ok(!kinds(scenario).has('replayer') && !kinds(scenario).has('prefetcher'));
  assert.ok(!kinds('mail').has('replayer') && kinds('mail').has('prefetcher'));
  assert.ok(kinds('incident').has('replayer') && !kinds('incident').has('prefetcher'));
  assert.ok(kinds('small').has('replayer'));
  // the confounders of real logs (issue 10): in every scenario
  const realWorld = ['spam-bot', 'undeclared-crawler', 'proxy-farm', 'homepage-checker'];
  for (const kind of [...confounders, ...realWorld]) assert.ok(kinds('confounded').has(kind), `confounded lacks ${kind}`);
  for (const kind of ['spam-bot', 'undeclared-crawler', 'proxy-farm', 'homepage-checker', 'replayer', 'crawler', 'probe']) assert.ok(kinds('lowtraffic').has(kind), `lowtraffic lacks ${kind}`);
  for (const scenario of ['mixed', 'clean', 'incident', 'mail', 'small']) for (const kind of realWorld) assert.ok(kinds(scenario).has(kind), `${scenario} lacks ${kind}`);
  const confounded = load('confounded').truth.actors;
  assert.deepEqual(new Set(confounded.filter((actor) => actor.kind === 'replayer').map((actor) => actor.pattern)), new Set(['realtime', 'deferred', 'snapshot']));
  assert.ok(confounded.some((actor) => actor.kind === 'replayer' && actor.name?.includes('in-step')));
});

test('replayers behave as in the real world: page only, no referrer, the victim first, the right lag per pattern', () => {
  const { truth, lines } = load('mixed');
  const owners = actorsByClient(truth);
  const firstSeen = new Map<string, Line>();
  const lags = new Map<string, number[]>();
  for (const line of lines) {
    const actor = owners.get(clientKey(line.ip))!;
    if (actor.kind === 'replayer' && !line.url.startsWith('//')) {
      assert.equal(line.referrer, '-', `replay with a referrer: ${line.url}`);
      assert.ok(!/\.(css|woff2|svg|jpg|ico)$/.test(line.url), `replayer fetched an asset ${line.url}`);
      const origin = firstSeen.get(line.url);
      assert.ok(origin !== undefined, `${actor.id} fetched ${line.url} before anyone`);
      if (line.url.startsWith('/messages/') || line.url.startsWith('/search?')) {
        const list = lags.get(actor.id) ?? [];
        list.push((line.time - origin.time) / 1000);
        lags.set(actor.id, list);
      }
    }
    if (!firstSeen.has(line.url)) firstSeen.set(line.url, line);
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  for (const actor of truth.actors.filter((candidate) => candidate.kind === 'replayer')) {
    const list = lags.get(actor.id) ?? [];
    if (list.length < 5) continue;
    if (actor.pattern === 'realtime') assert.ok(median(list) < 120, `${actor.id} realtime median lag ${median(list)} s`);
    if (actor.pattern === 'deferred') assert.ok(median(list) > 120, `${actor.id} deferred median lag ${median(list)} s`);
  }
  const incident = truth.actors.find((actor) => actor.name?.startsWith('Trend Micro'))!;
  for (const ip of incident.ips) assert.ok(ip.startsWith('150.70.') || ip.startsWith('216.104.15.'), ip);
});

test('mail scanners open one-time links seconds after sending and the person who clicks later is told it expired', () => {
  const { truth, lines } = load('mail');
  const owners = actorsByClient(truth);
  const byUrl = new Map<string, Line[]>();
  for (const line of lines) if (line.url.startsWith('/auth/magic?token=')) byUrl.set(line.url, [...(byUrl.get(line.url) ?? []), line]);
  let scannedFirst = 0;
  let expiredForPerson = 0;
  for (const requests of byUrl.values()) {
    const first = requests[0]!;
    if (owners.get(clientKey(first.ip))!.kind !== 'prefetcher') continue;
    scannedFirst++;
    const person = requests.find((line) => owners.get(clientKey(line.ip))!.kind !== 'prefetcher' && line.method === 'GET');
    if (person !== undefined && (person.status === 410 || (person.status === 200 && person.bytes < 3_000))) expiredForPerson++;
  }
  assert.ok(scannedFirst > 20, `only ${scannedFirst} magic links scanned first`);
  assert.ok(expiredForPerson > scannedFirst * 0.5, `${expiredForPerson} of ${scannedFirst} people saw "link expired"`);
});

test('refused replays: private URLs get 401/403/302 or a small page when fetched without the session', () => {
  const { truth, lines } = load('incident');
  const owners = actorsByClient(truth);
  const origin = new Map<string, Line>();
  let replays = 0;
  let mismatched = 0;
  for (const line of lines) {
    const first = origin.get(line.url);
    if (first === undefined) {
      origin.set(line.url, line);
      continue;
    }
    if (owners.get(clientKey(line.ip))!.kind !== 'replayer' || !/^\/(messages|drafts|admin|orders|account|search)/.test(line.url)) continue;
    replays++;
    if (line.status !== 200 || line.bytes < first.bytes / 3) mismatched++;
  }
  assert.ok(replays > 50, `${replays} replays of private URLs`);
  assert.ok(mismatched / replays > 0.8, `${mismatched}/${replays} refused`);
});

test('the default mixed scenario is 100k–300k lines', () => {
  const simulation = simulate({ scenario: 'mixed', seed: 1 });
  assert.ok(simulation.truth.lines >= 100_000 && simulation.truth.lines <= 300_000, `${simulation.truth.lines} lines`);
});

test('formats: w3c has #Fields headers, caddy and nginx-json are JSON lines with the same requests', () => {
  const combined = simulate({ scenario: 'small', seed: 2, days: 3 });
  const w3c = simulate({ scenario: 'small', seed: 2, days: 3, format: 'w3c' }).files[0]!.data.toString().split('\n').filter(Boolean);
  assert.ok(w3c[0]!.startsWith('#Software: Microsoft Internet Information Services'));
  const fields = w3c.find((line) => line.startsWith('#Fields: '))!.slice(9).split(' ');
  const records = w3c.filter((line) => !line.startsWith('#'));
  assert.equal(records.length, combined.truth.records);
  for (const record of records) assert.equal(record.split(' ').length, fields.length, record);
  const caddy = simulate({ scenario: 'small', seed: 2, days: 3, format: 'caddy' }).files[0]!.data.toString().split('\n').filter(Boolean);
  const entry = JSON.parse(caddy[0]!) as { ts: number; msg: string; request: { remote_ip: string; uri: string; headers: Record<string, string[]> }; status: number; size: number };
  assert.equal(entry.msg, 'handled request');
  assert.equal(typeof entry.ts, 'number');
  assert.equal(caddy.length, combined.truth.records);
  const nginx = simulate({ scenario: 'small', seed: 2, days: 3, format: 'nginx-json' }).files[0]!.data.toString().split('\n').filter(Boolean);
  const first = JSON.parse(nginx[0]!) as Record<string, string>;
  assert.deepEqual(Object.keys(first), ['time_local', 'remote_addr', 'remote_user', 'request', 'status', 'body_bytes_sent', 'request_time', 'http_referrer', 'http_user_agent']);
});

test('rotate writes a daily set, newest first, older days gzipped', () => {
  const plain = simulate({ scenario: 'small', seed: 4, days: 4 });
  const rotated = simulate({ scenario: 'small', seed: 4, days: 4, rotate: true });
  // rotation happens at the server's local midnight, so 4 UTC days span 4 or 5 local days
  assert.deepEqual(rotated.truth.files.slice(0, 4), ['access.log', 'access.log.1', 'access.log.2.gz', 'access.log.3.gz']);
  assert.ok(rotated.files.length === 4 || rotated.files.length === 5);
  const oldestFirst = [...rotated.files].reverse().map((file) => (file.name.endsWith('.gz') ? gunzipSync(file.data) : file.data).toString());
  assert.equal(oldestFirst.join(''), plain.files[0]!.data.toString());
});

test('--lines scales the log to about the target', () => {
  const simulation = simulate({ scenario: 'mail', seed: 1, days: 3, lines: 20_000 });
  assert.ok(simulation.truth.lines > 12_000 && simulation.truth.lines < 30_000, `${simulation.truth.lines}`);
});

/** Requests per truth actor, in log order. */
function linesOf(scenario: string, kind: string, seed = 3): Map<string, Line[]> {
  const { truth, lines } = load(scenario, seed);
  const owners = actorsByClient(truth);
  const byActor = new Map<string, Line[]>();
  for (const line of lines) {
    const actor = owners.get(clientKey(line.ip))!;
    if (actor.kind !== kind) continue;
    byActor.set(actor.id, [...(byActor.get(actor.id) ?? []), line]);
  }
  return byActor;
}

/** Splits one actor's requests into visits: a new visit after `gap` ms of silence from that address. */
function visitsOf(lines: Line[], gap: number): Line[][] {
  const open = new Map<string, Line[]>();
  const visits: Line[][] = [];
  for (const line of lines) {
    const current = open.get(line.ip);
    if (current !== undefined && line.time - current[current.length - 1]!.time <= gap) current.push(line);
    else {
      const visit = [line];
      open.set(line.ip, visit);
      visits.push(visit);
    }
  }
  return visits;
}

const assetPattern = /\.(css|js|woff2|svg|jpg|ico)(\?|$)/;

test('spam scripts walk the same ordered path within seconds, page only, a new agent each visit, from many hosting addresses', () => {
  const campaigns = linesOf('confounded', 'spam-bot');
  assert.equal(campaigns.size, 2);
  for (const [id, lines] of campaigns) {
    const visits = visitsOf(lines, 60_000);
    assert.ok(visits.length > 10, `${id}: ${visits.length} visits`);
    const paths = new Map<string, number>();
    const agents = new Set<string>();
    for (const visit of visits) {
      const path = visit.filter((line) => line.method === 'GET').map((line) => line.url).join(' ');
      paths.set(path, (paths.get(path) ?? 0) + 1);
      agents.add(visit[0]!.userAgent);
      assert.ok(visit[visit.length - 1]!.time - visit[0]!.time < 60_000, `${id}: a visit longer than a minute`);
      for (const line of visit) assert.ok(!assetPattern.test(line.url), `${id} fetched an asset ${line.url}`);
    }
    // the script's path; a visit split by a shared address is the rare exception
    const [main, count] = [...paths].sort((a, b) => b[1] - a[1])[0]!;
    assert.ok(count >= visits.length * 0.9, `${id}: ${count}/${visits.length} visits walk "${main}"`);
    assert.ok(main.split(' ').length >= 5 && main.startsWith('/contact'), `${id}: path ${main}`);
    assert.ok(agents.size >= visits.length * 0.9, `${id}: ${agents.size} agents over ${visits.length} visits`);
    assert.ok(new Set(lines.map((line) => line.ip)).size >= visits.length * 0.7, `${id}: too few addresses`);
  }
});

test('undeclared crawlers: no declared agent, / and its links within the minute, dead links, robots.txt and HTTP/1.0 for some', () => {
  const crawlers = linesOf('confounded', 'undeclared-crawler');
  assert.equal(crawlers.size, 10);
  let notFound = 0;
  let robots = 0;
  let http10 = 0;
  let assets = 0;
  for (const [id, lines] of crawlers) {
    for (const line of lines) assert.ok(!/bot|crawl|spider|http:|https:/i.test(line.userAgent), `${id} declares itself: ${line.userAgent}`);
    const crawl = visitsOf(lines, 5 * 60_000)[0]!;
    const pages = crawl.filter((line) => line.url !== '/robots.txt');
    assert.equal(pages[0]!.url, '/', `${id} starts at ${pages[0]!.url}`);
    const menu = pages.filter((line) => ['/about', '/pricing', '/contact', '/blog', '/forum'].includes(line.url));
    assert.equal(menu.length, 5, `${id} did not follow the home page's links`);
    assert.ok(menu[menu.length - 1]!.time - pages[0]!.time < 60_000, `${id}: the home page's links took more than a minute`);
    if (lines.some((line) => line.status === 404)) notFound++;
    if (lines.some((line) => line.url === '/robots.txt')) robots++;
    if (lines.some((line) => line.protocol === 'HTTP/1.0')) http10++;
    if (lines.some((line) => assetPattern.test(line.url))) assets++;
  }
  assert.ok(notFound >= 3 && robots >= 2 && robots < 10 && http10 >= 1 && http10 < 10 && assets >= 1 && assets < 10, JSON.stringify({ notFound, robots, http10, assets }));
});

test('a proxy farm spreads one person over many addresses: pages from some (page-only each), their images from others', () => {
  for (const [id, lines] of linesOf('confounded', 'proxy-farm')) {
    const addresses = new Set(lines.map((line) => line.ip));
    assert.ok(addresses.size >= 12, `${id}: ${addresses.size} addresses in a week`);
    assert.equal(new Set(lines.map((line) => line.userAgent)).size, 1, `${id}: one person, one browser`);
    let split = 0;
    let pages = 0;
    for (let i = 0; i < lines.length; i++) {
      const page = lines[i]!;
      if (assetPattern.test(page.url)) continue;
      pages++;
      const image = lines.slice(i + 1).find((line) => line.referrer.endsWith(page.url) && line.url.startsWith('/media/'));
      if (image !== undefined && image.ip !== page.ip) split++;
    }
    assert.ok(pages > 3 && split > pages / 4, `${id}: ${split} of ${pages} pages have their images from another address`);
    // each page address alone looks page-only; the group loads the images
    const pageOnly = [...addresses].filter((ip) => lines.every((line) => line.ip !== ip || !assetPattern.test(line.url)));
    assert.ok(pageOnly.length >= addresses.size * 0.25, `${id}: ${pageOnly.length} of ${addresses.size} addresses fetch pages only`);
    assert.ok(lines.some((line) => assetPattern.test(line.url)));
  }
});

test('a home-page checker fetches / only, about every 36 hours, with rotating agents', () => {
  const simulation = simulate({ scenario: 'lowtraffic', seed: 3, days: 30 });
  const lines = parseCombined(simulation.files[0]!.data.toString());
  const checker = simulation.truth.actors.find((actor) => actor.kind === 'homepage-checker')!;
  const ips = new Set(checker.ips);
  const fetches = lines.filter((line) => ips.has(line.ip));
  assert.ok(fetches.length >= 15 && fetches.length <= 26, `${fetches.length} fetches in 30 days`);
  for (const line of fetches) assert.ok(line.url === '/' && line.method === 'GET', `${line.method} ${line.url}`);
  for (let i = 1; i < fetches.length; i++) {
    const hours = (fetches[i]!.time - fetches[i - 1]!.time) / 3_600_000;
    assert.ok(hours > 27 && hours < 43, `${hours} h between checks`);
  }
  assert.ok(new Set(fetches.map((line) => line.userAgent)).size >= fetches.length * 0.6, 'agents do not rotate');
});

test('a web filter fetches in step with its user (0-2 s, sometimes logged first), with the same agent, typo URLs included', () => {
  for (const scenario of ['confounded', 'lowtraffic']) {
    const { truth, lines } = load(scenario);
    const owners = actorsByClient(truth);
    const filter = truth.actors.find((actor) => actor.name?.includes('in-step'))!;
    const own = new Set(filter.ips.map(clientKey));
    let before = 0;
    let typos = 0;
    let fetches = 0;
    for (const line of lines) {
      if (!own.has(clientKey(line.ip))) continue;
      fetches++;
      const twin = lines.find((other) => other.url === line.url && other.userAgent === line.userAgent && !own.has(clientKey(other.ip)) && Math.abs(other.time - line.time) <= 2_000);
      assert.ok(twin !== undefined, `${scenario}: ${line.url} at ${new Date(line.time).toISOString()} has no user request in step with the same agent`);
      assert.ok(!['replayer', 'prefetcher'].includes(owners.get(clientKey(twin.ip))!.kind));
      if (twin.time > line.time) before++;
      if (line.status === 404 && lines.filter((other) => other.url === line.url).length === 2) typos++;
    }
    assert.ok(fetches > 10 && before > 0 && before < fetches / 2 && typos > 0, `${scenario}: ${fetches} fetches, ${before} before the user, ${typos} typos`);
  }
});

test('lowtraffic: 20-50 visits a day over months on ten menu pages and a guestbook, a log small enough to scan in seconds', () => {
  const simulation = simulate({ scenario: 'lowtraffic', seed: 3 });
  const lines = parseCombined(simulation.files[0]!.data.toString());
  const owners = actorsByClient(simulation.truth);
  const days = (Date.parse(simulation.truth.to) - Date.parse(simulation.truth.from)) / 86_400_000;
  assert.ok(days >= 90 && days <= 120, `${days} days`);
  assert.ok(simulation.truth.lines < 80_000, `${simulation.truth.lines} lines`);
  // a visit: a person's page request after 30 minutes without one
  const people = new Set(['human', 'dynamic-ip', 'ipv6-privacy', 'cgnat', 'vpn']);
  const lastSeen = new Map<string, number>();
  const perDay = new Map<number, number>();
  for (const line of lines) {
    if (!people.has(owners.get(clientKey(line.ip))!.kind) || assetPattern.test(line.url)) continue;
    const key = `${line.ip} ${line.userAgent}`;
    if (line.time - (lastSeen.get(key) ?? -Infinity) > 30 * 60_000) {
      const day = Math.floor(line.time / 86_400_000);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
    lastSeen.set(key, line.time);
  }
  const counts = [...perDay.values()].sort((a, b) => a - b);
  const median = counts[Math.floor(counts.length / 2)]!;
  assert.ok(median >= 20 && median <= 50, `median ${median} visits a day`);
  const guestbook = lines.filter((line) => line.url === '/guest.htm');
  assert.ok(guestbook.filter((line) => owners.get(clientKey(line.ip))!.kind === 'spam-bot').length > guestbook.length / 2, 'the guestbook is mostly spam');
  const patterns = simulation.truth.actors.filter((actor) => actor.kind === 'replayer').map((actor) => actor.pattern).sort();
  assert.deepEqual(patterns, ['deferred', 'realtime']);
});

test('replay patterns match their definitions: realtime lags under 2 min, deferred minutes to days, snapshot one victim over hours in a burst', () => {
  for (const scenario of ['confounded', 'lowtraffic']) {
    const { truth, lines } = load(scenario);
    const owners = actorsByClient(truth);
    const lags = new Map<string, number[]>();
    const lastByUrl = new Map<string, Line>();
    for (const line of lines) {
      const actor = owners.get(clientKey(line.ip))!;
      if (actor.kind === 'replayer' && actor.pattern !== 'snapshot') {
        // lag from the latest request of the URL by anyone not replaying (0 when the replay came first)
        const origin = lastByUrl.get(line.url);
        if (origin !== undefined) lags.set(actor.id, [...(lags.get(actor.id) ?? []), Math.max(0, line.time - origin.time) / 1000]);
      } else if (actor.kind !== 'replayer') lastByUrl.set(line.url, line);
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    for (const actor of truth.actors.filter((candidate) => candidate.kind === 'replayer' && candidate.pattern !== 'snapshot')) {
      const list = lags.get(actor.id) ?? [];
      if (list.length < 5) continue;
      if (actor.pattern === 'realtime') assert.ok(median(list) < 120, `${scenario} ${actor.id} realtime median lag ${median(list)} s`);
      if (actor.pattern === 'deferred') assert.ok(median(list) > 120, `${scenario} ${actor.id} deferred median lag ${median(list)} s`);
    }
  }
  // snapshot: each upload is fetched within a minute, and most uploads of several URLs cover
  // hours of the victim's browsing (an upload of one URL, when the victim opened one page that
  // day, is a burst too small to show it)
  for (const seed of [3, 101, 202]) {
    const { truth, lines } = load('confounded', seed);
    const owners = actorsByClient(truth);
    const snapshot = truth.actors.find((actor) => actor.pattern === 'snapshot')!;
    const lastByUrl = new Map<string, number>();
    const bursts: { start: number; end: number; origins: number[] }[] = [];
    for (const line of lines) {
      const actor = owners.get(clientKey(line.ip))!;
      if (actor.id !== snapshot.id) {
        if (actor.kind !== 'replayer') lastByUrl.set(line.url, line.time);
        continue;
      }
      let burst = bursts[bursts.length - 1];
      if (burst === undefined || line.time - burst.end > 10 * 60_000) bursts.push((burst = { start: line.time, end: line.time, origins: [] }));
      burst.end = line.time;
      const origin = lastByUrl.get(line.url);
      if (origin !== undefined) burst.origins.push(origin);
    }
    const several = bursts.filter((burst) => burst.origins.length >= 3);
    for (const burst of bursts) assert.ok(burst.end - burst.start < 60_000, `seed ${seed}: an upload fetched over ${(burst.end - burst.start) / 1000} s`);
    const spanning = several.filter((burst) => Math.max(...burst.origins) - Math.min(...burst.origins) >= 60 * 60_000);
    assert.ok(several.length > 0 && spanning.length > several.length / 2, `seed ${seed}: ${spanning.length} of ${several.length} uploads span an hour or more`);
  }
});

test('replayers said to be on networks no catalogue names are on none', async () => {
  const { loadAttributor } = await import('../../src/attribute/index.js');
  const attributor = loadAttributor();
  let checked = 0;
  for (const scenario of ['mixed', 'confounded', 'lowtraffic']) {
    for (const seed of [3, 101, 202]) {
      const truth = scenario === 'mixed' || scenario === 'confounded' ? simulate({ scenario, seed, days: 2 }).truth : load(scenario, seed).truth;
      for (const actor of truth.actors) {
        if (actor.kind !== 'replayer' || !/^unknown /.test(actor.name ?? '')) continue;
        for (const ip of actor.ips) {
          checked++;
          assert.deepEqual(attributor.actors(ip).map((match) => match.id), [], `${scenario}/${seed}: ${actor.name} at ${ip} is catalogued`);
        }
      }
    }
  }
  assert.ok(checked > 10, `${checked} addresses checked`);
});
