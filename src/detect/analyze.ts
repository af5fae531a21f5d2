/**
 * Analysis: from the detector's state to sources. One job per file, in the order they run:
 * - unit-walk.ts: the walk over rare units and the chance model (who originated, replayed, led;
 *   how surprising each replay is);
 * - traits.ts: what a client is from its own requests (a person's browser, a declared bot);
 * - grouping.ts: which clients have the shape, and which act as one;
 * - score.ts: confidence, pattern and reasons of one group;
 * - declared-sources.ts, probes.ts: the declared bots and the probers.
 * Every threshold comes from the policy (policy.ts).
 */
import type { ActorMatch, AgentClass, CrawlerVerdict } from '../attribute/types.js';
import { declaredSources } from './declared-sources.js';
import { Counter, type Detector, victimsForBudget } from './detector.js';
import { EvidenceTable } from './evidence.js';
import { RepeatVictims } from './repeat-victims.js';
import { SnapshotBursts } from './snapshot-bursts.js';
import { addCompanions, burstKin, type ClientActors, groupCandidates, kinAgents, selectCandidates } from './grouping.js';
import { ClientNetworks } from './networks.js';
import { DEFAULT_POLICY, type DetectionPolicy } from './policy.js';
import { findProbes } from './probes.js';
import { scoreGroup, scoreUnfollowedScan } from './score.js';
import { declaredKinds, looksHuman, looksLikeBrowser } from './traits.js';
import type { EvidencePair, ProbeFinding, SourceFinding } from './types.js';
import { ChanceModel, isAuthMismatch, makePair, walkUnits } from './unit-walk.js';

/** What analysis may ask of attribution (wired by the CLI; tests pass their own). */
export interface AnalysisContext {
  /** Same key = same network: a request by a client of the same network is not a replay. */
  networkKey(address: string): string;
  /** Catalogue entries covering an address, most specific first. */
  actors(address: string): ActorMatch[];
  verifyCrawler(address: string, agent: AgentClass): CrawlerVerdict;
}

export interface Findings {
  sources: SourceFinding[];
  probes: ProbeFinding[];
  /** per-client evidence, for explain */
  evidence: EvidenceTable;
  /** the policy the findings were made with */
  policy: Readonly<DetectionPolicy>;
  /** per client, the pages of its history bursts the scan confirmed by reading the log again (history-check.ts) */
  histories?: ReadonlyMap<number, readonly EvidencePair[]>;
}

export function analyze(
  detector: Detector,
  context: AnalysisContext,
  policy: Readonly<DetectionPolicy> = DEFAULT_POLICY,
  /** per client, the pages of history bursts the scan confirmed by reading the log again (history-check.ts) */
  histories?: ReadonlyMap<number, readonly EvidencePair[]>,
): Findings {
  const clients = detector.clientCount;
  const networks = new ClientNetworks(detector, context);
  // where a group lives: its network (an ASN) and, within it, its /16 (IPv6: /32): a cloud's
  // ASN hosts many tenants, and two replayers renting there are two sources, not one
  const networkOf = (client: number): string => `${networks.name(client)}|${coarsePrefix(detector.firstAddressOf(client))}`;
  const declared = declaredKinds(detector);
  const evidence = new EvidenceTable(clients, policy.victimCap, victimsForBudget(detector.memoryBudget));
  const chance = new ChanceModel(detector, policy);
  const snapshots = new SnapshotBursts(policy);
  // analysis's working rows: 28 bytes each, at most a 256th of the memory budget (1 M rows at 256 MiB)
  const repeats = new RepeatVictims(clients, policy, Math.max(65_536, Math.floor(detector.memoryBudget / 256)));
  // a place (network and /16) as a number, per client (0: not asked yet)
  const placeOfClient = new Int32Array(clients);
  const placeIds = new Map<string, number>();
  let places = 0;
  const placeOf = (client: number): number => {
    let place = placeOfClient[client]!;
    if (place === 0) {
      const name = networkOf(client);
      place = placeIds.get(name) ?? 0;
      if (place === 0) {
        place = ++places;
        placeIds.set(name, place);
      }
      placeOfClient[client] = place;
    }
    return place;
  };

  const declaredFlag = new Uint8Array(clients);
  for (const client of declared.keys()) declaredFlag[client] = 1;
  const isBot = (client: number): boolean => declaredFlag[client] === 1;
  // per client: 0 not asked, 1 no, 2 yes; a person (looksHuman) is never a candidate, so its
  // replays need no burst test (asked once per client: candidates and companions ask again)
  const personFlag = new Uint8Array(clients);
  const person = (client: number): boolean => {
    if (personFlag[client] === 0) personFlag[client] = looksHuman(detector, client, policy) ? 2 : 1;
    return personFlag[client] === 2;
  };
  const browserFlag = new Uint8Array(clients);
  const browser = (client: number): boolean => {
    if (browserFlag[client] === 0) browserFlag[client] = looksLikeBrowser(detector, client, policy) ? 2 : 1;
    return browserFlag[client] === 2;
  };
  // a confirmed history page that is also a rare-URL pair is that pair, explained (not chance)
  const historyOf = new Map<string, EvidencePair>();
  const historyMet = new Set<EvidencePair>();
  if (histories !== undefined) for (const pairs of histories.values()) for (const pair of pairs) historyOf.set(historyKey(pair.replay.client, pair.url, pair.replay.time), pair);
  const confirmedHistory = (client: number, url: string, time: number): EvidencePair | undefined => {
    if (historyOf.size === 0) return undefined;
    const pair = historyOf.get(historyKey(client, url, time));
    if (pair !== undefined) historyMet.add(pair);
    return pair;
  };
  // Pass 1: counts per client over every rare unit
  walkUnits(detector, networks, isBot, browser, chance, policy, {
    originated(entry, strong) {
      if (entry.status >= 400) return;
      evidence.touch(entry.client);
      if (strong) evidence.strongOriginated[entry.client]!++;
      else evidence.weakOriginated[entry.client]!++;
    },
    replay(url, origin, replay, strong, pair) {
      const client = replay.client;
      evidence.touch(client);
      // an entry point is fetched by everyone: neither a replay nor an origin
      if (pair.entryPoint) {
        evidence.entryPoints[client]!++;
        return;
      }
      if (strong) evidence.strongReplays[client]!++;
      else evidence.weakReplays[client]!++;
      // a replay of somebody's browser explains the request, or chance explains it as well and
      // it counts half against (share); a replay after a script (no assets, no referrers) is
      // two automated clients meeting, and counts neither way
      const ofBrowser = browser(origin.client);
      // a page of a confirmed history burst is that person's, whoever the index saw before it
      const history = confirmedHistory(client, url, replay.time);
      if (!ofBrowser && history === undefined) {
        // neither
      } else if (pair.bits < policy.explainedBits && history === undefined) {
        if (strong) evidence.ambiguousStrong[client]!++;
        else evidence.ambiguousWeak[client]!++;
      } else {
        if (strong) evidence.explainedStrong[client]!++;
        else evidence.explainedWeak[client]!++;
        if (pair.inStep) evidence.shadows[client]!++;
      }
      if (!pair.inStep && ofBrowser) {
        const originNetwork = networks.id(origin.client);
        repeats.countOrigin(origin.client, originNetwork);
        if (!person(client)) repeats.offer(client, placeOf(client), networks.id(client), origin.client, originNetwork, replay.time, pair.bits >= policy.explainedBits ? 0 : strong ? 1 : 2);
      }
      if (pair.inStep) evidence.inStep[client]!++;
      else if (!strong && ofBrowser && replay.time - origin.time >= policy.snapshotMinLagSeconds && !person(client))
        // as evidence, a burst counts when each page's own origin is the person's browser (no
        // script between): on a small site the last person before a menu walk is often one
        snapshots.offer(client, replay.time, origin.time, networks.id(origin.client), pair.bits < policy.explainedBits);
      evidence.bits[client]! += pair.bits;
      if (isAuthMismatch(origin, replay)) evidence.authMismatches[client]!++;
      // whose URLs: only for clients that can be candidates (a person never is; a set per
      // person was a fifth of this walk on a busy log)
      if (!person(client)) evidence.addVictim(client, origin.client);
    },
    lead(_url, origin, follower) {
      const client = origin.client;
      evidence.touch(client);
      if (follower.time - origin.time > policy.leadWindowSeconds) evidence.lateLeads[client]!++;
      else evidence.leads[client]!++;
    },
  });

  // one person's pages fetched together long after are evidence as a whole, though each page alone is not
  snapshots.credit(evidence, (client) => detector.count(client, Counter.Pages));
  // one person followed day after day by one place is evidence as a whole, though each fetch alone is not
  repeats.credit(evidence);
  // a confirmed history burst: its pages that were rare-URL pairs were counted explained above;
  // the others (pages many people visit) were no pair at all, and count as history only
  if (histories !== undefined) {
    for (const [client, pairs] of histories) {
      evidence.touch(client);
      evidence.snapshotReplays[client]! += pairs.length;
    }
  }

  const actors = clientActors(detector, context);
  const candidates = selectCandidates(detector, evidence, declared, actors, policy, person);
  const kin = kinAgents(detector, evidence, candidates, policy);
  burstKin(detector, evidence, candidates, kin, policy, isBot, (clients) => {
    const times = new Map<number, number[]>();
    walkUnits(detector, networks, isBot, browser, chance, policy, {
      originated() {},
      replay(_url, _origin, replay) {
        if (!clients.has(replay.client)) return;
        let list = times.get(replay.client);
        if (list === undefined) times.set(replay.client, (list = []));
        list.push(replay.time);
      },
      lead() {},
    }, true, (client) => clients.has(client));
    for (const list of times.values()) list.sort((a, b) => a - b);
    return times;
  });
  const groups = groupCandidates(candidates, evidence, actors, networkOf, kin, (client) => networks.name(client));
  // Companions: clients of a group's network with the group's user agent that never originated
  // anything and show no human traits (a replay cloud's address that only fetched popular pages)
  addCompanions(detector, groups, evidence, declared, networkOf, (client) => actors.actorOf(client), person);

  // Pass 2: the pairs of the grouped clients, for lags, patterns and examples
  const groupOfClient = new Map<number, string>();
  // the walk asks every unit's clients: a flag per client, not a map lookup
  const grouped = new Uint8Array(detector.clientCount);
  for (const [key, group] of groups) {
    for (const client of group.clients) {
      groupOfClient.set(client, key);
      grouped[client] = 1;
    }
  }
  const pairsOfGroup = new Map<string, EvidencePair[]>();
  const pushPair = (key: string | undefined, pair: EvidencePair): void => {
    if (key === undefined) return;
    let list = pairsOfGroup.get(key);
    if (list === undefined) pairsOfGroup.set(key, (list = []));
    list.push(pair);
  };
  walkUnits(
    detector,
    networks,
    isBot,
    browser,
    chance,
    policy,
    {
      originated() {},
      replay(url, origin, replay, strong, pair) {
        if (pair.entryPoint) return;
        const key = groupOfClient.get(replay.client);
        if (key === undefined || groups.get(key)!.role !== 'replayer') return;
        const history = confirmedHistory(replay.client, url, replay.time);
        if (history !== undefined) {
          pushPair(key, history);
          return;
        }
        const made = makePair(url, origin, replay, strong, pair);
        if (!browser(origin.client)) made.originNotBrowser = true;
        pushPair(key, made);
      },
      lead(url, origin, follower, strong) {
        const key = groupOfClient.get(origin.client);
        if (key === undefined) return;
        const group = groups.get(key)!;
        if (group.role !== 'prefetcher') return;
        if (follower.time - origin.time <= policy.leadWindowSeconds || group.actor?.kind === 'prefetcher') pushPair(key, makePair(url, origin, follower, strong));
      },
    },
    true,
    (client) => grouped[client] === 1,
  );

  // the confirmed history pages that were no rare-URL pair (pages many people visit)
  if (histories !== undefined) {
    for (const [client, pairs] of histories) {
      const key = groupOfClient.get(client);
      if (key === undefined || groups.get(key)!.role !== 'replayer') continue;
      for (const pair of pairs) if (!historyMet.has(pair)) pushPair(key, { ...pair, popular: true });
    }
  }

  const sources: SourceFinding[] = [];
  for (const [key, group] of groups) {
    const pairs = pairsOfGroup.get(key) ?? [];
    const source =
      pairs.length === 0 && group.role === 'prefetcher'
        ? scoreUnfollowedScan(detector, group.clients, group.actor, evidence, policy)
        : scoreGroup(detector, group.role, group.clients, pairs, group.actor, evidence, policy, (client) => networks.id(client), group.kinAgent, group.kinBurst);
    if (source !== null) sources.push(source);
  }
  sources.push(...declaredSources(detector, declared, context));
  // strongest evidence first: confidence, then how much evidence, then replays
  sources.sort((a, b) => b.confidence - a.confidence || (b.evidence ?? 0) - (a.evidence ?? 0) || b.replays - a.replays || a.clients[0]! - b.clients[0]!);
  return { sources, probes: findProbes(detector), evidence, policy, ...(histories !== undefined ? { histories } : {}) };
}

/** An address's /16 (IPv4) or /32 (IPv6) as text: the address up to its second '.' or ':'. */
function coarsePrefix(address: string): string {
  const separator = address.includes(':') ? ':' : '.';
  const first = address.indexOf(separator);
  const second = first < 0 ? -1 : address.indexOf(separator, first + 1);
  return second < 0 ? address : address.slice(0, second);
}

/** Each client's catalogue entry, asked once per client (attribution lookups are the cost). */
function clientActors(detector: Detector, context: Pick<AnalysisContext, 'actors'>): ClientActors {
  // per client: 0 not asked yet, 1 none, else index + 2 in `matches`
  const actorOfClient = new Int32Array(detector.clientCount);
  const matches: ActorMatch[] = [];
  const actorOf = (client: number): ActorMatch | null => {
    let known = actorOfClient[client]!;
    if (known === 0) {
      known = 1;
      for (const actor of context.actors(detector.firstAddressOf(client))) {
        if (actor.kind === 'crawler' || actor.kind === 'link-preview') continue;
        known = matches.push(actor) + 1;
        break;
      }
      actorOfClient[client] = known;
    }
    return known === 1 ? null : matches[known - 2]!;
  };
  return {
    actorOf,
    priorOf(client) {
      const actor = actorOf(client);
      return actor !== null && actor.shared !== true ? actor.kind : null;
    },
  };
}

/** Every replay and lead pair that involves one of `clients`, for explain. */
export function pairsInvolving(
  detector: Detector,
  context: Pick<AnalysisContext, 'networkKey'>,
  clients: Set<number>,
  policy: Readonly<DetectionPolicy> = DEFAULT_POLICY,
): { replays: EvidencePair[]; leads: EvidencePair[] } {
  const replays: EvidencePair[] = [];
  const leads: EvidencePair[] = [];
  const declared = declaredKinds(detector);
  walkUnits(
    detector,
    new ClientNetworks(detector, context),
    (client) => declared.has(client),
    (client) => looksLikeBrowser(detector, client, policy),
    new ChanceModel(detector, policy),
    policy,
    {
      originated() {},
      replay(url, origin, replay, strong, pair) {
        if (clients.has(replay.client) || clients.has(origin.client)) replays.push(makePair(url, origin, replay, strong, pair));
      },
      lead(url, origin, follower, strong) {
        if (clients.has(origin.client) || clients.has(follower.client)) leads.push(makePair(url, origin, follower, strong));
      },
    },
    true,
  );
  const byTime = (a: EvidencePair, b: EvidencePair): number => a.replay.time - b.replay.time || a.url.localeCompare(b.url);
  return { replays: replays.sort(byTime), leads: leads.sort(byTime) };
}

function historyKey(client: number, url: string, time: number): string {
  return `${client} ${time} ${url}`;
}
