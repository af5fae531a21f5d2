import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the store lives unless `--state FILE` says otherwise:
 * `$XDG_DATA_HOME/replaywatch/state.duckdb`, else `~/.local/share/replaywatch/state.duckdb`.
 */
export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDirectory(env), 'state.duckdb');
}

/** The user's replaywatch data directory: `$XDG_DATA_HOME/replaywatch`, else `~/.local/share/replaywatch`. */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(env.HOME || homedir(), '.local', 'share');
  return join(dataHome, 'replaywatch');
}

/** Files that live beside the database and belong to it. */
export interface StateFiles {
  database: string;
  /** the canary listener's write-ahead journal of hits (JSON lines, fsync'd) */
  hitJournal: string;
  /** the journal segment being imported into the database (renamed from hitJournal) */
  hitJournalImporting: string;
  /** pid file of the one long-lived writer (the canary listener) */
  writerLock: string;
  /** canaries as minted and revoked, for a running listener to see at once (canary-events.ts) */
  canaryEvents: string;
}

export function stateFiles(database: string): StateFiles {
  return {
    database,
    hitJournal: `${database}.hits.jsonl`,
    hitJournalImporting: `${database}.hits.importing.jsonl`,
    writerLock: `${database}.writer.pid`,
    canaryEvents: `${database}.canaries.jsonl`,
  };
}
