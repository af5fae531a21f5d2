export { Detector, clientKeyOf, expandIpv6, type DetectorOptions } from './detector.js';
export { analyze, isAuthMismatch, pairsInvolving, type AnalysisContext, type Findings, type ClientEvidence } from './analyze.js';
export { FirstSeenIndex, GLOBAL_BUCKET, POPULAR } from './first-seen-index.js';
export { classifyPath, isProbePath, PathKind } from './paths.js';
export type * from './types.js';
