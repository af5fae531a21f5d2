/**
 * Per-client evidence, in columns: one typed array per count. Most clients only originate, and
 * an object (with its sets) per client was most of analysis's memory. `get` builds a client's
 * ClientEvidence when one is asked for (explain, the report's scoring).
 */
export interface ClientEvidence {
  strongReplays: number;
  weakReplays: number;
  strongOriginated: number;
  weakOriginated: number;
  leads: number;
  /** followed by another network after the lead window but within the late-lead window */
  lateLeads: number;
  authMismatches: number;
  /** replays whose chance probability is small enough to explain the request (policy.explainedBits) */
  explained: number;
  /** replays that timing alone cannot tell from chance (a popular page fetched hours after someone) */
  ambiguous: number;
  /** replays of URLs that are not fingerprints: the site's entry points (`/`, robots.txt, favicon) */
  entryPoints: number;
  /** requests in step with another network's request of the same URL (either order, seconds apart) */
  inStep: number;
  /** late replays in bursts of one person's pages, counted as explained */
  snapshotReplays: number;
  /** replays of one person its place followed day after day (repeat-victims.ts), counted as explained */
  repeatReplays: number;
  /** the sum of the replays' evidence bits (-log10 of each pair's chance probability, capped) */
  bits: number;
  /** share of its rare-URL requests that are someone else's (EvidenceTable.share) */
  share: number;
  /** origin clients of its replays (up to policy.victimCap, and while the table's bound allows) */
  victims: Set<number>;
  /** whether `victims` stopped short: the client had more than the sets could hold */
  victimsCapped: boolean;
  human: boolean;
  role: 'replayer' | 'prefetcher' | null;
}

export const ROLE_NONE = 0;
export const ROLE_REPLAYER = 1;
export const ROLE_PREFETCHER = 2;

export class EvidenceTable {
  readonly strongReplays: Uint32Array;
  readonly weakReplays: Uint32Array;
  readonly strongOriginated: Uint32Array;
  readonly weakOriginated: Uint32Array;
  readonly leads: Uint32Array;
  readonly lateLeads: Uint32Array;
  readonly authMismatches: Uint32Array;
  /** explained replays on units rare over the whole log, and on units rare within a day */
  readonly explainedStrong: Uint32Array;
  readonly explainedWeak: Uint32Array;
  /** replays that timing cannot tell from chance (policy.explainedBits not reached), by strength */
  readonly ambiguousStrong: Uint32Array;
  readonly ambiguousWeak: Uint32Array;
  readonly entryPoints: Uint32Array;
  /** late replays in bursts of one person's pages (snapshot-bursts.ts), counted as explained */
  readonly snapshotReplays: Uint32Array;
  readonly inStep: Uint32Array;
  /** in-step fetches with a browser's request that chance does not explain: a shadow of a person (kin in grouping.ts) */
  readonly shadows: Uint32Array;
  /** replays of a person its place followed day after day (repeat-victims.ts), counted as explained */
  readonly repeatReplays: Uint32Array;
  /** the person a client's place followed day after day (repeat-victims.ts), -1 none */
  readonly repeatVictim: Int32Array;
  readonly bits: Float64Array;
  readonly human: Uint8Array;
  readonly role: Uint8Array;
  /** clients in the order they first had evidence */
  readonly order: number[] = [];
  private readonly seen: Uint8Array;
  private readonly victims = new Map<number, Set<number>>();
  /** clients whose victim set stopped short (the per-client cap or the table's bound) */
  private readonly capped = new Set<number>();
  /** victims held over all clients, and how many were not held for the bound */
  private victimEntries = 0;
  victimsDropped = 0;

  /**
   * `victimBound`: victims held over all clients. They are only shown (explain's "after N
   * different clients"; scoring counts a group's victims from its pairs), and their number
   * grows with the pairs the index keeps, so a log of many replays of many people would grow
   * them past the memory budget: past the bound a client's set stops growing, and explain
   * says "at least".
   */
  constructor(
    clients: number,
    private readonly victimCap: number,
    private readonly victimBound = Number.MAX_SAFE_INTEGER,
  ) {
    this.strongReplays = new Uint32Array(clients);
    this.weakReplays = new Uint32Array(clients);
    this.strongOriginated = new Uint32Array(clients);
    this.weakOriginated = new Uint32Array(clients);
    this.leads = new Uint32Array(clients);
    this.lateLeads = new Uint32Array(clients);
    this.authMismatches = new Uint32Array(clients);
    this.explainedStrong = new Uint32Array(clients);
    this.explainedWeak = new Uint32Array(clients);
    this.ambiguousStrong = new Uint32Array(clients);
    this.ambiguousWeak = new Uint32Array(clients);
    this.entryPoints = new Uint32Array(clients);
    this.snapshotReplays = new Uint32Array(clients);
    this.inStep = new Uint32Array(clients);
    this.shadows = new Uint32Array(clients);
    this.repeatReplays = new Uint32Array(clients);
    this.repeatVictim = new Int32Array(clients).fill(-1);
    this.bits = new Float64Array(clients);
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
    if (victims === undefined) {
      if (this.victimEntries >= this.victimBound) {
        this.victimsDropped++;
        this.capped.add(client);
        return;
      }
      this.victims.set(client, (victims = new Set()));
    }
    const before = victims.size;
    if (before < this.victimCap && this.victimEntries < this.victimBound) {
      // the common case: one lookup (add), counted when it was new
      if (victims.add(victim).size > before) this.victimEntries++;
      return;
    }
    if (victims.has(victim)) return;
    if (this.victimEntries >= this.victimBound) this.victimsDropped++;
    this.capped.add(client);
  }

  /**
   * Share of a client's rare-URL requests that are someone else's: its explained replays over
   * those, what it originated (first on a URL), and half its ambiguous replays (a page others
   * visit, fetched long after someone: as likely chance as not). A replay whose origin is no
   * browser counts neither way. Units rare over the whole log speak when there are any.
   */
  share(client: number): number {
    return shareOf(
      this.explainedStrong[client]!, this.ambiguousStrong[client]!, this.strongOriginated[client]!,
      this.explainedWeak[client]!, this.ambiguousWeak[client]!, this.weakOriginated[client]!, this.strongReplays[client]!,
    );
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
      explained: this.explainedStrong[client]! + this.explainedWeak[client]!,
      ambiguous: this.ambiguousStrong[client]! + this.ambiguousWeak[client]!,
      entryPoints: this.entryPoints[client]!,
      inStep: this.inStep[client]!,
      snapshotReplays: this.snapshotReplays[client]!,
      repeatReplays: this.repeatReplays[client]!,
      bits: Math.round(this.bits[client]! * 10) / 10,
      share: Math.round(this.share(client) * 100) / 100,
      victims: new Set(this.victims.get(client)),
      victimsCapped: this.capped.has(client),
      human: this.human[client] === 1,
      role: role === ROLE_NONE ? null : role === ROLE_REPLAYER ? 'replayer' : 'prefetcher',
    };
  }
}

/** EvidenceTable.share for one client's counts or a group's sums. */
export function shareOf(
  explainedStrong: number, ambiguousStrong: number, strongOriginated: number,
  explainedWeak: number, ambiguousWeak: number, weakOriginated: number, strongReplays: number,
): number {
  const strongTotal = explainedStrong + strongOriginated + AMBIGUOUS_WEIGHT * ambiguousStrong;
  if (strongReplays + strongOriginated > 0) return strongTotal === 0 ? 0 : explainedStrong / strongTotal;
  const weakTotal = explainedWeak + weakOriginated + AMBIGUOUS_WEIGHT * ambiguousWeak;
  return weakTotal === 0 ? 0 : explainedWeak / weakTotal;
}

/** An ambiguous replay is as likely chance as not: it counts half against. */
const AMBIGUOUS_WEIGHT = 0.5;
