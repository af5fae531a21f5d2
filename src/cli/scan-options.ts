import { availableParallelism } from 'node:os';
import { createDnsResolver } from '../attribute/index.js';
import { loadCanaries } from '../canary/index.js';
import { ReplaywatchError } from '../common/errors.js';
import type { ScanOptions } from '../scan/index.js';
import { defaultStatePath, loadReportKey } from '../store/index.js';
import { createAnonymizer, createRedactor } from '../report/index.js';
import type { CliIo } from './io.js';

/** Every scan option, once, with its default: the CLI flags are derived from this table. */
export const scanOptionSpecs = [
  { flags: '--format <spec>', description: 'log format: a preset name, an Apache LogFormat string or an nginx log_format string (default: detected from the first lines)' },
  { flags: '--client-ip-field <header>', description: 'take the client address from this request header field of the log (e.g. X-Forwarded-For) when the log has one' },
  { flags: '--offline', description: 'make no network lookups (reverse DNS is the only one)', defaultValue: false },
  { flags: '--json', description: 'write the report as JSON on stdout', defaultValue: false },
  { flags: '--html <file>', description: 'also write the report as one self-contained HTML file (plots, evidence, sortable tables; opens offline)' },
  { flags: '--min-confidence <x>', description: 'drop sources weaker than this (0..1)', defaultValue: '0.5' },
  { flags: '--workers <n>', description: 'worker threads (default: the number of cores)' },
  { flags: '--anonymize', description: "pseudonymize people's addresses in every output (anon-<prefix>-<keyed hash>, stable with the key in the user data directory); replayers stay named", defaultValue: false },
  { flags: '--show-secrets', description: 'show secrets in URLs (tokens, passwords, signatures) instead of [redacted:hash]', defaultValue: false },
  { flags: '--dns-server <host:port>', description: 'resolver for reverse DNS (default: the system resolver)' },
  { flags: '--dns-timeout <ms>', description: 'reverse-DNS timeout per query', defaultValue: '2000' },
  { flags: '--no-progress', description: 'no progress bar on stderr' },
  { flags: '--memory-budget <size>', description: 'memory for what the scan keeps (e.g. 256MB, 2GB; default 256MB): rare-URL detail, client addresses and user agents share it; past it the oldest detail is dropped or new ones are counted, not told apart, and the report says so' },
  { flags: '--state <file>', description: 'the store whose canaries the scan looks for (default: the user data directory)' },
] as const;

/** The scan flags, parsed and checked. */
export interface ScanFlags {
  format?: string;
  clientIpField?: string;
  offline: boolean;
  json: boolean;
  /** write an HTML report here too; the model then carries plots */
  html?: string;
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

export function parseScanOptions(raw: Record<string, unknown>): ScanFlags {
  const minConfidence = Number(raw.minConfidence ?? 0.5);
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new ReplaywatchError('E_USAGE', `--min-confidence must be between 0 and 1, not ${String(raw.minConfidence)}`);
  const workers = raw.workers === undefined ? Math.max(1, availableParallelism()) : Number(raw.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new ReplaywatchError('E_USAGE', `--workers must be a whole number from 1 to 256, not ${String(raw.workers)}`);
  const dnsTimeout = Number(raw.dnsTimeout ?? 2000);
  if (!(dnsTimeout > 0)) throw new ReplaywatchError('E_USAGE', `--dns-timeout must be a positive number of milliseconds`);
  return {
    format: raw.format as string | undefined,
    clientIpField: raw.clientIpField as string | undefined,
    offline: raw.offline === true,
    json: raw.json === true,
    html: raw.html as string | undefined,
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

/** "256MB", "1.5GB", "65536" -> bytes; E_USAGE naming `what` otherwise. */
export function parseSize(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g|kib|mib|gib)?$/i.exec(text.trim());
  if (match === null) throw new ReplaywatchError('E_USAGE', `${what} must be a size such as 256MB, not ${text}`);
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const scale = unit === 'k' ? 1 << 10 : unit === 'm' ? 1 << 20 : unit === 'g' ? 1 << 30 : 1;
  return Math.floor(Number(match[1]) * scale);
}

/**
 * The engine's options from the flags and the environment: the real resolver (unless
 * --offline), the store's canaries, and the variables tests and the bench use
 * (REPLAYWATCH_MEMORY_BUDGET, REPLAYWATCH_PARALLEL_MIN_BYTES, REPLAYWATCH_TIMINGS=1 for
 * timings on stderr).
 */
export async function engineOptions(inputs: string[], flags: ScanFlags, io: CliIo, extra: Partial<ScanOptions> = {}): Promise<ScanOptions> {
  const environmentBudget = io.env.REPLAYWATCH_MEMORY_BUDGET;
  // pseudonyms and redaction hashes keyed by report.key in the user's data directory
  const needsKey = flags.anonymize || !flags.showSecrets;
  const { key, stable, path } = needsKey ? loadReportKey(io.env) : { key: Buffer.alloc(0), stable: true, path: '' };
  if (flags.anonymize && !stable) io.stderr.write(`replaywatch: warning: pseudonyms are stable only within this report: the key file ${path} cannot be written\n`);
  const parallelMin = io.env.REPLAYWATCH_PARALLEL_MIN_BYTES;
  return {
    inputs,
    format: flags.format,
    clientIpField: flags.clientIpField,
    minConfidence: flags.minConfidence,
    workers: flags.workers,
    memoryBudget: flags.memoryBudget ?? (environmentBudget ? parseSize(environmentBudget, 'REPLAYWATCH_MEMORY_BUDGET') : undefined),
    anonymize: flags.anonymize ? createAnonymizer(key) : false,
    redact: flags.showSecrets ? undefined : createRedactor(key),
    plots: flags.html !== undefined,
    resolver: flags.offline ? null : createDnsResolver({ servers: flags.dnsServer ? [flags.dnsServer] : undefined, timeoutMs: flags.dnsTimeout }),
    dnsTimeout: flags.dnsTimeout,
    canaries: await loadCanaries(flags.state ?? defaultStatePath(io.env)),
    parallelMinBytes: parallelMin ? Number(parallelMin) : undefined,
    diagnostics: io.env.REPLAYWATCH_TIMINGS === '1' ? (text) => io.stderr.write(text) : undefined,
    ...extra,
  };
}
