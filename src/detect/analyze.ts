import type { ActorMatch, AgentClass, CrawlerVerdict } from '../attribute/types.js';
import { parseIPv4 } from '../common/ip-text.js';
import { Counter, type Detector } from './detector.js';
import { GLOBAL_BUCKET, type UnitEntry } from './first-seen-index.js';
import type { EvidencePair, ProbeFinding, ReplayPattern, SourceFinding } from './types.js';

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
}

export interface ClientEvidence {
  strongReplays: number;
  weakReplays: number;
  strongOriginated: number;
  weakOriginated: number;
  leads: number;
  /** followed by another network after LEAD_WINDOW_SECONDS but within LATE_LEAD_WINDOW_SECONDS */
  lateLeads: number;
  authMismatches: number;
  /** origin clients of its replays (up to VICTIM_CAP) */
  victims: Set<number>;
  human: boolean;
  role: 'replayer' | 'prefetcher' | null;
}

const ROLE_NONE = 0;
const ROLE_REPLAYER = 1;
const ROLE_PREFETCHER = 2;

/**
 * Per-client evidence in columns, one typed array per count: most clients only originate, and
 * an object (with its sets) per client was most of analysis's memory. `get` builds a client's
 * ClientEvidence when one is asked for (explain, the report's scoring).
 */
export class EvidenceTable {
  readonly strongReplays: Uint32Array;
  readonly weakReplays: Uint32Array;
  readonly strongOriginated: Uint32Array;
  readonly weakOriginated: Uint32Array;
  readonly leads: Uint32Array;
  readonly lateLeads: Uint32Array;
  readonly authMismatches: Uint32Array;
  readonly human: Uint8Array;
  readonly role: Uint8Array;
  /** clients in the order they first had evidence */
  readonly order: number[] = [];
  private readonly seen: Uint8Array;
  private readonly victims = new Map<number, Set<number>>();

  constructor(clients: number) {
    this.strongReplays = new Uint32Array(clients);
    this.weakReplays = new Uint32Array(clients);
    this.strongOriginated = new Uint32Array(clients);
    this.weakOriginated = new Uint32Array(clients);
    this.leads = new Uint32Array(clients);
    this.lateLeads = new Uint32Array(clients);
    this.authMismatches = new Uint32Array(clients);
    this.human = new Uint8Array(clients);
    this.role = new Uint8Array(clients);
    this.seen = new Uint8Array(clients);
  }

  /** Marks that a client has evidence (the first time, it joins `order`). */
  touch(client: number): void {
    if (this.seen[client] === 1) return;
    this.seen[client] = 1;
    this.order.push(client);
  }

  has(client: number): boolean {
    return this.seen[client] === 1;
  }

  addVictim(client: number, victim: number): void {
    let victims = this.victims.get(client);
    if (victims === undefined) this.victims.set(client, (victims = new Set()));
    if (victims.size < VICTIM_CAP) victims.add(victim);
  }

  get(client: number): ClientEvidence | undefined {
    if (!this.has(client)) return undefined;
    const role = this.role[client];
    return {
      strongReplays: this.strongReplays[client]!,
      weakReplays: this.weakReplays[client]!,
      strongOriginated: this.strongOriginated[client]!,
      weakOriginated: this.weakOriginated[client]!,
      leads: this.leads[client]!,
      lateLeads: this.lateLeads[client]!,
      authMismatches: this.authMismatches[client]!,
      victims: new Set(this.victims.get(client)),
      human: this.human[client] === 1,
      role: role === ROLE_NONE ? null : role === ROLE_REPLAYER ? 'replayer' : 'prefetcher',
    };
  }
}

/** A follower within this many seconds of the first request makes that request a lead. */
const LEAD_WINDOW_SECONDS = 15 * 60;
/** People read mail hours later: within a network documented as a link scanner's, a follower within a day counts too. */
const LATE_LEAD_WINDOW_SECONDS = 24 * 3600;
/** Replay share that suffices inside a network documented as a replayer's (the catalogue is a prior). */
const DOCUMENTED_SHARE = 0.6;
/** Replays whose median lag is under this are realtime. */
const REALTIME_SECONDS = 120;
/** Replay share a client needs to be a candidate ("almost every rare URL it requests is someone else's"). */
const CANDIDATE_SHARE = 0.8;
const VICTIM_CAP = 512;

export function analyze(detector: Detector, context: AnalysisContext): Findings {
  const clients = detector.clientCount;
  const networks = new ClientNetworks(detector, context);
  const networkOf = (client: number): string => networks.name(client);
  const declared = declaredKinds(detector);
  const evidence = new EvidenceTable(clients);

  const declaredFlag = new Uint8Array(clients);
  for (const client of declared.keys()) declaredFlag[client] = 1;
  const isBot = (client: number): boolean => declaredFlag[client] === 1;
  // Pass 1: counts per client over every rare unit
  walkUnits(detector, networks, isBot, {
    originated(entry, strong) {
      if (entry.status >= 400) return;
      evidence.touch(entry.client);
      if (strong) evidence.strongOriginated[entry.client]!++;
      else evidence.weakOriginated[entry.client]!++;
    },
    replay(_url, origin, replay, strong) {
      const client = replay.client;
      evidence.touch(client);
      if (strong) evidence.strongReplays[client]!++;
      else evidence.weakReplays[client]!++;
      if (isAuthMismatch(origin, replay)) evidence.authMismatches[client]!++;
      evidence.addVictim(client, origin.client);
    },
    lead(_url, origin, follower) {
      const client = origin.client;
      evidence.touch(client);
      if (follower.time - origin.time > LEAD_WINDOW_SECONDS) evidence.lateLeads[client]!++;
      else evidence.leads[client]!++;
    },
  });

  // per client: 0 not asked yet, 1 none, else index + 2 in `actorMatches`
  const actorOfClient = new Int32Array(clients);
  const actorMatches: ActorMatch[] = [];
  const actorOf = (client: number): ActorMatch | null => {
    let known = actorOfClient[client]!;
    if (known === 0) {
      known = 1;
      for (const actor of context.actors(detector.firstAddressOf(client))) {
        if (actor.kind === 'crawler' || actor.kind === 'link-preview') continue;
        known = actorMatches.push(actor) + 1;
        break;
      }
      actorOfClient[client] = known;
    }
    return known === 1 ? null : actorMatches[known - 2]!;
  };
  /** The catalogue's kind for a client's network when it is a prior for behaviour (not a shared cloud ASN). */
  const priorOf = (client: number): ActorMatch['kind'] | null => {
    const actor = actorOf(client);
    return actor !== null && actor.shared !== true ? actor.kind : null;
  };
  // Candidates: not a declared bot, no human traits, and the shape: others' URLs, or first on URLs others follow
  const candidates = new Map<number, 'replayer' | 'prefetcher'>();
  for (let at = 0; at < evidence.order.length; at++) {
    const client = evidence.order[at]!;
    const human = looksHuman(detector, client);
    evidence.human[client] = human ? 1 : 0;
    if (declared.get(client) !== undefined) continue;
    const strongReplays = evidence.strongReplays[client]!;
    const strongOriginated = evidence.strongOriginated[client]!;
    const foundLeads = evidence.leads[client]!;
    // a link scanner that renders pages in a headless browser loads assets and sends referrers
    // like a person; in a network documented as a scanner's, leading without ever posting is enough
    const renderingScanner = human && foundLeads + evidence.lateLeads[client]! > 0 && detector.count(client, Counter.Posts) === 0 && priorOf(client) === 'prefetcher';
    if (human && !renderingScanner) continue;
    const replays = strongReplays + evidence.weakReplays[client]!;
    const share =
      strongReplays + strongOriginated > 0
        ? strongReplays / (strongReplays + strongOriginated)
        : replays / Math.max(1, replays + evidence.weakOriginated[client]!);
    const leadShare = strongOriginated > 0 ? foundLeads / strongOriginated : 0;
    // a mail scanner opens every link of a message (tracking redirects, unsubscribe) and the
    // person clicks one: its lead share can be low, so a documented scanner network or a
    // second lead is enough; the group's totals decide the confidence
    const documentedPrefetcher = priorOf(client) === 'prefetcher';
    const documentedReplayer = priorOf(client) === 'replayer';
    const leads = foundLeads + (documentedPrefetcher ? evidence.lateLeads[client]! : 0);
    if (leads > 0 && leads >= strongReplays && (leadShare >= 0.5 || leads >= 2 || documentedPrefetcher)) {
      evidence.role[client] = ROLE_PREFETCHER;
      candidates.set(client, 'prefetcher');
    } else if (replays > 0 && share >= (documentedReplayer ? DOCUMENTED_SHARE : CANDIDATE_SHARE)) {
      evidence.role[client] = ROLE_REPLAYER;
      candidates.set(client, 'replayer');
    }
  }

  // Group candidates: by catalogue actor when one covers them, else by network, and by role
  const groups = new Map<string, { role: 'replayer' | 'prefetcher'; clients: number[]; actor: ActorMatch | null }>();
  for (const [client, role] of candidates) {
    const actor = actorOf(client);
    // rare-that-day evidence alone is weak: such clients outside a documented network form groups
    // of their own (never merged into a strong group), which stay below 0.5 unless they show the
    // snapshot shape (scoreGroup)
    const weakOnly = actor === null && role === 'replayer' && evidence.strongReplays[client] === 0;
    const key = `${role}|${actor ? `actor:${actor.id}` : networkOf(client)}${weakOnly ? '|weak' : ''}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { role, clients: [], actor };
      groups.set(key, group);
    }
    group.clients.push(client);
  }
  // Companions: clients of a group's network with the group's user agent that never originated
  // anything and show no human traits (a replay cloud's address that only fetched popular pages)
  addCompanions(detector, groups, evidence, declared, networkOf, actorOf);

  // Pass 2: the pairs of the grouped clients, for lags, patterns and examples
  const groupOfClient = new Map<number, string>();
  for (const [key, group] of groups) for (const client of group.clients) groupOfClient.set(client, key);
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
    {
      originated() {},
      replay(url, origin, replay, strong) {
        const key = groupOfClient.get(replay.client);
        if (key !== undefined && groups.get(key)!.role === 'replayer') pushPair(key, makePair(url, origin, replay, strong));
      },
      lead(url, origin, follower, strong) {
        const key = groupOfClient.get(origin.client);
        if (key === undefined) return;
        const group = groups.get(key)!;
        if (group.role !== 'prefetcher') return;
        if (follower.time - origin.time <= LEAD_WINDOW_SECONDS || group.actor?.kind === 'prefetcher') pushPair(key, makePair(url, origin, follower, strong));
      },
    },
    true,
  );

  const sources: SourceFinding[] = [];
  for (const [key, group] of groups) {
    const pairs = pairsOfGroup.get(key) ?? [];
    const source = scoreGroup(detector, group.role, group.clients, pairs, group.actor, evidence);
    if (source !== null) sources.push(source);
  }
  sources.push(...declaredSources(detector, declared, context));
  sources.sort((a, b) => b.confidence - a.confidence || b.replays - a.replays || a.clients[0]! - b.clients[0]!);
  return { sources, probes: findProbes(detector), evidence };
}

interface UnitVisitor {
  originated(entry: UnitEntry, strong: boolean): void;
  /** `origin` and `replay` are the index's reused entries: copy them (makePair) to keep them */
  replay(url: string, origin: UnitEntry, replay: UnitEntry, strong: boolean): void;
  lead(url: string, origin: UnitEntry, follower: UnitEntry, strong: boolean): void;
}

/**
 * The detection model over one rare unit, entries in time order:
 * - the first entry originated the URL;
 * - a later entry from another network replays it; its origin is the nearest earlier entry
 *   from another network that got the page (the lag a replay cloud shows is to the visit it copies);
 * - declared crawlers and link previewers take no part: they are reported as what they are;
 * - entries of the first entry's network before the first other-network entry lead, when that
 *   follower comes within LATE_LEAD_WINDOW_SECONDS (strong units only: one-time links are rare overall);
 *   the visitor tells quick leads from late ones.
 * `pairsOnly`: the visitor wants pairs, not origins, so units with one client are not visited.
 */
function walkUnits(detector: Detector, clientNetworks: ClientNetworks, isBot: (client: number) => boolean, visitor: UnitVisitor, pairsOnly = false): void {
  let networks = new Int32Array(64);
  const kept: UnitEntry[] = [];
  // a unit of the whole log with one client only originated its URL (what the general walk
  // below makes of it), handed over from its record
  const only: UnitEntry = { client: 0, time: 0, status: 0, bytes: 0 };
  const single = (client: number, time: number, status: number, bytes: number): void => {
    if (isBot(client)) return;
    only.client = client;
    only.time = time;
    only.status = status;
    only.bytes = bytes;
    visitor.originated(only, true);
  };
  detector.index.forEachRareUnit((bucket, url, unitEntries, unitContext) => {
    const strong = bucket === GLOBAL_BUCKET;
    // declared crawlers and previewers are reported as what they are; a crawler's URL is nobody's fingerprint
    let entries = unitEntries;
    let context = unitContext;
    let bots = false;
    for (let index = 0; index < unitEntries.length; index++) if (isBot(unitEntries[index]!.client)) bots = true;
    if (bots) {
      kept.length = 0;
      context = 0;
      for (let index = 0; index < unitEntries.length; index++) {
        const entry = unitEntries[index]!;
        if (isBot(entry.client)) continue;
        kept.push(entry);
        if (index < unitContext) context++;
      }
      entries = kept;
    }
    if (entries.length === context) return;
    // the previous day's requests (context) are only possible origins: they were counted on their own day
    if (context === 0) visitor.originated(entries[0]!, strong);
    if (entries.length < 2 || url === null) return;
    if (entries.length > networks.length) networks = new Int32Array(entries.length * 2);
    for (let index = 0; index < entries.length; index++) networks[index] = clientNetworks.id(entries[index]!.client);
    let firstOther = -1;
    for (let index = Math.max(1, context); index < entries.length; index++) {
      const replay = entries[index]!;
      let origin = -1;
      for (let earlier = index - 1; earlier >= 0; earlier--) {
        // an origin got the page: a URL that does not exist is nobody's fingerprint
        if (networks[earlier] !== networks[index] && entries[earlier]!.status < 400) {
          origin = earlier;
          break;
        }
      }
      if (origin < 0) continue;
      if (firstOther < 0 && networks[index] !== networks[0]) firstOther = index;
      visitor.replay(url, entries[origin]!, replay, strong);
    }
    if (!strong || firstOther < 0) return;
    const follower = entries[firstOther]!;
    for (let leader = 0; leader < firstOther; leader++) {
      const first = entries[leader]!;
      if (follower.time - first.time > LATE_LEAD_WINDOW_SECONDS) continue;
      for (let index = firstOther; index < entries.length; index++) {
        const later = entries[index]!;
        if (networks[index] === networks[0] || later.time - first.time > LATE_LEAD_WINDOW_SECONDS) continue;
        visitor.lead(url, first, later, strong);
      }
    }
  }, pairsOnly ? true : single);
}

function makePair(url: string, origin: UnitEntry, replay: UnitEntry, strong: boolean): EvidencePair {
  return {
    url,
    origin: { client: origin.client, time: origin.time, status: origin.status, bytes: origin.bytes },
    replay: { client: replay.client, time: replay.time, status: replay.status, bytes: replay.bytes },
    lagSeconds: replay.time - origin.time,
    strong,
    authMismatch: isAuthMismatch(origin, replay),
  };
}

/** The origin got the page; the replay was denied, sent to log in, or served a much smaller body. */
export function isAuthMismatch(origin: { status: number; bytes: number }, replay: { status: number; bytes: number }): boolean {
  if (origin.status < 200 || origin.status >= 300) return false;
  if (replay.status === 401 || replay.status === 403) return true;
  if (replay.status >= 300 && replay.status < 400) return true;
  if (replay.status >= 200 && replay.status < 300 && origin.bytes >= 2000 && replay.bytes < origin.bytes * 0.5) return true;
  return false;
}

/** Browsers of people load images and styles, send referrers, log in and submit forms. */
function looksHuman(detector: Detector, client: number): boolean {
  const requests = detector.count(client, Counter.Requests);
  if (requests === 0) return false;
  // a declared bot or automation agent (HeadlessChrome, curl, python-requests) is no person,
  // whatever it loads: headless link scanners render pages with their assets
  if (detector.count(client, Counter.BotRequests) * 2 >= requests) return false;
  if (detector.count(client, Counter.Posts) > 0) return true;
  const assets = detector.count(client, Counter.Assets);
  if (assets >= 2 && assets / requests >= 0.2) return true;
  return detector.count(client, Counter.WithReferrer) / requests >= 0.3;
}

type Declared = 'crawler' | 'link-preview' | 'quiet';

/**
 * Clients whose requests are mostly by a declared bot agent. Crawlers and link previewers are
 * reported as such; declared feed readers, monitors and scanners are 'quiet': not sources, and
 * their fetches are nobody's fingerprint (probes are reported from paths, separately).
 */
function declaredKinds(detector: Detector): Map<number, Declared> {
  const declared = new Map<number, Declared>();
  for (let client = 0; client < detector.clientCount; client++) {
    const requests = detector.count(client, Counter.Requests);
    const bots = detector.count(client, Counter.BotRequests);
    if (bots === 0 || bots * 2 < requests) continue;
    if (detector.count(client, Counter.CrawlerRequests) * 2 >= requests) declared.set(client, 'crawler');
    else if (detector.count(client, Counter.PreviewRequests) * 2 >= requests) declared.set(client, 'link-preview');
    else {
      const agent = detector.agentClasses[detector.botAgentOf(client)];
      if (agent && (agent.kind === 'feed' || agent.kind === 'monitor' || agent.kind === 'scanner')) declared.set(client, 'quiet');
    }
  }
  return declared;
}

/**
 * Companions: addresses of a group's place that show no human traits and took no other part,
 * such as a replay cloud's address that only fetched popular pages or a mail scanner's address
 * whose links nobody clicked. The place is a network the catalogue documents by prefix for
 * this role, or else the group's network and user agent together.
 */
const ROLES = ['replayer', 'prefetcher'] as const;

function addCompanions(
  detector: Detector,
  groups: Map<string, { role: 'replayer' | 'prefetcher'; clients: number[]; actor: ActorMatch | null }>,
  evidence: EvidenceTable,
  declared: Map<number, Declared>,
  networkOf: (client: number) => string,
  actorOf: (client: number) => ActorMatch | null,
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
  for (let client = 0; client < detector.clientCount; client++) {
    if (grouped.has(client) || declared.has(client)) continue;
    // columns are zero for a client without evidence
    const replays = evidence.strongReplays[client]! + evidence.weakReplays[client]!;
    const originated = evidence.strongOriginated[client]!;
    const human = looksHuman(detector, client);
    // the cheap conditions first: attribution lookups only for clients that could still qualify
    const couldReplay = !human && !(originated > 0 || evidence.weakOriginated[client]! > 1 || replays > 0 || evidence.leads[client]! > 0);
    const couldPrefetch = (originated > 0 || !human) && !(evidence.strongReplays[client]! > originated);
    if (!couldReplay && !couldPrefetch) continue;
    const actor = actorOf(client);
    for (let at = 0; at < ROLES.length; at++) {
      const role = ROLES[at]!;
      const documented = actor !== null && actor.kind === role && actor.shared !== true;
      if (role === 'replayer') {
        // a replay cloud's quiet address originated nothing and replayed nothing we could see
        if (!couldReplay) continue;
      } else {
        // a mail scanner's address whose links nobody clicked, or that a quick click beat:
        // mostly first on what it fetched; a person only in a network documented as a scanner's
        if (!couldPrefetch) continue;
        if (human && !(documented && detector.count(client, Counter.Posts) === 0)) continue;
        // nothing rare of its own: only inside a scanner's documented prefixes (an ASN can be a whole cloud)
        if (originated === 0 && !(documented && actor.by === 'network')) continue;
      }
      const key = groupOfPlace.get(placeOf(client, role));
      if (key === undefined) continue;
      groups.get(key)!.clients.push(client);
      break;
    }
  }
}

function scoreGroup(
  detector: Detector,
  role: 'replayer' | 'prefetcher',
  clients: number[],
  pairs: EvidencePair[],
  actor: ActorMatch | null,
  evidence: EvidenceTable,
): SourceFinding | null {
  if (pairs.length === 0) return null;
  clients.sort((a, b) => a - b);
  const victims = new Set<number>();
  const urls = new Set<string>();
  let strong = 0;
  let weak = 0;
  let mismatches = 0;
  for (const pair of pairs) {
    victims.add(role === 'replayer' ? pair.origin.client : pair.replay.client);
    urls.add(pair.url);
    if (pair.strong) strong++;
    else weak++;
    if (pair.authMismatch || (role === 'prefetcher' && followerGotLess(pair))) mismatches++;
  }
  let replays = 0;
  let originated = 0;
  let requests = 0;
  let http10 = 0;
  let assets = 0;
  for (const client of clients) {
    replays += evidence.strongReplays[client]!;
    originated += evidence.strongOriginated[client]!;
    requests += detector.count(client, Counter.Requests);
    http10 += detector.count(client, Counter.Http10);
    assets += detector.count(client, Counter.Assets);
  }
  const reasons: string[] = [];
  // a snapshot burst is evidence in itself: its rare-that-day replays count in full
  const pattern = role === 'replayer' ? patternOf(pairs) : null;
  const burstReplays = pattern !== null ? Math.min(weak, pattern.oneVictimBurst) : 0;
  const effective = strong + burstReplays + 0.25 * (weak - burstReplays);
  let confidence = 1 - Math.pow(0.5, effective / 2);
  const victimFactor = victims.size >= 3 ? 1 : victims.size === 2 ? 0.8 : 0.45;
  const urlFactor = urls.size >= 2 ? 1 : 0.5;
  confidence *= victimFactor * urlFactor;
  if (role === 'replayer') {
    const share = replays + originated > 0 ? replays / (replays + originated) : 1;
    confidence *= Math.min(1, Math.max(0, (share - 0.6) / 0.35));
    reasons.push(
      `${strong + weak} requests for URLs another network requested first (${strong} rare over the whole log, ${weak} rare that day), from ${victims.size} different origin clients`,
    );
    if (originated > 0) reasons.push(`originated ${originated} rare URLs itself (replay share ${(share * 100).toFixed(0)}%)`);
    else reasons.push('never the first to request a rare URL');
  } else {
    const quick = pairs.filter((pair) => pair.lagSeconds <= LEAD_WINDOW_SECONDS).length;
    reasons.push(
      `first on ${strong} rare URLs that ${victims.size} clients of other networks requested after it (${quick} within ${LEAD_WINDOW_SECONDS / 60} minutes)`,
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
  if (actor === null && clients.length > 1) {
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
  if (strong === 0 && actor === null && !(pattern !== null && pattern.pattern === 'snapshot' && pattern.oneVictimBurst >= 3)) {
    // rare-that-day evidence alone is suggestive, never conclusive, unless a catalogue documents
    // the network or it has the snapshot shape: one person's pages, first visited far apart,
    // fetched together long after
    confidence = Math.min(confidence, 0.45);
  }
  if (strong === 0 && pattern !== null && pattern.oneVictimBurst >= 3)
    reasons.push(`fetched ${pattern.oneVictimBurst} pages of one person's history within a minute, pages visited over ${formatSpan(pattern.burstOriginSpan)}`);

  if (actor !== null && actor.shared !== true && (actor.kind === role || (role === 'replayer' && actor.kind === 'gateway'))) {
    confidence += (1 - confidence) * 0.5;
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
  };
}

function followerGotLess(pair: EvidencePair): boolean {
  const first = pair.origin;
  const later = pair.replay;
  if (later.status === 410 || later.status === 401 || later.status === 403 || later.status === 404) return first.status < 400;
  return first.status < 300 && later.status < 300 && first.bytes >= 1000 && later.bytes < first.bytes * 0.5;
}

/**
 * snapshot: most replays come in bursts (replays within a minute of each other, each well
 * after its origin) that fetch URLs first requested ten minutes or more apart: an uploaded
 * slice of history fetched at once. A page replayed with its own scripts has origins seconds
 * apart and does not count; a busy deferred replayer's chance coincidences are few.
 * realtime: median lag two minutes or less. deferred: everything else.
 */
/** oneVictimBurst: the longest burst whose origins repeat (one person's pages, under at most half as many addresses). */
function patternOf(pairs: EvidencePair[]): { pattern: ReplayPattern; oneVictimBurst: number; burstOriginSpan: number } {
  const late = pairs.filter((pair) => pair.lagSeconds >= 600).sort((a, b) => a.replay.time - b.replay.time);
  let inSnapshots = 0;
  let oneVictimBurst = 0;
  let burstOriginSpan = 0;
  let start = 0;
  for (let index = 1; index <= late.length; index++) {
    if (index < late.length && late[index]!.replay.time - late[index - 1]!.replay.time <= 60) continue;
    if (index - start >= 2) {
      const burst = late.slice(start, index);
      const originTimes = burst.map((pair) => pair.origin.time);
      const span = Math.max(...originTimes) - Math.min(...originTimes);
      if (span >= 600) {
        inSnapshots += burst.length;
        // one person's history, though the person may show several addresses (a new dynamic
        // address, IPv6 and its IPv4 fallback): a burst whose origins repeat, unlike a crawler
        // walking pages many people visited
        const victims = new Set(burst.map((pair) => pair.origin.client)).size;
        if (victims * 2 <= burst.length + 1 && burst.length > oneVictimBurst) {
          oneVictimBurst = burst.length;
          burstOriginSpan = span;
        }
      }
    }
    start = index;
  }
  if (inSnapshots * 2 >= pairs.length) return { pattern: 'snapshot', oneVictimBurst, burstOriginSpan };
  const lags = pairs.map((pair) => pair.lagSeconds).sort((a, b) => a - b);
  const median = lags[Math.floor((lags.length - 1) / 2)] ?? 0;
  return { pattern: median <= REALTIME_SECONDS ? 'realtime' : 'deferred', oneVictimBurst, burstOriginSpan };
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

/** Declared link previewers and crawlers, one source per agent family (and crawler verdict). */
function declaredSources(detector: Detector, declared: Map<number, Declared>, context: AnalysisContext): SourceFinding[] {
  const groups = new Map<string, { kind: 'crawler' | 'link-preview'; name: string; verified: boolean | null; clients: number[] }>();
  for (const [client, kind] of declared) {
    if (kind === 'quiet') continue;
    const agent = detector.agentClasses[detector.botAgentOf(client)];
    if (!agent) continue;
    let verified: boolean | null = null;
    if (kind === 'crawler') {
      const verdicts = detector.addressesOf(client).map((address) => context.verifyCrawler(address, agent));
      verified = verdicts.includes('impostor') ? false : verdicts.includes('verified') ? true : null;
    }
    const key = `${kind}|${agent.name}|${verified}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { kind, name: agent.name, verified, clients: [] }));
    group.clients.push(client);
  }
  const sources: SourceFinding[] = [];
  for (const group of groups.values()) {
    group.clients.sort((a, b) => a - b);
    let requests = 0;
    for (const client of group.clients) requests += detector.count(client, Counter.Requests);
    const reasons =
      group.kind === 'link-preview'
        ? [`declares itself ${group.name}, a link previewer: links shared in chats and posts are fetched by a third party`]
        : group.verified === true
          ? [`declares itself ${group.name}; its addresses are in ${group.name}'s published ranges`]
          : group.verified === false
            ? [`claims ${group.name}, is not: its addresses are outside ${group.name}'s published ranges`]
            : [`declares itself ${group.name}; no published ranges to verify it against offline`];
    sources.push({
      kind: group.kind,
      confidence: group.kind === 'link-preview' ? 0.95 : group.verified === true ? 0.95 : group.verified === false ? 0.9 : 0.6,
      clients: group.clients,
      requests,
      replays: 0,
      urls: 0,
      victims: 0,
      lagSeconds: null,
      authMismatch: 0,
      examples: [],
      agentName: group.name,
      verified: group.kind === 'crawler' ? group.verified : undefined,
      reasons,
      weakOnly: false,
    });
  }
  return sources;
}

/** Clients that request many paths of other software and mostly get errors. */
function findProbes(detector: Detector): ProbeFinding[] {
  const probes: ProbeFinding[] = [];
  for (const [client, paths] of detector.probeExamples) {
    const requests = detector.count(client, Counter.Requests);
    const errors = detector.count(client, Counter.ClientErrors);
    const enough = paths.size >= 3 || (paths.size >= 1 && errors >= 10 && errors / requests >= 0.8);
    if (!enough) continue;
    probes.push({
      client,
      paths: paths.size,
      first: detector.count(client, Counter.FirstTime),
      last: detector.count(client, Counter.LastTime),
      examples: [...paths].slice(0, 5),
    });
  }
  probes.sort((a, b) => b.paths - a.paths || a.first - b.first || a.client - b.client);
  return probes;
}

/** Every replay and lead pair that involves one of `clients`, for explain. */
export function pairsInvolving(detector: Detector, context: Pick<AnalysisContext, 'networkKey'>, clients: Set<number>): { replays: EvidencePair[]; leads: EvidencePair[] } {
  const replays: EvidencePair[] = [];
  const leads: EvidencePair[] = [];
  const declared = declaredKinds(detector);
  walkUnits(
    detector,
    new ClientNetworks(detector, context),
    (client) => declared.has(client),
    {
      originated() {},
      replay(url, origin, replay, strong) {
        if (clients.has(replay.client) || clients.has(origin.client)) replays.push(makePair(url, origin, replay, strong));
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

/**
 * networkKey, asked once per IPv4 /24 when the answer is an ASN: routes longer than a /24 are
 * not carried between networks, so every address of a /24 has the ASN its first one has.
 * Other answers (catalogue prefixes, which can be smaller, and IPv6) are asked per address.
 */
function networkKeyCache(context: Pick<AnalysisContext, 'networkKey'>): (address: string) => string {
  // keyed by the /24 as a number (a small integer: no string made per lookup)
  const bySlash24 = new Map<number, string>();
  return (address) => {
    const value = parseIPv4(address);
    if (value < 0) return context.networkKey(address);
    const slash24 = value >>> 8;
    const known = bySlash24.get(slash24);
    if (known !== undefined) return known;
    const key = context.networkKey(address);
    if (key.startsWith('AS')) bySlash24.set(slash24, key);
    return key;
  };
}

/**
 * Each client's network key (its first address's), asked once per client: as a small id for
 * the unit walk, which compares the networks of every pair, and as text for group keys.
 */
class ClientNetworks {
  /** client -> network id + 1 (0: not asked yet) */
  private readonly idOfClient: Int32Array;
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly keyOf: (address: string) => string;

  constructor(
    private readonly detector: Detector,
    context: Pick<AnalysisContext, 'networkKey'>,
  ) {
    this.idOfClient = new Int32Array(detector.clientCount);
    this.keyOf = networkKeyCache(context);
  }

  id(client: number): number {
    const known = this.idOfClient[client]!;
    if (known !== 0) return known - 1;
    const name = this.keyOf(this.detector.firstAddressOf(client));
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.push(name) - 1;
      this.ids.set(name, id);
    }
    this.idOfClient[client] = id + 1;
    return id;
  }

  name(client: number): string {
    return this.names[this.id(client)]!;
  }
}
