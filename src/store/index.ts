/**
 * The project's embedded store (DuckDB, one file) and what lives beside it.
 * Read duckdb-store.ts for the concurrency model: short sessions, a journal for long-lived
 * writers, one long-lived writer per store.
 */
export { withStore, StoreSession, lockHolder, latestSchemaVersion, type StoreOptions, type SessionTimings, type SqlParams } from './duckdb-store.js';
export { migrations, type Migration } from './migrations.js';
export { dataDirectory, defaultStatePath, stateFiles, type StateFiles } from './paths.js';
export { loadReportKey } from './report-key.js';
export { appendCanaryEvent, CanaryEventTail } from './canary-events.js';
export { AppendJournal, readJournal, removeJournalSegment } from './journal.js';
export { acquireWriterLock, type WriterLock } from './writer-lock.js';
export {
  insertCanary,
  listCanaries,
  revokeCanary,
  insertHits,
  listHits,
  listHitSummaries,
  purgeBefore,
  parseHitRecord,
  readCanaryState,
  type CanaryRecord,
  type CanaryHitRecord,
  type CanaryHitSummary,
  type CanaryState,
} from './canary-records.js';
