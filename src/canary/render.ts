import type { CanaryHitRecord } from '../store/index.js';
import type { CanaryReport } from './report.js';
import { terminalStrings, terminalText } from '../common/terminal-text.js';

/*
 * Text for people. `renderCanaryReport` is the terminal form of `canary report`, and the lines
 * a scan's terminal report prints under "canaries".
 */

export interface Paint {
  bold(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
}

export const noPaint: Paint = { bold: (t) => t, red: (t) => t, yellow: (t) => t, green: (t) => t, dim: (t) => t };

export function renderCanaryReport(raw: CanaryReport, paint: Paint = noPaint): string[] {
  // labels, URLs and user agents come from requests and users: escaped before printing
  const report = terminalStrings(raw);
  if (report.canaries.length === 0) return ['no canaries yet: make one with  replaywatch canary new --label "this laptop"'];
  const lines: string[] = [];
  for (const canary of report.canaries) {
    const status = canary.verdict.status;
    const colour = status === 'leaks' || status === 'prefetched' ? paint.red : status === 'previewed' || status === 'crawled' ? paint.yellow : paint.green;
    lines.push(`${paint.bold(canary.label)}  ${paint.dim(canary.url)}${canary.revoked ? paint.dim('  (revoked)') : ''}`);
    lines.push(`  ${colour(canary.verdict.sentence)}`);
    if (canary.firstHit) {
      const repeats = canary.firstHit.repeats > 0 ? `, ${canary.firstHit.repeats} reload(s)` : '';
      lines.push(`  first  ${canary.firstHit.time}  ${canary.firstHit.ip}  ${canary.firstHit.userAgent ?? '-'}${repeats}`);
    }
    for (const other of canary.others) {
      const lag = other.lagSeconds < 0 ? `${other.lagSeconds}s` : `+${other.lagSeconds}s`;
      const owner = other.actors[0]?.name ?? other.network.org ?? other.network.cidr;
      lines.push(`  ${other.kind.padEnd(12)} ${other.time}  ${lag.padStart(10)}  ${other.ip}  ${owner}  ${paint.dim(other.userAgent ?? '-')}`);
    }
    lines.push('');
  }
  return lines;
}

/** One line per hit for `canary watch`. */
export function renderHitLine(hit: CanaryHitRecord, label: string): string {
  const t = terminalText;
  return `${new Date(hit.time).toISOString()}  ${t(label)}  ${t(hit.ip)}  ${t(hit.method)} ${t(hit.url)}  ${t(hit.userAgent ?? '-')}`;
}

/** Whether a report holds a canary that reached a third party that is not a declared previewer or crawler (exit status 1, as scan). */
export function canaryLeaked(report: CanaryReport): boolean {
  return report.canaries.some((canary) => canary.verdict.status === 'leaks' || canary.verdict.status === 'prefetched');
}
