import { readJournal } from './journal.js';
import { stateFiles } from './paths.js';
import { withStore, type StoreOptions, type StoreSession } from './duckdb-store.js';

/** A canary as stored. Times are milliseconds since the epoch. */
export interface CanaryRecord {
  token: string;
  label: string;
  url: string;
  created: number;
  revoked: number | null;
}

/** One recorded fetch of a canary URL. */
export interface CanaryHitRecord {
  /** random, minted when recorded; makes journal replays idempotent */
  id: string;
  token: string;
  time: number;
  /** the client: the direct peer, or the right-most untrusted X-Forwarded-For address behind a trusted proxy */
  ip: string;
  /** the direct TCP peer */
  peer: string;
  method: string;
  url: string;
  userAgent: string | null;
  referer: string | null;
  acceptLanguage: string | null;
  via: string | null;
  /** raw, as received */
  xForwardedFor: string | null;
  source: 'listener' | 'log';
}

/**
 * What a verdict or a count needs of a hit, and its id (to merge the journal with the
 * database). Half the columns: reading thousands of hits (a canary a flood fetched) is the
 * larger part of a `canary report`, and most of it is turning column values into strings.
 */
export type CanaryHitSummary = Pick<CanaryHitRecord, 'id' | 'token' | 'time' | 'ip' | 'userAgent' | 'method'>;

export async function insertCanary(session: StoreSession, canary: CanaryRecord): Promise<void> {
  await session.run('INSERT INTO canary VALUES ($token, $label, $url, $created, $revoked)', { ...canary });
}

export async function listCanaries(session: StoreSession): Promise<CanaryRecord[]> {
  const rows = await session.all('SELECT token, label, url, created_ms, revoked_ms FROM canary ORDER BY created_ms, token');
  return rows.map((row) => ({
    token: String(row.token),
    label: String(row.label),
    url: String(row.url),
    created: Number(row.created_ms),
    revoked: row.revoked_ms === null ? null : Number(row.revoked_ms),
  }));
}

/** Marks a canary revoked; false when there is no such token or it was revoked already. */
export async function revokeCanary(session: StoreSession, token: string, time: number): Promise<boolean> {
  const rows = await session.all('SELECT revoked_ms FROM canary WHERE token = $token', { token });
  if (rows.length === 0 || rows[0]!.revoked_ms !== null) return false;
  await session.run('UPDATE canary SET revoked_ms = $time WHERE token = $token', { token, time });
  return true;
}

/**
 * Inserts hits in one transaction, ignoring ids already stored; returns how many were new.
 * In bulk (the appender): the listener holds the file while it imports, and the CLI waits for
 * it; one awaited statement per hit, then statements of 256 rows of bound parameters, held it
 * for seconds, then for hundreds of milliseconds under a flood.
 */
export async function insertHits(session: StoreSession, hits: readonly CanaryHitRecord[]): Promise<number> {
  if (hits.length === 0) return 0;
  return session.transaction(() => session.insertOrIgnore('canary_hit', hits.map((hit) => HIT_COLUMNS.map((column) => hit[column] ?? null))));
}

/** canary_hit's columns, in table order, as CanaryHitRecord keys. */
const HIT_COLUMNS = ['id', 'token', 'time', 'ip', 'peer', 'method', 'url', 'userAgent', 'referer', 'acceptLanguage', 'via', 'xForwardedFor', 'source'] as const;

export async function listHits(session: StoreSession): Promise<CanaryHitRecord[]> {
  const rows = await session.all(
    `SELECT id, token, time_ms, ip, peer, method, url, user_agent, referer, accept_language, via, x_forwarded_for, source
       FROM canary_hit ORDER BY time_ms, id`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    token: String(row.token),
    time: Number(row.time_ms),
    ip: String(row.ip),
    peer: String(row.peer),
    method: String(row.method),
    url: String(row.url),
    userAgent: nullableString(row.user_agent),
    referer: nullableString(row.referer),
    acceptLanguage: nullableString(row.accept_language),
    via: nullableString(row.via),
    xForwardedFor: nullableString(row.x_forwarded_for),
    source: row.source === 'log' ? 'log' : 'listener',
  }));
}

/** Every hit, as much of it as a verdict needs, in no order. */
export async function listHitSummaries(session: StoreSession): Promise<CanaryHitSummary[]> {
  const rows = await session.all('SELECT id, token, time_ms, ip, user_agent, method FROM canary_hit');
  return rows.map((row) => ({
    id: String(row.id),
    token: String(row.token),
    time: Number(row.time_ms),
    ip: String(row.ip),
    userAgent: nullableString(row.user_agent),
    method: String(row.method),
  }));
}

/**
 * Deletes hits older than `cutoff` and canaries revoked before it. With `refuseAll`, deletes
 * nothing and returns `refused: true` when that would delete every hit there is (a slip of the
 * unit, `1m` for a month, must not empty the store without a confirmation).
 */
export async function purgeBefore(session: StoreSession, cutoff: number, options: { refuseAll?: boolean } = {}): Promise<{ hits: number; canaries: number; refused?: boolean; total?: number }> {
  return session.transaction(async () => {
    const count = async (sql: string) => Number((await session.all(sql, { cutoff }))[0]!.n);
    const hits = await count(
      'SELECT count(*) AS n FROM canary_hit WHERE time_ms < $cutoff OR token IN (SELECT token FROM canary WHERE revoked_ms < $cutoff)',
    );
    const canaries = await count('SELECT count(*) AS n FROM canary WHERE revoked_ms < $cutoff');
    if (options.refuseAll === true && hits > 0) {
      const total = Number((await session.all('SELECT count(*) AS n FROM canary_hit'))[0]!.n);
      if (hits === total) return { hits, canaries, refused: true, total };
    }
    await session.run('DELETE FROM canary_hit WHERE time_ms < $cutoff OR token IN (SELECT token FROM canary WHERE revoked_ms < $cutoff)', { cutoff });
    await session.run('DELETE FROM canary WHERE revoked_ms < $cutoff', { cutoff });
    return { hits, canaries };
  });
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Validates one journal line; null for anything that is not a complete hit. */
export function parseHitRecord(value: unknown): CanaryHitRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const text = (key: string) => (typeof v[key] === 'string' ? (v[key] as string) : null);
  if (!text('id') || !text('token') || typeof v.time !== 'number' || !text('ip') || !text('method') || text('url') === null) return null;
  return {
    id: text('id')!,
    token: text('token')!,
    time: v.time,
    ip: text('ip')!,
    peer: text('peer') ?? text('ip')!,
    method: text('method')!,
    url: text('url')!,
    userAgent: text('userAgent'),
    referer: text('referer'),
    acceptLanguage: text('acceptLanguage'),
    via: text('via'),
    xForwardedFor: text('xForwardedFor'),
    source: v.source === 'log' ? 'log' : 'listener',
  };
}

export interface CanaryState<Hit> {
  canaries: CanaryRecord[];
  /** in time order (then by id) */
  hits: Hit[];
  skippedJournalLines: number;
}

/**
 * Every canary and every hit: the listener's journal (live file, then the segment being
 * imported) is read FIRST, the database second, and hits are merged by id. In that order
 * nothing is missed while the listener imports: a record leaves the journal only after it is
 * committed to the database, so a record not found in the journal read is already in the
 * database that the second read sees.
 */
export function readCanaryState(databasePath: string, options?: StoreOptions): Promise<CanaryState<CanaryHitRecord>>;
/** The same, with hits read from the database only as far as a verdict needs them (`CanaryHitSummary`). */
export function readCanaryState(databasePath: string, options: StoreOptions, detail: 'summary'): Promise<CanaryState<CanaryHitSummary>>;
export async function readCanaryState(databasePath: string, options: StoreOptions = {}, detail: 'full' | 'summary' = 'full'): Promise<CanaryState<CanaryHitSummary>> {
  const files = stateFiles(databasePath);
  const live = readJournal(files.hitJournal, parseHitRecord);
  const importing = readJournal(files.hitJournalImporting, parseHitRecord);
  const { canaries, stored } = await withStore(databasePath, { ...options, readOnly: true }, async (session) => ({
    canaries: await listCanaries(session),
    stored: detail === 'full' ? await listHits(session) : await listHitSummaries(session),
  }));
  const byId = new Map<string, CanaryHitSummary>();
  for (const hit of [...stored, ...importing.records, ...live.records]) if (!byId.has(hit.id)) byId.set(hit.id, hit);
  const hits = [...byId.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { canaries, hits, skippedJournalLines: live.skipped + importing.skipped };
}
