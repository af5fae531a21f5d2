// Drives replaywatch as a user would: the CLI as a child process, HTTP over loopback with a
// chosen client address (any 127.x address is a distinct client on Linux).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

/**
 * The real binary (bin/replaywatch.js -> dist) when it starts; otherwise a launcher with only
 * the canary command, run from source (while other commands are still being written).
 * REPLAYWATCH_TEST_CLI=bin forces the binary.
 */
function chooseCli(): string[] {
  const bin = [join(root, 'bin/replaywatch.js')];
  if (process.env.REPLAYWATCH_TEST_CLI === 'bin') return bin;
  const probe = spawnSync(process.execPath, [...bin, 'canary', '--help'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.status === 0 && probe.stdout.includes('serve')) return bin;
  process.stderr.write('note: bin/replaywatch.js cannot run the canary command yet; using the canary-only launcher from source\n');
  return ['--import', 'tsx', join(root, 'test/canary/support/canary-cli.ts')];
}

let cli: string[] | null = null;
function cliArgs(): string[] {
  cli ??= chooseCli();
  return cli;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...cliArgs(), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** A command's JSON; exit 1 is an answer too ("found": `canary report` of a canary that leaked, as scan). */
export async function runCliJson<T>(args: string[]): Promise<T> {
  const result = await runCli(args);
  if (result.code !== 0 && result.code !== 1) throw new Error(`replaywatch ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export interface RunningListener {
  port: number;
  process: ChildProcess;
  output(): string;
  /** SIGTERM and wait (a clean stop) */
  stop(): Promise<number | null>;
  /** SIGKILL and wait (a crash) */
  kill(): Promise<void>;
}

/** Starts `canary serve` on a free loopback port and waits until it listens. */
export function startListener(args: string[]): Promise<RunningListener> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...cliArgs(), 'canary', 'serve', '--listen', '127.0.0.1:0', ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`canary serve did not start: ${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({
          port: Number(match[1]),
          process: child,
          output: () => output,
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
          kill: async () => {
            child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!/listening on/.test(output)) reject(new Error(`canary serve exited ${code}: ${output}`));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** GET over loopback from `from` (a 127.x address), with a fresh connection. */
export function fetchFrom(port: number, path: string, options: { from?: string; headers?: Record<string, string>; method?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', localAddress: options.from ?? '127.0.0.1', headers: options.headers, agent: false, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body, headers: response.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `replaywatch-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export const agents = {
  browser: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  oldBrowser: 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)',
  slack: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
};

/** The JSON of `canary report --json`, as far as the tests read it. */
export interface ReportJson {
  canaries: Array<{
    token: string;
    label: string;
    url: string;
    created: string;
    firstHit: { ip: string; time: string; userAgent: string | null } | null;
    others: Array<{ ip: string; time: string; lagSeconds: number; userAgent: string | null; kind: string; network: { cidr: string; asn: number | null; org: string | null; country: string | null } }>;
    verdict: { status: string; sentence: string };
  }>;
}

/** `canary watch` as a child process: wait for it to start, then for lines matching a pattern. */
export function startWatch(state: string) {
  const child = spawn(process.execPath, [...cliArgs(), 'canary', 'watch', '--state', state, '--interval', '0.3'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const waitFor = async (test: () => string | null, what: string): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const found = test();
      if (found !== null) return found;
      await sleep(100);
    }
    throw new Error(`canary watch: no ${what}; stdout=${stdout} stderr=${stderr}`);
  };
  return {
    ready: waitFor(() => (/watching/.test(stderr) ? 'ready' : null), 'start'),
    next: (pattern: RegExp) => waitFor(() => stdout.split('\n').find((line) => pattern.test(line)) ?? null, `line matching ${pattern}`),
    stop: () => child.kill('SIGTERM'),
  };
}
