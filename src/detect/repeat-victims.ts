/**
 * One person followed again and again: a replay cloud that copies one customer's browsing
 * fetches that person's pages minutes to hours after each visit, day after day, from a handful
 * of addresses of one network. Each fetch alone is a page others visit too, fetched long after
 * (chance explains it as well); that the last person before the fetches is the same one, day
 * after day, is not chance. The test is made per place (a network's /16, and the whole network:
 * a cloud's addresses pooled) and per person (as a client, and as their network), before
 * candidates are chosen.
 */
import type { EvidenceTable } from './evidence.js';
import type { DetectionPolicy } from './policy.js';

/** Replays kept per client: enough for months of one person's visits, bounded whatever the log holds. */
const MAX_PER_CLIENT = 1024;
const DAY_SECONDS = 86400;

export interface VictimTest {
  /** a place: a network's /16 (> 0, the caller's ids) or a whole network (wideNetwork) */
  place: number;
  /** a person: a client (>= 0) or a network of people (networkVictim) */
  victim: number;
  /** days on which the place followed the person */
  days: number;
  /** days on which it followed anyone */
  ofDays: number;
  /** the person's share of every replay's origins in the log */
  share: number;
  /** -log10 of the chance that the person is the origin on that many days (distinct persons accounted for) */
  bits: number;
}

type Column = 'client' | 'place' | 'network' | 'victim' | 'victimNetwork' | 'day' | 'ambiguous';

/**
 * Replays in columns, one row per replay (a busy log offers millions: an array per client was
 * most of this stage's memory), at most `maxRows` in all and MAX_PER_CLIENT per client.
 */
export class RepeatVictims {
  private rows = 0;
  private client: Int32Array;
  private place: Int32Array;
  private network: Int32Array;
  private victim: Int32Array;
  private victimNetwork: Int32Array;
  private day: Int32Array;
  /** 0 explained already, 1 strong and ambiguous, 2 weak and ambiguous */
  private ambiguous: Int32Array;
  private readonly perClient: Uint16Array;
  /** replays left out past the bounds */
  dropped = 0;
  /** per victim client and per victim network: how often one was the origin of a replay, and in all */
  private readonly originCount: Uint32Array;
  private readonly networkCount = new Map<number, number>();
  private origins = 0;

  constructor(
    clients: number,
    private readonly policy: DetectionPolicy,
    private readonly maxRows: number,
  ) {
    this.originCount = new Uint32Array(clients);
    this.perClient = new Uint16Array(clients);
    const initial = Math.max(1, Math.min(maxRows, 4096));
    this.client = new Int32Array(initial);
    this.place = new Int32Array(initial);
    this.network = new Int32Array(initial);
    this.victim = new Int32Array(initial);
    this.victimNetwork = new Int32Array(initial);
    this.day = new Int32Array(initial);
    this.ambiguous = new Int32Array(initial);
  }

  /** A replay of a browser's page, not an entry point nor in step: its origin (a client of `network`) counts for the base rate. */
  countOrigin(victim: number, network: number): void {
    this.originCount[victim]!++;
    this.networkCount.set(network, (this.networkCount.get(network) ?? 0) + 1);
    this.origins++;
  }

  /**
   * A replay by a client that may be automated (not a person), from `place` (its network's /16)
   * of `network`, whose origin is `victim` of `victimNetwork`. The person is tested as a client
   * and as their network (a person whose provider gives them a new address every day is one
   * client a day, one network always); the place as its /16 and as its whole network (a cloud's
   * addresses can span several /16s).
   */
  offer(client: number, place: number, network: number, victim: number, victimNetwork: number, time: number, ambiguous: 0 | 1 | 2): void {
    if (this.perClient[client]! >= MAX_PER_CLIENT || this.rows >= this.maxRows) {
      this.dropped++;
      return;
    }
    this.perClient[client]!++;
    if (this.rows === this.client.length) this.grow();
    const row = this.rows++;
    this.client[row] = client;
    this.place[row] = place;
    this.network[row] = network;
    this.victim[row] = victim;
    this.victimNetwork[row] = victimNetwork;
    this.day[row] = Math.floor(time / DAY_SECONDS);
    this.ambiguous[row] = ambiguous;
  }

  private grow(): void {
    const size = Math.min(this.maxRows, this.client.length * 2);
    const columns: Column[] = ['client', 'place', 'network', 'victim', 'victimNetwork', 'day', 'ambiguous'];
    for (const name of columns) {
      const grown = new Int32Array(size);
      grown.set(this[name]);
      this[name] = grown;
    }
  }

  private originsOf(victim: number): number {
    return victim >= 0 ? this.originCount[victim]! : this.networkCount.get(networkOfVictim(victim)) ?? 0;
  }

  /** The test of every place and person followed on policy.repeatVictimMinDays days or more, strongest first. */
  tests(): VictimTest[] {
    const results: VictimTest[] = [];
    if (this.origins === 0) return results;
    // rows by place: each /16 (its id) and each whole network (wideNetwork)
    const rowsOf = new Map<number, number[]>();
    const add = (place: number, row: number): void => {
      let rows = rowsOf.get(place);
      if (rows === undefined) rowsOf.set(place, (rows = []));
      rows.push(row);
    };
    for (let row = 0; row < this.rows; row++) {
      add(this.place[row]!, row);
      add(wideNetwork(this.network[row]!), row);
    }
    for (const [place, rows] of rowsOf) {
      // a network of one /16 is that /16's test again
      if (place < 0 && new Set(rows.map((row) => this.place[row]!)).size < 2) continue;
      // replays per day, and the days each person (as a client, as a network) was followed
      const perDay = new Map<number, number>();
      const daysOf = new Map<number, Set<number>>();
      const follow = (victim: number, day: number): void => {
        let days = daysOf.get(victim);
        if (days === undefined) daysOf.set(victim, (days = new Set()));
        days.add(day);
      };
      for (const row of rows) {
        const day = this.day[row]!;
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
        follow(this.victim[row]!, day);
        follow(networkVictim(this.victimNetwork[row]!), day);
      }
      const victims = daysOf.size;
      for (const [victim, days] of daysOf) {
        if (days.size < this.policy.repeatVictimMinDays) continue;
        const share = Math.min(this.originsOf(victim) / this.origins, 1 - 1e-12);
        // the chance that the person is among a day's origins, day by day: the more the place
        // fetched that day, the likelier
        const chances: number[] = [];
        let expected = 0;
        for (const count of perDay.values()) expected += chances[chances.push(-Math.expm1(count * Math.log1p(-share))) - 1]!;
        // no more days than chance gives: nothing to test (and the exact tail is costly on a busy place)
        if (days.size <= expected) continue;
        const bits = -Math.log10(Math.min(1, atLeast(chances, days.size) * victims));
        results.push({ place, victim, days: days.size, ofDays: perDay.size, share, bits });
      }
    }
    return results.sort((a, b) => b.bits - a.bits);
  }

  /**
   * The replays of a person their place was found to follow count as explained, not ambiguous
   * (evidence.repeatReplays); each client keeps the person (evidence.repeatVictim). Returns the tests.
   */
  credit(evidence: EvidenceTable): VictimTest[] {
    const tests = this.tests();
    const passed = new Map<number, Set<number>>();
    for (const test of tests) {
      if (test.bits < this.policy.repeatVictimBits) continue;
      let victims = passed.get(test.place);
      if (victims === undefined) passed.set(test.place, (victims = new Set()));
      victims.add(test.victim);
    }
    if (passed.size === 0) return tests;
    for (let row = 0; row < this.rows; row++) {
      const person = this.victim[row]!;
      const network = networkVictim(this.victimNetwork[row]!);
      let followed = -1;
      for (const place of [this.place[row]!, wideNetwork(this.network[row]!)]) {
        const victims = passed.get(place);
        if (victims === undefined) continue;
        if (victims.has(person)) followed = person;
        else if (followed === -1 && victims.has(network)) followed = network;
      }
      if (followed === -1) continue;
      const client = this.client[row]!;
      // the person as a client is the more precise: it wins over their network
      if (evidence.repeatVictim[client] === -1 || followed >= 0) evidence.repeatVictim[client] = followed;
      const ambiguous = this.ambiguous[row]!;
      if (ambiguous === 1) {
        evidence.ambiguousStrong[client]!--;
        evidence.explainedStrong[client]!++;
      } else if (ambiguous === 2) {
        evidence.ambiguousWeak[client]!--;
        evidence.explainedWeak[client]!++;
      }
      evidence.repeatReplays[client]!++;
    }
    return tests;
  }
}

/** A place key for a whole network (the /16 places are the caller's ids, 1 and up). */
function wideNetwork(network: number): number {
  return -1 - network;
}

/** A victim key for a person's network (clients are keys 0 and up). */
export function networkVictim(network: number): number {
  return -2 - network;
}

function networkOfVictim(victim: number): number {
  return -2 - victim;
}

/** Whether an origin client (of `network`) is the person a place was found to follow (evidence.repeatVictim). */
export function isVictim(victim: number, origin: number, network: number): boolean {
  return victim >= 0 ? victim === origin : victim <= -2 && networkOfVictim(victim) === network;
}

/** P(at least k successes) of independent trials with the given chances (Poisson binomial). */
export function atLeast(chances: number[], k: number): number {
  if (k <= 0) return 1;
  if (k > chances.length) return 0;
  // dist[j]: P(j successes so far), j capped at k (k or more)
  let dist = new Float64Array(k + 1);
  dist[0] = 1;
  for (const chance of chances) {
    const next = new Float64Array(k + 1);
    for (let j = 0; j <= k; j++) {
      const p = dist[j]!;
      if (p === 0) continue;
      if (j === k) next[k]! += p;
      else {
        next[j]! += p * (1 - chance);
        next[j + 1]! += p * chance;
      }
    }
    dist = next;
  }
  return dist[k]!;
}
