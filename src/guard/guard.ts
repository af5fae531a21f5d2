import { readFileSync, stat, statSync } from 'node:fs';
import { loadAgentClassifier, type AgentClass } from '../attribute/index.js';
import { CidrSet, clientCidr, parseCidrText, type Cidr } from '../common/cidr.js';
import { normaliseAddress, parseTrustedProxies, resolveClientAddress } from '../serve/index.js';
import { interstitialPage, type PageText } from './page.js';

/**
 * The guard for one-time links (magic login, password reset, unsubscribe). Mail and chat
 * scanners open such links before the person does and consume them. A GET on a protected route
 * from a client the findings name (a replayer or prefetcher of a scan report, or a live list
 * file), or from a declared link previewer, is answered with a small page whose button POSTs
 * to the same URL; the POST reaches the handler, which consumes the link. Everyone else goes
 * straight through. `mode: 'always'` shows the page to everyone (the pattern many sites use).
 *
 * The handler must therefore accept POST on the route as well as GET. The guard reads no
 * body and reflects nothing of the request in its page.
 */
export interface GuardOptions {
  /** a report of `replaywatch scan --json` (its path, reloaded when it changes, or the object) */
  findings?: string | { sources?: unknown };
  /** a live list: one address or CIDR a line, `#` comments (`replaywatch block --to cidr` writes one); reloaded when it changes */
  list?: string;
  /** kinds of source in the findings that get the page (default: replayer, prefetcher) */
  kinds?: string[];
  /** sources of the findings below this confidence are ignored (default 0.5) */
  minConfidence?: number;
  /** declared link-preview agents (Slackbot, Discordbot, WhatsApp, ...) get the page too (default true) */
  previewAgents?: boolean;
  /** 'findings' (default): only the clients above; 'always': everyone */
  mode?: 'findings' | 'always';
  /** routes to protect, by path prefix or pattern, or a test (default: every route the guard wraps) */
  paths?: (string | RegExp)[] | ((path: string) => boolean);
  /** reverse proxies (CIDRs) whose X-Forwarded-For names the client */
  trustProxy?: string[];
  /** how often the files are checked for changes, ms (default 2000) */
  reloadIntervalMs?: number;
  /** the page's words */
  page?: PageText;
  /** a file that cannot be read or parsed (the previous contents stay in force) */
  onError?: (error: Error) => void;
  /** told of every page shown */
  onInterstitial?: (event: { address: string; userAgent: string; path: string; reason: GuardReason }) => void;
  /** user agent -> declared bot; default: replaywatch's own classification (src/attribute/agents.ts) */
  classifyAgent?: (userAgent: string) => AgentClass | null;
}

export type GuardReason = 'findings' | 'list' | 'link-preview' | 'always';

export interface GuardRequest {
  method: string;
  /** path and query */
  url: string;
  /** the TCP peer */
  peer: string;
  userAgent: string;
  forwardedFor?: string;
}

export interface GuardDecision {
  interstitial: boolean;
  reason: GuardReason | null;
  address: string;
}

const DEFAULT_KINDS = ['replayer', 'prefetcher'];

/** Addresses of the selected sources of a report; anything malformed is skipped, never thrown. */
export function addressesOfReport(report: unknown, kinds: string[], minConfidence: number): Cidr[] {
  const sources = (report as { sources?: unknown })?.sources;
  if (!Array.isArray(sources)) throw new Error('not a report of replaywatch scan --json (no sources)');
  const cidrs: Cidr[] = [];
  for (const source of sources as { kind?: unknown; confidence?: unknown; ips?: unknown }[]) {
    if (typeof source !== 'object' || source === null || typeof source.kind !== 'string' || !kinds.includes(source.kind)) continue;
    if (typeof source.confidence !== 'number' || source.confidence < minConfidence || !Array.isArray(source.ips)) continue;
    for (const ip of source.ips) {
      const cidr = typeof ip === 'string' ? clientCidr(ip) : null;
      if (cidr) cidrs.push(cidr);
    }
  }
  return cidrs;
}

/** A list file: one address or CIDR a line; `#` starts a comment; other lines are skipped. */
export function addressesOfList(text: string): Cidr[] {
  const cidrs: Cidr[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const token = line.split(/\s+/)[0]!;
    // a bare address is a client: an IPv6 one stands for its /64, as everywhere in replaywatch
    const cidr = token.includes('/') ? parseCidrText(token) : clientCidr(token);
    if (cidr) cidrs.push(cidr);
  }
  return cidrs;
}

export class Guard {
  private findingsSet = new CidrSet([]);
  private listSet = new CidrSet([]);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly isProtected: (path: string) => boolean;
  private readonly trusted;
  private readonly classify: ((userAgent: string) => AgentClass | null) | null;
  private readonly kinds: string[];
  private readonly minConfidence: number;
  private readonly onError: (error: Error) => void;
  /** counts reloads of the files, so a caller can wait for a change to take effect */
  generation = 0;
  readonly page: string;

  constructor(private readonly options: GuardOptions = {}) {
    this.kinds = options.kinds ?? DEFAULT_KINDS;
    this.minConfidence = options.minConfidence ?? 0.5;
    this.onError = options.onError ?? ((error) => process.emitWarning(`replaywatch guard: ${error.message}`));
    this.trusted = parseTrustedProxies(options.trustProxy ?? []);
    this.classify = options.previewAgents === false ? null : (options.classifyAgent ?? loadAgentClassifier());
    this.isProtected = protectedTest(options.paths);
    this.page = interstitialPage(options.page);
    const interval = options.reloadIntervalMs ?? 2000;
    const { findings, list } = options;
    // watch (which notes the file's state) before the first load: a change in between is then
    // loaded again at the next poll, never missed
    if (typeof findings === 'string') {
      this.watch(findings, interval, () => this.loadFindings(findings));
      this.loadFindings(findings);
    } else if (findings !== undefined) {
      this.findingsSet = new CidrSet(addressesOfReport(findings, this.kinds, this.minConfidence));
    }
    if (list !== undefined) {
      this.watch(list, interval, () => this.loadList(list));
      this.loadList(list);
    }
  }

  /** The decision for one request: the page, or straight through to the handler. */
  decide(request: GuardRequest): GuardDecision {
    const address = resolveClientAddress(normaliseAddress(request.peer), request.forwardedFor, this.trusted);
    const pass = { interstitial: false, reason: null, address };
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return pass;
    const path = request.url.split('?', 1)[0]!;
    if (!this.isProtected(path)) return pass;
    const reason = this.reasonFor(address, request.userAgent);
    if (reason === null) return pass;
    this.options.onInterstitial?.({ address, userAgent: request.userAgent, path, reason });
    return { interstitial: true, reason, address };
  }

  private reasonFor(address: string, userAgent: string): GuardReason | null {
    if (this.options.mode === 'always') return 'always';
    if (this.findingsSet.has(address)) return 'findings';
    if (this.listSet.has(address)) return 'list';
    if (this.classify !== null && userAgent !== '' && this.classify(userAgent)?.kind === 'link-preview') return 'link-preview';
    return null;
  }

  /** Stop watching the files (the timers are unref'd: they never keep a process alive). */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }

  private loadFindings(path: string): void {
    try {
      this.findingsSet = new CidrSet(addressesOfReport(JSON.parse(readFileSync(path, 'utf8')), this.kinds, this.minConfidence));
      this.generation++;
    } catch (error) {
      this.onError(new Error(`cannot load the findings ${path}: ${(error as Error).message}`));
    }
  }

  private loadList(path: string): void {
    try {
      this.listSet = new CidrSet(addressesOfList(readFileSync(path, 'utf8')));
      this.generation++;
    } catch (error) {
      this.onError(new Error(`cannot load the list ${path}: ${(error as Error).message}`));
    }
  }

  /**
   * Polling, compared with the file as it was when last loaded: fs.watch loses a file that is
   * replaced by rename (as `block -o` writes it), and fs.watchFile compares each poll only with
   * its own previous one, so a change made before its first poll would never be seen.
   */
  private watch(path: string, interval: number, reload: () => void): void {
    let loaded = signatureOf(path);
    let checking = false;
    const timer = setInterval(() => {
      if (checking) return;
      checking = true;
      stat(path, (error, stats) => {
        checking = false;
        const now = error ? 'missing' : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
        if (now === loaded) return;
        loaded = now;
        if (!error) reload();
      });
    }, interval);
    timer.unref();
    this.timers.push(timer);
  }
}

function signatureOf(path: string): string {
  try {
    const stats = statSync(path);
    return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function protectedTest(paths: GuardOptions['paths']): (path: string) => boolean {
  if (paths === undefined) return () => true;
  if (typeof paths === 'function') return paths;
  return (path) => paths.some((rule) => (typeof rule === 'string' ? path.startsWith(rule) : rule.test(path)));
}

export function createGuard(options: GuardOptions = {}): Guard {
  return new Guard(options);
}
