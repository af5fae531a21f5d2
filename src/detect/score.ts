/**
 * Scoring one group into a source: how sure, which pattern, and the sentences that say why.
 */
import type { ActorMatch } from '../attribute/types.js';
import { Counter, type Detector } from './detector.js';
import { type EvidenceTable, shareOf } from './evidence.js';
import type { Role } from './grouping.js';
import type { DetectionPolicy } from './policy.js';
import { isVictim } from './repeat-victims.js';
import { burstsOf, isOnePersonsHistory } from './snapshot-bursts.js';
import type { EvidencePair, ReplayPattern, RequestRef, SourceFinding } from './types.js';

/**
 * How much the group's pairs weigh: each counts up to one, in proportion to its evidence bits
 * (policy.fullPairBits count in full). A replay of a private URL counts in full; a page others
 * visit too, fetched hours after someone, counts little; so does one whose origin is no browser.
 */
export function pairWeight(pair: EvidencePair, policy: DetectionPolicy): number {
  if (pair.bits === undefined) return pair.strong ? 1 : 0.25;
  // chance explains it as well: no evidence
  if (pair.bits < policy.explainedBits) return 0;
  const weight = Math.min(1, pair.bits / policy.fullPairBits);
  return pair.originNotBrowser === true ? weight * policy.notBrowserOriginWeight : weight;
}

/**
 * Pairs that are a walk through the site, not anyone's history: bursts of replays (each within
 * policy.burstGapSeconds of the last) of pages rare only that day, at least
 * policy.sweepMinPages of them, whose origins are mostly different clients. A script walking the
 * menu (a guestbook spam bot, a link-following crawler) fetches pages each visited last by
 * someone else; a snapshot fetches one person's pages, a replay cloud one person's rare URLs.
 * Pages fetched faster than anyone reads (policy.sweepPaceSeconds a page) are a walk too: a web
 * filter's fetches keep its user's pace, and two scripts walking together in step are nobody's
 * visit. One person's history fetched long after (a snapshot) looks the same and is not a walk:
 * scoreGroup takes those pairs back out (onePersonBursts).
 */
export function sweptPairs(pairs: EvidencePair[], policy: DetectionPolicy): Set<EvidencePair> {
  const swept = new Set<EvidencePair>();
  const weak = pairs.filter((pair) => !pair.strong).sort((a, b) => a.replay.time - b.replay.time);
  for (const burst of burstsOf(weak, (pair) => pair.replay.time, policy.burstGapSeconds)) {
    const length = burst.length;
    if (length < policy.sweepMinPages) continue;
    const origins = new Set(burst.map((pair) => pair.origin.client)).size;
    const pages = new Set(burst.map((pair) => pair.url)).size;
    const pace = pages > 1 ? (burst[length - 1]!.replay.time - burst[0]!.replay.time) / (pages - 1) : Number.POSITIVE_INFINITY;
    // many people's pages in one walk; or a walk faster than anyone reads (one person's
    // uploaded history is taken back out by the caller: onePersonBursts)
    const walk = origins * 2 > length || (pages >= policy.sweepMinPages && pace <= policy.sweepPaceSeconds);
    if (walk) for (const pair of burst) swept.add(pair);
  }
  return swept;
}

export function scoreGroup(
  detector: Detector,
  role: Role,
  clients: number[],
  pairs: EvidencePair[],
  actor: ActorMatch | null,
  evidence: EvidenceTable,
  policy: DetectionPolicy,
  networkOf: (client: number) => number,
  /** the distinctive agent that made kin of other networks one group (grouping.ts kinAgents) */
  kinAgent?: number,
  /** that kin was linked by replays in the same seconds (grouping.ts burstKin) */
  kinBurst = false,
): SourceFinding | null {
  if (pairs.length === 0) return null;
  clients.sort((a, b) => a - b);
  const victims = new Set<number>();
  const urls = new Set<string>();
  let strong = 0;
  let weak = 0;
  let popularHistory = 0;
  let mismatches = 0;
  let effective = 0;
  let inStep = 0;
  let inStepExplained = 0;
  const swept = role === 'replayer' ? sweptPairs(pairs, policy) : new Set<EvidencePair>();
  const pattern = role === 'replayer' ? patternOf(pairs, policy, networkOf, followedPairs(pairs, evidence, networkOf)) : null;
  // one person's history over hours fetched in a burst counts in full, page by page
  const history = role === 'replayer' ? onePersonBursts(pairs, policy, networkOf, true).inBursts : new Set<EvidencePair>();
  // bursts the scan confirmed from the log's lines (history-check.ts) are a person's history
  if (role === 'replayer') for (const pair of pairs) if (pair.history === true) history.add(pair);
  for (const pair of history) swept.delete(pair);
  // one person followed day after day by the group's place (repeat-victims.ts) counts in full, fetch by fetch
  const followed = role === 'replayer' ? followedPairs(pairs, evidence, networkOf) : new Set<EvidencePair>();
  const followedDays = new Set([...followed].map((pair) => Math.floor(pair.replay.time / 86400))).size;
  const repeatedVictim = followedDays >= policy.repeatVictimMinDays;
  const weightOf = (pair: EvidencePair): number => (history.has(pair) || followed.has(pair) ? 1 : swept.has(pair) ? 0 : pairWeight(pair, policy));
  for (const pair of pairs) {
    victims.add(role === 'replayer' ? pair.origin.client : pair.replay.client);
    urls.add(pair.url);
    if (pair.popular === true) popularHistory++;
    else if (pair.strong) strong++;
    else weak++;
    if (pair.inStep === true) {
      inStep++;
      if (pair.bits !== undefined && pair.bits >= policy.explainedBits && pair.originNotBrowser !== true) inStepExplained++;
    }
    effective += role === 'replayer' ? weightOf(pair) : pair.strong ? 1 : 0.25;
    if (pair.authMismatch || (role === 'prefetcher' && followerGotLess(pair))) mismatches++;
  }
  let strongReplays = 0;
  let strongOriginated = 0;
  let weakOriginated = 0;
  let explainedStrong = 0;
  let explainedWeak = 0;
  let ambiguousStrong = 0;
  let ambiguousWeak = 0;
  let requests = 0;
  let http10 = 0;
  let assets = 0;
  for (const client of clients) {
    strongReplays += evidence.strongReplays[client]!;
    strongOriginated += evidence.strongOriginated[client]!;
    explainedStrong += evidence.explainedStrong[client]!;
    explainedWeak += evidence.explainedWeak[client]!;
    ambiguousStrong += evidence.ambiguousStrong[client]!;
    ambiguousWeak += evidence.ambiguousWeak[client]!;
    weakOriginated += evidence.weakOriginated[client]!;
    requests += detector.count(client, Counter.Requests);
    http10 += detector.count(client, Counter.Http10);
    assets += detector.count(client, Counter.Assets);
  }
  // a person spread over many addresses of one provider (a proxy farm): each address alone is
  // page-only, together they load the page's images
  if (role === 'replayer' && actor === null && clients.length >= 3 && assets >= 2 && assets / requests >= policy.humanAssetShare) return null;
  const reasons: string[] = [];
  let confidence = 1 - Math.pow(0.5, effective / 2);
  // one victim can be a colleague who was sent the link; not one who is shadowed in step, again
  // and again, nor one whose hours of history are fetched in one burst
  // nor one followed day after day
  const victimFactor = victims.size >= 3 || inStepExplained >= policy.inStepRepeats || history.size >= policy.snapshotMinPairs || repeatedVictim ? 1 : victims.size === 2 ? 0.8 : 0.45;
  const urlFactor = urls.size >= 2 ? 1 : 0.5;
  confidence *= victimFactor * urlFactor;
  if (role === 'replayer') {
    const share = explainedStrong + explainedWeak > 0 ? shareOf(explainedStrong, ambiguousStrong, strongOriginated, explainedWeak, ambiguousWeak, weakOriginated, strongReplays) : 0;
    confidence *= Math.min(1, Math.max(0, (share - 0.6) / 0.35));
    reasons.push(
      `${strong + weak} requests for URLs another network requested first (${strong} rare over the whole log, ${weak} rare that day), from ${victims.size} different origin clients`,
    );
    if (popularHistory > 0) reasons.push(`${popularHistory} more of the pages its bursts fetched were one person's, visited before (pages many people visit; the log was read again for them)`);
    reasons.push(`${explainedStrong + explainedWeak} of them too soon or too private to be chance (evidence ${effective.toFixed(1)} pairs' worth)`);
    if (inStep > 0) reasons.push(`${inStep} fetched in step with the person, seconds apart`);
    if (repeatedVictim) reasons.push(`${followed.size} fetched one person's pages after each visit, on ${followedDays} different days: chance does not pick the same person day after day`);
    if (swept.size > 0) reasons.push(`${swept.size} were a walk through the site's pages (many pages within seconds, each first visited by someone else): no evidence`);
    if (strongOriginated > 0) reasons.push(`originated ${strongOriginated} rare URLs itself (replay share ${(share * 100).toFixed(0)}%)`);
    else reasons.push('never the first to request a rare URL');
  } else {
    const quick = pairs.filter((pair) => pair.lagSeconds <= policy.leadWindowSeconds).length;
    reasons.push(
      `first on ${strong} rare URLs that ${victims.size} clients of other networks requested after it (${quick} within ${policy.leadWindowSeconds / 60} minutes)`,
    );
  }
  const mismatchShare = pairs.length > 0 ? mismatches / pairs.length : 0;
  if (mismatchShare >= 0.3) {
    confidence += (1 - confidence) * 0.3;
    reasons.push(
      role === 'replayer'
        ? `${(mismatchShare * 100).toFixed(0)}% of its replays were denied or served an error page where the origin got the page`
        : `${(mismatchShare * 100).toFixed(0)}% of the people who followed got less than it did (expired or consumed links)`,
    );
  }
  if (assets === 0) reasons.push('fetches pages only, never their images or styles');
  if (http10 > 0 && http10 * 2 >= requests) reasons.push('speaks HTTP/1.0');
  if (kinAgent !== undefined) {
    const networks = new Set(clients.map(networkOf)).size;
    const who = networks > 1 ? `its ${networks} networks` : 'its addresses';
    const agentText = JSON.stringify(detector.agentText(kinAgent));
    reasons.push(
      kinBurst
        ? `${who} replayed in the same seconds with one user agent that at most ${policy.burstKinMaxClients} clients of the log used: ${agentText}`
        : `${who} shadowed people in step with one user agent that at most ${policy.kinAgentMaxClients} clients of the log used: ${agentText}`,
    );
  }
  if (actor === null && clients.length > 1 && kinAgent === undefined) {
    // (kin share a distinctive agent by construction: that is their common face)
    // One actor shows one face: a shared user agent, or many replays per address. Unrelated
    // people of one big network who each happen to replay one URL show neither.
    const agentCounts = new Map<number, number>();
    for (const client of clients) agentCounts.set(detector.firstAgentOf(client), (agentCounts.get(detector.firstAgentOf(client)) ?? 0) + 1);
    const sameAgent = Math.max(...agentCounts.values()) / clients.length;
    const density = pairs.length / clients.length;
    const coherence = Math.max(sameAgent, Math.min(1, density / 3));
    if (coherence < 0.99) {
      confidence *= coherence;
      if (coherence < 0.5) reasons.push(`its ${clients.length} addresses show no common behaviour (${agentCounts.size} user agents, ${density.toFixed(1)} replays each)`);
    }
  }
  const snapshotShape = pattern !== null && pattern.pattern === 'snapshot' && history.size >= policy.snapshotMinPairs;
  if (strong === 0 && actor === null && !snapshotShape && !(effective >= 3 && (victims.size >= 2 || inStepExplained >= policy.inStepRepeats || repeatedVictim))) {
    // rare-that-day evidence alone is suggestive, never conclusive, unless there is enough of it
    // from more than one person or in step with one person again and again (a web filter
    // shadowing its user), a catalogue documents the network, or it has the snapshot shape: one
    // person's pages, first visited far apart, fetched together long after
    confidence = Math.min(confidence, policy.weakOnlyCeiling);
  }
  if (snapshotShape)
    reasons.push(`fetched ${pattern.oneVictimBurst} pages of one person's history within a minute, pages visited over ${formatSpan(pattern.burstOriginSpan)}`);

  if (actor !== null && actor.shared !== true && (actor.kind === role || (role === 'replayer' && actor.kind === 'gateway'))) {
    confidence += (1 - confidence) * policy.documentedBoost;
    reasons.push(`network is ${actor.name}'s, ${actor.documented} as a ${actor.kind === 'gateway' ? 'security gateway' : actor.kind}`);
  }
  const lags = pairs.map((pair) => pair.lagSeconds).sort((a, b) => a - b);
  return {
    kind: role,
    pattern: pattern?.pattern,
    confidence: Math.round(Math.min(0.99, confidence) * 100) / 100,
    clients,
    requests,
    replays: role === 'replayer' ? strong + weak : pairs.length,
    urls: urls.size,
    victims: victims.size,
    lagSeconds: lagSummary(lags),
    authMismatch: Math.round(mismatchShare * 100) / 100,
    examples: pickExamples(pairs),
    actorId: actor?.id,
    reasons,
    weakOnly: strong === 0,
    evidence: Math.round(effective * 10) / 10,
  };
}

/** The pairs whose origin is the person the replay's place was found to follow day after day (repeat-victims.ts). */
export function followedPairs(pairs: EvidencePair[], evidence: EvidenceTable, networkOf: (client: number) => number): Set<EvidencePair> {
  const followed = new Set<EvidencePair>();
  for (const pair of pairs) {
    if (pair.inStep === true || pair.originNotBrowser === true) continue;
    const victim = evidence.repeatVictim[pair.replay.client]!;
    if (victim !== -1 && isVictim(victim, pair.origin.client, networkOf(pair.origin.client))) followed.add(pair);
  }
  return followed;
}

/**
 * A link scanner's group with no follower at all (grouping.ts isUnfollowedScan): its one-time
 * links, fetched before anyone, pages only, inside prefixes documented as a scanner's. The
 * behaviour alone is suggestive (policy.unfollowedScanConfidence); the catalogue says whose.
 */
export function scoreUnfollowedScan(detector: Detector, clients: number[], actor: ActorMatch | null, evidence: EvidenceTable, policy: DetectionPolicy): SourceFinding | null {
  if (actor === null || actor.kind !== 'prefetcher' || actor.shared === true) return null;
  clients.sort((a, b) => a - b);
  let oneTime = 0;
  let requests = 0;
  let assets = 0;
  for (const client of clients) {
    oneTime += evidence.strongOriginated[client]!;
    requests += detector.count(client, Counter.Requests);
    assets += detector.count(client, Counter.Assets);
  }
  if (oneTime < 2) return null;
  let confidence = policy.unfollowedScanConfidence;
  confidence += (1 - confidence) * policy.documentedBoost;
  const reasons = [
    `first on ${oneTime} URLs rare over the whole log (one-time links: tracking redirects, signed links) that nobody requested after it: links opened before anyone read them`,
  ];
  if (assets === 0) reasons.push('fetches pages only, never their images or styles');
  reasons.push(`network is ${actor.name}'s, ${actor.documented} as a ${actor.kind}`);
  return {
    kind: 'prefetcher',
    confidence: Math.round(Math.min(0.99, confidence) * 100) / 100,
    clients,
    requests,
    replays: 0,
    urls: oneTime,
    victims: 0,
    lagSeconds: null,
    authMismatch: 0,
    examples: [],
    actorId: actor.id,
    reasons,
    weakOnly: false,
    evidence: 0,
  };
}

export function followerGotLess(pair: EvidencePair): boolean {
  const first = pair.origin;
  const later = pair.replay;
  if (later.status === 410 || later.status === 401 || later.status === 403 || later.status === 404) return first.status < 400;
  return first.status < 300 && later.status < 300 && first.bytes >= 1000 && later.bytes < first.bytes * 0.5;
}

/**
 * The pattern, from whose URLs were fetched and when:
 * - snapshot: most replays come in bursts (replays within policy.burstGapSeconds of each other,
 *   each at least policy.snapshotMinLagSeconds after its origin, origins that are browsers) of
 *   ONE person's URLs, visited over hours (snapshot-bursts.ts isOnePersonsHistory): an uploaded
 *   slice of history fetched at once. A busy deferred replayer whose replays of many people
 *   happen to chain, or a script walking the menu after one short visit, is not one.
 * - realtime: median lag policy.realtimeSeconds or less.
 * - deferred: everything else.
 * oneVictimBurst: the longest such burst; burstOriginSpan: the span of its origins.
 */
export function patternOf(
  pairs: EvidencePair[],
  policy: DetectionPolicy,
  networkOf: (client: number) => number,
  /** pairs that are evidence as a whole (followedPairs), though each alone is chance */
  followed: Set<EvidencePair> = new Set(),
): { pattern: ReplayPattern; oneVictimBurst: number; burstOriginSpan: number; inSnapshots: Set<EvidencePair> } {
  const { inBursts: inSnapshots, longest: oneVictimBurst, span: burstOriginSpan } = onePersonBursts(pairs, policy, networkOf, false);
  if (inSnapshots.size * 2 >= pairs.length) return { pattern: 'snapshot', oneVictimBurst, burstOriginSpan, inSnapshots };
  // an upload of one person's history whose other uploads the log cannot tie to one person (a
  // phone and a home line are two networks): one burst shown to be a person's, and nearly all
  // the pairs in late bursts fetched far faster than they were visited
  if (inSnapshots.size >= policy.snapshotMinPairs && uploadShare(pairs, policy) >= policy.snapshotUploadShare) return { pattern: 'snapshot', oneVictimBurst, burstOriginSpan, inSnapshots };
  // the lag of the pairs that are evidence: a shadow fetcher's in-step fetches, not the popular
  // pages it also fetched hours after somebody
  const telling = pairs.filter((pair) => pair.bits === undefined || pair.bits >= policy.explainedBits || followed.has(pair));
  const lags = (telling.length > 0 ? telling : pairs).map((pair) => pair.lagSeconds).sort((a, b) => a - b);
  const median = lags[Math.floor((lags.length - 1) / 2)] ?? 0;
  return { pattern: median <= policy.realtimeSeconds ? 'realtime' : 'deferred', oneVictimBurst, burstOriginSpan, inSnapshots };
}

/**
 * The share of `pairs` in upload-shaped bursts: at least policy.snapshotMinPairs late replays
 * (policy.snapshotMinLagSeconds after the last person before each), each within
 * policy.burstGapSeconds of the last, whose pages were visited over more than
 * policy.snapshotCompression times the burst's own span, whoever visited them.
 */
export function uploadShare(pairs: EvidencePair[], policy: DetectionPolicy): number {
  if (pairs.length === 0) return 0;
  const late = pairs.filter((pair) => pair.person !== undefined && pair.replay.time - pair.person.time >= policy.snapshotMinLagSeconds).sort((a, b) => a.replay.time - b.replay.time);
  let inUploads = 0;
  for (const burst of burstsOf(late, (pair) => pair.replay.time, policy.burstGapSeconds)) {
    if (burst.length < policy.snapshotMinPairs) continue;
    const visited = burst.map((pair) => pair.person!.time);
    const visitSpan = Math.max(...visited) - Math.min(...visited);
    const fetchSpan = burst[burst.length - 1]!.replay.time - burst[0]!.replay.time;
    if (visitSpan >= 60 && visitSpan > policy.snapshotCompression * (fetchSpan + 1)) inUploads += burst.length;
  }
  return inUploads / pairs.length;
}

function formatSpan(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${Math.round(seconds / 60)} min`;
}

function lagSummary(sorted: number[]): SourceFinding['lagSeconds'] {
  if (sorted.length === 0) return null;
  const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.floor(quantile * (sorted.length - 1) + 0.5))]!;
  return { min: sorted[0]!, p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1]! };
}

/** Strong before weak, auth mismatches first, one per victim where possible. */
function pickExamples(pairs: EvidencePair[]): EvidencePair[] {
  const ranked = [...pairs].sort(
    (a, b) =>
      Number(b.strong) - Number(a.strong) ||
      Number(b.authMismatch) - Number(a.authMismatch) ||
      a.replay.time - b.replay.time ||
      a.url.localeCompare(b.url),
  );
  const chosen: EvidencePair[] = [];
  const victims = new Set<number>();
  for (const pair of ranked) {
    if (chosen.length >= 3) break;
    if (victims.has(pair.origin.client)) continue;
    victims.add(pair.origin.client);
    chosen.push(pair);
  }
  for (const pair of ranked) {
    if (chosen.length >= 3) break;
    if (!chosen.includes(pair)) chosen.push(pair);
  }
  return chosen;
}


/**
 * The pairs in bursts of one person's history (snapshot-bursts.ts isOnePersonsHistory, `strict`
 * as there): late replays (policy.snapshotMinLagSeconds) of browsers' visits, each within
 * policy.burstGapSeconds of the last. `longest`: the longest such burst; `span`: its origins' span.
 */
export function onePersonBursts(
  pairs: EvidencePair[],
  policy: DetectionPolicy,
  networkOf: (client: number) => number,
  strict: boolean,
): { inBursts: Set<EvidencePair>; longest: number; span: number } {
  // whose history: as evidence (strict), each page's origin, a browser; for the pattern of a
  // source already found, the last person (a browser) before it, whoever came between (other
  // replayers of the same person's visits may have)
  const personOf = (pair: EvidencePair): RequestRef => (strict ? pair.origin : pair.person!);
  const late = pairs
    .filter((pair) => (strict ? pair.originNotBrowser !== true : pair.person !== undefined) && pair.replay.time - personOf(pair).time >= policy.snapshotMinLagSeconds)
    .sort((a, b) => a.replay.time - b.replay.time);
  const inBursts = new Set<EvidencePair>();
  let longest = 0;
  let span = 0;
  for (const burst of burstsOf(late, (pair) => pair.replay.time, policy.burstGapSeconds)) {
    if (burst.length < 2) continue;
    if (!isOnePersonsHistory(burst.map((pair) => ({ time: pair.replay.time, originTime: personOf(pair).time, network: networkOf(personOf(pair).client), strong: pair.strong })), policy, strict)) continue;
    for (const pair of burst) inBursts.add(pair);
    if (burst.length > longest) {
      const originTimes = burst.map((pair) => personOf(pair).time);
      longest = burst.length;
      span = Math.max(...originTimes) - Math.min(...originTimes);
    }
  }
  return { inBursts, longest, span };
}
