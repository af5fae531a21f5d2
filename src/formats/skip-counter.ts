/**
 * Counts what happened to every line (record, meta, skipped by reason) and keeps the first
 * few skipped lines as examples, the way goaccess keeps its first invalid lines. Bad input is
 * counted, never thrown. Counters from workers merge into one.
 */
import { Reason } from './bytes.js';
import { ScanOutcome, type ScanOutcomeValue } from './record.js';

export const MAX_EXAMPLES = 5;
const EMPTY = Buffer.alloc(0);
export const MAX_EXAMPLE_TEXT = 200;

export interface SkipExample {
  /** 1-based line number within `file` */
  line: number;
  reason: string;
  /** the line, decoded as UTF-8 (invalid bytes become U+FFFD), cut to 200 characters */
  text: string;
  file?: string;
}

/** A counter's counts as data: what a worker sends back (structured clone keeps only these). */
export type SkipCounts = Pick<SkipCounter, 'lines' | 'records' | 'meta' | 'skipped' | 'reasons' | 'examples'>;

export class SkipCounter {
  lines = 0;
  records = 0;
  meta = 0;
  skipped = 0;
  readonly reasons = new Map<string, number>();
  readonly examples: SkipExample[] = [];

  /** Counts one scanned line; line numbers are 1-based within `file`. */
  count(outcome: ScanOutcomeValue, reason: string, line: Buffer, start: number, end: number, lineNumber: number, file?: string): void {
    if (outcome === ScanOutcome.Ok) {
      this.countRecord();
      return;
    }
    this.lines++;
    if (outcome === ScanOutcome.Meta) this.meta++;
    else this.skip(reason, line, start, end, lineNumber, file);
  }

  /** Counts one line that was read as a record (count's common case, without its arguments). */
  countRecord(): void {
    this.lines++;
    this.records++;
  }

  /** Counts a line the reader cut because it was longer than its limit (never scanned). */
  skipOverlong(line: Buffer, start: number, end: number, lineNumber: number, file?: string): void {
    this.skip(Reason.OverlongLine, line, start, end, lineNumber, file);
    this.lines++;
  }

  /**
   * Counts the unreadable rest of an input (damaged gzip data) as one skipped line whose
   * reason says what was lost; `lineNumber` is the line the damage cut.
   */
  skipDamaged(reason: string, lineNumber: number, file?: string): void {
    this.skip(reason, EMPTY, 0, 0, lineNumber, file);
    this.lines++;
  }

  /** Counts a line that never reached a scanner (overlong, unreadable). */
  skip(reason: string, line: Buffer, start: number, end: number, lineNumber: number, file?: string): void {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (this.examples.length < MAX_EXAMPLES) {
      const cut = Math.min(end, start + MAX_EXAMPLE_TEXT * 4);
      const text = line.toString('utf8', start, cut).slice(0, MAX_EXAMPLE_TEXT);
      this.examples.push(file === undefined ? { line: lineNumber, reason, text } : { line: lineNumber, reason, text, file });
    }
  }

  /**
   * Adds another counter's counts. `lineOffset` is added to its example line numbers: a worker
   * that read a byte range numbers lines from its range start, so merging ranges in file order
   * with `lineOffset = this.lines` (before the merge) gives file line numbers.
   */
  merge(other: SkipCounts, lineOffset = 0): void {
    this.lines += other.lines;
    this.records += other.records;
    this.meta += other.meta;
    this.skipped += other.skipped;
    for (const [reason, count] of other.reasons) this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + count);
    for (const example of other.examples) {
      if (this.examples.length >= MAX_EXAMPLES) break;
      this.examples.push({ ...example, line: example.line + lineOffset });
    }
  }

  /** Reasons by count, most frequent first. */
  reasonCounts(): { reason: string; count: number }[] {
    return [...this.reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }

  toJSON(): { lines: number; records: number; meta: number; skipped: number; reasons: { reason: string; count: number }[]; examples: SkipExample[] } {
    return { lines: this.lines, records: this.records, meta: this.meta, skipped: this.skipped, reasons: this.reasonCounts(), examples: this.examples };
  }
}
