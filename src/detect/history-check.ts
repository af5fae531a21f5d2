/**
 * The history check: a second look at the log for a history upload the first pass could not
 * prove. An app that uploads a person's browsing history has it fetched in one burst, and most
 * of those pages are ones many people visit (the home page's menu, the login page): the index
 * keeps no visitor for them (first-seen-index.ts), so the burst shows only one or two rare
 * pages, which chance explains as well. A person reading the raw lines sees what the index does
 * not: the burst fetched, in seconds, the pages that one person had visited over minutes or
 * hours before, in that person's order, and nothing else.
 *
 * 1. `historySuspects` (after analysis): replayer sources below policy.historyCheckBelow whose
 *    clients only fetch pages, with few requests, and the people whose pages their bursts
 *    replayed (the origins of their pairs): what to read again.
 * 2. the scan reads its input again and keeps only those clients' page requests (the
 *    suspects' in full, the people's within policy.historyWindowSeconds before each burst).
 * 3. `confirmHistories`: a burst of a suspect is the person's history when at least
 *    policy.historyMinPages of its pages (entry points aside), and policy.historyPageShare of
 *    them, are pages the person visited in the window before, fetched in the person's order
 *    (or its reverse) in as many different seconds, the person's visits spanning
 *    policy.snapshotCompression times the burst's span or more, and either
 *    policy.snapshotOriginSpanSeconds or more, or holding a page rare over the whole log. Its pages become history pairs (EvidencePair.history): evidence as
 *    a whole, and the analysis runs again with them (analyze.ts).
 * A spam script walking the menu after a quiet day's visitor fetches pages the visitor never
 * saw, in its own order; a crawler is never a suspect (it loads or declares itself, or sweeps).
 * A log read from a stream (stdin, a pipe) cannot be read twice: no second look there.
 */
import { Counter, type Detector } from './detector.js';
import type { DetectionPolicy } from './policy.js';
import { burstsOf, inHistoryOrder, isCompressed } from './snapshot-bursts.js';
import type { EvidencePair, SourceFinding } from './types.js';
import { isAuthMismatch, isEntryPoint } from './unit-walk.js';

/** A page request read again: epoch seconds, the URL as logged, status and bytes. */
export interface Visit {
  time: number;
  url: string;
  status: number;
  bytes: number;
}

/** One source to look at again: its clients, per person whose pages it replayed the times of those replays, and the URLs of its replays rare over the whole log. */
export interface HistorySuspect {
  clients: number[];
  people: Map<number, number[]>;
  rareOverall: Set<string>;
}

/** What to read again: every page of `suspects`' clients, and each person's pages within `windows` (epoch seconds, from and to). */
export interface HistoryWatch {
  suspects: HistorySuspect[];
  clients: Set<number>;
  windows: Map<number, [number, number][]>;
}

/** Suspects kept at most: the re-read is bounded whatever the log holds. */
const MAX_SUSPECTS = 64;
/** People per suspect at most. */
const MAX_PEOPLE = 16;

/**
 * Replayer sources worth a second look, from the first analysis: below
 * policy.historyCheckBelow, at most policy.historyCheckMaxRequests requests, every client
 * fetching pages only (no asset, referrer or post), with late replays (policy.snapshotMinLagSeconds)
 * whose origins are the people to look at. `pairsOf`: the replay pairs of a set of clients.
 */
export function historySuspects(
  detector: Detector,
  sources: readonly SourceFinding[],
  policy: Readonly<DetectionPolicy>,
  pairsOf: (clients: Set<number>) => EvidencePair[],
): HistoryWatch | null {
  const fetcherOnly = (client: number): boolean =>
    detector.count(client, Counter.Assets) === 0 && detector.count(client, Counter.WithReferrer) === 0 && detector.count(client, Counter.Posts) === 0;
  const chosen = sources
    .filter((source) => source.kind === 'replayer' && source.confidence < policy.historyCheckBelow && source.requests <= policy.historyCheckMaxRequests && source.clients.every(fetcherOnly))
    .slice(0, MAX_SUSPECTS);
  if (chosen.length === 0) return null;
  const all = new Set(chosen.flatMap((source) => source.clients));
  const pairs = pairsOf(all);
  const suspects: HistorySuspect[] = [];
  const windows = new Map<number, [number, number][]>();
  const clients = new Set<number>();
  for (const source of chosen) {
    const own = new Set(source.clients);
    let pages = 0;
    for (const client of source.clients) pages += detector.count(client, Counter.Pages);
    if (pages < policy.historyMinPages) continue;
    // late replays of a person's visits (a browser before each), two of them in one burst: the
    // first pass saw part of an upload; a lone replay is no reason to read the log again
    const late = pairs
      .filter((pair) => own.has(pair.replay.client) && !own.has(pair.origin.client) && pair.inStep !== true && pair.person !== undefined && pair.replay.time - pair.origin.time >= policy.snapshotMinLagSeconds)
      .sort((a, b) => a.replay.time - b.replay.time);
    if (!burstsOf(late, (pair) => pair.replay.time, policy.burstGapSeconds).some((burst) => burst.length >= 2)) continue;
    // whose history: the last browser before each replay (a web filter's copy of the visit may come between)
    const people = new Map<number, number[]>();
    for (const pair of late) {
      let times = people.get(pair.person!.client);
      if (times === undefined) {
        if (people.size >= MAX_PEOPLE) continue;
        people.set(pair.person!.client, (times = []));
      }
      times.push(pair.replay.time);
    }
    suspects.push({ clients: source.clients, people, rareOverall: new Set(late.filter((pair) => pair.strong).map((pair) => pair.url)) });
    for (const client of source.clients) clients.add(client);
    for (const [person, times] of people) {
      clients.add(person);
      let list = windows.get(person);
      if (list === undefined) windows.set(person, (list = []));
      for (const time of times) list.push([time - policy.historyWindowSeconds, time]);
    }
  }
  if (suspects.length === 0) return null;
  return { suspects, clients, windows };
}

/** Whether a person's page request falls in one of the windows the watch keeps for them (a suspect's pages are all kept). */
export function watched(watch: HistoryWatch, client: number, time: number): boolean {
  const windows = watch.windows.get(client);
  if (windows === undefined) return watch.clients.has(client);
  for (const [from, to] of windows) if (time >= from && time <= to) return true;
  return watch.suspects.some((suspect) => suspect.clients.includes(client));
}

/**
 * The bursts of each suspect that are one person's history (see the file's comment), as
 * history pairs: the person's visit (origin) and the burst's fetch (replay) of each page, per
 * suspect client.
 */
export function confirmHistories(watch: HistoryWatch, visits: ReadonlyMap<number, Visit[]>, policy: Readonly<DetectionPolicy>): Map<number, EvidencePair[]> {
  const confirmed = new Map<number, EvidencePair[]>();
  for (const suspect of watch.suspects) {
    const fetches: (Visit & { client: number })[] = [];
    for (const client of suspect.clients) for (const visit of visits.get(client) ?? []) fetches.push({ ...visit, client });
    fetches.sort((a, b) => a.time - b.time || a.client - b.client);
    for (const burst of burstsOf(fetches, (fetch) => fetch.time, policy.burstGapSeconds)) {
      const pages = burst.filter((fetch) => !isEntryPoint(fetch.url));
      if (pages.length < policy.historyMinPages) continue;
      const start = burst[0]!.time;
      const end = burst[burst.length - 1]!.time;
      const distinct = new Set(pages.map((fetch) => fetch.url));
      let best: EvidencePair[] = [];
      for (const [person, times] of suspect.people) {
        // a person whose pages this burst replayed
        if (!times.some((time) => time >= start && time <= end)) continue;
        const pairs = historyPairs(pages, visits.get(person) ?? [], person, start, policy);
        if (pairs.length < policy.historyMinPages || pairs.length < policy.historyPageShare * distinct.size) continue;
        // fetched one after another (a script takes the whole menu in one second, where the
        // order says nothing), of a person's hours, or holding a page nobody else asked for:
        // on a small site a visitor reads the whole menu in minutes, and a script walking it
        // after them fetches the same pages
        if (new Set(pairs.map((pair) => pair.replay.time)).size < policy.historyMinPages) continue;
        const visited = pairs.map((pair) => pair.origin.time);
        if (Math.max(...visited) - Math.min(...visited) < policy.snapshotOriginSpanSeconds && !pairs.some((pair) => suspect.rareOverall.has(pair.url))) continue;
        if (pairs.length > best.length) best = pairs;
      }
      for (const pair of best) {
        let list = confirmed.get(pair.replay.client);
        if (list === undefined) confirmed.set(pair.replay.client, (list = []));
        list.push(pair);
      }
    }
  }
  return confirmed;
}

/**
 * The burst's pages the person visited in the window before it, each with the person's last
 * visit before the burst: the pairs, when they are in the person's order (or its reverse) and
 * the visits span policy.snapshotCompression times the burst's span or more (and a minute);
 * none otherwise.
 */
function historyPairs(pages: (Visit & { client: number })[], personVisits: Visit[], person: number, start: number, policy: Readonly<DetectionPolicy>): EvidencePair[] {
  const lastVisit = new Map<string, Visit>();
  for (const visit of personVisits) {
    if (visit.time > start - policy.snapshotMinLagSeconds || visit.time < start - policy.historyWindowSeconds || visit.status >= 400) continue;
    const before = lastVisit.get(visit.url);
    if (before === undefined || before.time < visit.time) lastVisit.set(visit.url, visit);
  }
  const pairs: EvidencePair[] = [];
  const seen = new Set<string>();
  for (const fetch of pages) {
    const visit = lastVisit.get(fetch.url);
    if (visit === undefined || seen.has(fetch.url)) continue;
    seen.add(fetch.url);
    const origin = { client: person, time: visit.time, status: visit.status, bytes: visit.bytes };
    const replay = { client: fetch.client, time: fetch.time, status: fetch.status, bytes: fetch.bytes };
    pairs.push({
      url: fetch.url,
      origin,
      replay,
      lagSeconds: fetch.time - visit.time,
      strong: false,
      authMismatch: isAuthMismatch(origin, replay),
      bits: policy.explainedBits,
      person: origin,
      history: true,
    });
  }
  if (pairs.length < 2) return [];
  const visited = pairs.map((pair) => pair.origin.time);
  const visitSpan = Math.max(...visited) - Math.min(...visited);
  const fetchSpan = pairs[pairs.length - 1]!.replay.time - pairs[0]!.replay.time;
  if (!isCompressed(visitSpan, fetchSpan, policy)) return [];
  if (!inHistoryOrder(pairs.map((pair) => ({ time: pair.replay.time, originTime: pair.origin.time })))) return [];
  return pairs;
}
