import { closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ReplaywatchError } from '../common/errors.js';

/*
 * A write-ahead journal: JSON lines appended and fdatasync'd before `append` returns, so a
 * record the caller has acknowledged survives a crash or a power cut. Used by long-lived
 * writers that must not hold the DuckDB file (see duckdb-store.ts).
 *
 * Invariants:
 * - one process appends (the holder of the writer lock); appends and `rotate` are synchronous,
 *   so inside that process they never interleave;
 * - `rotate` renames the live file to the "importing" name (atomic) and starts a new live file;
 *   the importing file is deleted only after its records are committed to the database;
 * - a torn last line (crash mid-write) is skipped by readers and fenced off with a newline
 *   when the journal is reopened, so the next record is never glued to it.
 */
export class AppendJournal {
  private fd: number | null = null;

  constructor(readonly path: string) {}

  open(): void {
    if (this.fd !== null) return;
    const created = !existsSync(this.path);
    try {
      this.fd = openSync(this.path, 'a', 0o600);
      const size = fstatSync(this.fd).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        const readFd = openSync(this.path, 'r');
        try {
          readSync(readFd, last, 0, 1, size - 1);
        } finally {
          closeSync(readFd);
        }
        if (last[0] !== 0x0a /* '\n' */) writeSync(this.fd, '\n');
      }
      fdatasyncSync(this.fd);
      if (created) syncDirectory(this.path);
    } catch (cause) {
      throw new ReplaywatchError('E_STATE_IO', `cannot open the journal ${this.path}`, { cause });
    }
  }

  /** Appends one record; durable when this returns. */
  append(record: unknown): void {
    if (this.fd === null) this.open();
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    let written = 0;
    while (written < line.length) written += writeSync(this.fd!, line, written, line.length - written);
    fdatasyncSync(this.fd!);
  }

  /** Is there anything in the live file? */
  hasRecords(): boolean {
    if (this.fd === null) return existsSync(this.path) && readFileSync(this.path).length > 0;
    return fstatSync(this.fd).size > 0;
  }

  /**
   * Moves the live file aside to `importingPath` and starts a new live file.
   * Refuses (returns false) while a previous importing file still exists.
   */
  rotate(importingPath: string): boolean {
    if (existsSync(importingPath)) return false;
    this.close();
    if (existsSync(this.path)) renameSync(this.path, importingPath);
    this.open();
    syncDirectory(this.path);
    return true;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}

/** Deletes a journal segment whose records are committed elsewhere; the deletion is made durable. */
export function removeJournalSegment(path: string): void {
  if (!existsSync(path)) return;
  unlinkSync(path);
  syncDirectory(path);
}

/** Every complete record of a journal file (none when the file is missing); torn or foreign lines are counted. */
export function readJournal<T>(path: string, parse: (value: unknown) => T | null): { records: T[]; skipped: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw new ReplaywatchError('E_STATE_IO', `cannot read the journal ${path}`, { cause: error });
  }
  const records: T[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    const record = parse(value);
    if (record === null) skipped++;
    else records.push(record);
  }
  return { records, skipped };
}

function syncDirectory(path: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the data itself is already synced
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
