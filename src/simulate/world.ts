import { AddressAllocator } from './networks.js';
import type { Random } from './random.js';
import type { Area, Site } from './site.js';

/** Every kind of actor the ground truth names; the judge reports false positives per kind. */
export type TruthKind =
  | 'human'
  | 'replayer'
  | 'prefetcher'
  | 'link-preview'
  | 'crawler'
  | 'fake-crawler'
  | 'probe'
  | 'cgnat'
  | 'office-nat'
  | 'dynamic-ip'
  | 'ipv6-privacy'
  | 'colleague'
  | 'viral'
  | 'monitor'
  | 'feed-reader'
  | 'vpn'
  // the confounders of real logs (issue 10), never positive
  | 'spam-bot'
  | 'undeclared-crawler'
  | 'proxy-farm'
  | 'homepage-checker';

export type ReplayPattern = 'realtime' | 'deferred' | 'snapshot';

export interface TruthActor {
  id: string;
  kind: TruthKind;
  pattern?: ReplayPattern;
  name?: string;
  /** every address this actor used, as written in the log */
  ips: string[];
}

export interface Truth {
  seed: number;
  scenario: string;
  format: string;
  /** lines written, header lines included */
  lines: number;
  /** requests written (lines minus format headers) */
  records: number;
  files: string[];
  from: string;
  to: string;
  actors: TruthActor[];
}

/** One request as the server saw it. */
export interface Hit {
  /** epoch milliseconds */
  time: number;
  ip: string;
  method: string;
  /** path + query */
  url: string;
  protocol: string;
  status: number;
  bytes: number;
  /** '' when none was sent */
  referrer: string;
  userAgent: string;
  /** authenticated user name when the server knows it (W3C cs-username, Caddy user_id) */
  user: string;
  /** whether the request carried a cookie */
  cookie: boolean;
  /** request duration, milliseconds */
  duration: number;
  /** a one-time link: its answer depends on whether it was already used, settled in time order */
  oneTime?: string;
}

export class ActorRecord {
  readonly ips: string[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly id: string,
    readonly kind: TruthKind,
    readonly name?: string,
    readonly pattern?: ReplayPattern,
  ) {}

  use(ip: string): void {
    if (!this.seen.has(ip)) {
      this.seen.add(ip);
      this.ips.push(ip);
    }
  }

  toTruth(): TruthActor {
    return {
      id: this.id,
      kind: this.kind,
      ...(this.pattern === undefined ? {} : { pattern: this.pattern }),
      ...(this.name === undefined ? {} : { name: this.name }),
      ips: [...this.ips],
    };
  }
}

/** A page a person viewed: what leaking software on their machine gets to see. */
export interface PageView {
  time: number;
  url: string;
  area: Area;
  /** the victim, for snapshot uploads and victim counts */
  personId: number;
  /** the cache-busted script the page loaded, if any (replayed verbatim by some products) */
  script?: string;
}

/** Software on a person's device that sends what they browse to a third party. */
export interface Leak {
  observe(view: PageView): void;
}

/**
 * The simulation's shared state: the site, the time window, the requests emitted so far and
 * the actors they belong to. Generators emit in any order; the writer sorts by time.
 */
export class World {
  readonly hits: Hit[] = [];
  readonly actors: ActorRecord[] = [];
  readonly addresses: AddressAllocator;
  private readonly counters = new Map<string, number>();
  /** token -> who uses it up and how, settled in time order before writing */
  readonly tokens = new Map<string, { consumesOn: 'GET' | 'POST'; expiresAt: number }>();

  constructor(
    readonly site: Site,
    readonly rng: Random,
    readonly from: number,
    readonly to: number,
  ) {
    this.addresses = new AddressAllocator(rng.fork('addresses'));
  }

  actor(kind: TruthKind, name?: string, pattern?: ReplayPattern): ActorRecord {
    const count = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, count);
    const record = new ActorRecord(`${kind}-${count}`, kind, name, pattern);
    this.actors.push(record);
    return record;
  }

  emit(actor: ActorRecord, hit: Hit): void {
    if (hit.time < this.from || hit.time >= this.to) return;
    actor.use(hit.ip);
    this.hits.push(hit);
  }

  /** The absolute URL a browser sends as Referer for a page of this site. */
  absolute(url: string): string {
    return `https://${this.site.config.host}${url}`;
  }

  /**
   * Puts the hits in time order and answers one-time links as the site would: the first
   * consuming request uses the token up, every later one (and any after expiry) is told the
   * link expired.
   */
  settle(): void {
    this.hits.sort((a, b) => a.time - b.time);
    const used = new Set<string>();
    const rng = this.rng.fork('settle');
    for (const hit of this.hits) {
      if (hit.oneTime === undefined) continue;
      const token = this.tokens.get(hit.oneTime);
      if (token === undefined) continue;
      if (hit.method === 'HEAD') {
        hit.status = 200;
        hit.bytes = 0;
        continue;
      }
      if (used.has(hit.oneTime) || hit.time > token.expiresAt) {
        const expired = this.site.expiredLink(rng);
        hit.status = expired.status;
        hit.bytes = expired.bytes;
        continue;
      }
      if (hit.method === token.consumesOn) {
        used.add(hit.oneTime);
        // a used magic link logs the holder in and redirects; a form POST redirects too
        hit.status = 302;
        hit.bytes = 0;
      } else {
        // the confirmation page ("Sign in as ...?" / "Choose a new password")
        hit.status = 200;
        hit.bytes = 4_700 + rng.int(0, 60);
      }
    }
  }
}
