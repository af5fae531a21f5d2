/**
 * The snapshot shape found before candidates are chosen: a client that fetches, in one burst,
 * pages one person visited over hours (a history upload fetched at once) shows it in the burst
 * as a whole, though each page alone (a page others visit too, fetched hours after) is chance.
 */
import type { EvidenceTable } from './evidence.js';
import type { DetectionPolicy } from './policy.js';

/** Replays kept per client for the burst test: enough for several uploads, bounded whatever the log holds. */
const MAX_KEPT = 512;
const STRIDE = 4;

export class SnapshotBursts {
  /** client -> [replay time, origin time, origin network id, 1 if counted ambiguous] per late replay of a page rare that day */
  private readonly kept = new Map<number, number[]>();

  constructor(private readonly policy: DetectionPolicy) {}

  /** A replay (rare that day, at least policy.snapshotMinLagSeconds late, its origin a browser). */
  offer(client: number, replayTime: number, originTime: number, originNetwork: number, ambiguous: boolean): void {
    let list = this.kept.get(client);
    if (list === undefined) this.kept.set(client, (list = []));
    if (list.length < MAX_KEPT * STRIDE) list.push(replayTime, originTime, originNetwork, ambiguous ? 1 : 0);
  }

  /** Counts the replays in one-person bursts as explained, not ambiguous (the test score.ts onePersonBursts makes of a group's pairs, strict). */
  credit(evidence: EvidenceTable, pagesOf: (client: number) => number): void {
    for (const [client, list] of this.kept) {
      const count = list.length / STRIDE;
      if (count < this.policy.snapshotMinPairs) continue;
      // a history upload fetches the person's pages; a script walking the whole menu over and
      // over fetches many others (most popular that day, so never offered here)
      const pages = pagesOf(client);
      let inBursts = 0;
      const credited: number[][] = [];
      const replays = Array.from({ length: count }, (_, index) => ({ time: list[index * STRIDE]!, originTime: list[index * STRIDE + 1]!, network: list[index * STRIDE + 2]!, ambiguous: list[index * STRIDE + 3]! }));
      replays.sort((a, b) => a.time - b.time);
      for (const burst of burstsOf(replays, (replay) => replay.time, this.policy.burstGapSeconds)) {
        if (burst.length < this.policy.snapshotMinPairs || !isOnePersonsHistory(burst, this.policy, true)) continue;
        inBursts += burst.length;
        credited.push(burst.map((replay) => replay.ambiguous));
      }
      if (inBursts === 0 || inBursts < this.policy.snapshotShareOfPages * pages) continue;
      for (const ambiguousFlags of credited) {
        let ambiguous = 0;
        for (const flag of ambiguousFlags) ambiguous += flag;
        evidence.explainedWeak[client]! += ambiguous;
        evidence.ambiguousWeak[client]! -= ambiguous;
        evidence.snapshotReplays[client]! += ambiguousFlags.length;
      }
    }
  }
}

/** Items (sorted by time) cut into bursts: runs in which each comes within `gap` seconds of the one before. */
export function burstsOf<T>(sorted: readonly T[], timeOf: (item: T) => number, gap: number): T[][] {
  const bursts: T[][] = [];
  let start = 0;
  for (let index = 1; index <= sorted.length; index++) {
    if (index < sorted.length && timeOf(sorted[index]!) - timeOf(sorted[index - 1]!) <= gap) continue;
    if (index > start) bursts.push(sorted.slice(start, index));
    start = index;
  }
  return bursts;
}

/**
 * Whether a burst is one person's history fetched at once: most of its origins (at least
 * `minPairs`, and half the burst) from one network (a person's addresses change within their
 * provider: a new dynamic address, IPv6 and its IPv4 fallback), visited over a span that is
 * long, or much longer than the burst itself (policy.snapshotCompression): pages read over
 * minutes or hours, fetched within seconds.
 * - `strict` (evidence, before any candidate is chosen): at least policy.snapshotMinPairs
 *   pages visited over policy.snapshotOriginSpanSeconds or more, or over a minute or more and
 *   compressed (policy.snapshotCompression) with policy.snapshotPrivatePages of them rare over
 *   the whole log (`strong`), fetched in the order the person visited them (or its reverse): an
 *   uploaded history is read in order. A walk of the menu after
 *   one visitor's two-minute visit is not hours of history; a spam script walking the menu in
 *   its own order after the one person of a quiet day is not that person's history; a cloud
 *   replaying many people has no dominant network.
 * - otherwise (the pattern of a source already found): two pages suffice, visited at least
 *   policy.snapshotPatternSpanSeconds apart, or a minute apart and compressed in the burst.
 */
export function isOnePersonsHistory(burst: { time: number; originTime: number; network: number; strong?: boolean }[], policy: DetectionPolicy, strict: boolean): boolean {
  const minPairs = strict ? policy.snapshotMinPairs : 2;
  const byNetwork = new Map<number, typeof burst>();
  for (const entry of burst) {
    let list = byNetwork.get(entry.network);
    if (list === undefined) byNetwork.set(entry.network, (list = []));
    list.push(entry);
  }
  for (const list of byNetwork.values()) {
    if (list.length < minPairs || list.length * 2 < burst.length) continue;
    const origins = list.map((entry) => entry.originTime);
    const replays = list.map((entry) => entry.time);
    const originSpan = Math.max(...origins) - Math.min(...origins);
    const replaySpan = Math.max(...replays) - Math.min(...replays);
    const compressed = isCompressed(originSpan, replaySpan, policy);
    if (strict) {
      // a shorter session is that person's when the burst is compressed and holds pages nobody
      // else ever asked for (no script walking the menu knows them)
      const long = originSpan >= policy.snapshotOriginSpanSeconds || (compressed && list.filter((entry) => entry.strong === true).length >= policy.snapshotPrivatePages);
      if (long && inHistoryOrder(list)) return true;
      continue;
    }
    if (originSpan >= policy.snapshotOriginSpanSeconds) return true;
    if (originSpan >= policy.snapshotPatternSpanSeconds) return true;
    if (compressed) return true;
  }
  return false;
}

/** Pages read over a minute or more, fetched many times faster (policy.snapshotCompression): the shape of an upload. */
export function isCompressed(originSpan: number, replaySpan: number, policy: DetectionPolicy): boolean {
  return originSpan >= 60 && originSpan >= policy.snapshotCompression * (replaySpan + 1);
}

/**
 * Whether the replays fetched the person's pages in the order the person visited them, or in
 * the reverse order (replays in the same second may come in either order).
 */
export function inHistoryOrder(list: { time: number; originTime: number }[]): boolean {
  const monotone = (direction: 1 | -1): boolean => {
    const sorted = [...list].sort((a, b) => a.time - b.time || direction * (a.originTime - b.originTime));
    for (let index = 1; index < sorted.length; index++) if (direction * (sorted[index]!.originTime - sorted[index - 1]!.originTime) < 0) return false;
    return true;
  };
  return monotone(1) || monotone(-1);
}
