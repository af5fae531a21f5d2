import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  AppendJournal,
  CanaryEventTail,
  acquireWriterLock,
  insertHits,
  listCanaries,
  parseHitRecord,
  purgeBefore,
  readJournal,
  removeJournalSegment,
  stateFiles,
  withStore,
  type CanaryHitRecord,
  type CanaryRecord,
  type StateFiles,
  type StoreOptions,
  type WriterLock,
} from '../store/index.js';

/*
 * The canary listener's core, without HTTP: which tokens are live, and recording a hit so that
 * it is never lost once acknowledged.
 *
 * A hit is appended to the journal and fdatasync'd before `record` returns (the HTTP answer is
 * sent after that). Every `importIntervalMs` the journal is rotated and imported into DuckDB in
 * one short session, then the imported segment is deleted. A crash at any point leaves the hit
 * in a journal segment, and the next start imports it (import is idempotent by hit id).
 * The listener never holds the DuckDB file between imports, so `canary new`, `report`, `list`
 * and `watch` work while it runs (see store/duckdb-store.ts).
 */

export interface CanaryRecorderOptions {
  statePath: string;
  /** how often the journal is imported into the database (default 2000 ms) */
  importIntervalMs?: number;
  /** how often the list of live canaries is re-read (default 5000 ms; also on an unknown token) */
  refreshIntervalMs?: number;
  /** drop hits and revoked canaries older than this, at start and daily (default: keep all) */
  retentionMs?: number | null;
  clock?: () => number;
  /** called after each hit is durable */
  onHit?: (hit: CanaryHitRecord, canary: CanaryRecord) => void;
  /** problems that do not stop the listener (an import that must be retried) */
  onWarning?: (message: string) => void;
  /** hears how each store session went (REPLAYWATCH_TIMINGS=1) */
  onSession?: StoreOptions['onSession'];
}

export type HitDetails = Omit<CanaryHitRecord, 'id' | 'token' | 'time' | 'source'>;

export class CanaryRecorder {
  private readonly files: StateFiles;
  private readonly journal: AppendJournal;
  private readonly clock: () => number;
  private live = new Map<string, CanaryRecord>();
  private readonly events: CanaryEventTail;
  private refreshing: Promise<void> | null = null;
  private importing: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastPurge = 0;
  private closed = false;

  private constructor(
    private readonly options: CanaryRecorderOptions,
    private readonly lock: WriterLock,
  ) {
    this.files = stateFiles(options.statePath);
    this.journal = new AppendJournal(this.files.hitJournal);
    this.events = new CanaryEventTail(this.files.canaryEvents);
    this.clock = options.clock ?? Date.now;
  }

  /** Takes the store's writer lock, imports what a previous run left in the journal, loads the live canaries. */
  static async start(options: CanaryRecorderOptions): Promise<CanaryRecorder> {
    const files = stateFiles(options.statePath);
    // creates the store (and its folder) and migrates it before anything else touches it
    await withStore(options.statePath, { onSession: options.onSession }, async () => undefined);
    const lock = acquireWriterLock(files.writerLock, 'the canary listener', options.statePath);
    const recorder = new CanaryRecorder(options, lock);
    try {
      recorder.journal.open();
      await recorder.importJournal();
      await recorder.purgeIfDue();
      await recorder.refresh();
    } catch (error) {
      recorder.journal.close();
      lock.release();
      throw error;
    }
    const importEvery = options.importIntervalMs ?? 2000;
    const refreshEvery = options.refreshIntervalMs ?? 5000;
    recorder.timers.push(setInterval(() => void recorder.importJournal().catch((error) => recorder.warn('import', error)), importEvery));
    recorder.timers.push(setInterval(() => void recorder.refresh().catch((error) => recorder.warn('refresh', error)), refreshEvery));
    for (const timer of recorder.timers) timer.unref();
    return recorder;
  }

  /**
   * The live (not revoked) canary for a token. Minted and revoked canaries are seen at once in
   * the events file (store/canary-events.ts), without opening the database; the database is
   * re-read every refresh interval for canaries made some other way. An unknown token no longer
   * makes the listener open the database: a flood of made-up tokens re-read it every second and
   * kept `canary report` and `canary new` out (E_STATE_LOCKED).
   */
  async lookup(token: string): Promise<CanaryRecord | undefined> {
    this.events.poll();
    const event = this.events.latest.get(token);
    if (event !== undefined) return event.revoked === null ? event : undefined;
    return this.live.get(token);
  }

  /** Records one hit; durable when this returns. */
  record(canary: CanaryRecord, details: HitDetails): CanaryHitRecord {
    const hit: CanaryHitRecord = { id: randomUUID(), token: canary.token, time: this.clock(), source: 'listener', ...details };
    this.journal.append(hit);
    this.options.onHit?.(hit, canary);
    return hit;
  }

  /** Re-reads the live canaries (one read-only session). */
  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      try {
        const canaries = await withStore(this.options.statePath, { readOnly: true, busyTimeoutMs: 2000, onSession: this.options.onSession }, listCanaries);
        this.live = new Map(canaries.filter((canary) => canary.revoked === null).map((canary) => [canary.token, canary]));
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Moves journaled hits into the database: a leftover segment first, then the live journal. */
  importJournal(): Promise<void> {
    if (this.importing) return this.importing;
    this.importing = (async () => {
      try {
        await this.importSegment();
        if (this.journal.hasRecords() && this.journal.rotate(this.files.hitJournalImporting)) await this.importSegment();
        await this.purgeIfDue();
      } finally {
        this.importing = null;
      }
    })();
    return this.importing;
  }

  private async importSegment(): Promise<void> {
    if (!existsSync(this.files.hitJournalImporting)) return;
    const { records, skipped } = readJournal(this.files.hitJournalImporting, parseHitRecord);
    if (skipped > 0) this.options.onWarning?.(`skipped ${skipped} torn line(s) in ${this.files.hitJournalImporting}`);
    await withStore(this.options.statePath, { busyTimeoutMs: 2000, onSession: this.options.onSession }, (session) => insertHits(session, records));
    removeJournalSegment(this.files.hitJournalImporting);
  }

  private async purgeIfDue(): Promise<void> {
    const retention = this.options.retentionMs;
    if (!retention || this.clock() - this.lastPurge < 24 * 3600 * 1000) return;
    const cutoff = this.clock() - retention;
    await withStore(this.options.statePath, { busyTimeoutMs: 2000, onSession: this.options.onSession }, (session) => purgeBefore(session, cutoff));
    this.lastPurge = this.clock();
  }

  /** Stops the timers, imports what is left, releases the writer lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    try {
      if (this.importing) await this.importing.catch(() => undefined);
      await this.importJournal();
    } catch (error) {
      // the journal keeps the hits; the next start imports them
      this.warn('final import', error);
    } finally {
      const empty = !this.journal.hasRecords();
      this.journal.close();
      // an empty live journal says nothing; a non-empty one is imported at the next start
      if (empty && !existsSync(this.files.hitJournalImporting)) removeJournalSegment(this.files.hitJournal);
      this.lock.release();
    }
  }

  private warn(what: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.options.onWarning?.(`${what} deferred: ${message} (the hits stay in the journal)`);
  }
}
