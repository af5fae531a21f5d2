import type { ActorMatch, NetworkInfo, ReverseName } from '../attribute/types.js';
import { pairsInvolving, type Detector, type Findings } from '../detect/index.js';
import type { EvidencePair, ReplayPattern, SourceKind } from '../detect/types.js';
import { parseIPv4, parseIPv6 } from '../common/ip-text.js';
import { plotPairs, type SourcePlots } from './plots.js';

/**
 * The one view model every writer reads. Its JSON form is the contract in DESIGN.md: field
 * names and kinds there are fixed; fields here beyond them are extensions.
 */
export interface ReportModel {
  version: 1;
  input: InputView;
  sources: SourceView[];
  probes: ProbeView[];
  canaries?: unknown[];
  warnings: string[];
  attribution: { notice: string; reverseDns: 'offline' | 'done' | 'not needed' };
  minConfidence: number;
  /** sources below minConfidence, counted so the terminal can say they exist */
  hiddenSources: number;
  /**
   * extension: what the report left out on purpose. `anonymized`: people's addresses are
   * pseudonyms (`anon-...`, --anonymize); `secretsRedacted`: secrets in URLs are
   * `[redacted:hash]` (the default; --show-secrets shows them).
   */
  privacy?: { anonymized: boolean; secretsRedacted: boolean };
  /** extension: a live view's figures (`follow --dashboard`) */
  live?: LiveView;
}

/** What a live page adds to the report: how fast lines arrive, and the latest replays seen. */
export interface LiveView {
  /** when the model was built (ISO time) */
  updated: string;
  /** lines read in all */
  lines: number;
  /** lines a second over the last interval */
  linesPerSecond: number;
  /** the latest evidence pairs of the shown sources, newest first; `lead`: a prefetcher's pair, the source is its first side */
  recent: (ExampleView & { source: number; lead: boolean })[];
}

export interface InputView {
  files: string[];
  lines: number;
  records: number;
  skipped: number;
  skippedExamples: { line: number; reason: string; text: string; file?: string }[];
  skippedReasons?: Record<string, number>;
  format: string;
  from: string | null;
  to: string | null;
}

export interface RequestView {
  ip: string;
  time: string;
  status: number;
  bytes: number;
}

export interface ExampleView {
  url: string;
  origin: RequestView;
  replay: RequestView;
  lagSeconds: number;
}

export interface SourceView {
  kind: SourceKind;
  pattern?: ReplayPattern;
  confidence: number;
  network: NetworkInfo;
  ips: string[];
  requests: number;
  replays: number;
  urls: number;
  victims: number;
  lagSeconds: { min: number; p50: number; p90: number; max: number } | null;
  authMismatch: number;
  examples: ExampleView[];
  /** extension: the catalogue entry that names this network, with when it was documented */
  actor?: { id: string; name: string; kind: string; documented: string; source: string };
  /** extension: declared bot family */
  agent?: string;
  /** extension: for claimed crawlers, whether the network matches the crawler's published ranges */
  verified?: boolean | null;
  /** extension: the evidence in sentences */
  reasons: string[];
  /** extension: lag histogram and timeline, when the report asked for plots (`scan --html`) */
  plots?: SourcePlots;
}

export interface ProbeView {
  ip: string;
  network: NetworkInfo;
  paths: number;
  first: string;
  last: string;
  examples: string[];
  /** extension: its paths were not kept (memory budget): `paths` counts its probe-path requests */
  pathsNotKept?: boolean;
}

export interface ReportContext {
  network(ip: string): NetworkInfo;
  actors(ip: string): ActorMatch[];
  reverse?: Map<string, ReverseName>;
  reverseDns: ReportModel['attribution']['reverseDns'];
  notice: string;
  minConfidence: number;
  /** pseudonymize people's addresses (keyed hash, prefix kept); replayers stay named */
  anonymize?: (ip: string) => string;
  /** redact secrets in URLs (redact.ts); absent with --show-secrets */
  redact?: (url: string) => string;
  /** count every pair of the shown sources into plots (one more walk of the index): the HTML report's */
  plots?: { networkKey(address: string): string };
}

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function buildReport(detector: Detector, findings: Findings, input: InputView, warnings: string[], context: ReportContext): ReportModel {
  const named = new Set<number>();
  for (const source of findings.sources) for (const client of source.clients) named.add(client);
  for (const probe of findings.probes) named.add(probe.client);
  const ipOf = (client: number): string => {
    const ip = detector.firstAddressOf(client);
    return context.anonymize && !named.has(client) ? context.anonymize(ip) : ip;
  };
  const requestView = (side: EvidencePair['origin']): RequestView => ({
    ip: ipOf(side.client),
    time: isoTime(side.time),
    status: side.status,
    bytes: side.bytes,
  });
  /**
   * The network of a source's first address; its reverse names are the forward-confirmed names
   * of all the source's addresses (a few), and PTR names that did not resolve back are kept
   * apart as `rdnsUnconfirmed`, since anyone can publish any PTR for their own addresses.
   */
  const networkOf = (ip: string, actor?: ActorMatch, ips: string[] = [ip]): NetworkInfo & { rdnsUnconfirmed?: string[] } => {
    const info: NetworkInfo & { rdnsUnconfirmed?: string[] } = { ...context.network(ip) };
    if (actor && (info.org === null || info.asn === null)) info.org = actor.name;
    const confirmed = new Set<string>();
    const unconfirmed = new Set<string>();
    for (const address of ips) {
      const reverse = context.reverse?.get(address);
      if (!reverse) continue;
      for (const name of reverse.confirmed) if (confirmed.size < 5) confirmed.add(name);
      for (const name of reverse.names) if (!reverse.confirmed.includes(name) && unconfirmed.size < 5) unconfirmed.add(name);
    }
    info.rdns = [...confirmed];
    if (unconfirmed.size > 0) info.rdnsUnconfirmed = [...unconfirmed];
    return info;
  };
  const redact = context.redact ?? ((url: string) => url);
  const shown = findings.sources.filter((source) => source.confidence >= context.minConfidence);
  const sources = shown.map((source): SourceView => {
    const ips = source.clients.flatMap((client) => detector.addressesOf(client));
    const first = ips[0]!;
    const actor = source.actorId ? context.actors(first).find((match) => match.id === source.actorId) : undefined;
    const view: SourceView = {
      kind: source.kind,
      ...(source.pattern ? { pattern: source.pattern } : {}),
      confidence: source.confidence,
      network: networkOf(first, actor, ips),
      ips,
      requests: source.requests,
      replays: source.replays,
      urls: source.urls,
      victims: source.victims,
      lagSeconds: source.lagSeconds,
      authMismatch: source.authMismatch,
      examples: source.examples.map((pair) => ({
        url: redact(pair.url),
        origin: requestView(pair.origin),
        replay: requestView(pair.replay),
        lagSeconds: pair.lagSeconds,
      })),
      reasons: source.reasons,
    };
    if (actor) view.actor = { id: actor.id, name: actor.name, kind: actor.kind, documented: actor.documented, source: actor.source };
    if (source.agentName) view.agent = source.agentName;
    if (source.verified !== undefined) view.verified = source.verified;
    return view;
  });
  if (context.plots && sources.length > 0 && Number.isFinite(detector.minTime)) addPlots(detector, shown, sources, context.plots);
  const probes = findings.probes.map((probe): ProbeView => {
    const ip = detector.firstAddressOf(probe.client);
    return { ip, network: networkOf(ip), paths: probe.paths, first: isoTime(probe.first), last: isoTime(probe.last), examples: probe.examples.map(redact), ...(probe.pathsNotKept ? { pathsNotKept: true } : {}) };
  });
  return {
    version: 1,
    // a skipped line is shown as read: its URL may hold a secret, its address a person
    input: { ...input, skippedExamples: input.skippedExamples.map((example) => ({ ...example, text: redactLine(example.text, redact, context.anonymize) })) },
    sources,
    probes,
    warnings,
    attribution: { notice: context.notice, reverseDns: context.reverseDns },
    minConfidence: context.minConfidence,
    hiddenSources: findings.sources.length - shown.length,
    privacy: { anonymized: context.anonymize !== undefined, secretsRedacted: context.redact !== undefined },
  };
}

/**
 * A raw log line with its secrets redacted (every space-separated word that is a URL or path
 * goes through `redact`) and, when anonymizing, every address-shaped word pseudonymized.
 */
export function redactLine(line: string, redact: (url: string) => string, anonymize?: (ip: string) => string): string {
  return line.replace(/[^\s"]+/g, (word) => {
    if (anonymize && /^\[?[0-9a-fA-F:.]+\]?$/.test(word) && (word.includes('.') || word.split(':').length > 2) && /\d/.test(word)) {
      const bare = word.replace(/^\[|\]$/g, '');
      if (parseIPv4(bare) >= 0 || parseIPv6(bare, scratchWords)) return anonymize(bare);
    }
    return word.includes('/') || word.includes('?') || word.includes('=') ? redact(word) : word;
  });
}

const scratchWords = [0, 0, 0, 0];

/** One walk of the index for the pairs of every shown source, each pair counted into its source's plots. */
function addPlots(detector: Detector, shown: Findings['sources'], views: SourceView[], context: { networkKey(address: string): string }): void {
  const sourceOf = new Map<number, number>();
  shown.forEach((source, index) => {
    for (const client of source.clients) if (!sourceOf.has(client)) sourceOf.set(client, index);
  });
  const { replays, leads } = pairsInvolving(detector, context, new Set(sourceOf.keys()));
  const pairsOf = shown.map((): EvidencePair[] => []);
  for (const pair of replays) {
    const index = sourceOf.get(pair.replay.client);
    if (index !== undefined && shown[index]!.kind !== 'prefetcher') pairsOf[index]!.push(pair);
  }
  for (const pair of leads) {
    const index = sourceOf.get(pair.origin.client);
    if (index !== undefined && shown[index]!.kind === 'prefetcher') pairsOf[index]!.push(pair);
  }
  shown.forEach((source, index) => {
    views[index]!.plots = plotPairs(source.kind, pairsOf[index]!, detector.minTime, detector.maxTime, isoTime);
  });
}

/** Exit status per DESIGN.md: 1 when a replayer or prefetcher is reported. */
export function foundReplayers(model: ReportModel): boolean {
  return model.sources.some((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
}
