import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplaywatchError } from '../common/errors.js';
import { latestSchemaVersion, migrations as defaultMigrations, type Migration } from './migrations.js';

/*
 * The project's embedded store: one DuckDB file.
 *
 * Concurrency. DuckDB lets exactly one process open a file read-write, and while it does, no
 * other process may open it at all (not even read-only). So no replaywatch process keeps the
 * database open longer than one operation: every command opens it in a short session
 * (`withStore`), does its reads or one transaction, and closes it (an open costs ~15-20 ms).
 * A session that finds the file held by another process retries with backoff for
 * `busyTimeoutMs`, then fails with E_STATE_LOCKED naming the holder's pid (DuckDB reports it).
 *
 * Long-lived writers (the canary listener; later `follow`) never hold the file: they append to a
 * durable journal beside it (see journal.ts) and import the journal in short sessions. Readers
 * read the journal first and the database second, which sees every hit exactly once however an
 * import interleaves (see readHitsWithJournal in canary-records.ts). Only one long-lived writer
 * per store is allowed at a time (writer-lock.ts), with the same E_STATE_LOCKED message.
 */

export interface StoreOptions {
  /** open read-only: several readers may share the file, no writer may */
  readOnly?: boolean;
  /** how long to wait for another process's session to end before E_STATE_LOCKED (default 5000 ms) */
  busyTimeoutMs?: number;
  /** the schema to apply (tests pass their own list to simulate a newer or older build) */
  migrations?: readonly Migration[];
  /** hears how each session went (the CLI prints it with REPLAYWATCH_TIMINGS=1) */
  onSession?: (timings: SessionTimings) => void;
}

/** One session, as `onSession` hears it. Times in milliseconds. */
export interface SessionTimings {
  path: string;
  readOnly: boolean;
  /** opens tried: more than 1 when another process held the file */
  tries: number;
  /** from the first try to the open that worked (waiting for another process included) */
  openMs: number;
  /** from that open to the close: how long this session kept other processes out */
  heldMs: number;
}

export type SqlParams = Record<string, string | number | bigint | boolean | null>;

/** One open session on the store. Valid only inside the `withStore` callback. */
export class StoreSession {
  constructor(
    private readonly connection: DuckDBConnection,
    readonly path: string,
    readonly readOnly: boolean,
  ) {}

  async run(sql: string, params?: SqlParams): Promise<void> {
    if (params === undefined) await this.connection.run(sql);
    else await this.connection.run(sql, toValues(params), typesOf(params));
  }

  /** Rows as plain objects; BIGINT columns come back as JavaScript numbers. */
  async all(sql: string, params?: SqlParams): Promise<Record<string, unknown>[]> {
    const reader = params === undefined ? await this.connection.runAndReadAll(sql) : await this.connection.runAndReadAll(sql, toValues(params), typesOf(params));
    return reader.getRowObjectsJS().map((row) => {
      const plain: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(row)) plain[key] = typeof value === 'bigint' ? Number(value) : value;
      return plain;
    });
  }

  /**
   * Inserts `rows` (values in the table's column order: text, whole numbers, null) into
   * `table`, skipping rows whose key is already stored; returns how many were new. The rows go
   * through DuckDB's appender into a temporary copy of the table and then in one
   * `INSERT OR IGNORE`: 1,000 canary hits take ~40 ms, where statements of bound parameters
   * took 800 ms and held the file (and kept the CLI out) all that time. Run it inside
   * `transaction` to make it one commit with the rest.
   */
  async insertOrIgnore(table: string, rows: ReadonlyArray<ReadonlyArray<string | number | null>>): Promise<number> {
    if (rows.length === 0) return 0;
    const incoming = `incoming_${table}`;
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${incoming} AS SELECT * FROM ${table} LIMIT 0`);
    try {
      const appender = await this.connection.createAppender(incoming, 'main', 'temp');
      try {
        for (const row of rows) {
          for (const value of row) {
            if (value === null) appender.appendNull();
            // DuckDB would round a fraction when casting to BIGINT; so does this
            else if (typeof value === 'number') appender.appendBigInt(BigInt(Math.round(value)));
            else appender.appendVarchar(value);
          }
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      return (await this.connection.run(`INSERT OR IGNORE INTO ${table} SELECT * FROM ${incoming}`)).rowsChanged;
    } finally {
      await this.connection.run(`DROP TABLE IF EXISTS ${incoming}`);
    }
  }

  /** Runs `work` in one transaction: all of it or none of it. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

function toValues(params: SqlParams): Record<string, DuckDBValue> {
  const values: Record<string, DuckDBValue> = {};
  for (const [key, value] of Object.entries(params)) values[key] = typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
  return values;
}

/** Explicit types so that a null binds as the column's type, not as an untyped NULL. */
function typesOf(params: SqlParams): Record<string, DuckDBType | undefined> {
  const types: Record<string, DuckDBType | undefined> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === null || typeof value === 'string') types[key] = loadedApi().VARCHAR;
    else if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) types[key] = loadedApi().BIGINT;
    else types[key] = undefined;
  }
  return types;
}

/**
 * DuckDB is loaded on the first session, not at startup: its native library adds ~37 MB to a
 * process, and a scan without canaries never opens the store. It is loaded with `require`, not
 * `import()`: @duckdb/node-api is CommonJS in ~120 files, and through Node 20's ES module
 * loader every one of them is also lexed for its exports (160-230 ms of a `canary report`
 * against 85-130 ms). The build bundles those files into one (`duckdb-api.cjs` beside this
 * module, scripts/bundle-duckdb.js): ~45 ms of CPU against ~100 ms. The bundle is used when it
 * was made from the installed version; otherwise (run from source, or the package changed
 * since the build) the package itself (docs/PERFORMANCE.md, "Start-up of the canary commands").
 */
let api: typeof import('@duckdb/node-api') | null = null;

async function duckdbApi(): Promise<typeof import('@duckdb/node-api')> {
  api ??= loadDuckdbApi();
  return api;
}

function loadDuckdbApi(): typeof import('@duckdb/node-api') {
  const require = createRequire(import.meta.url);
  const bundle = new URL('./duckdb-api.cjs', import.meta.url);
  if (existsSync(bundle)) {
    const installed = (require('@duckdb/node-api/package.json') as { version: string }).version;
    const bundled = require(fileURLToPath(bundle)) as typeof import('@duckdb/node-api') & { bundledVersion?: string };
    if (bundled.bundledVersion === installed) return bundled;
  }
  return require('@duckdb/node-api') as typeof import('@duckdb/node-api');
}

/** The DuckDB module once a session has loaded it (a session's queries run after it opened). */
function loadedApi(): typeof import('@duckdb/node-api') {
  if (api === null) throw new Error('DuckDB used before a session opened it');
  return api;
}

// Sessions of one process on one file run one after another: DuckDB would otherwise see two
// instances of the same file inside one process.
const sessionQueues = new Map<string, Promise<unknown>>();

/**
 * Opens the store at `path` for the duration of `work`, then closes it.
 * A read-write session creates the file (and its folder) and brings the schema up to date.
 * A read-only session on a missing file fails with E_NOT_FOUND.
 */
export async function withStore<T>(path: string, options: StoreOptions, work: (session: StoreSession) => Promise<T>): Promise<T> {
  const previous = sessionQueues.get(path) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => runSession(path, options, work));
  sessionQueues.set(path, current);
  try {
    return await current;
  } finally {
    if (sessionQueues.get(path) === current) sessionQueues.delete(path);
  }
}

async function runSession<T>(path: string, options: StoreOptions, work: (session: StoreSession) => Promise<T>): Promise<T> {
  const list = options.migrations ?? defaultMigrations;
  const readOnly = options.readOnly === true;
  if (readOnly && !existsSync(path)) {
    throw new ReplaywatchError('E_NOT_FOUND', `no replaywatch store at ${path}`, {
      hint: 'create a canary first (replaywatch canary new --label "...") or name the store with --state FILE',
    });
  }
  if (!readOnly) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new ReplaywatchError('E_STATE_IO', `cannot create the folder for the store ${path}`, { cause });
    }
  }

  const started = performance.now();
  const attempts = { tries: 0 };
  let instance = await openInstance(path, readOnly, options.busyTimeoutMs ?? 5000, attempts);
  const opened = performance.now();
  try {
    return await damagedAsStateIo(path, async () => {
      let connection = await instance.connect();
      const version = await readSchemaVersion(connection, readOnly);
      const latest = list.length === 0 ? 0 : list[list.length - 1]!.version;
      if (version > latest) {
        throw new ReplaywatchError('E_STATE_SCHEMA', `the store ${path} has schema version ${version}, newer than this replaywatch understands (${latest})`, {
          hint: 'upgrade replaywatch, or point --state at another file',
        });
      }
      if (version < latest) {
        if (readOnly) {
          // a reader of an older file: migrate in a short read-write session, then read
          connection.closeSync();
          instance.closeSync();
          await withMigrated(path, options, list);
          instance = await openInstance(path, true, options.busyTimeoutMs ?? 5000);
          connection = await instance.connect();
        } else {
          await migrate(connection, version, list, path);
        }
      }
      try {
        return await work(new StoreSession(connection, path, readOnly));
      } finally {
        connection.closeSync();
      }
    });
  } finally {
    instance.closeSync();
    options.onSession?.({ path, readOnly, tries: attempts.tries, openMs: opened - started, heldMs: performance.now() - opened });
  }
}

/**
 * A damaged file (truncated, overwritten) opens and then fails inside a query with DuckDB's
 * "IO Error" or "Corruption" or a bad checksum: that is the store's fault, not ours, so it is
 * E_STATE_IO (exit 2) naming the file, not an internal error.
 */
async function damagedAsStateIo<T>(path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    if (cause instanceof ReplaywatchError) throw cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/IO Error|Corrupt|checksum|Could not read|not a valid DuckDB/i.test(message)) {
      throw new ReplaywatchError('E_STATE_IO', `the store ${path} is damaged and cannot be read`, { cause, hint: 'restore it from a backup, or move it away and start a new one (canaries and hits in it are lost)' });
    }
    throw cause;
  }
}

async function withMigrated(path: string, options: StoreOptions, list: readonly Migration[]): Promise<void> {
  const instance = await openInstance(path, false, options.busyTimeoutMs ?? 5000);
  try {
    const connection = await instance.connect();
    await migrate(connection, await readSchemaVersion(connection, false), list, path);
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

async function openInstance(path: string, readOnly: boolean, busyTimeoutMs: number, attempts: { tries: number } = { tries: 0 }): Promise<DuckDBInstance> {
  const deadline = Date.now() + busyTimeoutMs;
  let delay = 10;
  for (;;) {
    attempts.tries++;
    try {
      return await (await duckdbApi()).DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : { access_mode: 'READ_WRITE' });
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      const holder = lockHolder(message);
      if (holder === undefined) throw new ReplaywatchError('E_STATE_IO', `cannot open the store ${path}`, { cause, hint: 'check that the file is a replaywatch store and that you may read and write it' });
      if (Date.now() >= deadline) {
        const who = holder === null ? 'another process' : `process ${holder}`;
        throw new ReplaywatchError('E_STATE_LOCKED', `the store ${path} is in use by ${who}`, {
          hint: `wait for it to finish, or stop it${holder === null ? '' : ` (kill ${holder})`}, or use another --state FILE`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(1, deadline - Date.now()))));
      // sessions hold the file for tens of milliseconds (the listener's import of a flood's
      // hits included), so look again soon; a failed open costs DuckDB ~6 ms of CPU, so not
      // more often than this
      delay = Math.min(delay * 2, 50);
    }
  }
}

/** undefined: not a lock conflict; null: a conflict with an unknown holder; else the holder's pid. */
export function lockHolder(message: string): number | null | undefined {
  if (!/Could not set lock|Conflicting lock/i.test(message)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(message);
  return pid ? Number(pid[1]) : null;
}

async function readSchemaVersion(connection: DuckDBConnection, readOnly: boolean): Promise<number> {
  if (!readOnly) {
    await connection.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, description VARCHAR NOT NULL, applied_ms BIGINT NOT NULL)');
  } else {
    const tables = await connection.runAndReadAll("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'schema_version'");
    if (Number(tables.getRowObjectsJS()[0]!.n) === 0) return 0;
  }
  const reader = await connection.runAndReadAll('SELECT coalesce(max(version), 0) AS version FROM schema_version');
  return Number(reader.getRowObjectsJS()[0]!.version);
}

async function migrate(connection: DuckDBConnection, from: number, list: readonly Migration[], path: string): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const migration of list) {
      if (migration.version <= from) continue;
      for (const statement of migration.statements) await connection.run(statement);
      await connection.run('INSERT INTO schema_version VALUES ($version, $description, $applied)', {
        version: migration.version,
        description: migration.description,
        applied: BigInt(Date.now()),
      });
    }
    await connection.run('COMMIT');
  } catch (cause) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw new ReplaywatchError('E_STATE_IO', `cannot bring the store ${path} up to schema version ${list[list.length - 1]?.version}`, { cause });
  }
}

export { latestSchemaVersion };
