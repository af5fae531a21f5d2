import { cpus } from 'node:os';
import type { Attributor, ReverseName } from '../attribute/types.js';
import { ATTRIBUTION_NOTICE, cdnOf, createDnsResolver, loadAttributor, reverseLookupAll, type CatalogueAttributor } from '../attribute/index.js';
import { analyze, Counter, Detector, type Findings } from '../detect/index.js';
import { judgeAccessLog, Reason, resolveFormat, scanInputs } from '../formats/index.js';
import { expandInputs, type LeftOut } from '../ingest/index.js';
import { buildReport, createAnonymizer, createRedactor, isoTime, type ReportModel } from '../report/index.js';
import { ReplaywatchError } from '../common/errors.js';
import { Field, type ScanRecord } from '../formats/record.js';
import { buildCanaryReport, createCanaryMatcher, loadCanaries, recordLogHits, type CanaryHitInput } from '../canary/index.js';
import { defaultStatePath, loadReportKey } from '../store/index.js';
import { parseSize, scanInParallel, scanWarnings } from './parallel-scan.js';

/** Every scan option, once, with its default: the CLI flags are derived from this table. */
export const scanOptionSpecs = [
  { flags: '--format <spec>', description: 'log format: a preset name, an Apache LogFormat string or an nginx log_format string (default: detected from the first lines)' },
  { flags: '--client-ip-field <header>', description: 'take the client address from this request header field of the log (e.g. X-Forwarded-For) when the log has one' },
  { flags: '--offline', description: 'make no network lookups (reverse DNS is the only one)', defaultValue: false },
  { flags: '--json', description: 'write the report as JSON on stdout', defaultValue: false },
  { flags: '--min-confidence <x>', description: 'drop sources weaker than this (0..1)', defaultValue: '0.5' },
  { flags: '--workers <n>', description: 'worker threads (default: the number of cores)' },
  { flags: '--anonymize', description: "pseudonymize people's addresses in every output (anon-<prefix>-<keyed hash>, stable with the key in the user data directory); replayers stay named", defaultValue: false },
  { flags: '--show-secrets', description: 'show secrets in URLs (tokens, passwords, signatures) instead of [redacted:hash]', defaultValue: false },
  { flags: '--dns-server <host:port>', description: 'resolver for reverse DNS (default: the system resolver)' },
  { flags: '--dns-timeout <ms>', description: 'reverse-DNS timeout per query', defaultValue: '2000' },
  { flags: '--no-progress', description: 'no progress bar on stderr' },
  { flags: '--memory-budget <size>', description: 'memory for rare-URL detail (e.g. 256MB, 2GB); past it the oldest detail is dropped and the report says so (default 256MB)' },
  { flags: '--state <file>', description: 'the store whose canaries the scan looks for (default: the user data directory)' },
] as const;

export interface ScanOptions {
  format?: string;
  clientIpField?: string;
  offline: boolean;
  json: boolean;
  minConfidence: number;
  workers: number;
  anonymize: boolean;
  showSecrets: boolean;
  dnsServer?: string;
  dnsTimeout: number;
  progress: boolean;
  state?: string;
  memoryBudget?: number;
}

export function parseScanOptions(raw: Record<string, unknown>): ScanOptions {
  const minConfidence = Number(raw.minConfidence ?? 0.5);
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new ReplaywatchError('E_USAGE', `--min-confidence must be between 0 and 1, not ${String(raw.minConfidence)}`);
  const workers = raw.workers === undefined ? Math.max(1, cpus().length) : Number(raw.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new ReplaywatchError('E_USAGE', `--workers must be a whole number from 1 to 256, not ${String(raw.workers)}`);
  const dnsTimeout = Number(raw.dnsTimeout ?? 2000);
  if (!(dnsTimeout > 0)) throw new ReplaywatchError('E_USAGE', `--dns-timeout must be a positive number of milliseconds`);
  return {
    format: raw.format as string | undefined,
    clientIpField: raw.clientIpField as string | undefined,
    offline: raw.offline === true,
    json: raw.json === true,
    minConfidence,
    workers,
    anonymize: raw.anonymize === true,
    showSecrets: raw.showSecrets === true,
    dnsServer: raw.dnsServer as string | undefined,
    dnsTimeout,
    progress: raw.progress !== false,
    state: raw.state as string | undefined,
    memoryBudget: raw.memoryBudget === undefined ? undefined : parseSize(String(raw.memoryBudget), '--memory-budget'),
  };
}

export interface ScanResult {
  model: ReportModel;
  detector: Detector;
  findings: Findings;
  attributor: Attributor;
  /** what the report used, for commands that print more (explain) */
  privacy: ReportPrivacy;
}

export interface ReportPrivacy {
  anonymize?: (ip: string) => string;
  redact?: (url: string) => string;
}

/** The pseudonymizer and redactor of a run's options, keyed by the user's report key. */
export function reportPrivacy(options: ScanOptions, warnings: string[]): ReportPrivacy {
  if (!options.anonymize && options.showSecrets) return {};
  const { key, stable, path } = loadReportKey();
  if (options.anonymize && !stable) warnings.push(`pseudonyms are stable only within this report: the key file ${path} cannot be written`);
  return { anonymize: options.anonymize ? createAnonymizer(key) : undefined, redact: options.showSecrets ? undefined : createRedactor(key) };
}

export interface ScanHooks {
  /** called for every record, after the detector saw it (explain collects a client's requests) */
  onRecord?: (record: ScanRecord, file: string) => void;
  progress?: (bytesRead: number, totalBytes: number) => void;
}

/** ingest -> formats -> detect -> attribute -> report, for scan and explain alike. */
export async function runScan(paths: string[], options: ScanOptions, hooks: ScanHooks = {}): Promise<ScanResult> {
  const timings = new PhaseTimings();
  const timed = process.env.REPLAYWATCH_TIMINGS === '1';
  const loaded = timings.measure('attribution: load tables', () => loadAttributor());
  // timing every attribution call costs two clock reads a call: only when timings are asked for
  const attributor = timed ? timings.wrapAttributor(loaded) : loaded;
  const format = options.format ? resolveFormat(options.format, { clientIpField: options.clientIpField }) : null;
  // a directory's access logs, by name and content; what was left out is named in the report
  const leftOut: LeftOut[] = [];
  const inputs = await expandInputs(paths.length === 0 ? ['-'] : paths, {
    judgeHead: judgeAccessLog(format, { clientIpField: options.clientIpField }),
    onLeftOut: (entry) => leftOut.push(entry),
  });
  // the detector interns user agents and classifies each distinct one once
  const detector = new Detector({ classifyAgent: (userAgent) => attributor.classifyAgent(userAgent) });
  // canaries minted with `canary new`: their hits in the site's own logs become a report section
  const canaries = await loadCanaries(options.state ?? defaultStatePath());
  const canaryHits: CanaryHitInput[] = [];
  let onRecord = hooks.onRecord;
  if (canaries.length > 0) {
    const matcher = createCanaryMatcher(canaries.map((canary) => canary.token));
    const outer = onRecord;
    onRecord = (record, file) => {
      if (record.has(Field.Url)) {
        const index = matcher.match(record.buffers[Field.Url]!, record.starts[Field.Url]!, record.ends[Field.Url]!);
        if (index !== -1)
          canaryHits.push({ token: canaries[index]!.token, time: record.time, ip: record.text(Field.Ip), userAgent: record.text(Field.UserAgent) || null, method: record.text(Field.Method), url: record.text(Field.Url) });
      }
      outer?.(record, file);
    };
  }
  // worker threads when the input allows (parallel-scan.ts); null: scan on this thread
  const scanned =
    (await scanInParallel(inputs, format, detector, options, { ...hooks, onRecord })) ??
    (await scanInputs(
      inputs,
      format,
      onRecord
        ? (record, file) => {
            detector.observe(record);
            onRecord(record, file);
          }
        : (record) => detector.observe(record),
      { progress: hooks.progress, clientIpField: options.clientIpField },
    ));

  timings.mark('read, parse and index');
  if (scanned.counter.records === 0) throw noRecords(scanned.counter, scanned.files);
  const findings = analyze(detector, {
    networkKey: (address) => attributor.networkKey(address),
    actors: (address) => attributor.actors(address),
    verifyCrawler: (address, agent) => attributor.verifyCrawler(address, agent),
  });

  const warnings = [...collectWarnings(detector, scanned.counter, loaded), ...scanWarnings(detector)];
  if (leftOut.length > 0) {
    const shown = leftOut.slice(0, 10).map((entry) => `${entry.path}: ${entry.reason}`);
    warnings.push(`left out of the directory: ${shown.join(', ')}${leftOut.length > 10 ? ` and ${leftOut.length - 10} more` : ''}`);
  }
  for (const source of findings.sources) {
    if (source.kind !== 'crawler' || source.verified !== false) continue;
    const ips = source.clients.flatMap((client) => detector.addressesOf(client));
    warnings.push(`fake crawler: ${ips.slice(0, 5).join(', ')}${ips.length > 5 ? ` and ${ips.length - 5} more` : ''} claim${ips.length === 1 ? 's' : ''} to be ${source.agentName} but ${ips.length === 1 ? 'is' : 'are'} not in its published ranges`);
  }
  let reverse: Map<string, ReverseName> | undefined;
  const shownClients = findings.sources.filter((source) => source.confidence >= options.minConfidence).flatMap((source) => source.clients.slice(0, 20));
  if (!options.offline && shownClients.length > 0) {
    const resolver = createDnsResolver({ servers: options.dnsServer ? [options.dnsServer] : undefined, timeoutMs: options.dnsTimeout });
    const ips = [...new Set(shownClients.map((client) => detector.firstAddressOf(client)))];
    reverse = await reverseLookupAll(ips, resolver, { concurrency: 8, timeoutMs: options.dnsTimeout });
  }
  const counter = scanned.counter;
  timings.mark('analyze and reverse DNS');
  const privacy = reportPrivacy(options, warnings);
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
      reverseDns: options.offline ? 'offline' : reverse ? 'done' : 'not needed',
      notice: ATTRIBUTION_NOTICE,
      minConfidence: options.minConfidence,
      ...privacy,
    },
  );
  if (canaries.length > 0) model.canaries = buildCanaryReport(canaries, canaryHits, attributor, Date.now()).canaries;
  // the hits found in the log go to the store, so `canary report` knows them too
  await recordLogHits(options.state ?? defaultStatePath(), canaryHits).catch((error: Error) => model.warnings.push(`the canary hits found in the log could not be stored: ${error.message}`));
  timings.mark('report');
  if (timed) process.stderr.write(timings.describe(scanned.counter.lines));
  return { model, detector, findings, attributor, privacy };
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
  const outOfRange = counter.reasons.get(Reason.TimeOutOfRange) ?? 0;
  if (outOfRange > 0) warnings.push(`${outOfRange} line${outOfRange === 1 ? '' : 's'} had a time before 1990 or after 2099 (a wrong clock) and ${outOfRange === 1 ? 'was' : 'were'} skipped`);
  // a damaged .gz was read up to the damage: the reason names the file and what was lost
  for (const reason of counter.reasons.keys()) if (reason.startsWith('damaged gzip data')) warnings.push(reason);
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
 * Where a scan's time goes (REPLAYWATCH_TIMINGS=1 prints it on stderr): wall time per phase,
 * and the time spent inside attribution calls (table load, network keys, catalogue, declared
 * bots, crawler checks) measured around each call wherever it happens. This is how the bench
 * shows attribution's share of a scan.
 */
export class PhaseTimings {
  private readonly started = performance.now();
  private last = this.started;
  private readonly phases: [string, number, string?][] = [];
  private attribution = 0;
  private attributionCalls = 0;

  mark(name: string): void {
    const now = performance.now();
    const memory = process.memoryUsage();
    this.phases.push([`${name}`, now - this.last, `rss ${mb(memory.rss)}, heap ${mb(memory.heapUsed)}, array buffers ${mb(memory.arrayBuffers)}`]);
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
