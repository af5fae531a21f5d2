import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AppendJournal } from './journal.js';
import type { CanaryRecord } from './canary-records.js';
import { stateFiles } from './paths.js';

/*
 * Canaries as they are minted and revoked, appended (fdatasync'd) to `state.duckdb.canaries.jsonl`
 * after the database commit. The listener tails this file on each canary-shaped request: a
 * stat, and a read only when it grew. So a canary fetched the instant `canary new` returns is
 * known at once (before, the listener re-read the database at most once a second and the first
 * fetch, the machine under test, was answered 404 and lost), and a revoke takes effect on the
 * next request, without the listener opening the database (which would keep the CLI out).
 * The database stays the record; the file only tells the listener sooner. One line per event;
 * a torn last line is left for the next read.
 */

/**
 * Appends a canary's current state (minted, or revoked) for a running listener to see. The
 * database already holds it: a file that cannot be written only makes the listener learn of
 * it at its next refresh (5 s), so that is not an error; false says it happened.
 */
export function appendCanaryEvent(databasePath: string, canary: CanaryRecord): boolean {
  const journal = new AppendJournal(stateFiles(databasePath).canaryEvents);
  try {
    journal.append(canary);
    return true;
  } catch {
    return false;
  } finally {
    journal.close();
  }
}

/** Reads the events appended since the last call. */
export class CanaryEventTail {
  private offset = 0;
  private carry = '';
  /** token -> the latest state seen */
  readonly latest = new Map<string, CanaryRecord>();

  constructor(private readonly path: string) {}

  /** Reads what was appended since the last poll (nothing when the file did not grow); never throws. */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        // replaced or truncated: read it again from the start
        this.offset = 0;
        this.carry = '';
      }
      if (size === this.offset) return;
      const buffer = Buffer.allocUnsafe(size - this.offset);
      const read = readSync(fd, buffer, 0, buffer.length, this.offset);
      this.offset += read;
      const lines = (this.carry + buffer.toString('utf8', 0, read)).split('\n');
      this.carry = lines.pop() ?? '';
      for (const line of lines) {
        const canary = parseCanaryEvent(line);
        if (canary !== null) this.latest.set(canary.token, canary);
      }
    } catch {
      // a read error leaves the tail where it was: the periodic database refresh still runs
    } finally {
      closeSync(fd);
    }
  }
}

function parseCanaryEvent(line: string): CanaryRecord | null {
  try {
    const value = JSON.parse(line) as Partial<CanaryRecord>;
    if (typeof value.token !== 'string' || typeof value.label !== 'string' || typeof value.url !== 'string' || typeof value.created !== 'number') return null;
    return { token: value.token, label: value.label, url: value.url, created: value.created, revoked: typeof value.revoked === 'number' ? value.revoked : null };
  } catch {
    return null;
  }
}
