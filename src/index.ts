/**
 * replaywatch as a library: `import { scan } from 'replaywatch'`. The scan engine, the report
 * writers that read its model, and what a caller passes in (attribution tables, a reverse-DNS
 * resolver, the store's canaries).
 */
export { scan, type ScanOptions, type ScanResult } from './scan/index.js';
export {
  foundReplayers,
  renderHtml,
  renderJson,
  renderTerminal,
  type HtmlOptions,
  type InputView,
  type ProbeView,
  type ReportModel,
  type SourcePlots,
  type SourceView,
} from './report/index.js';
export { createDnsResolver, loadAttributor, type CatalogueAttributor, type NetworkInfo, type ReverseResolver } from './attribute/index.js';
export { loadCanaries, type CanaryInput } from './canary/index.js';
export { ReplaywatchError, type ErrorCode } from './common/errors.js';
export { DEFAULT_POLICY, type DetectionPolicy } from './detect/index.js';
