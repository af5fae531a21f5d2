export { Counter, Detector, clientKeyOf, DEFAULT_MEMORY_BUDGET, type DetectorOptions, type DetectorState, type CounterId } from './detector.js';
export { analyze, isAuthMismatch, pairsInvolving, type AnalysisContext, type Findings, type ClientEvidence } from './analyze.js';
export { FirstSeenIndex, GLOBAL_BUCKET, POPULAR, type FirstSeenIndexState } from './first-seen-index.js';
export { classifyPath, isProbePath, PathKind } from './paths.js';
export type * from './types.js';
