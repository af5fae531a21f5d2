import type { ReportModel } from './model.js';
import { renderTerminal } from './terminal.js';

export { buildReport, foundReplayers, isoTime, type ReportModel, type SourceView, type ProbeView, type InputView, type ReportContext } from './model.js';
export { renderTerminal, formatDuration, formatNumber } from './terminal.js';
export { createAnonymizer } from './anonymize.js';

/** The JSON contract: the view model as it is. */
export function renderJson(model: ReportModel): string {
  return JSON.stringify(model, null, 2) + '\n';
}

/** Writers by name (`--output` names come from these keys). */
export const writers = {
  terminal: (model: ReportModel, options: { colour: boolean }) => renderTerminal(model, options),
  json: (model: ReportModel) => renderJson(model),
} as const;
export type WriterName = keyof typeof writers;
