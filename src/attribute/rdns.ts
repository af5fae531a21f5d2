/**
 * Reverse DNS done properly: PTR, then forward confirmation (the A/AAAA records of each PTR
 * name must contain the address, or the name proves nothing: anyone can publish any PTR for
 * their own addresses), cached for the run, a concurrency limit, and a per-query timeout that
 * holds even when a server never answers.
 *
 * The core only sees ResolvePtr/ResolveAddresses; createDnsResolver builds them from
 * node:dns. Only the CLI calls it, and only for the clients a report shows (never per line);
 * `--offline` never creates one.
 */
import { Resolver } from 'node:dns/promises';
import { parseAddress } from './address.js';
import type { ResolveAddresses, ResolvePtr, ReverseName } from './types.js';

export interface ReverseResolver {
  resolvePtr: ResolvePtr;
  resolveAddresses: ResolveAddresses;
  /** abandon queries still in flight (the run is over) */
  close?: () => void;
}

export interface DnsResolverOptions {
  /** "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; default: the system's servers */
  servers?: string[];
  /** per query, default 2000 ms */
  timeoutMs?: number;
  /** attempts per server, default 1 (c-ares' default of 4 with back-off turns 2 s into 30 s) */
  tries?: number;
}

/** No such name or no such record: an answer, not a failure. */
const NO_ANSWER = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/** ResolvePtr/ResolveAddresses backed by node:dns, pointed at the given servers. */
export function createDnsResolver(options: DnsResolverOptions = {}): ReverseResolver {
  const timeoutMs = options.timeoutMs ?? 2000;
  const resolver = new Resolver({ timeout: timeoutMs, tries: options.tries ?? 1 });
  if (options.servers && options.servers.length > 0) resolver.setServers(options.servers);
  const orEmpty = async (query: Promise<string[]>): Promise<string[]> => {
    try {
      return await query;
    } catch (error) {
      if (NO_ANSWER.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  };
  return {
    resolvePtr: (ip) => orEmpty(resolver.reverse(ip)),
    resolveAddresses: async (name) => {
      // both families: a name may confirm an IPv6 client through AAAA only
      const [v4, v6] = await Promise.allSettled([orEmpty(resolver.resolve4(name)), orEmpty(resolver.resolve6(name))]);
      if (v4.status === 'rejected' && v6.status === 'rejected') throw v4.reason;
      return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    },
    close: () => resolver.cancel(),
  };
}

export class TimeoutError extends Error {
  readonly code = 'ETIMEOUT';
  constructor(what: string, timeoutMs: number) {
    super(`${what} took longer than ${timeoutMs} ms`);
  }
}

/** A promise that rejects after `timeoutMs` unless `work` settles first; the timer never holds the process. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, timeoutMs)), timeoutMs);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function isTimeout(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error instanceof TimeoutError || code === 'ETIMEOUT' || code === 'ETIMEDOUT';
}

/** The same address, compared by value ("2001:db8::1" equals "2001:0db8:0:0::1"). */
function sameAddress(a: string, b: string): boolean {
  const left = parseAddress(a);
  const right = parseAddress(b);
  if (!left || !right || left.version !== right.version) return false;
  if (left.version === 4 || right.version === 4) return left.version === 4 && right.version === 4 && left.value === right.value;
  return left.words.every((word, index) => word === right.words[index]);
}

export interface ReverseLookupOptions {
  /** per query (the PTR and each forward lookup), default 2000 ms */
  timeoutMs?: number;
  /** lookups in flight at once, default 16 */
  concurrency?: number;
  /** forward-confirm at most this many PTR names per address, default 4 */
  maxNames?: number;
  /** a cache shared across calls in one run; default: one per call */
  cache?: ReverseCache;
}

/** Per-run memo: an address is looked up once however many times a report asks. */
export type ReverseCache = Map<string, Promise<ReverseName>>;

export function createReverseCache(): ReverseCache {
  return new Map();
}

/** PTR + forward confirmation for one address. Never rejects: failures are a status. */
export async function reverseLookup(ip: string, resolver: ReverseResolver, options: ReverseLookupOptions = {}): Promise<ReverseName> {
  const cache = options.cache;
  const cached = cache?.get(ip);
  if (cached) return cached;
  const lookup = lookUp(ip, resolver, options.timeoutMs ?? 2000, options.maxNames ?? 4);
  cache?.set(ip, lookup);
  return lookup;
}

async function lookUp(ip: string, resolver: ReverseResolver, timeoutMs: number, maxNames: number): Promise<ReverseName> {
  let names: string[];
  try {
    names = await withTimeout(resolver.resolvePtr(ip), timeoutMs, `PTR ${ip}`);
  } catch (error) {
    return { names: [], confirmed: [], status: isTimeout(error) ? 'timeout' : 'error' };
  }
  names = [...new Set(names.map((name) => name.toLowerCase().replace(/\.$/, '')))];
  if (names.length === 0) return { names: [], confirmed: [], status: 'none' };
  const checks = await Promise.all(
    names.slice(0, maxNames).map(async (name) => {
      try {
        const addresses = await withTimeout(resolver.resolveAddresses(name), timeoutMs, `A/AAAA ${name}`);
        return addresses.some((address) => sameAddress(address, ip)) ? name : null;
      } catch {
        return null; // a forward lookup that fails confirms nothing; the PTR answer still stands
      }
    }),
  );
  return { names, confirmed: checks.filter((name): name is string => name !== null), status: 'ok' };
}

/**
 * Look up many addresses with at most `concurrency` in flight. Every address gets an answer
 * (a timeout is an answer), so one dead server cannot stall a report for longer than
 * ceil(n / concurrency) * (1 + maxNames) * timeoutMs in the worst case.
 */
export async function reverseLookupAll(
  ips: Iterable<string>,
  resolver: ReverseResolver,
  options: ReverseLookupOptions = {},
): Promise<Map<string, ReverseName>> {
  const unique = [...new Set(ips)];
  const cache = options.cache ?? createReverseCache();
  const results = new Map<string, ReverseName>();
  const concurrency = Math.max(1, options.concurrency ?? 16);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const ip = unique[next++]!;
      results.set(ip, await reverseLookup(ip, resolver, { ...options, cache }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
  // keep the caller's order
  return new Map(unique.map((ip) => [ip, results.get(ip)!]));
}
