export { Counter, Detector, clientKeyOf, DEFAULT_MEMORY_BUDGET, type DetectorOptions, type DetectorState, type DetectorStateV1, detectorStateFromV1, type CounterId } from './detector.js';
export { analyze, pairsInvolving, type AnalysisContext, type Findings } from './analyze.js';
export { clockOf, isAuthMismatch } from './unit-walk.js';
export { type ClientEvidence } from './evidence.js';
export { DEFAULT_POLICY, type DetectionPolicy } from './policy.js';
export { FirstSeenIndex, GLOBAL_BUCKET, POPULAR, type FirstSeenIndexState } from './first-seen-index.js';
export { classifyPath, isProbePath, PathKind } from './paths.js';
export type * from './types.js';
export { formatChance, signalsOf, type Signals } from './signals.js';
