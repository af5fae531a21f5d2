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
    const simulation = simulate({ scenario, seed, days: scenario === 'small' ? undefined : 7 });
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
