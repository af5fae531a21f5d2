/**
 * A real DNS server for the reverse-DNS tests: dnsmasq on a free loopback port, answering only
 * the records a test gives it and logging every query to a file; and a "server" that reads
 * queries and never answers. Outside CI a missing dnsmasq skips the tests that need it (saying
 * so); in CI they fail (scripts/test.sh installs it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeLoopbackPort } from './net.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';
const available = existsSync(DNSMASQ);

/** The `skip` option of a test that needs dnsmasq: false, or why it is skipped (printed). */
export function dnsmasqSkip(what: string): string | false {
  if (available || process.env.CI === 'true') return false;
  const reason = `${DNSMASQ} is not installed: skipping ${what} against a real server (apt-get install dnsmasq)`;
  console.log(`# ${reason}`);
  return reason;
}

export interface Dnsmasq {
  port: number;
  /** every query dnsmasq answered, as it logs them */
  queryLog: string;
  /** the log so far, for failure messages */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts dnsmasq in `directory` with `records` (dnsmasq config lines: local=, host-record=,
 * ptr-record=) and no upstream; resolves once it has started.
 */
export async function startDnsmasq(directory: string, records: string[]): Promise<Dnsmasq> {
  assert.ok(available, `${DNSMASQ} is required in CI (scripts/test.sh installs it)`);
  const port = await freeLoopbackPort();
  const queryLog = join(directory, 'dnsmasq-queries.log');
  const config = [`port=${port}`, 'listen-address=127.0.0.1', 'bind-interfaces', 'no-resolv', 'no-hosts', 'no-poll', 'log-queries', `log-facility=${queryLog}`, ...records];
  const configPath = join(directory, 'dnsmasq.conf');
  writeFileSync(configPath, `${config.join('\n')}\n`);
  writeFileSync(queryLog, '');
  const child = spawn(DNSMASQ, ['--no-daemon', `--conf-file=${configPath}`, '--pid-file='], { stdio: 'ignore' });
  const log = (): string => readFileSync(queryLog, 'utf8');
  const deadline = Date.now() + 10_000;
  while (!log().includes('started')) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${child.exitCode}: ${log()}`);
    if (Date.now() > deadline) throw new Error(`dnsmasq did not start within 10 s: ${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    queryLog,
    log,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A UDP "DNS server" on loopback that reads every query and answers none. */
export async function silentDnsServer(): Promise<{ port: number; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  socket.on('message', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
