/**
 * Byte-level pieces every scanner shares: the request line, client addresses, absolute URLs,
 * numbers. All work on (buffer, start, end) and write slices into the ScanRecord.
 */
import { viewOf } from '../common/data-view.js';
import { Field, type ScanRecord } from './record.js';

/** The path of an absolute URL with no path (`http://host`): a shared one-byte buffer. */
const ROOT_PATH = Buffer.from('/');

/** Skip reasons, few and stable: they are counted and shown to people. */
export const Reason = {
  NoClosingQuote: 'no closing quote',
  BadTimestamp: 'bad timestamp',
  BinaryData: 'binary data',
  TruncatedLine: 'truncated line',
  NotRequestLine: 'not a request line',
  EmptyRequest: 'empty request ("-")',
  BadStatus: 'bad status',
  BadNumber: 'bad number',
  LayoutMismatch: 'line does not match the format',
  NotJson: 'not a JSON object',
  NotAccessEntry: 'not an access log entry',
  NoFieldsHeader: 'data before any #Fields header',
  ColumnCount: 'column count differs from #Fields',
  OverlongLine: 'line longer than the limit',
  TimeOutOfRange: 'time out of range (before 1990 or after 2099)',
} as const;

/**
 * Sets Url (and Host when the request names one) from a request target. An absolute-form
 * target (`https://host:443/path?q`, sent to proxies and logged by load balancers) keeps only
 * path + query; the host goes to Host unless the line already set it.
 */
export function setUrl(record: ScanRecord, line: Buffer, start: number, end: number): void {
  // 'h' or 'H', then 'ttp', optional 's', then '://'
  if (end - start > 7 && (line[start] | 0x20) === 104 && (line[start + 1] | 0x20) === 116 && (line[start + 2] | 0x20) === 116 && (line[start + 3] | 0x20) === 112) {
    let at = start + 4;
    if ((line[at] | 0x20) === 115) at++; // 's'
    if (line[at] === 58 && line[at + 1] === 47 && line[at + 2] === 47) {
      // '://'
      const hostStart = at + 3;
      let hostEnd = hostStart;
      while (hostEnd < end && line[hostEnd] !== 47 && line[hostEnd] !== 63) hostEnd++; // '/' '?'
      if (!record.has(Field.Host)) {
        let portless = hostEnd;
        for (let i = hostEnd - 1; i > hostStart; i--) {
          const code = line[i];
          if (code === 58) { portless = i; break; } // ':'
          if (code < 48 || code > 57) break;
        }
        record.set(Field.Host, line, hostStart, portless);
      }
      if (hostEnd === end) record.set(Field.Url, ROOT_PATH, 0, 1);
      else record.set(Field.Url, line, hostEnd, end);
      return;
    }
  }
  record.set(Field.Url, line, start, end);
}

/**
 * Splits `METHOD SP target [SP protocol]` into Method, Url, Protocol. A request without a
 * protocol (HTTP/0.9, or a truncated probe) is kept. Returns '' or a skip reason.
 */
export function parseRequest(record: ScanRecord, line: Buffer, start: number, end: number): string {
  if (end - start === 1 && line[start] === 45) return Reason.EmptyRequest; // '-'
  if (start === end) return Reason.EmptyRequest;
  let at = start;
  while (at < end) {
    const code = line[at];
    // methods are tokens: letters, digits, '-', '_'
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 45 || code === 95 || (code >= 48 && code <= 57)) at++;
    else break;
  }
  if (at === start || at === end || line[at] !== 32) {
    for (let i = start; i < end; i++) if (line[i] < 32 || line[i] === 127) return Reason.BinaryData;
    return Reason.NotRequestLine;
  }
  record.set(Field.Method, line, start, at);
  const targetStart = at + 1;
  // The protocol is the last word if it starts with 'HTTP/'; scan back from the end.
  let protocolStart = end;
  for (let i = end - 1; i > targetStart; i--) {
    if (line[i] === 32) {
      // ' '
      if (end - i > 5 && line[i + 1] === 72 && line[i + 2] === 84 && line[i + 3] === 84 && line[i + 4] === 80 && line[i + 5] === 47) protocolStart = i + 1; // 'HTTP/'
      break;
    }
  }
  const targetEnd = protocolStart === end ? end : protocolStart - 1;
  // control bytes other than '\t' (old servers logged a raw tab in a probe's path): words of
  // four bytes with none below 32 and no DEL are passed whole (both tests exact per byte)
  const view = viewOf(line);
  let i = targetStart;
  for (; i + 4 <= targetEnd; i += 4) {
    const word = view.getInt32(i, true);
    const del = word ^ 0x7f7f7f7f;
    if ((((word - 0x20202020) & ~word) | ((del - 0x01010101) & ~del)) & 0x80808080) break;
  }
  for (; i < targetEnd; i++) {
    const code = line[i];
    if ((code < 32 && code !== 9) || code === 127) return Reason.BinaryData;
  }
  if (targetEnd <= targetStart) return Reason.NotRequestLine;
  setUrl(record, line, targetStart, targetEnd);
  if (protocolStart < end) record.set(Field.Protocol, line, protocolStart, end);
  return '';
}

/**
 * Sets Ip from a client address as logs write it: `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`,
 * `2001:db8::1`, or an X-Forwarded-For list (`client, proxy1, proxy2`: the first is the client).
 * '-' and empty leave Ip unset. Returns false when nothing was set.
 */
export function setClientAddress(record: ScanRecord, line: Buffer, start: number, end: number): boolean {
  let from = start;
  while (from < end && line[from] === 32) from++; // ' '
  let to = from;
  let colons = 0;
  let lastColon = -1;
  while (to < end) {
    const code = line[to];
    if (code === 44 || code === 32) break; // ',' ' '
    if (code === 58) {
      // ':'
      colons++;
      lastColon = to;
    }
    to++;
  }
  if (to === from || (to - from === 1 && line[from] === 45)) return false; // '-'
  if (line[from] === 91) {
    // '[' IPv6 in brackets, maybe with a port
    let close = from + 1;
    while (close < to && line[close] !== 93) close++; // ']'
    record.set(Field.Ip, line, from + 1, close);
    return close > from + 1;
  }
  // one colon: IPv4 (or a name) with a port
  if (colons === 1) to = lastColon;
  record.set(Field.Ip, line, from, to);
  return true;
}

/** Bytes a scanner starts with for building values (most lines need none). */
const SCRATCH_BYTES = 1 << 17;

/**
 * Where a scanner builds field values that are not a slice of the line: decoded escapes, a
 * path joined to its query. Slices stay valid until `reset` (the next line).
 */
export class Scratch {
  buffer: Buffer = Buffer.allocUnsafe(SCRATCH_BYTES);
  private used = 0;

  reset(): void {
    this.used = 0;
  }

  /**
   * Room for `length` bytes: their offset in `buffer`. Read `buffer` after the call: a full
   * one is replaced by a fresh one (earlier slices keep the old one alive).
   */
  reserve(length: number): number {
    if (this.used + length > this.buffer.length) {
      this.buffer = Buffer.allocUnsafe(Math.max(SCRATCH_BYTES, length * 2));
      this.used = 0;
    }
    const at = this.used;
    this.used += length;
    return at;
  }

  /** Url = path '?' query, joined here (through setUrl: an absolute URL keeps its path). */
  setJoinedUrl(record: ScanRecord, path: Buffer, pathStart: number, pathEnd: number, query: Buffer, queryStart: number, queryEnd: number): void {
    const length = pathEnd - pathStart + 1 + queryEnd - queryStart;
    const at = this.reserve(length);
    const buffer = this.buffer;
    path.copy(buffer, at, pathStart, pathEnd);
    buffer[at + pathEnd - pathStart] = 63; // '?'
    query.copy(buffer, at + pathEnd - pathStart + 1, queryStart, queryEnd);
    setUrl(record, buffer, at, at + length);
  }
}

/** Sets a text field unless the value is '-' (the logs' "none"). */
export function setText(record: ScanRecord, field: number, line: Buffer, start: number, end: number): void {
  if (end - start === 1 && line[start] === 45) return; // '-'
  record.set(field as 0, line, start, end);
}

/** Parses a non-negative decimal integer; '-' gives `dash`; anything else -2. */
export function parseCount(line: Buffer, start: number, end: number, dash: number): number {
  if (start === end) return -2;
  if (end - start === 1 && line[start] === 45) return dash; // '-'
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = line[i] - 48;
    if (digit < 0 || digit > 9) return -2;
    value = value * 10 + digit;
  }
  return value;
}

/** True if the bytes equal the ASCII text. */
export function bytesEqual(line: Buffer, start: number, end: number, text: Buffer): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (line[start + i] !== text[i]) return false;
  return true;
}

/**
 * Length of what comes before a line's own fields, or 0: leading spaces or tabs (a honeypot's
 * Apache writes ` 1.2.3.4:5678 - - [...]`), then a container-runtime (CRI) prefix
 * `2025-12-31T17:37:40.493035218+01:00 stdout F ` that Kubernetes puts before every line a
 * container writes.
 */
export function containerPrefixLength(line: Buffer, start: number, end: number): number {
  // most lines have neither: answered by three bytes, small enough to be inlined into the scanners
  const code = line[start];
  if (code !== 32 && code !== 9 && (end - start < 30 || line[start + 4] !== 45)) return 0; // ' ' '\t' '-'
  return prefixLength(line, start, end);
}

function prefixLength(line: Buffer, start: number, end: number): number {
  const first = start;
  while (start < end && (line[start] === 32 || line[start] === 9)) start++; // ' ' '\t'
  return start - first + criPrefixLength(line, start, end);
}

function criPrefixLength(line: Buffer, start: number, end: number): number {
  // cheap gate: 'YYYY-MM-DDT'
  if (end - start < 30 || line[start + 4] !== 45 || line[start + 7] !== 45 || line[start + 10] !== 84) return 0; // '-' '-' 'T'
  let at = start + 19;
  const limit = Math.min(end, start + 48);
  while (at < limit && line[at] !== 32) at++; // ' '
  // ' stdout F ' / ' stderr P ': 6-letter stream, then a one-letter tag
  if (at + 10 > end || line[at + 1] !== 115 || line[at + 7] !== 32 || line[at + 9] !== 32) return 0; // 's' ' ' ' '
  return at + 10 - start;
}
