/**
 * Candidates and their groups: which clients have the replayer's or the prefetcher's shape, and
 * which of them act as one (one catalogue entry, or one network and role), with the quiet
 * addresses of the same place (companions).
 */
import type { ActorMatch } from '../attribute/types.js';
import { Counter, type Detector } from './detector.js';
import { type EvidenceTable, ROLE_PREFETCHER, ROLE_REPLAYER } from './evidence.js';
import type { DetectionPolicy } from './policy.js';
import type { Declared } from './traits.js';

export type Role = 'replayer' | 'prefetcher';

export interface Group {
  role: Role;
  clients: number[];
  actor: ActorMatch | null;
  /** the distinctive agent that joined kin of other networks to this group (kinOf), if any did */
  kinAgent?: number;
  /** whether that kin was linked by replays in the same seconds (burstKin) */
  kinBurst?: boolean;
}

/** A candidate's kin: the lowest client id of its kin, and the agent they share. */
export interface Kin {
  representative: number;
  agent: number;
  /** linked by replays in the same seconds (burstKin), not by in-step shadows (kinAgents) */
  burst?: boolean;
}

/** Attribution as candidates and groups need it, asked once per client. */
export interface ClientActors {
  /** the catalogue entry covering the client's first address (crawlers and previewers aside) */
  actorOf(client: number): ActorMatch | null;
  /** the entry's kind when it is a prior for behaviour (not a shared cloud ASN) */
  priorOf(client: number): ActorMatch['kind'] | null;
}

/**
 * Candidates: not a declared bot, no human traits, and the shape: others' URLs (an explained
 * share of policy.candidateShare, less inside a documented replayer network or a place found to
 * follow one person day after day: repeat-victims.ts), or first on URLs others follow. Marks `evidence.human` and `evidence.role` on the way.
 */
export function selectCandidates(
  detector: Detector,
  evidence: EvidenceTable,
  declared: Map<number, Declared>,
  actors: ClientActors,
  policy: DetectionPolicy,
  /** traits.ts looksHuman, asked once per client by the caller */
  isPerson: (client: number) => boolean,
): Map<number, Role> {
  const candidates = new Map<number, Role>();
  for (let at = 0; at < evidence.order.length; at++) {
    const client = evidence.order[at]!;
    const human = isPerson(client);
    evidence.human[client] = human ? 1 : 0;
    if (declared.get(client) !== undefined) continue;
    const strongReplays = evidence.strongReplays[client]!;
    const strongOriginated = evidence.strongOriginated[client]!;
    const foundLeads = evidence.leads[client]!;
    const explained = evidence.explainedStrong[client]! + evidence.explainedWeak[client]!;
    // neither shape is possible without leads or explained replays: most clients stop here,
    // before the catalogue lookup; but a scan of one-time links nobody followed (yet)
    if (foundLeads + evidence.lateLeads[client]! === 0 && (explained === 0 || human)) {
      if (!human && isUnfollowedScan(detector, evidence, client, actors.actorOf(client))) {
        evidence.role[client] = ROLE_PREFETCHER;
        candidates.set(client, 'prefetcher');
      }
      continue;
    }
    const prior = actors.priorOf(client);
    // a link scanner that renders pages in a headless browser loads assets and sends referrers
    // like a person; in a network documented as a scanner's, leading without ever posting is enough
    const renderingScanner = human && foundLeads + evidence.lateLeads[client]! > 0 && detector.count(client, Counter.Posts) === 0 && prior === 'prefetcher';
    if (human && !renderingScanner) continue;
    const share = evidence.share(client);
    const leadShare = strongOriginated > 0 ? foundLeads / strongOriginated : 0;
    // a mail scanner opens every link of a message (tracking redirects, unsubscribe) and the
    // person clicks one: its lead share can be low, so a documented scanner network or a
    // second lead is enough; the group's totals decide the confidence
    const documentedPrefetcher = prior === 'prefetcher';
    const leads = foundLeads + (documentedPrefetcher ? evidence.lateLeads[client]! : 0);
    // inside a scanner's documented network, a person's quick click sometimes beats the scan:
    // leading at all is the scanner's shape, though it also came after people
    if (leads > 0 && (leads >= strongReplays || documentedPrefetcher) && (leadShare >= 0.5 || leads >= 2 || documentedPrefetcher)) {
      evidence.role[client] = ROLE_PREFETCHER;
      candidates.set(client, 'prefetcher');
    } else if (explained > 0 && share >= (prior === 'replayer' || evidence.repeatReplays[client]! > 0 ? policy.documentedShare : policy.candidateShare)) {
      evidence.role[client] = ROLE_REPLAYER;
      candidates.set(client, 'replayer');
    }
  }
  return candidates;
}

/**
 * A mail scanner's scan that nobody followed: inside prefixes the catalogue documents as a link
 * scanner's (by network, not a shared cloud), first on at least two URLs rare over the whole
 * log (one-time links: tracking redirects, signed unsubscribe links) that make at least a third of
 * its page requests (a scanner checks a link with HEAD, then fetches it, sometimes twice), never replaying anyone's and never posting. The message's reader may never click;
 * the scan is still the scanner's. Its behaviour is the evidence, the catalogue says whose.
 */
export function isUnfollowedScan(detector: Detector, evidence: EvidenceTable, client: number, actor: ActorMatch | null): boolean {
  const oneTime = evidence.strongOriginated[client]!;
  if (oneTime < 2 || evidence.strongReplays[client]! + evidence.weakReplays[client]! > 0) return false;
  if (oneTime * 3 < detector.count(client, Counter.Pages) || detector.count(client, Counter.Posts) > 0) return false;
  return actor !== null && actor.kind === 'prefetcher' && actor.by === 'network' && actor.shared !== true;
}

/**
 * Groups candidates by catalogue actor when one covers them, else by network, and by role.
 * Rare-that-day evidence alone is weaker: such clients outside a documented network form groups
 * of their own (never merged into a strong group); scoring decides what they are worth.
 */
export function groupCandidates(
  candidates: Map<number, Role>,
  evidence: EvidenceTable,
  actors: ClientActors,
  networkOf: (client: number) => string,
  kin: Map<number, Kin> = new Map(),
  /** the whole network of a client (networkOf is the network and its /16) */
  wideNetworkOf: (client: number) => string = networkOf,
): Map<string, Group> {
  const groups = new Map<string, Group>();
  const keyOf = (client: number, role: Role): string => {
    const actor = actors.actorOf(client);
    // the addresses of one network that followed one person day after day are one actor,
    // whatever their /16 (repeat-victims.ts)
    const victim = evidence.repeatVictim[client]!;
    if (actor === null && role === 'replayer' && victim !== -1) return `${role}|${wideNetworkOf(client)}|follows:${victim}`;
    const weakOnly = actor === null && role === 'replayer' && evidence.strongReplays[client] === 0 && evidence.repeatReplays[client] === 0;
    return `${role}|${actor ? `actor:${actor.id}` : networkOf(client)}${weakOnly ? '|weak' : ''}`;
  };
  for (const [client, candidateRole] of candidates) {
    // a replayer inside a link scanner's documented prefixes is the scanner, come after the
    // person this time (a message opened again, a forward): it joins the scanner's group
    const own = actors.actorOf(client);
    const role: Role = candidateRole === 'replayer' && own !== null && own.kind === 'prefetcher' && own.shared !== true && own.by === 'network' ? 'prefetcher' : candidateRole;
    const kinOf = kin.get(client);
    // kin join their representative's group, whatever their own network
    const key = keyOf(kinOf === undefined ? client : kinOf.representative, role);
    let group = groups.get(key);
    if (group === undefined) {
      group = { role, clients: [], actor: actors.actorOf(kinOf === undefined ? client : kinOf.representative) };
      groups.set(key, group);
    }
    if (kinOf !== undefined) {
      group.kinAgent = kinOf.agent;
      group.kinBurst = kinOf.burst === true;
    }
    group.clients.push(client);
  }
  return groups;
}

/**
 * Kin: replayer candidates that shadowed a person in step (evidence.shadows: a fetch within
 * seconds of a browser's, which chance does not explain) and share a distinctive user agent
 * (the first or last agent of at most policy.kinAgentMaxClients clients of the whole log) are
 * one actor, whatever their networks: a vendor's shadow fetcher keeps its agent across its
 * egress networks, and one in-step fetch from an address alone could be chance. The agent is
 * the link, the shadows are the evidence: kin only pool what each has, scoring weighs it.
 * Returns each linked candidate's kin (the lowest client id among them is the representative).
 */
export function kinAgents(detector: Detector, evidence: EvidenceTable, candidates: Map<number, Role>, policy: DetectionPolicy): Map<number, Kin> {
  const kin = new Map<number, Kin>();
  const shadowing: number[] = [];
  for (const [client, role] of candidates) if (role === 'replayer' && evidence.shadows[client]! > 0) shadowing.push(client);
  if (shadowing.length < 2) return kin;
  // clients per agent, first or last, over the whole log
  const users = agentUsers(detector);
  const byAgent = new Map<number, number[]>();
  const distinctive = (agent: number): boolean => {
    if (agent < 0 || users[agent]! > policy.kinAgentMaxClients) return false;
    // no agent at all is nobody's signature
    const text = detector.agentText(agent);
    return text !== '' && text !== '-';
  };
  for (const client of shadowing) {
    const first = detector.firstAgentOf(client);
    const last = detector.lastAgentOf(client);
    for (const agent of first === last ? [first] : [first, last]) {
      if (!distinctive(agent)) continue;
      let list = byAgent.get(agent);
      if (list === undefined) byAgent.set(agent, (list = []));
      list.push(client);
    }
  }
  for (const [agent, clients] of byAgent) if (clients.length >= 2) linkKin(kin, clients, agent);
  return kin;
}

/** Makes `clients` one actor in `kin`; a client already linked by another agent brings its representative along. */
function linkKin(kin: Map<number, Kin>, clients: readonly number[], agent: number, burst = false): void {
  const representative = Math.min(...clients.map((client) => kin.get(client)?.representative ?? client));
  for (const client of clients) {
    const before = kin.get(client)?.representative;
    if (before !== undefined && before !== representative) {
      for (const link of kin.values()) if (link.representative === before) link.representative = representative;
    }
    kin.set(client, burst ? { representative, agent, burst } : { representative, agent });
  }
}

/** Each client of the whole log with its first agent and, when another, its last. */
function forEachAgentUser(detector: Detector, visit: (agent: number, client: number) => void): void {
  for (let client = 0, count = detector.clientCount; client < count; client++) {
    const first = detector.firstAgentOf(client);
    const last = detector.lastAgentOf(client);
    if (first >= 0) visit(first, client);
    if (last >= 0 && last !== first) visit(last, client);
  }
}

/** Clients of the whole log per agent (first or last), for distinctive agents. */
function agentUsers(detector: Detector): Uint32Array {
  const users = new Uint32Array(detector.agentCount);
  forEachAgentUser(detector, (agent) => users[agent]!++);
  return users;
}

/**
 * Burst kin: one upload spread over several addresses. A history app's backend fetches one
 * person's pages from a few addresses at once, anywhere in its cloud, so each address holds a
 * few of the pages and little evidence. A replayer candidate and the other clients of its
 * distinctive agent (the only one, first and last, of at most policy.burstKinMaxClients clients
 * of the whole log) that replayed rare URLs within policy.burstGapSeconds of its own replays
 * are kin: one actor, whatever their networks; so are, once two are linked, the agent's other
 * clients whose own replays came in a burst (an upload on another day). None of them may load an asset, send a referrer
 * or post (one person behind a proxy farm shares an agent over addresses in the same seconds,
 * and loads the images). The agent and the shared seconds are the link; the pairs pooled are
 * the evidence, and scoring weighs them. Adds the linked clients to `kin` and, as replayers,
 * to `candidates`.
 */
export function burstKin(
  detector: Detector,
  evidence: EvidenceTable,
  candidates: Map<number, Role>,
  kin: Map<number, Kin>,
  policy: DetectionPolicy,
  isBot: (client: number) => boolean,
  /** the times of the rare-URL replays of each of `clients` */
  replayTimesOf: (clients: Set<number>) => Map<number, number[]>,
): void {
  const fetcher = (client: number): boolean =>
    detector.count(client, Counter.Assets) === 0 && detector.count(client, Counter.WithReferrer) === 0 && detector.count(client, Counter.Posts) === 0 && !isBot(client);
  const agentOf = (client: number): number => {
    const first = detector.firstAgentOf(client);
    return first >= 0 && first === detector.lastAgentOf(client) && detector.count(client, Counter.AgentChanges) === 0 ? first : -1;
  };
  const seeds = new Map<number, number[]>();
  for (const [client, role] of candidates) {
    if (role !== 'replayer' || !fetcher(client)) continue;
    const agent = agentOf(client);
    if (agent < 0) continue;
    const text = detector.agentText(agent);
    if (text === '' || text === '-') continue;
    let list = seeds.get(agent);
    if (list === undefined) seeds.set(agent, (list = []));
    list.push(client);
  }
  if (seeds.size === 0) return;
  const users = agentUsers(detector);
  // every client of each distinctive seed agent
  const sharing = new Map<number, number[]>();
  for (const agent of seeds.keys()) if (users[agent]! >= 2 && users[agent]! <= policy.burstKinMaxClients) sharing.set(agent, []);
  if (sharing.size === 0) return;
  forEachAgentUser(detector, (agent, client) => sharing.get(agent)?.push(client));
  const asked = new Set<number>();
  for (const [agent, clients] of sharing) {
    // every client of the agent a fetcher with that agent alone, or none is kin
    if (clients.length < 2 || !clients.every((client) => fetcher(client) && agentOf(client) === agent)) {
      sharing.delete(agent);
      continue;
    }
    for (const client of clients) asked.add(client);
  }
  if (asked.size === 0) return;
  const times = replayTimesOf(asked);
  const gap = policy.burstGapSeconds;
  const together = (a: readonly number[], b: readonly number[]): boolean => {
    // both sorted: one replay of each within the gap
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (Math.abs(a[i]! - b[j]!) <= gap) return true;
      if (a[i]! < b[j]!) i++;
      else j++;
    }
    return false;
  };
  for (const [agent, clients] of sharing) {
    const linked = new Set<number>();
    for (const seed of seeds.get(agent)!) {
      const own = times.get(seed) ?? [];
      for (const client of clients) {
        if (client === seed) continue;
        if (together(own, times.get(client) ?? [])) {
          linked.add(seed);
          linked.add(client);
        }
      }
    }
    if (linked.size < 2) continue;
    // the agent's other clients that uploaded on their own, another day: two replays or more
    // in one burst, the same behaviour with the same face
    for (const client of clients) {
      const own = times.get(client) ?? [];
      if (!linked.has(client) && own.some((time, at) => at > 0 && time - own[at - 1]! <= gap)) linked.add(client);
    }
    for (const client of linked) {
      if (!candidates.has(client)) {
        candidates.set(client, 'replayer');
        evidence.role[client] = ROLE_REPLAYER;
      }
    }
    linkKin(kin, [...linked], agent, true);
  }
}

/**
 * Companions: addresses of a group's place that show no human traits and took no other part,
 * such as a replay cloud's address that only fetched popular pages or a mail scanner's address
 * whose links nobody clicked. The place is a network the catalogue documents by prefix for
 * this role, or else the group's network and user agent together.
 */
const ROLES = ['replayer', 'prefetcher'] as const;

export function addCompanions(
  detector: Detector,
  groups: Map<string, Group>,
  evidence: EvidenceTable,
  declared: Map<number, Declared>,
  networkOf: (client: number) => string,
  actorOf: (client: number) => ActorMatch | null,
  isPerson: (client: number) => boolean,
): void {
  const placeOf = (client: number, role: 'replayer' | 'prefetcher'): string => {
    const actor = actorOf(client);
    if (actor !== null && actor.kind === role && actor.shared !== true) return `${role}|actor:${actor.id}`;
    return `${role}|${actor ? `actor:${actor.id}` : networkOf(client)}|${detector.firstAgentOf(client)}`;
  };
  const groupOfPlace = new Map<string, string>();
  const grouped = new Set<number>();
  for (const [key, group] of groups) {
    for (const client of group.clients) {
      groupOfPlace.set(placeOf(client, group.role), key);
      grouped.add(client);
    }
  }
  if (groups.size === 0) return;
  for (let client = 0, count = detector.clientCount; client < count; client++) {
    if (grouped.has(client) || declared.has(client)) continue;
    // columns are zero for a client without evidence
    const originated = evidence.strongOriginated[client]!;
    const human = isPerson(client);
    // the cheap conditions first: attribution lookups only for clients that could still qualify
    // (its replays may be there, none explained: a popular page fetched after someone)
    const quiet = !(originated > 0 || evidence.weakOriginated[client]! > 1 || evidence.explainedStrong[client]! + evidence.explainedWeak[client]! > 0 || evidence.leads[client]! > 0);
    // inside a network documented as a replay cloud's, an address that replays more than it
    // originates is the cloud's too, though its own replays alone would not tell
    const replaysMore = evidence.leads[client] === 0 && evidence.strongReplays[client]! + evidence.weakReplays[client]! > originated + evidence.weakOriginated[client]!;
    // ... or that fetched the pages of a person its network was found to follow day after day
    // (repeat-victims.ts): the pages it was first on that day can be that person's, read days before
    const follows = evidence.leads[client] === 0 && evidence.repeatReplays[client]! > 0;
    const couldReplay = !human && (quiet || replaysMore || follows);
    const couldPrefetch = (originated > 0 || !human) && !(evidence.strongReplays[client]! > originated);
    // a scanner's node opening links another node (no browser) opened seconds before: its
    // replays explain nothing of anyone's, a second scan of the same message
    const echo = !human && evidence.strongReplays[client]! > 0 && evidence.explainedStrong[client]! + evidence.explainedWeak[client]! === 0 && evidence.ambiguousStrong[client]! === 0 && evidence.leads[client] === 0;
    if (!couldReplay && !couldPrefetch && !echo) continue;
    const actor = actorOf(client);
    for (let at = 0; at < ROLES.length; at++) {
      const role = ROLES[at]!;
      const documented = actor !== null && actor.kind === role && actor.shared !== true;
      if (role === 'replayer') {
        // a replay cloud's quiet address originated nothing and replayed nothing we could see
        if (!couldReplay) continue;
        if (!quiet && !(documented && actor.by === 'network')) continue;
      } else {
        // a mail scanner's address whose links nobody clicked, or that a quick click beat:
        // mostly first on what it fetched; a person only in a network documented as a scanner's
        const scannerEcho = echo && documented;
        if (!couldPrefetch && !scannerEcho) continue;
        if (human && !(documented && detector.count(client, Counter.Posts) === 0)) continue;
        // nothing rare of its own: only inside a scanner's documented prefixes (an ASN can be a
        // whole cloud), or a second scan of what the scanner's other nodes opened
        if (originated === 0 && !scannerEcho && !(documented && actor.by === 'network')) continue;
      }
      const key = groupOfPlace.get(placeOf(client, role));
      if (key === undefined) continue;
      groups.get(key)!.clients.push(client);
      break;
    }
  }
}

