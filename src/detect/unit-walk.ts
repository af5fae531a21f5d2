/**
 * The walk over the first-seen index's rare units: who originated each URL, who replayed it
 * (and how surprising that is), who led others to it. Analysis walks twice (counts, then the
 * pairs of the grouped clients); explain walks once for one client's pairs.
 */
import type { Detector } from './detector.js';
import { GLOBAL_BUCKET, type KeyCounts, type UnitEntry } from './first-seen-index.js';
import type { ClientNetworks } from './networks.js';
import { ENTRY_PAGES } from './paths.js';
import type { DetectionPolicy } from './policy.js';
import type { EvidencePair } from './types.js';

/** How much one pair says, filled by the walk for each replay (one object, reused). */
export interface PairEvidence {
  /** -log10 of the chance that the replay's client fetched the URL this soon after for its own reasons; 0 for entry points */
  bits: number;
  /** the two requests came within policy.inStepSeconds of each other, in either order */
  inStep: boolean;
  /** the URL is a site's entry point (`/`, robots.txt, favicon …): anyone fetches it, it is nobody's fingerprint */
  entryPoint: boolean;
  /**
   * The nearest earlier request of another network by a browser (a person), -1 client if none:
   * whose history a snapshot fetches, though other replayers may have come between.
   */
  person: UnitEntry;
}

export interface UnitVisitor {
  originated(entry: UnitEntry, strong: boolean): void;
  /** `origin` and `replay` are the index's reused entries, `evidence` a reused object: copy what you keep (makePair) */
  replay(url: string, origin: UnitEntry, replay: UnitEntry, strong: boolean, evidence: PairEvidence): void;
  lead(url: string, origin: UnitEntry, follower: UnitEntry, strong: boolean): void;
}

const DAY_SECONDS = 86400;

/**
 * The chance model: how likely it is that a client fetched a URL `lag` seconds after another
 * network did for reasons of its own (a link it found, a page it visits anyway), rather than
 * because that other client's software sent it there. Requests of a URL by distinct clients are
 * taken as a Poisson process at the URL's rate λ; the chance is 1 - e^(-λ·lag).
 *
 * - A URL rare over the whole log that no declared bot fetched was known only to the few who
 *   requested it (a search with their words, a message id): a second network's request is
 *   evidence whatever the lag (policy.privateUrlBits), or more when it came soon.
 * - A URL rare only within one day is a page others visit too: its rate is its person-days
 *   over the log. A menu page visited most days fetched hours after someone is chance; a
 *   minute after is not.
 * - A site's entry points (`/`, robots.txt, favicon, index pages) prove nothing: a scheduled
 *   checker or a crawler fetches them whoever came before.
 */
export class ChanceModel {
  /** URL key -> person-days over the log (sum of its day units' clients) */
  private readonly personDays: KeyCounts;
  readonly spanSeconds: number;
  /** how much coarser than a second the log's clock is, as a factor on every rate (clockOf) */
  readonly dilation: number;
  /** requests this close are in step (policy.inStepSeconds), -1 when the clock is too coarse to tell */
  readonly inStepSeconds: number;

  constructor(
    detector: Detector,
    private readonly policy: DetectionPolicy,
  ) {
    const span = detector.maxTime - detector.minTime;
    this.spanSeconds = Number.isFinite(span) ? Math.max(DAY_SECONDS, span) : DAY_SECONDS;
    this.personDays = detector.index.personDays();
    const clock = clockOf(detector.clock);
    this.dilation = clock.secondsFactor * clock.minutesFactor;
    this.inStepSeconds = clock.secondsFactor > COARSEST_IN_STEP_CLOCK ? -1 : policy.inStepSeconds;
  }

  /**
   * Requests per second of a unit's URL by distinct clients. `clients`: distinct clients of the
   * unit (for a day unit, that day's). A unit rare over the whole log: its other clients over the
   * log; a day unit: the page's person-days over the log (that day's own count, at most a
   * handful, is too noisy to say more).
   */
  rate(strong: boolean, key: number, clients: number): number {
    if (strong) return (Math.max(1, clients - 1) / this.spanSeconds) * this.dilation;
    const days = this.personDays.get(key);
    return ((days < 0 ? clients : days) / this.spanSeconds) * this.dilation;
  }

  /** Bits of a replay `lag` seconds after its origin, at the unit's `rate`; `discoverable`: a declared bot fetched it (crawled, previewed). */
  bitsAt(rate: number, strong: boolean, lag: number, discoverable: boolean): number {
    const chance = -Math.expm1(-rate * Math.max(1, lag));
    let bits = chance <= 0 ? this.policy.maxPairBits : -Math.log10(chance);
    if (strong && !discoverable) bits = Math.max(bits, this.policy.privateUrlBits);
    return Math.min(this.policy.maxPairBits, bits);
  }

  /** bitsAt for a unit whose rate is not known yet. */
  bits(strong: boolean, key: number, clients: number, lag: number, discoverable: boolean): number {
    return this.bitsAt(this.rate(strong, key, clients), strong, lag, discoverable);
  }
}

/** Fewer records than this say nothing about the clock (a factor of 1). */
const CLOCK_MIN_RECORDS = 200;
/** A clock coarser than this many seconds cannot tell an in-step fetch from one a minute later. */
const COARSEST_IN_STEP_CLOCK = 4;

/**
 * How fine a log's clock is, from the detector's histogram of seconds and minutes (Detector.clock):
 * 60 over the perplexity (2^entropy) of each. A log written to the second: both about 1. Written
 * to the minute (every second 0): seconds 60. Times bucketed into a few minutes an hour (a
 * dataset's anonymisation): minutes up to 60. Requests a coarse clock writes with one time are
 * that much likelier to coincide, so the chance model multiplies every rate by both.
 */
export function clockOf(clock: Uint32Array): { secondsFactor: number; minutesFactor: number } {
  const factor = (from: number): number => {
    let total = 0;
    for (let index = from; index < from + 60; index++) total += clock[index]!;
    if (total < CLOCK_MIN_RECORDS) return 1;
    let entropy = 0;
    for (let index = from; index < from + 60; index++) {
      const share = clock[index]! / total;
      if (share > 0) entropy -= share * Math.log2(share);
    }
    return Math.max(1, Math.round((60 / Math.pow(2, entropy)) * 100) / 100);
  };
  return { secondsFactor: factor(0), minutesFactor: factor(60) };
}

/** A site's entry points: fetched by checkers, crawlers and people alike, whoever came before. */
export function isEntryPoint(url: string): boolean {
  if (url === '/' || url === '') return true;
  // the longest entry point is '/.well-known/security.txt'; longer ones can only be touch icons
  if (url.length > 26 && !url.startsWith('/apple-touch-icon')) return false;
  const lower = url.toLowerCase();
  if (lower.includes('?')) return false;
  return ENTRY_POINTS.has(lower) || lower.startsWith('/apple-touch-icon');
}

const ENTRY_POINTS = new Set([
  '/robots.txt', '/favicon.ico', '/sitemap.xml', '/ads.txt', '/humans.txt', '/security.txt', '/.well-known/security.txt',
  ...ENTRY_PAGES,
]);

/**
 * The detection model over one rare unit, entries in time order:
 * - the first entry originated the URL (unless another network fetched it in step with it:
 *   then neither is known to be first);
 * - a later entry from another network replays it; its origin is the nearest earlier entry
 *   from another network that got the page (the lag a replay cloud shows is to the visit it copies);
 * - two entries of two networks within policy.inStepSeconds are one fetch in step with the
 *   other, in either order: each is offered as the other's replay (a web filter may be logged
 *   before its user), and the person among them is told apart by behaviour; the first of the
 *   two is not also offered as a replay of whoever came before;
 * - declared crawlers and link previewers take no part: they are reported as what they are,
 *   and a URL one of them fetched is discoverable (evidence by timing only);
 * - entries of the first entry's network before the first other-network entry lead, when that
 *   follower comes within policy.lateLeadWindowSeconds (strong units only: one-time links are
 *   rare overall); the visitor tells quick leads from late ones.
 * `pairsOnly`: the visitor wants pairs, not origins, so units with one client are not visited.
 * `only`: the visitor wants the pairs whose replay (or lead) is one of these clients: units none
 * of whose own clients is one (the previous day's are only origins) are skipped.
 */
export function walkUnits(
  detector: Detector,
  clientNetworks: ClientNetworks,
  isBot: (client: number) => boolean,
  isBrowser: (client: number) => boolean,
  chance: ChanceModel,
  policy: DetectionPolicy,
  visitor: UnitVisitor,
  pairsOnly = false,
  only?: (client: number) => boolean,
): void {
  let networks = new Int32Array(64);
  const kept: UnitEntry[] = [];
  const evidence: PairEvidence = { bits: 0, inStep: false, entryPoint: false, person: { client: -1, time: 0, status: 0, bytes: 0 } };
  // a unit of the whole log with one client only originated its URL (what the general walk
  // below makes of it), handed over from its record
  const lone: UnitEntry = { client: 0, time: 0, status: 0, bytes: 0 };
  const single = (client: number, time: number, status: number, bytes: number): void => {
    if (isBot(client)) return;
    lone.client = client;
    lone.time = time;
    lone.status = status;
    lone.bytes = bytes;
    visitor.originated(lone, true);
  };
  // -1 when the log's clock is too coarse to tell in-step fetches (clockOf)
  const inStep = chance.inStepSeconds;
  detector.index.forEachRareUnit((bucket, url, unitEntries, unitContext, key) => {
    const strong = bucket === GLOBAL_BUCKET;
    // declared crawlers and previewers are reported as what they are; a URL one fetched is public
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
    if (entries.length > networks.length) networks = new Int32Array(entries.length * 2);
    const named = entries.length >= 2 && url !== null;
    if (named) for (let index = 0; index < entries.length; index++) networks[index] = clientNetworks.id(entries[index]!.client);
    // the previous day's requests (context) are only possible origins: they were counted on their own day
    if (context === 0) {
      const shadowed = named && networks[1] !== networks[0] && entries[1]!.time - entries[0]!.time <= inStep;
      if (!shadowed) visitor.originated(entries[0]!, strong);
    }
    if (!named) return;
    const entryPoint = isEntryPoint(url);
    // asked for at the first replay (most units have none: one network, or one client a day)
    let rate = -1;
    const rateOfUnit = (): number => (rate < 0 ? (rate = chance.rate(strong, key, entries.length - context)) : rate);
    let firstOther = -1;
    for (let index = Math.max(1, context); index < entries.length; index++) {
      const replay = entries[index]!;
      let origin = -1;
      let nearest = -1;
      let person = -1;
      for (let earlier = index - 1; earlier >= 0; earlier--) {
        if (networks[earlier] === networks[index]) continue;
        if (nearest < 0) nearest = earlier;
        // an origin got the page: a URL that does not exist is nobody's fingerprint
        if (entries[earlier]!.status >= 400) continue;
        if (origin < 0) origin = earlier;
        if (isBrowser(entries[earlier]!.client)) {
          person = earlier;
          break;
        }
      }
      const personEntry = evidence.person;
      if (person >= 0) {
        const entry = entries[person]!;
        personEntry.client = entry.client;
        personEntry.time = entry.time;
        personEntry.status = entry.status;
        personEntry.bytes = entry.bytes;
      } else personEntry.client = -1;
      // in step: one fetch copies the other, whichever the log wrote first (a typo URL too; an
      // entry point too, where a filter shadows its user's every visit of the home page: chance
      // puts two networks' fetches of a small site's `/` in the same seconds rarely)
      if (nearest >= 0 && replay.time - entries[nearest]!.time <= inStep) {
        const other = entries[nearest]!;
        evidence.inStep = true;
        evidence.entryPoint = false;
        evidence.bits = chance.bitsAt(rateOfUnit(), strong, replay.time - other.time, bots);
        visitor.replay(url, other, replay, strong, evidence);
        if (nearest >= context) visitor.replay(url, replay, other, strong, evidence);
        if (firstOther < 0 && networks[index] !== networks[0]) firstOther = index;
        continue;
      }
      if (origin < 0) continue;
      if (firstOther < 0 && networks[index] !== networks[0]) firstOther = index;
      // in step with a later entry of another network (a filter logged a moment before its
      // user): that pair explains this fetch, offered when the walk reaches the later entry; it
      // is not also a replay of whoever came before
      let inStepWithLater = false;
      for (let later = index + 1; later < entries.length && entries[later]!.time - replay.time <= inStep && !inStepWithLater; later++) inStepWithLater = networks[later] !== networks[index];
      if (inStepWithLater) continue;
      const lag = replay.time - entries[origin]!.time;
      evidence.inStep = false;
      evidence.entryPoint = entryPoint;
      evidence.bits = entryPoint ? 0 : chance.bitsAt(rateOfUnit(), strong, lag, bots);
      visitor.replay(url, entries[origin]!, replay, strong, evidence);
    }
    if (!strong || firstOther < 0) return;
    const follower = entries[firstOther]!;
    for (let leader = 0; leader < firstOther; leader++) {
      const first = entries[leader]!;
      if (follower.time - first.time > policy.lateLeadWindowSeconds) continue;
      for (let index = firstOther; index < entries.length; index++) {
        const later = entries[index]!;
        if (networks[index] === networks[0] || later.time - first.time > policy.lateLeadWindowSeconds) continue;
        visitor.lead(url, first, later, strong);
      }
    }
    // units with none of `only`'s clients are skipped by the index, before their text is looked up
  }, pairsOnly ? true : single, only);
}

export function makePair(url: string, origin: UnitEntry, replay: UnitEntry, strong: boolean, evidence?: PairEvidence): EvidencePair {
  return {
    url,
    origin: { client: origin.client, time: origin.time, status: origin.status, bytes: origin.bytes },
    replay: { client: replay.client, time: replay.time, status: replay.status, bytes: replay.bytes },
    // an in-step fetch logged a moment before its user's shows as 0, not a negative lag
    lagSeconds: Math.max(0, replay.time - origin.time),
    strong,
    authMismatch: isAuthMismatch(origin, replay),
    bits: evidence === undefined ? undefined : Math.round(evidence.bits * 100) / 100,
    inStep: evidence?.inStep === true ? true : undefined,
    person: evidence === undefined || evidence.person.client < 0 ? undefined : { client: evidence.person.client, time: evidence.person.time, status: evidence.person.status, bytes: evidence.person.bytes },
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
