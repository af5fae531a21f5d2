/**
 * The engine behind `replaywatch follow`: logs read as they grow (ingest's LogFollower), every
 * line into one detector kept across polls, and on each analysis the report model and the
 * events worth telling someone about, each once:
 *
 * - a source is told when it is first shown (confidence at or over the bar) and again when its
 *   verdict (kind and pattern) changes to one not told before; a source that drops below the bar
 *   and comes back, or swings back to an earlier verdict, is not told again;
 * - a probing client is told once.
 *
 * Memory is bounded as a scan's is: per client a row of counters, and the first-seen index under
 * its memory budget (the oldest rare-URL detail is dropped past it, and the report says so).
 * Nothing is kept per line.
 *
 * `snapshot()` is the whole state (positions in every file, the detector, the line counts, what
 * was told): a follow restarted from it resumes at the byte offsets, reads no line twice and
 * tells nothing twice. The detector is restored by Detector.merge into an empty one, the same
 * merge that joins worker threads' parts, so a restarted follow reports what one that never
 * stopped would.
 */
import type { CatalogueAttributor } from '../attribute/index.js';
import { ATTRIBUTION_NOTICE, loadAttributor } from '../attribute/index.js';
import { analyze, Detector, detectorStateFromV1, type DetectionPolicy, type DetectorState, type DetectorStateV1, type Findings } from '../detect/index.js';
import { detectFormat, FileLines, PROBE_LINES, resolveFormat, ScanRecord, SkipCounter, type LogFormat, type SkipCounts } from '../formats/index.js';
import { LogFollower, type FollowPosition } from '../ingest/index.js';
import { buildReport, isoTime, type ProbeView, type ReportModel, type SourceView } from '../report/index.js';
import { scanWarnings } from './parallel.js';

export interface FollowOptions {
  /** files and directories to follow */
  targets: readonly string[];
  /** a preset name or format string; default: detected from the first lines read */
  format?: string;
  clientIpField?: string;
  /** sources below this confidence are not shown nor told; default 0.5 */
  minConfidence?: number;
  /** every threshold of the detection model (detect/policy.ts); default DEFAULT_POLICY */
  policy?: Readonly<DetectionPolicy>;
  /** bytes for rare-URL detail; default DEFAULT_FOLLOW_BUDGET */
  memoryBudget?: number;
  attributor?: CatalogueAttributor;
  /** start at the end of the files present now (only new lines); default: read them from the start */
  fromEnd?: boolean;
  /** per-source plots in the model (the dashboard draws them) */
  plots?: boolean;
  /** redact secrets in URLs (report/createRedactor), as a scan's report does */
  redact?: (url: string) => string;
  /** pseudonyms for people's addresses in the model (report/createAnonymizer); replayers stay named */
  anonymize?: (ip: string) => string;
  /** the state of a previous run (snapshot()) */
  resume?: FollowSnapshot;
}

/**
 * The first-seen index's budget when following: a follow runs for weeks, so it keeps less rare-URL
 * detail than a one-off scan (256 MB) and drops the oldest sooner.
 */
export const DEFAULT_FOLLOW_BUDGET = 128 << 20;

export type FollowEvent =
  | { type: 'source'; change: 'new' | 'changed'; time: string; key: string; verdict: string; previous?: string; source: SourceView }
  | { type: 'probe'; change: 'new'; time: string; key: string; probe: ProbeView };

export interface FollowSnapshot {
  /** 2: the detector's strings as bytes (DetectorState.texts); a version 1 state is upgraded (followSnapshotOf) */
  version: 2;
  /** the format every file is read with: a preset name or the user's format string */
  format: string | null;
  positions: FollowPosition[];
  counter: SkipCounts;
  detector: DetectorState;
  /** what was told: finding key -> the verdicts told, comma-separated, the latest last */
  told: [string, string][];
}

export interface FollowAnalysis {
  model: ReportModel;
  findings: Findings;
  /** what is new since the last analysis (or, resumed, since the last run) */
  events: FollowEvent[];
}

/**
 * A follow state as read from its file (deserialized) as today's: version 2 as it is, version 1
 * (replaywatch before the detector's strings were packed) upgraded, so a follow resumes across
 * the upgrade and tells nothing twice. Throws on anything else.
 */
export function followSnapshotOf(value: unknown): FollowSnapshot {
  const snapshot = value as { version?: unknown } | null;
  if (snapshot === null || typeof snapshot !== 'object') throw new Error('not a follow state');
  if (snapshot.version === 2) return snapshot as FollowSnapshot;
  if (snapshot.version === 1) {
    const old = snapshot as Omit<FollowSnapshot, 'version' | 'detector'> & { detector: DetectorStateV1 };
    return { ...old, version: 2, detector: detectorStateFromV1(old.detector) };
  }
  throw new Error(`version ${String(snapshot.version)} is not one this replaywatch reads`);
}

/** The key that names a source across analyses: who (catalogue entry, ASN or prefix) and what family of behaviour. */
export function sourceKey(source: SourceView): string {
  const family = source.kind === 'replayer' || source.kind === 'prefetcher' ? 'active' : `${source.kind}:${source.agent ?? ''}`;
  const who = source.actor?.id ?? (source.network.asn !== null ? `AS${source.network.asn}` : source.network.cidr);
  return `${family}|${who}`;
}

function verdictOf(source: SourceView): string {
  return source.pattern ? `${source.kind}/${source.pattern}` : source.kind;
}

export class FollowSession {
  readonly attributor: CatalogueAttributor;
  private readonly detector: Detector;
  private readonly counter = new SkipCounter();
  private readonly follower: LogFollower;
  private readonly record = new ScanRecord();
  private readonly files = new Map<string, FileLines>();
  private readonly told: Map<string, string>;
  private format: LogFormat | null;
  private formatSpec: string | null;
  /** lines read before the format was known: detected from them, then scanned */
  private probe: { file: string; line: Buffer; number: number }[] = [];
  private readonly minConfidence: number;

  constructor(private readonly options: FollowOptions) {
    this.attributor = options.attributor ?? loadAttributor();
    const attributor = this.attributor;
    this.minConfidence = options.minConfidence ?? 0.5;
    // no keepTexts: the index keeps a URL's text once a second client asks for it, which is all a
    // restart needs (an empty index adopts a saved state whole, texts included)
    this.detector = new Detector({ classifyAgent: (userAgent) => attributor.classifyAgent(userAgent), memoryBudget: options.memoryBudget ?? DEFAULT_FOLLOW_BUDGET });
    const resume = options.resume;
    this.formatSpec = options.format ?? resume?.format ?? null;
    this.format = this.formatSpec === null ? null : resolveFormat(this.formatSpec, { clientIpField: options.clientIpField });
    if (resume !== undefined) {
      this.detector.merge(resume.detector);
      this.counter.merge(resume.counter);
    }
    this.told = new Map(resume?.told ?? []);
    this.follower = new LogFollower(options.targets, {
      positions: resume?.positions,
      fromEnd: options.fromEnd,
      onLine: (file, line, start, end, number) => this.line(file, line, start, end, number),
      onOverlongLine: (file, number) => this.counter.skipOverlong(Buffer.alloc(0), 0, 0, number, file),
    });
  }

  /** Lines read so far (all runs). */
  get lines(): number {
    return this.counter.lines + this.probe.length;
  }

  /** Reads what the files gained since the last poll; resolves to the bytes read. */
  poll(): number {
    const bytes = this.follower.poll();
    // the files are idle: detect the format from what there is
    if (this.format === null && this.probe.length > 0) this.decideFormat(false);
    return bytes;
  }

  /** Detection over everything read so far, the report model, and what is new to tell (told once: a later analysis does not repeat it). */
  analyze(now: number = Date.now()): FollowAnalysis {
    const { model, findings } = this.report();
    return { model, findings, events: this.tell(model, now) };
  }

  /** Detection over everything read so far and its report model, telling nothing. */
  report(): { model: ReportModel; findings: Findings } {
    const attributor = this.attributor;
    const detector = this.detector;
    const findings = analyze(
      detector,
      {
        networkKey: (address) => attributor.networkKey(address),
        actors: (address) => attributor.actors(address),
        verifyCrawler: (address, agent) => attributor.verifyCrawler(address, agent),
      },
      this.options.policy,
    );
    const counter = this.counter;
    const model = buildReport(
      detector,
      findings,
      {
        files: this.follower.positions().map((position) => position.path),
        lines: counter.lines,
        records: counter.records,
        skipped: counter.skipped,
        skippedExamples: counter.examples,
        skippedReasons: Object.fromEntries(counter.reasons),
        format: this.format?.name ?? 'not detected yet',
        from: Number.isFinite(detector.minTime) ? isoTime(detector.minTime) : null,
        to: Number.isFinite(detector.maxTime) ? isoTime(detector.maxTime) : null,
      },
      scanWarnings(detector),
      {
        network: (ip) => attributor.network(ip),
        actors: (ip) => attributor.actors(ip),
        reverseDns: 'offline',
        notice: ATTRIBUTION_NOTICE,
        minConfidence: this.minConfidence,
        anonymize: this.options.anonymize,
        redact: this.options.redact,
        plots: this.options.plots === true ? { networkKey: (address) => attributor.networkKey(address) } : undefined,
      },
    );
    return { model, findings };
  }

  /** What in `model` was not told yet; it counts as told from now on. */
  private tell(model: ReportModel, now: number): FollowEvent[] {
    const time = new Date(now).toISOString();
    const events: FollowEvent[] = [];
    for (const source of model.sources) {
      const key = sourceKey(source);
      const verdict = verdictOf(source);
      const told = this.told.get(key);
      // every verdict a source had is told once: one that swings between two (a pattern on the
      // edge between realtime and deferred) is not told again and again
      if (told !== undefined && told.split(',').includes(verdict)) continue;
      this.told.set(key, told === undefined ? verdict : `${told},${verdict}`);
      events.push(told === undefined ? { type: 'source', change: 'new', time, key, verdict, source } : { type: 'source', change: 'changed', time, key, verdict, previous: told.split(',').pop()!, source });
    }
    for (const probe of model.probes) {
      const key = `probe|${probe.ip}`;
      if (this.told.has(key)) continue;
      this.told.set(key, 'probe');
      events.push({ type: 'probe', change: 'new', time, key, probe });
    }
    return events;
  }

  /** Everything a restarted follow needs. Take it between polls; it shares the detector's arrays (serialize it before the next poll). */
  snapshot(): FollowSnapshot {
    // lines still waiting for format detection are read again after a restart
    const positions = this.follower.positions();
    if (this.probe.length > 0) {
      const waiting = new Set(this.probe.map((entry) => entry.file));
      for (const position of positions) if (waiting.has(position.path)) Object.assign(position, { offset: 0, lines: 0 });
    }
    const counter: SkipCounts = { lines: this.counter.lines, records: this.counter.records, meta: this.counter.meta, skipped: this.counter.skipped, reasons: this.counter.reasons, examples: this.counter.examples };
    return { version: 2, format: this.formatSpec, positions, counter, detector: this.detector.exportState(), told: [...this.told] };
  }

  close(): void {
    this.follower.close();
  }

  private line(file: string, line: Buffer, start: number, end: number, number: number): void {
    if (this.format === null) {
      this.probe.push({ file, line: Buffer.from(line.subarray(start, end)), number });
      if (this.probe.length >= PROBE_LINES) this.decideFormat(true);
      return;
    }
    this.linesOf(file).scan(line, start, end, number);
  }

  private linesOf(file: string): FileLines {
    let lines = this.files.get(file);
    if (lines === undefined) {
      // one scanner per file: some formats (W3C) read their fields from the file's own header
      lines = new FileLines(this.format!.createScanner(), this.record, this.counter, file, (record) => this.detector.observe(record));
      this.files.set(file, lines);
    }
    return lines;
  }

  /** Picks the format from the lines read so far; `final`: as many as detection will get. */
  private decideFormat(final: boolean): void {
    const detection = detectFormat(
      this.probe.map((entry) => entry.line),
      { clientIpField: this.options.clientIpField },
    );
    if (detection === null && !final) return;
    if (detection === null) {
      // nothing known reads these lines: count them as skipped and keep trying on later lines
      for (const entry of this.probe) this.counter.skip('no known format matches', entry.line, 0, entry.line.length, entry.number, entry.file);
      this.probe = [];
      return;
    }
    this.format = detection.format;
    this.formatSpec = detection.format.name;
    const waiting = this.probe;
    this.probe = [];
    for (const entry of waiting) this.linesOf(entry.file).scan(entry.line, 0, entry.line.length, entry.number);
  }
}
