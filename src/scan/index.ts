/**
 * The scan engine as a library: inputs in, one report model out. The CLI (`scan`, `explain`),
 * `follow` and any other caller compose the pipeline through here, passing in what touches the
 * world (attribution tables, a reverse-DNS resolver, canaries, a clock, a diagnostics sink).
 */
export { scan, PhaseTimings, type ScanOptions, type ScanResult } from './run.js';
export { scanInParallel, scanWarnings, MIN_PARALLEL_BYTES, type ParallelScanOptions, type ParallelScanResult } from './parallel.js';
export { createCanaryHitCollector, type CanaryHitCollector } from './canary-hits.js';
export { FollowSession, followSnapshotOf, sourceKey, DEFAULT_FOLLOW_BUDGET, type FollowOptions, type FollowEvent, type FollowSnapshot, type FollowAnalysis } from './follow.js';
