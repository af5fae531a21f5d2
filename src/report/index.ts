import type { ReportModel } from './model.js';

export { buildReport, redactLine, foundReplayers, isoTime, type ReportModel, type SourceView, type ProbeView, type InputView, type ReportContext, type LiveView, type ExampleView } from './model.js';
export { renderTerminal, formatDuration, formatNumber } from './terminal.js';
export { renderHtml, renderHtmlBody, type HtmlOptions } from './html.js';
export { escapeHtml, escapeControls } from './escape.js';
export { LAG_EDGES, type SourcePlots } from './plots.js';
export { createAnonymizer } from './anonymize.js';
export { createRedactor, looksSecret, type Redactor } from './redact.js';
export * from './blocklist/index.js';

/** The JSON contract: the view model as it is. */
export function renderJson(model: ReportModel): string {
  return JSON.stringify(model, null, 2) + '\n';
}
