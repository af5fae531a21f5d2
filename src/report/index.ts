import type { ReportModel } from './model.js';

export { buildReport, redactLine, foundReplayers, isoTime, type ReportModel, type SourceView, type ProbeView, type InputView, type ReportContext } from './model.js';
export { renderTerminal, formatDuration, formatNumber } from './terminal.js';
export { createAnonymizer } from './anonymize.js';
export { createRedactor, looksSecret, type Redactor } from './redact.js';

/** The JSON contract: the view model as it is. */
export function renderJson(model: ReportModel): string {
  return JSON.stringify(model, null, 2) + '\n';
}
