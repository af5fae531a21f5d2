// Shared by the blocklist tests: a report whose sources sit on loopback addresses (so real
// servers on 127.0.0.1 can tell them apart), the CLI, and a way to require a Debian binary.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sleep } from '../canary/support/harness.js';

export { fetchFrom, runCli, sleep, tempDir } from '../canary/support/harness.js';

/**
 * The binary a test needs, or a skip message. In CI a missing binary fails the run (test.sh
 * installs the package); elsewhere the test is skipped and says what did not run.
 */
export function requireBinary(path: string, packageName: string, what: string): string | false {
  if (existsSync(path)) return false;
  if (process.env.CI === 'true') throw new Error(`${path} is missing: CI must install ${packageName} (scripts/test.sh does) for ${what}`);
  const message = `skipped: ${path} not installed (apt-get install ${packageName}): ${what} did not run`;
  process.stderr.write(`${message}\n`);
  return message;
}

/** Names from logs and network data can hold anything; these try to break out of a comment. */
export const hostileOrg = 'Replay Cloud\nallow all;\r\n</RequireAll>\nRequire all granted\n} table inet x { \\';

/**
 * A scan --json report: a replayer on 127.0.0.2 and 127.0.0.3, a weak prefetcher on 127.0.0.4
 * (below the default confidence), a link previewer on 127.0.0.6, a verified crawler on
 * 127.0.0.5, and an IPv6 replayer in documentation space (two addresses of one /64).
 */
export function loopbackReport(): object {
  const network = (cidr: string, org: string, asn: number | null) => ({ cidr, asn, org, country: null, rdns: [] });
  const source = (kind: string, confidence: number, ips: string[], org: string, extra: object = {}) => ({
    kind,
    confidence,
    network: network('127.0.0.0/8', org, 64500),
    ips,
    requests: 40,
    replays: 30,
    urls: 30,
    victims: 9,
    lagSeconds: null,
    authMismatch: 0.5,
    examples: [],
    reasons: [],
    ...extra,
  });
  return {
    version: 1,
    input: { files: ['access.log\n# injected'], lines: 100, records: 100, skipped: 0, skippedExamples: [], format: 'combined', from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' },
    sources: [
      source('replayer', 0.97, ['127.0.0.2', '127.0.0.3'], hostileOrg, { pattern: 'deferred' }),
      source('prefetcher', 0.3, ['127.0.0.4'], 'Weak Mail Scanner'),
      source('link-preview', 0.9, ['127.0.0.6'], 'Chat', { agent: 'Slackbot' }),
      source('crawler', 0.9, ['127.0.0.5'], 'Search', { agent: 'Googlebot', verified: true }),
      { ...source('replayer', 0.8, ['2001:db8:5:6::1', '2001:db8:5:6::2'], 'V6 Replayer'), network: network('2001:db8::/32', 'V6 Replayer', 64501) },
    ],
    probes: [{ ip: '127.0.0.7', network: network('127.0.0.0/8', 'Prober', 64502), paths: 12, first: '2026-03-02T00:00:00Z', last: '2026-03-02T01:00:00Z', examples: ['/.env'] }],
    warnings: [],
  };
}

export function writeReport(dir: string, report: object = loopbackReport()): string {
  const path = join(dir, 'report.json');
  writeFileSync(path, JSON.stringify(report));
  return path;
}

/** `replaywatch block ...`, failing the test on a non-zero exit. */
export async function block(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runCli(['block', ...args], { SOURCE_DATE_EPOCH: '1767225600' });
  if (result.code !== 0) throw new Error(`replaywatch block ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result;
}

export interface Daemon {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** A server in the foreground; stop() sends `signal`, then SIGKILL if it lingers. */
export function startDaemon(command: string, args: string[], signal: NodeJS.Signals = 'SIGTERM', env: NodeJS.ProcessEnv = process.env): Daemon {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Wait until `probe` stops throwing (a server is up); the daemon's output explains a failure. */
export async function waitUntil<T>(probe: () => Promise<T>, daemon: Daemon, what: string): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 150; attempt++) {
    if (daemon.process.exitCode !== null) throw new Error(`${what} exited ${daemon.process.exitCode}: ${daemon.output()}`);
    try {
      return await probe();
    } catch (error) {
      last = error;
      await sleep(100);
    }
  }
  throw new Error(`${what} did not start (${String(last)}): ${daemon.output()}`);
}
