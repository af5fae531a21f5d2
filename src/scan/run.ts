import { availableParallelism } from 'node:os';
import type { Attributor, ReverseName } from '../attribute/types.js';
import { ATTRIBUTION_NOTICE, cdnOf, loadAttributor, reverseLookupAll, type CatalogueAttributor, type ReverseResolver } from '../attribute/index.js';
import { analyze, confirmHistories, Counter, DEFAULT_POLICY, Detector, historySuspects, pairsInvolving, type DetectionPolicy, type Findings } from '../detect/index.js';
import { judgeAccessLog, Reason, resolveFormat, scanInputs, type ScanRecord } from '../formats/index.js';
import { expandInputs, type LeftOut } from '../ingest/index.js';
import { ReplaywatchError } from '../common/errors.js';
import { buildReport, createAnonymizer, isoTime, type ReportModel } from '../report/index.js';
import { buildCanaryReport, type CanaryHitInput, type CanaryInput } from '../canary/index.js';
import { createCanaryHitCollector } from './canary-hits.js';
import { readableAgain, readHistoryVisits } from './history-read.js';
import { scanInParallel, scanWarnings } from './parallel.js';

/**
 * Everything a scan needs, passed in: the engine reads no environment, prints nothing and
 * makes no network request of its own (reverse DNS goes through `resolver`, when given).
 */
export interface ScanOptions {
  /** log files, directories, .gz files, or '-' for stdin; default ['-'] */
  inputs?: readonly string[];
  /** a preset name, an Apache LogFormat or an nginx log_format string; default: detected from the first lines */
  format?: string;
  /** take the client address from this logged request header (X-Forwarded-For) */
  clientIpField?: string;
  /** sources below this confidence are counted, not shown; default 0.5 */
  minConfidence?: number;
  /** every threshold of the detection model (detect/policy.ts); default DEFAULT_POLICY */
  policy?: Readonly<DetectionPolicy>;
  /** worker threads; default: the number of cores */
  workers?: number;
  /** bytes for rare-URL detail; default the detector's (256 MB) */
  memoryBudget?: number;
  /** pseudonymize people's addresses: true for a fresh random key, or your own function (the CLI's is keyed by report.key) */
  anonymize?: boolean | ((ip: string) => string);
  /** redact secrets in URLs (report/createRedactor); none: URLs are shown as logged (--show-secrets) */
  redact?: (url: string) => string;
  /** count every pair of the shown sources into per-source plots (the HTML report draws them) */
  plots?: boolean;
  /** attribution tables; default: the ones shipped (loadAttributor) */
  attributor?: CatalogueAttributor;
  /** reverse DNS for the shown sources; none: no lookups, and the report says "offline" */
  resolver?: ReverseResolver | null;
  /** per reverse-DNS query, default 2000 ms */
  dnsTimeout?: number;
  /** canaries to look for (from the store: canary/loadCanaries); their verdicts become the report's `canaries` */
  canaries?: readonly CanaryInput[];
  /** epoch ms now, for the canaries' verdicts; default Date.now */
  clock?: () => number;
  /** hears where the time goes (phases, tasks, attribution share); none: nothing is measured */
  diagnostics?: (text: string) => void;
  /** below this many bytes of input a scan stays on one thread (default 32 MB; tests lower it) */
  parallelMinBytes?: number;
  /** bytes read so far of the total, for a progress bar */
  progress?: (bytesRead: number, totalBytes: number) => void;
  /** every record, after the detector saw it (explain collects a client's requests); keeps the scan on one thread */
  onRecord?: (record: ScanRecord, file: string) => void;
}

export interface ScanResult {
  model: ReportModel;
  detector: Detector;
  findings: Findings;
  attributor: Attributor;
  /** the canaries' hits found in the log (the CLI stores them: canary/recordLogHits) */
  canaryHits: CanaryHitInput[];
}

/** ingest -> formats -> detect -> attribute -> report: what `scan`, `explain` and a library caller run. */
export async function scan(options: ScanOptions = {}): Promise<ScanResult> {
  const diagnostics = options.diagnostics;
  const timings = new PhaseTimings();
  const loaded = options.attributor ?? timings.measure('attribution: load tables', () => loadAttributor());
  // timing every attribution call costs two clock reads a call: only when someone listens
  const attributor = diagnostics ? timings.wrapAttributor(loaded) : loaded;
  const paths = options.inputs === undefined || options.inputs.length === 0 ? ['-'] : [...options.inputs];
  const format = options.format ? resolveFormat(options.format, { clientIpField: options.clientIpField }) : null;
  // a directory's access logs, by name and content; what was left out is named in the report
  const leftOut: LeftOut[] = [];
  const inputs = await expandInputs(paths, {
    judgeHead: judgeAccessLog(format, { clientIpField: options.clientIpField }),
    onLeftOut: (entry) => leftOut.push(entry),
  });
  const minConfidence = options.minConfidence ?? 0.5;
  // the detector interns user agents and classifies each distinct one once
  const detector = new Detector({ classifyAgent: (userAgent) => attributor.classifyAgent(userAgent) });
  // canaries minted with `canary new`: their hits in the site's own logs become a report section
  const canaries = options.canaries ?? [];
  const canaryTokens = canaries.map((canary) => canary.token);
  // worker threads when the input allows (parallel.ts); null: scan on this thread
  const parallel = await scanInParallel(
    inputs,
    format,
    detector,
    {
      workers: options.workers ?? availableParallelism(),
      format: options.format,
      clientIpField: options.clientIpField,
      memoryBudget: options.memoryBudget,
      canaryTokens,
      parallelMinBytes: options.parallelMinBytes,
      diagnostics,
    },
    { onRecord: options.onRecord, progress: options.progress },
  );
  let scanned = parallel;
  if (scanned === null) {
    const collector = canaryTokens.length > 0 ? createCanaryHitCollector(canaryTokens) : null;
    const onRecord = options.onRecord;
    const observe =
      collector === null && onRecord === undefined
        ? (record: ScanRecord) => detector.observe(record)
        : (record: ScanRecord, file: string) => {
            detector.observe(record);
            collector?.observe(record);
            onRecord?.(record, file);
          };
    scanned = { ...(await scanInputs(inputs, format, observe, { progress: options.progress, clientIpField: options.clientIpField })), canaryHits: collector?.hits ?? [] };
  }

  timings.mark('read, parse and index');
  if (scanned.counter.records === 0) throw noRecords(scanned.counter, scanned.files);
  const analysisContext = {
    networkKey: (address: string) => attributor.networkKey(address),
    actors: (address: string) => attributor.actors(address),
    verifyCrawler: (address: string, agent: Parameters<typeof attributor.verifyCrawler>[1]) => attributor.verifyCrawler(address, agent),
  };
  let findings = analyze(detector, analysisContext, options.policy);
  // the history check (detect/history-check.ts): a second look at the log for uploads of a
  // person's history the first pass could not prove; files only (a stream is read once)
  const policy = options.policy ?? DEFAULT_POLICY;
  const watch = readableAgain(inputs) ? historySuspects(detector, findings.sources, policy, (clients) => pairsInvolving(detector, analysisContext, clients, policy).replays) : null;
  if (watch !== null) {
    const visits = await readHistoryVisits(inputs, format, detector, watch, options.clientIpField);
    const histories = confirmHistories(watch, visits, policy);
    if (histories.size > 0) findings = analyze(detector, analysisContext, policy, histories);
    diagnostics?.(`history check: ${watch.suspects.length} sources read again, ${[...visits.values()].reduce((sum, list) => sum + list.length, 0)} page requests kept, ${histories.size} clients with a history burst`);
    timings.mark('history check');
  }

  const warnings = [...collectWarnings(detector, scanned.counter, loaded), ...scanWarnings(detector)];
  if (findings.evidence.victimsDropped > 0)
    warnings.push(
      `${findings.evidence.victimsDropped} replays' origin clients came past the limit kept for the memory budget: explain shows "at least" that many origins for the clients they belonged to (scores count a source's people from its pairs, and are unchanged). Raise the budget to keep them all.`,
    );
  if (leftOut.length > 0) {
    const shown = leftOut.slice(0, 10).map((entry) => `${entry.path}: ${entry.reason}`);
    warnings.push(`left out of the directory: ${shown.join('; ')}${leftOut.length > 10 ? ` and ${leftOut.length - 10} more` : ''}`);
  }
  for (const source of findings.sources) {
    if (source.kind !== 'crawler' || source.verified !== false) continue;
    const ips = source.clients.flatMap((client) => detector.addressesOf(client));
    warnings.push(`fake crawler: ${ips.slice(0, 5).join(', ')}${ips.length > 5 ? ` and ${ips.length - 5} more` : ''} claim${ips.length === 1 ? 's' : ''} to be ${source.agentName} but ${ips.length === 1 ? 'is' : 'are'} not in its published ranges`);
  }
  let reverse: Map<string, ReverseName> | undefined;
  const resolver = options.resolver ?? null;
  const shownClients = findings.sources.filter((source) => source.confidence >= minConfidence).flatMap((source) => source.clients.slice(0, 20));
  if (resolver !== null && shownClients.length > 0) {
    const dnsTimeout = options.dnsTimeout ?? 2000;
    const ips = [...new Set(shownClients.map((client) => detector.firstAddressOf(client)))];
    reverse = await reverseLookupAll(ips, resolver, { concurrency: 8, timeoutMs: dnsTimeout });
  }
  const counter = scanned.counter;
  timings.mark('analyze and reverse DNS');
  const anonymize = options.anonymize === true ? createAnonymizer() : typeof options.anonymize === 'function' ? options.anonymize : undefined;
  const model = buildReport(
    detector,
    findings,
    {
      files: scanned.files,
      lines: counter.lines,
      records: counter.records,
      skipped: counter.skipped,
      skippedExamples: counter.examples,
      skippedReasons: Object.fromEntries(counter.reasons),
      format: scanned.format,
      from: Number.isFinite(detector.minTime) ? isoTime(detector.minTime) : null,
      to: Number.isFinite(detector.maxTime) ? isoTime(detector.maxTime) : null,
    },
    warnings,
    {
      network: (ip) => attributor.network(ip),
      actors: (ip) => attributor.actors(ip),
      reverse,
      reverseDns: resolver === null ? 'offline' : reverse ? 'done' : 'not needed',
      notice: ATTRIBUTION_NOTICE,
      minConfidence,
      anonymize,
      redact: options.redact,
      plots: options.plots === true ? { networkKey: (address) => attributor.networkKey(address) } : undefined,
    },
  );
  if (canaries.length > 0) model.canaries = buildCanaryReport(canaries, scanned.canaryHits, attributor, (options.clock ?? Date.now)()).canaries;
  timings.mark('report');
  diagnostics?.(timings.describe(scanned.counter.lines));
  return { model, detector, findings, attributor, canaryHits: scanned.canaryHits };
}

/** E_NO_RECORDS: every line was skipped (or a header); says how many and why, most frequent reasons first. */
function noRecords(counter: { lines: number; skipped: number; reasons: Map<string, number> }, files: string[]): ReplaywatchError {
  const reasons = [...counter.reasons].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, count]) => `${count} ${reason}`);
  const where = files.map((file) => (file === '-' ? 'standard input' : file)).join(', ');
  return new ReplaywatchError('E_NO_RECORDS', `no line of ${where} could be read as a request: ${counter.skipped} of ${counter.lines} lines skipped${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`, {
    hint: 'check that these are access logs, and give the format with --format if it was not detected right',
  });
}

function collectWarnings(detector: Detector, counter: { lines: number; records: number; skipped: number; reasons: Map<string, number> }, attributor: CatalogueAttributor): string[] {
  const warnings: string[] = [];
  // a damaged .gz was read up to the damage: the reason names the file and what was lost
  for (const reason of counter.reasons.keys()) if (reason.startsWith('damaged gzip data')) warnings.push(reason);
  const outOfRange = counter.reasons.get(Reason.TimeOutOfRange) ?? 0;
  if (outOfRange > 0) warnings.push(`${outOfRange} line${outOfRange === 1 ? '' : 's'} had a time before 1990 or after 2099 (a wrong clock) and ${outOfRange === 1 ? 'was' : 'were'} skipped`);
  if (counter.lines > 0 && counter.skipped / counter.lines > 0.05)
    warnings.push(`${((counter.skipped / counter.lines) * 100).toFixed(1)}% of lines did not parse: is --format right?`);
  if (detector.unindexed > 0 && detector.unindexed === detector.records) warnings.push('no line had a usable time and client address; nothing could be compared');
  // the site's own CDN or proxy: if most requests come from one, every client looks like one network
  const byCdn = new Map<string, number>();
  let total = 0;
  for (let client = 0; client < detector.clientCount; client++) {
    const requests = detector.count(client, Counter.Requests);
    total += requests;
    // the scan's own attributor: the default one would load the tables a second time (~20 MB)
    const cdn = cdnOf(detector.firstAddressOf(client), attributor);
    if (cdn !== null) byCdn.set(cdn, (byCdn.get(cdn) ?? 0) + requests);
  }
  for (const [cdn, requests] of byCdn) {
    if (requests * 2 > total)
      warnings.push(
        `${((requests / total) * 100).toFixed(0)}% of requests come from ${cdn} addresses: the log records the CDN or proxy, not your visitors. Log the real client address (${cdn === 'Cloudflare' ? 'CF-Connecting-IP or X-Forwarded-For' : 'X-Forwarded-For'}) and scan with --client-ip-field, or configure the server's real-IP module.`,
      );
  }
  return warnings;
}

/**
 * Where a scan's time goes (the diagnostics sink hears it; REPLAYWATCH_TIMINGS=1 prints it on stderr): wall time per phase,
 * and the time spent inside attribution calls (table load, network keys, catalogue, declared
 * bots, crawler checks) measured around each call wherever it happens. This is how the bench
 * shows attribution's share of a scan.
 */
function cpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

export class PhaseTimings {
  private readonly started = performance.now();
  private last = this.started;
  private lastCpu = cpuMicros();
  private readonly phases: [string, number, string?][] = [];
  private attribution = 0;
  private attributionCalls = 0;

  mark(name: string): void {
    const now = performance.now();
    const memory = process.memoryUsage();
    // CPU time of every thread, which a loaded machine disturbs less than wall time
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user + cpu.system - this.lastCpu) / 1000;
    this.lastCpu = cpu.user + cpu.system;
    this.phases.push([`${name}`, now - this.last, `cpu ${cpuMs.toFixed(0)} ms, rss ${mb(memory.rss)}, heap ${mb(memory.heapUsed)}, array buffers ${mb(memory.arrayBuffers)}`]);
    this.last = now;
  }

  measure<T>(name: string, work: () => T): T {
    const start = performance.now();
    try {
      return work();
    } finally {
      const spent = performance.now() - start;
      this.attribution += spent;
      this.phases.push([name, spent]);
      this.last = performance.now();
    }
  }

  wrapAttributor<T extends Attributor>(attributor: T): T {
    const timed = <A extends unknown[], R>(call: (...args: A) => R) => (...args: A): R => {
      const start = performance.now();
      try {
        return call(...args);
      } finally {
        this.attribution += performance.now() - start;
        this.attributionCalls++;
      }
    };
    return Object.assign(Object.create(attributor) as T, {
      network: timed(attributor.network.bind(attributor)),
      networkKey: timed(attributor.networkKey.bind(attributor)),
      actors: timed(attributor.actors.bind(attributor)),
      classifyAgent: timed(attributor.classifyAgent.bind(attributor)),
      verifyCrawler: timed(attributor.verifyCrawler.bind(attributor)),
    });
  }

  describe(lines: number): string {
    const total = performance.now() - this.started;
    const rows = this.phases.map(([name, ms, memory]) => `  ${name.padEnd(28)} ${ms.toFixed(1).padStart(9)} ms${memory === undefined ? '' : `  (after: ${memory})`}`);
    rows.push(`  ${'total'.padEnd(28)} ${total.toFixed(1).padStart(9)} ms  (${formatRate(lines, total)} lines/s)`);
    rows.push(`  attribution, all calls      ${this.attribution.toFixed(1).padStart(9)} ms  = ${((this.attribution / total) * 100).toFixed(2)}% of the scan (${this.attributionCalls} calls)`);
    return `timings:\n${rows.join('\n')}\n`;
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1 << 20))} MB`;
}

function formatRate(lines: number, ms: number): string {
  return Math.round(lines / (ms / 1000)).toLocaleString('en-US');
}
