/**
 * The judge: scores a `scan --json` report against a simulation's ground truth the way the
 * outside checks do — precision and recall over replayer and prefetcher addresses (IPv6 by
 * /64), pattern per replayer, link previewers and probers found, false positives per kind.
 */
import { clientKey, type Truth, type TruthKind } from '../../src/simulate/index.js';

export interface ReportSource {
  kind: string;
  pattern?: string | null;
  ips: string[];
  network?: { cidr?: string; org?: string | null } | null;
  /** crawler sources: verified by network (true), outside the crawler's published ranges (false) */
  verified?: boolean | null;
}

export interface ScanReport {
  sources: ReportSource[];
  probes: { ip: string }[];
  warnings?: string[];
}

export interface PatternResult {
  actor: string;
  name: string | undefined;
  expected: string;
  reported: string | null;
  correct: boolean;
}

export interface Verdict {
  positives: number;
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  /** predicted replayer/prefetcher clients per the truth kind they really are ('unknown': not in the truth) */
  falsePositivesByKind: Partial<Record<TruthKind | 'unknown', string[]>>;
  /** positive clients not predicted, per actor id */
  missedByActor: Record<string, string[]>;
  replayerOrPrefetcherSources: number;
  /** share of replayer actors whose reported pattern (majority over their addresses) is right; null without replayers */
  patternAccuracy: number | null;
  patterns: PatternResult[];
  linkPreviewCoverage: number | null;
  linkPreviewMissed: string[];
  proberCoverage: number | null;
  probersMissed: string[];
  /** fake crawlers the report calls a verified `crawler` (wrong), and those it mentions anywhere */
  fakeCrawlersAsCrawler: string[];
  fakeCrawlersNamed: string[];
  fakeCrawlers: number;
  summary: string;
}

const positiveKinds = new Set<string>(['replayer', 'prefetcher']);

export function judge(truth: Truth, report: ScanReport): Verdict {
  const kindOf = new Map<string, { kind: TruthKind; actor: string }>();
  const positives = new Set<string>();
  for (const actor of truth.actors) {
    for (const ip of actor.ips) {
      const key = clientKey(ip);
      kindOf.set(key, { kind: actor.kind, actor: actor.id });
      if (positiveKinds.has(actor.kind)) positives.add(key);
    }
  }

  const predicted = new Set<string>();
  const patternVotes = new Map<string, Map<string, number>>();
  let replayerOrPrefetcherSources = 0;
  const linkPreviewReported = new Set<string>();
  const crawlerReported = new Set<string>();
  const mentioned = new Set<string>();
  for (const source of report.sources) {
    const keys = [...new Set(source.ips.map(clientKey))];
    for (const key of keys) mentioned.add(key);
    if (source.kind === 'link-preview') for (const key of keys) linkPreviewReported.add(key);
    // a crawler source with verified:false names a fake crawler as one ("claims Googlebot, is not")
    if (source.kind === 'crawler' && source.verified !== false) for (const key of keys) crawlerReported.add(key);
    if (!positiveKinds.has(source.kind)) continue;
    replayerOrPrefetcherSources++;
    for (const key of keys) {
      predicted.add(key);
      if (source.kind !== 'replayer') continue;
      const votes = patternVotes.get(key) ?? new Map<string, number>();
      const pattern = source.pattern ?? 'none';
      votes.set(pattern, (votes.get(pattern) ?? 0) + 1);
      patternVotes.set(key, votes);
    }
  }
  const probed = new Set(report.probes.map((probe) => clientKey(probe.ip)));
  for (const key of probed) mentioned.add(key);

  let truePositives = 0;
  const falsePositivesByKind: Verdict['falsePositivesByKind'] = {};
  for (const key of predicted) {
    if (positives.has(key)) {
      truePositives++;
      continue;
    }
    const kind = kindOf.get(key)?.kind ?? 'unknown';
    (falsePositivesByKind[kind] ??= []).push(key);
  }
  const missedByActor: Record<string, string[]> = {};
  for (const key of positives) {
    if (predicted.has(key)) continue;
    const actor = kindOf.get(key)!.actor;
    (missedByActor[actor] ??= []).push(key);
  }

  const patterns: PatternResult[] = [];
  for (const actor of truth.actors) {
    if (actor.kind !== 'replayer' || actor.pattern === undefined) continue;
    const tally = new Map<string, number>();
    for (const key of new Set(actor.ips.map(clientKey))) {
      for (const [pattern, count] of patternVotes.get(key) ?? []) tally.set(pattern, (tally.get(pattern) ?? 0) + count);
    }
    let reported: string | null = null;
    let best = 0;
    for (const [pattern, count] of tally) {
      if (count > best) {
        best = count;
        reported = pattern;
      }
    }
    patterns.push({ actor: actor.id, name: actor.name, expected: actor.pattern, reported, correct: reported === actor.pattern });
  }

  const coverage = (kind: TruthKind, found: Set<string>): { share: number | null; missed: string[] } => {
    const keys = new Set<string>();
    for (const actor of truth.actors) if (actor.kind === kind) for (const ip of actor.ips) keys.add(clientKey(ip));
    if (keys.size === 0) return { share: null, missed: [] };
    const missed = [...keys].filter((key) => !found.has(key));
    return { share: (keys.size - missed.length) / keys.size, missed };
  };
  const linkPreview = coverage('link-preview', linkPreviewReported);
  const probers = coverage('probe', probed);

  const fakeKeys = new Set<string>();
  for (const actor of truth.actors) if (actor.kind === 'fake-crawler') for (const ip of actor.ips) fakeKeys.add(clientKey(ip));
  const warningsText = (report.warnings ?? []).join('\n');
  const fakeCrawlersAsCrawler = [...fakeKeys].filter((key) => crawlerReported.has(key));
  const fakeCrawlersNamed = [...fakeKeys].filter((key) => mentioned.has(key) || warningsText.includes(key));

  const precision = predicted.size === 0 ? 1 : truePositives / predicted.size;
  const recall = positives.size === 0 ? 1 : truePositives / positives.size;
  const patternAccuracy = patterns.length === 0 ? null : patterns.filter((result) => result.correct).length / patterns.length;

  const verdict: Verdict = {
    positives: positives.size,
    predicted: predicted.size,
    truePositives,
    precision,
    recall,
    falsePositivesByKind,
    missedByActor,
    replayerOrPrefetcherSources,
    patternAccuracy,
    patterns,
    linkPreviewCoverage: linkPreview.share,
    linkPreviewMissed: linkPreview.missed,
    proberCoverage: probers.share,
    probersMissed: probers.missed,
    fakeCrawlersAsCrawler,
    fakeCrawlersNamed,
    fakeCrawlers: fakeKeys.size,
    summary: '',
  };
  verdict.summary = describeVerdict(truth, verdict);
  return verdict;
}

const percent = (value: number | null): string => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);

function describeVerdict(truth: Truth, verdict: Verdict): string {
  const lines = [
    `judge: scenario ${truth.scenario}, seed ${truth.seed}, ${truth.format}, ${truth.lines} lines`,
    `  replayer+prefetcher clients: ${verdict.positives} in truth, ${verdict.predicted} predicted, ${verdict.truePositives} right` +
      ` -> precision ${percent(verdict.precision)}, recall ${percent(verdict.recall)} (${verdict.replayerOrPrefetcherSources} sources)`,
  ];
  const falsePositives = Object.entries(verdict.falsePositivesByKind);
  lines.push(
    falsePositives.length === 0
      ? '  false positives: none'
      : `  false positives by kind: ${falsePositives.map(([kind, keys]) => `${kind} ${keys!.length} (${keys!.slice(0, 4).join(', ')}${keys!.length > 4 ? ', …' : ''})`).join('; ')}`,
  );
  const missed = Object.entries(verdict.missedByActor);
  if (missed.length > 0) {
    const name = (id: string): string => truth.actors.find((actor) => actor.id === id)?.name ?? id;
    lines.push(`  missed: ${missed.map(([id, keys]) => `${id} "${name(id)}" ${keys.length}/${truth.actors.find((a) => a.id === id)!.ips.length} (${keys.slice(0, 3).join(', ')})`).join('; ')}`);
  }
  if (verdict.patterns.length > 0) {
    lines.push(
      `  patterns: ${percent(verdict.patternAccuracy)} right — ` +
        verdict.patterns.map((result) => `${result.actor} ${result.expected}→${result.reported ?? 'not found'}${result.correct ? '' : ' ✗'}`).join(', '),
    );
  }
  lines.push(
    `  link previewers as link-preview: ${percent(verdict.linkPreviewCoverage)}${verdict.linkPreviewMissed.length > 0 ? ` (missed ${verdict.linkPreviewMissed.slice(0, 5).join(', ')})` : ''}`,
  );
  lines.push(`  probers in probes: ${percent(verdict.proberCoverage)}${verdict.probersMissed.length > 0 ? ` (missed ${verdict.probersMissed.slice(0, 5).join(', ')})` : ''}`);
  lines.push(
    `  fake crawlers: ${verdict.fakeCrawlers}, reported as verified crawler ${verdict.fakeCrawlersAsCrawler.length}, mentioned anywhere ${verdict.fakeCrawlersNamed.length}`,
  );
  return lines.join('\n');
}

/** The outside bar; returns what failed (empty: passes). */
export function barFailures(truth: Truth, verdict: Verdict): string[] {
  const failures: string[] = [];
  const hasPositives = truth.actors.some((actor) => positiveKinds.has(actor.kind));
  if (hasPositives) {
    if (verdict.precision < 0.97) failures.push(`precision ${percent(verdict.precision)} < 97%`);
    if (verdict.recall < 0.95) failures.push(`recall ${percent(verdict.recall)} < 95%`);
  } else if (verdict.replayerOrPrefetcherSources > 0) {
    failures.push(`${verdict.replayerOrPrefetcherSources} replayer/prefetcher sources in a log without any`);
  }
  if (verdict.patternAccuracy !== null && verdict.patternAccuracy < 0.9) failures.push(`pattern right for ${percent(verdict.patternAccuracy)} < 90% of replayers`);
  if (verdict.linkPreviewCoverage !== null && verdict.linkPreviewCoverage < 0.9) failures.push(`link previewers found ${percent(verdict.linkPreviewCoverage)} < 90%`);
  if (verdict.proberCoverage !== null && verdict.proberCoverage < 0.9) failures.push(`probers found ${percent(verdict.proberCoverage)} < 90%`);
  return failures;
}
