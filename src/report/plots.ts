import type { EvidencePair, SourceKind } from '../detect/types.js';

/**
 * What the HTML report draws for a source: its lag distribution and its replays over time.
 * Counted from every pair of the source (not only the examples), once, when a report asks.
 */
export interface SourcePlots {
  /** replays (or leads) per lag bucket; `edges[i]` is bucket i's upper bound in seconds, the last bucket is open */
  lag: { edges: number[]; counts: number[] };
  /** replays per time bucket, from `start` (ISO time) in steps of `bucketSeconds` */
  timeline: { start: string; bucketSeconds: number; counts: number[] };
}

/**
 * Lag buckets on a human scale (a log scale with round names): real-time previewers land in the
 * first two, antivirus clouds in minutes to hours, history uploads in days.
 */
export const LAG_EDGES = [10, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400];

/** Time buckets a timeline may use, smallest first; the smallest that gives at most TIMELINE_BARS bars is taken. */
const TIMELINE_STEPS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400];
const TIMELINE_BARS = 96;

/** The bucket width for a span [from, to] in epoch seconds. */
export function timelineStep(from: number, to: number): number {
  const span = Math.max(1, to - from);
  return TIMELINE_STEPS.find((step) => span / step <= TIMELINE_BARS) ?? TIMELINE_STEPS[TIMELINE_STEPS.length - 1]!;
}

/**
 * Counts a source's pairs into its plots. A prefetcher's pairs are leads (it came first, the
 * pair's `origin`); everyone else's are replays (the pair's `replay`).
 */
export function plotPairs(kind: SourceKind, pairs: readonly EvidencePair[], from: number, to: number, isoTime: (seconds: number) => string): SourcePlots {
  const step = timelineStep(from, to);
  const start = Math.floor(from / step) * step;
  const bars = Math.max(1, Math.floor((Math.max(from, to) - start) / step) + 1);
  const lagCounts = new Array<number>(LAG_EDGES.length + 1).fill(0);
  const timeCounts = new Array<number>(bars).fill(0);
  for (const pair of pairs) {
    let bucket = 0;
    while (bucket < LAG_EDGES.length && pair.lagSeconds >= LAG_EDGES[bucket]!) bucket++;
    lagCounts[bucket]!++;
    const time = kind === 'prefetcher' ? pair.origin.time : pair.replay.time;
    const bar = Math.min(bars - 1, Math.max(0, Math.floor((time - start) / step)));
    timeCounts[bar]!++;
  }
  return { lag: { edges: LAG_EDGES, counts: lagCounts }, timeline: { start: isoTime(start), bucketSeconds: step, counts: timeCounts } };
}
