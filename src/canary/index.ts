/**
 * Canary leak tests: tokens, the verdict, and what the scan needs to find canaries in logs.
 *
 * For `scan` (the log-based path):
 *   const canaries = await loadCanaries(statePath);              // live canaries; [] without a store
 *   const matcher = createCanaryMatcher(canaries.map((c) => c.token));
 *   // per record, on the URL bytes the format scanner already located:
 *   const index = matcher.match(lineBuffer, urlStart, urlEnd);   // -1 for nearly every line
 *   if (index !== -1) hits.push({ token: canaries[index].token, time, ip, userAgent, method });
 *   // at the end, the `canaries` section of the terminal report and the JSON:
 *   const section = buildCanaryReport(canaries, hits, attributor, Date.now()).canaries;
 *   renderCanaryReport({ canaries: section })                    // terminal lines
 */
export { createCanaryMatcher, extractCanaryToken, type CanaryMatcher } from './matcher.js';
export {
  buildCanaryReport,
  formatDuration,
  type CanaryReport,
  type CanaryReportEntry,
  type CanaryOtherFetch,
  type CanaryFirstHit,
  type CanaryFetchKind,
  type CanaryStatus,
  type CanaryInput,
  type CanaryHitInput,
  type CanaryNetwork,
} from './report.js';
export { mintToken, canaryUrl, isTokenShape, canaryPathPrefix, tokenLength } from './token.js';
export {
  createCanary,
  loadCanaries,
  loadCanaryHits,
  loadCanaryCounts,
  loadCanaryReport,
  revokeCanaries,
  purgeCanaryData,
  recordLogHits,
  selectCanaries,
  parseDuration,
} from './service.js';
export { CanaryRecorder, type CanaryRecorderOptions, type HitDetails } from './recorder.js';
export { createWebhookSender, signBody, type WebhookSender } from './webhook.js';
export { renderCanaryReport, renderHitLine, canaryLeaked, noPaint, type Paint } from './render.js';
