import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Attributor } from '../attribute/types.js';
import { ReplaywatchError } from '../common/errors.js';
import {
  appendCanaryEvent,
  insertCanary,
  insertHits,
  listCanaries,
  purgeBefore,
  readCanaryState,
  revokeCanary,
  withStore,
  type CanaryHitRecord,
  type CanaryRecord,
  type StoreOptions,
} from '../store/index.js';
import { buildCanaryReport, type CanaryHitInput, type CanaryReport } from './report.js';
import { canaryUrl, mintToken } from './token.js';

/* Canary operations on the store: each is one short session (see store/duckdb-store.ts). */

export async function createCanary(statePath: string, options: { label: string; baseUrl: string; now?: number }, storeOptions: StoreOptions = {}): Promise<CanaryRecord> {
  const token = mintToken();
  const canary: CanaryRecord = { token, label: options.label, url: canaryUrl(options.baseUrl, token), created: options.now ?? Date.now(), revoked: null };
  await withStore(statePath, storeOptions, (session) => insertCanary(session, canary));
  // after the commit: a running listener knows it from the next request on
  appendCanaryEvent(statePath, canary);
  return canary;
}

/**
 * The canaries a log scan should look for. No store yet means no canaries (a scan must not fail
 * because nobody ever made one). Revoked canaries are left out unless asked for.
 */
export async function loadCanaries(statePath: string, options: { includeRevoked?: boolean } = {}, storeOptions: StoreOptions = {}): Promise<CanaryRecord[]> {
  if (!existsSync(statePath)) return [];
  const canaries = await withStore(statePath, { ...storeOptions, readOnly: true }, listCanaries);
  return options.includeRevoked ? canaries : canaries.filter((canary) => canary.revoked === null);
}

/** Canaries named by token or label (every canary when `selector` is undefined); E_NOT_FOUND when none matches. */
export function selectCanaries<T extends { token: string; label: string; url: string }>(canaries: readonly T[], selector: string | undefined): T[] {
  if (selector === undefined) return canaries.slice();
  const byToken = canaries.filter((canary) => canary.token === selector || canary.url === selector);
  const chosen = byToken.length > 0 ? byToken : canaries.filter((canary) => canary.label === selector);
  if (chosen.length === 0) {
    throw new ReplaywatchError('E_NOT_FOUND', `no canary with the token or label "${selector}"`, { hint: 'list them with: replaywatch canary list' });
  }
  return chosen;
}

/** Revokes the canaries named by token or label; the listener answers 404 for them from then on. */
export async function revokeCanaries(statePath: string, selector: string, now: number = Date.now(), storeOptions: StoreOptions = {}): Promise<CanaryRecord[]> {
  const revoked = await withStore(statePath, storeOptions, async (session) => {
    const chosen = selectCanaries(await listCanaries(session), selector);
    const done: CanaryRecord[] = [];
    for (const canary of chosen) if (await revokeCanary(session, canary.token, now)) done.push({ ...canary, revoked: now });
    return done;
  });
  // a running listener answers 404 for them from its next request on
  for (const canary of revoked) appendCanaryEvent(statePath, canary);
  return revoked;
}

/**
 * Stores the canary hits a scan found in the site's own logs (source 'log'), so that
 * `canary report` sees them too. Each hit's id is a hash of what was logged, so scanning the
 * same log again adds nothing.
 */
export async function recordLogHits(statePath: string, hits: readonly CanaryHitInput[], storeOptions: StoreOptions = {}): Promise<number> {
  if (hits.length === 0) return 0;
  const records: CanaryHitRecord[] = hits.map((hit) => {
    const method = hit.method || 'GET';
    const url = hit.url ?? '';
    const id = `log-${createHash('sha256').update([hit.token, hit.time, hit.ip, method, url, hit.userAgent ?? ''].join('\u0000')).digest('hex').slice(0, 32)}`;
    return { id, token: hit.token, time: hit.time, ip: hit.ip, peer: hit.ip, method, url, userAgent: hit.userAgent, referer: null, acceptLanguage: null, via: null, xForwardedFor: null, source: 'log' };
  });
  return withStore(statePath, { busyTimeoutMs: 2000, ...storeOptions }, (session) => insertHits(session, records));
}

/** Every canary and how often it was fetched (store and the running listener's journal). */
export async function loadCanaryCounts(statePath: string, storeOptions: StoreOptions = {}): Promise<{ canaries: CanaryRecord[]; counts: Map<string, number> }> {
  const { canaries, hits } = await readCanaryState(statePath, storeOptions, 'summary');
  const counts = new Map<string, number>();
  for (const hit of hits) counts.set(hit.token, (counts.get(hit.token) ?? 0) + 1);
  return { canaries, counts };
}

/** Every canary with every hit (store and the running listener's journal). */
export async function loadCanaryHits(statePath: string, storeOptions: StoreOptions = {}): Promise<{ canaries: CanaryRecord[]; hits: CanaryHitRecord[] }> {
  const { canaries, hits } = await readCanaryState(statePath, storeOptions);
  return { canaries, hits };
}

/**
 * The report for the canaries named by `selector` (all when undefined), as `canary report`
 * prints it. Give the attributor as a loader to load it only when a shown canary was fetched.
 */
export async function loadCanaryReport(
  statePath: string,
  attributor: Attributor | (() => Attributor),
  options: { selector?: string; now?: number } = {},
  storeOptions: StoreOptions = {},
): Promise<CanaryReport> {
  const { canaries, hits } = await readCanaryState(statePath, storeOptions, 'summary');
  return buildCanaryReport(selectCanaries(canaries, options.selector), hits, attributor, options.now ?? Date.now());
}

/**
 * Deletes hits older than `cutoff` (ms) and canaries revoked before it. Unless `all` is set,
 * a purge that would delete every hit deletes nothing and says so (`refused`).
 */
export async function purgeCanaryData(statePath: string, cutoff: number, options: { all?: boolean } = {}, storeOptions: StoreOptions = {}): Promise<{ hits: number; canaries: number; refused?: boolean; total?: number }> {
  return withStore(statePath, storeOptions, (session) => purgeBefore(session, cutoff, { refuseAll: options.all !== true }));
}

/**
 * "90d", "12h", "30min", "45s", "2w" -> milliseconds; null when it is not a duration. The unit
 * is required (a bare number was days) and `m` is refused: minutes or months is a guess, and
 * a retention guessed wrong deletes what it should keep.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(s|min|h|d|w)$/i.exec(text.trim());
  if (!match) return null;
  const seconds = { s: 1, min: 60, h: 3600, d: 86400, w: 604800 }[match[2]!.toLowerCase()]!;
  return Number(match[1]) * seconds * 1000;
}
