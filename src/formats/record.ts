import { mappedIPv4Start, zoneStart } from '../common/ip-text.js';

/**
 * The scanned record: one log line as slices of bytes plus a few numbers.
 *
 * Scanners fill a reused ScanRecord per line and never build strings on the hot path: text
 * fields are (buffer, start, end) slices, either into the line's own buffer or into a scratch
 * buffer the scanner owns (for assembled or unescaped fields such as W3C stem+query or JSON
 * strings with escapes). A slice is valid only until the next call to scan().
 */
export const Field = {
  Ip: 0,
  Method: 1,
  /** path + query, as requested (no scheme or host) */
  Url: 2,
  Protocol: 3,
  Referrer: 4,
  UserAgent: 5,
  User: 6,
  Host: 7,
  Cookie: 8,
} as const;
export type FieldId = (typeof Field)[keyof typeof Field];
export const FIELD_COUNT = 9;
export const FIELD_NAMES = ['ip', 'method', 'url', 'protocol', 'referrer', 'userAgent', 'user', 'host', 'cookie'] as const;

const EMPTY = Buffer.alloc(0);

export class ScanRecord {
  /** epoch milliseconds, NaN when the line had no usable time */
  time = Number.NaN;
  /** HTTP status, 0 when unknown */
  status = 0;
  /** response body bytes, -1 when unknown ('-') */
  bytes = -1;
  /** request duration in milliseconds, -1 when unknown */
  duration = -1;
  /** why scan() returned Skip */
  reason = '';
  /**
   * Slices of the fields that are set (bit `1 << field` of `present`); a slot whose bit is
   * clear holds a stale slice of an earlier line. Read a field's slice only after has().
   */
  readonly buffers: Buffer[] = new Array<Buffer>(FIELD_COUNT).fill(EMPTY);
  readonly starts = new Int32Array(FIELD_COUNT);
  readonly ends = new Int32Array(FIELD_COUNT);
  /** bit `1 << field` set when the field was set for this line */
  present = 0;

  /** Per line; cheap on purpose (a bit mask, not nine slots cleared). */
  reset(): void {
    this.time = Number.NaN;
    this.status = 0;
    this.bytes = -1;
    this.duration = -1;
    this.reason = '';
    this.present = 0;
  }

  set(field: FieldId, buffer: Buffer, start: number, end: number): void {
    // kept small enough to be inlined at each of a scanner's calls (the address's own checks
    // are in setIp, which a scanner that knows the field calls directly)
    if (field === 0) {
      this.setIp(buffer, start, end);
      return;
    }
    // the same buffer line after line (a read chunk): storing it again would cost a write
    // barrier each time (the record is old, a chunk young), a compare does not
    if (this.buffers[field] !== buffer) this.buffers[field] = buffer;
    this.starts[field] = start;
    this.ends[field] = end;
    this.present |= 1 << field;
  }

  /**
   * set for a field other than Field.Ip, without its branch: smaller still, for a scanner whose
   * fields are known (the combined scanner's six calls fit V8's inlining budget only so).
   */
  setOther(field: FieldId, buffer: Buffer, start: number, end: number): void {
    if (this.buffers[field] !== buffer) this.buffers[field] = buffer;
    this.starts[field] = start;
    this.ends[field] = end;
    this.present |= 1 << field;
  }

  /**
   * Field.Ip. Other than dotted IPv4 ('.' within its first four bytes) it is the client, not
   * how the socket wrote it (setAddress).
   */
  setIp(buffer: Buffer, start: number, end: number): void {
    if (buffer[start + 1] !== 46 && buffer[start + 2] !== 46 && buffer[start + 3] !== 46) {
      this.setAddress(buffer, start, end);
      return;
    }
    if (this.buffers[0] !== buffer) this.buffers[0] = buffer;
    this.starts[0] = start;
    this.ends[0] = end;
    this.present |= 1;
  }

  /** Field.Ip as its client: `::ffff:1.2.3.4` is 1.2.3.4, `fe80::1%eth0` is fe80::1 (common/ip-text.ts). */
  private setAddress(buffer: Buffer, start: number, end: number): void {
    start = mappedIPv4Start(buffer, start, end);
    if (end > start) end = zoneStart(buffer, start, end);
    if (this.buffers[0] !== buffer) this.buffers[0] = buffer;
    this.starts[0] = start;
    this.ends[0] = end;
    this.present |= 1;
  }

  /** The field was set for this line and is not empty. */
  has(field: FieldId): boolean {
    return (this.present & (1 << field)) !== 0 && this.ends[field] > this.starts[field];
  }

  /** The field as a string (latin1 for addresses/methods is fine; utf8 for the rest). Off the hot path. */
  text(field: FieldId): string {
    if ((this.present & (1 << field)) === 0) return '';
    return this.buffers[field].toString('utf8', this.starts[field], this.ends[field]);
  }

  /** A plain object copy, for tests, explain and examples. */
  toObject(): ParsedRecord {
    return {
      time: this.time,
      ip: this.text(Field.Ip),
      method: this.text(Field.Method),
      url: this.text(Field.Url),
      protocol: this.text(Field.Protocol),
      status: this.status,
      bytes: this.bytes,
      referrer: this.text(Field.Referrer),
      userAgent: this.text(Field.UserAgent),
      user: this.text(Field.User),
      host: this.text(Field.Host),
      cookie: this.text(Field.Cookie),
      duration: this.duration,
    };
  }
}

export interface ParsedRecord {
  time: number;
  ip: string;
  method: string;
  url: string;
  protocol: string;
  status: number;
  bytes: number;
  referrer: string;
  userAgent: string;
  user: string;
  host: string;
  cookie: string;
  duration: number;
}

export const ScanOutcome = {
  /** a record was filled */
  Ok: 0,
  /** a header, comment or blank line: neither a record nor a skip (W3C '#Fields', empty lines) */
  Meta: 1,
  /** the line did not parse; rec.reason says why */
  Skip: 2,
} as const;
export type ScanOutcomeValue = (typeof ScanOutcome)[keyof typeof ScanOutcome];

/** A compiled format for one stream. Stateful (W3C headers change mid-file), so one per input. */
export interface LineScanner {
  scan(line: Buffer, start: number, end: number, record: ScanRecord): ScanOutcomeValue;
}

export interface LogFormat {
  /** preset name, or 'apache:<format>' / 'nginx:<format>' for compiled strings */
  readonly name: string;
  readonly description: string;
  /**
   * True when lines cannot be read without the lines before them (W3C: the `#Fields:` header
   * defines the columns). Such inputs must not be split into byte ranges for workers.
   */
  readonly stateful?: boolean;
  createScanner(): LineScanner;
}
