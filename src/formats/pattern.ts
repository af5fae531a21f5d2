/**
 * The compiled line layout shared by every text format: a sequence of literal separators and
 * typed fields. Apache `LogFormat` strings, nginx `log_format` strings and the internal
 * `{field}` templates of the presets all compile to a `Segment[]`, which `compileLayout`
 * turns ONCE into flat arrays that the scanner walks per line. A preset may list fallback
 * layouts (a combined log with a few common-format lines); they are tried only when the
 * primary layout fails, so the common case costs one pass.
 *
 * Measured (Node 20, one core of a shared 2-core AMD EPYC VM, tsx; generated combined log,
 * 207-byte lines, 1M and 300k lines; the VM is noisy, +-15%):
 *   combined scanner alone, warm:     ~3.0 M lines/s (~620 MB/s)
 *   forEachLine + combined scanner:   ~2.2 M lines/s (~460 MB/s); forEachLine alone ~3 GB/s
 *   caddy JSON (~500-byte lines):     ~0.8 M lines/s (~380 MB/s); W3C/IIS: ~1.5 M lines/s
 * Nearly a third of the combined cost is the fixed per-line work (record reset, the field
 * loop) rather than bytes; generating JavaScript per layout would be the next step if the
 * scanner ever outweighs gunzip and the detector.
 */
import { containerPrefixLength, parseCount, parseRequest, Reason, setClientAddress, setText, setUrl } from './bytes.js';
import { Field, type FieldId, type LineScanner, type ScanOutcomeValue, ScanOutcome, type ScanRecord } from './record.js';
import { ClfTimeParser, IsoTimeParser, parseDecimal, parsedTime, StrftimeParser } from './time.js';

/** What a field holds and how it is read. */
export const Kind = {
  /** read and ignored */
  Skip: 0,
  /** a text field (Field id in `field`), '-' means absent */
  Text: 1,
  /** client address; strips a port */
  Ip: 2,
  /** a forwarded-for header: the client address only when options.clientIpField names it */
  ForwardedFor: 3,
  /** `METHOD target PROTOCOL` */
  Request: 4,
  Status: 5,
  /** body bytes; '-' is unknown */
  Bytes: 6,
  /** total bytes sent (%O, $bytes_sent): used only when no body-bytes field is present */
  BytesFallback: 7,
  /** a decimal number of `unit` milliseconds ('12', '0.004', '12ms') */
  Duration: 8,
  /** HAProxy timers `Tq/Tw/Tc/Tr/Ta`: the last one, in ms */
  DurationTimers: 9,
  /** `10/Oct/2000:13:55:36 -0700` */
  TimeClf: 10,
  /** ISO 8601 */
  TimeIso: 11,
  /** epoch number of `unit` milliseconds */
  TimeEpoch: 12,
  /** custom strftime (Apache `%{...}t`) */
  TimeStrftime: 13,
  /** the path part of the URL (%U, $uri); a following query field extends it */
  Path: 14,
  /** the query: %q (with its '?') or $args (without) */
  Query: 15,
  /** path + query as requested (%U%q merged, $request_uri) */
  Url: 16,
  /** skip everything up to the next literal (which must exist) */
  Wildcard: 17,
} as const;
export type KindValue = (typeof Kind)[keyof typeof Kind];

export interface FieldSegment {
  kind: KindValue;
  /** for Kind.Text */
  field?: FieldId;
  /** for Duration/TimeEpoch: milliseconds per unit */
  unit?: number;
  /** for TimeStrftime */
  strftime?: string;
  /** for ForwardedFor: the header name, lower case */
  header?: string;
  /** name used in skip reasons ("no closing quote in request") */
  name: string;
}
export type Segment = string | FieldSegment;

export interface LayoutOptions {
  /** 'ignore': text after the last field is allowed (extra fields appended to a known format) */
  trailing?: 'ignore' | 'strict';
  /** header whose first address is the real client (`x-forwarded-for`) */
  clientIpField?: string;
}

/** A layout compiled into parallel arrays: literal i precedes field i; literal n follows the last. */
interface CompiledLayout {
  literals: Buffer[];
  kinds: Uint8Array;
  fields: Int8Array;
  units: Float64Array;
  quoted: Uint8Array;
  /** first byte that ends an unquoted field (-1: end of line) */
  stops: Int16Array;
  /** a second stop byte, for a path followed directly by its query or a host by its path */
  altStops: Int16Array;
  allowSpace: Uint8Array;
  strftime: (StrftimeParser | null)[];
  /** precomputed skip reasons, so the hot path never builds strings */
  quoteReasons: string[];
  trailingIgnored: boolean;
  /** does this layout read a forwarded-for header as the client? */
  usesForwardedFor: Uint8Array;
}

/** Field kinds whose values may contain spaces when unquoted (they end at their separator). */
function mayHoldSpaces(segment: FieldSegment): boolean {
  return segment.kind === Kind.Wildcard || segment.kind === Kind.TimeStrftime || segment.kind === Kind.TimeClf ||
    segment.kind === Kind.TimeIso || segment.kind === Kind.Request ||
    (segment.kind === Kind.Text && segment.field === Field.UserAgent) || (segment.kind === Kind.Text && segment.field === Field.Referrer);
}

/** The byte a field's value starts with, if it always starts with one (used when two fields touch). */
function leadingByte(segment: FieldSegment): number {
  if (segment.kind === Kind.Query) return 63; // '?'
  if (segment.kind === Kind.Url || segment.kind === Kind.Path) return 47; // '/'
  return -1;
}

export class LayoutError extends Error {}

export function compileLayout(segments: Segment[], options: LayoutOptions = {}): CompiledLayout {
  // normalise: merge adjacent literals, and a %U directly followed by %q into one Url
  const merged: Segment[] = [];
  for (const segment of segments) {
    const previous = merged[merged.length - 1];
    if (typeof segment === 'string') {
      if (segment.length === 0) continue;
      if (typeof previous === 'string') merged[merged.length - 1] = previous + segment;
      else merged.push(segment);
    } else if (previous !== undefined && typeof previous !== 'string' && previous.kind === Kind.Path && segment.kind === Kind.Query) {
      merged[merged.length - 1] = { kind: Kind.Url, name: 'url' };
    } else {
      merged.push(segment);
    }
  }
  const literals: Buffer[] = [];
  const fieldSegments: FieldSegment[] = [];
  let pendingLiteral = '';
  for (const segment of merged) {
    if (typeof segment === 'string') pendingLiteral += segment;
    else {
      literals.push(Buffer.from(pendingLiteral, 'latin1'));
      fieldSegments.push(segment);
      pendingLiteral = '';
    }
  }
  literals.push(Buffer.from(pendingLiteral, 'latin1'));
  const count = fieldSegments.length;
  if (count === 0) throw new LayoutError('the format has no fields');
  const layout: CompiledLayout = {
    literals,
    kinds: new Uint8Array(count),
    fields: new Int8Array(count),
    units: new Float64Array(count),
    quoted: new Uint8Array(count),
    stops: new Int16Array(count),
    altStops: new Int16Array(count).fill(-1),
    allowSpace: new Uint8Array(count),
    strftime: new Array<StrftimeParser | null>(count).fill(null),
    quoteReasons: [],
    trailingIgnored: options.trailing === 'ignore',
    usesForwardedFor: new Uint8Array(count),
  };
  const clientHeader = options.clientIpField?.toLowerCase();
  for (let i = 0; i < count; i++) {
    const segment = fieldSegments[i];
    const before = literals[i];
    const after = literals[i + 1];
    layout.kinds[i] = segment.kind;
    layout.fields[i] = segment.field ?? -1;
    layout.units[i] = segment.unit ?? 1;
    layout.quoted[i] = before.length > 0 && before[before.length - 1] === 34 && after.length > 0 && after[0] === 34 ? 1 : 0; // '"'
    layout.allowSpace[i] = mayHoldSpaces(segment) ? 1 : 0;
    layout.quoteReasons.push(`${Reason.NoClosingQuote} in ${segment.name}`);
    if (segment.kind === Kind.TimeStrftime) layout.strftime[i] = new StrftimeParser(segment.strftime ?? '');
    if (segment.kind === Kind.ForwardedFor && clientHeader !== undefined && segment.header === clientHeader) layout.usesForwardedFor[i] = 1;
    if (after.length > 0) {
      layout.stops[i] = after[0];
    } else if (i + 1 < count) {
      // two fields touch: the first ends where the second's fixed first byte appears
      const next = leadingByte(fieldSegments[i + 1]);
      if (next < 0) throw new LayoutError(`fields '${segment.name}' and '${fieldSegments[i + 1].name}' have no separator between them`);
      layout.stops[i] = next;
    } else {
      layout.stops[i] = -1;
    }
    // a path may be followed by its query ('?') before the separator
    if (segment.kind === Kind.Path && after.length > 0) layout.altStops[i] = 63; // '?'
    if (segment.kind === Kind.Wildcard && after.length === 0) throw new LayoutError('a wildcard must be followed by literal text');
  }
  return layout;
}

/** Outcome of one layout attempt: '' when it matched, else the skip reason. */
function scanLayout(
  layout: CompiledLayout,
  clf: ClfTimeParser,
  iso: IsoTimeParser,
  line: Buffer,
  start: number,
  end: number,
  record: ScanRecord,
): string {
  const literals = layout.literals;
  const kinds = layout.kinds;
  const quoted = layout.quoted;
  const stops = layout.stops;
  const altStops = layout.altStops;
  const allowSpace = layout.allowSpace;
  const count = kinds.length;
  let pos = start;
  let clientFromHeader = false;
  let bodyBytesSeen = false;
  for (let i = 0; i <= count; i++) {
    // the literal before field i (or the trailing literal when i === count)
    const literal = literals[i];
    const literalLength = literal.length;
    if (literalLength > 0) {
      if (pos + literalLength > end) return endedEarly(i, count);
      for (let k = 0; k < literalLength; k++) if (line[pos + k] !== literal[k]) return Reason.LayoutMismatch;
      pos += literalLength;
    }
    if (i === count) break;
    const kind = kinds[i];
    const after = literals[i + 1];

    // Fields that parse themselves and stop where their syntax ends.
    if (kind === Kind.TimeClf || kind === Kind.TimeIso || kind === Kind.TimeStrftime) {
      const next = kind === Kind.TimeClf ? clf.parse(line, pos, end) : kind === Kind.TimeIso ? iso.parse(line, pos, end) : layout.strftime[i]!.parse(line, pos, end);
      if (next < 0) return Reason.BadTimestamp;
      record.time = parsedTime.value;
      pos = next;
      continue;
    }

    // Find the field's end.
    let fieldEnd: number;
    if (quoted[i] === 1) {
      // ends at a '"' that is not backslash-escaped and is followed by the rest of the next
      // literal; a bare '"' inside the value (old Apache did not escape) is passed over
      fieldEnd = -1;
      let search = pos;
      while (search < end) {
        // short values ('-', a status word) are found faster by a loop than by a native call
        let quote = -1;
        const near = search + 24 < end ? search + 24 : end;
        for (let at = search; at < near; at++) {
          if (line[at] === 34) {
            // '"'
            quote = at;
            break;
          }
        }
        if (quote < 0 && near < end) quote = line.indexOf(34, near); // '"'
        if (quote < 0 || quote >= end) break;
        let backslashes = 0;
        while (quote - 1 - backslashes >= pos && line[quote - 1 - backslashes] === 92) backslashes++; // '\'
        search = quote + 1;
        if ((backslashes & 1) === 1) continue;
        let matches = true;
        if (after.length === 1 && i + 1 === count) {
          // the final quote: end of line, or a space before ignored trailing fields
          matches = quote + 1 === end || (layout.trailingIgnored && line[quote + 1] === 32);
        } else {
          for (let k = 1; k < after.length; k++) {
            if (quote + k >= end || line[quote + k] !== after[k]) {
              matches = false;
              break;
            }
          }
        }
        if (matches) {
          fieldEnd = quote;
          break;
        }
      }
      if (fieldEnd < 0) return layout.quoteReasons[i];
    } else if (kind === Kind.Wildcard) {
      fieldEnd = -1;
      const first = after[0];
      for (let at = pos; at + after.length <= end; at++) {
        if (line[at] !== first) continue;
        let matches = true;
        for (let k = 1; k < after.length; k++) if (line[at + k] !== after[k]) { matches = false; break; }
        if (matches) { fieldEnd = at; break; }
      }
      if (fieldEnd < 0) return Reason.LayoutMismatch;
    } else {
      const stop = stops[i];
      const altStop = altStops[i];
      const spaces = allowSpace[i] === 1 || stop === 32;
      fieldEnd = pos;
      if (stop < 0) {
        // last field: to the end of the line (or the first space when trailing text is allowed)
        if (layout.trailingIgnored && !spaces) while (fieldEnd < end && line[fieldEnd] !== 32) fieldEnd++;
        else fieldEnd = end;
      } else {
        while (fieldEnd < end) {
          const code = line[fieldEnd];
          if (code === stop || code === altStop) break;
          if (code === 32 && !spaces) return Reason.LayoutMismatch; // ' ' inside a one-word field
          fieldEnd++;
        }
        if (fieldEnd === end && after.length > 0) return endedEarly(i, count);
      }
    }

    // Store the value.
    switch (kind) {
      case Kind.Skip:
        break;
      case Kind.Text:
        setText(record, layout.fields[i], line, pos, fieldEnd);
        break;
      case Kind.Ip:
        if (!clientFromHeader) setClientAddress(record, line, pos, fieldEnd);
        break;
      case Kind.ForwardedFor:
        if (layout.usesForwardedFor[i] === 1 && setClientAddress(record, line, pos, fieldEnd)) clientFromHeader = true;
        break;
      case Kind.Request: {
        const reason = parseRequest(record, line, pos, fieldEnd);
        if (reason !== '') return reason;
        break;
      }
      case Kind.Status: {
        const status = parseCount(line, pos, fieldEnd, 0);
        if (status < 0 || status > 999) return Reason.BadStatus;
        record.status = status;
        break;
      }
      case Kind.Bytes:
      case Kind.BytesFallback: {
        const bytes = parseCount(line, pos, fieldEnd, -1);
        if (bytes < -1) return Reason.BadNumber;
        if (kind === Kind.Bytes) {
          record.bytes = bytes;
          bodyBytesSeen = true;
        } else if (!bodyBytesSeen) {
          record.bytes = bytes;
        }
        break;
      }
      case Kind.Duration: {
        if (fieldEnd - pos === 1 && line[pos] === 45) break; // '-'
        const next = parseDecimal(line, pos, fieldEnd, layout.units[i]);
        if (next < 0) return Reason.BadNumber;
        record.duration = parsedTime.value < 0 ? -1 : parsedTime.value;
        break;
      }
      case Kind.DurationTimers: {
        let slash = fieldEnd - 1;
        while (slash > pos && line[slash] !== 47) slash--; // '/'
        const from = line[slash] === 47 ? slash + 1 : pos;
        // HAProxy logs notices (SSL handshake failures) where the timers would be: not a request
        const next = parseDecimal(line, from, fieldEnd, 1);
        if (next < 0) return Reason.NotAccessEntry;
        record.duration = parsedTime.value < 0 ? -1 : parsedTime.value;
        break;
      }
      case Kind.TimeEpoch: {
        const next = parseDecimal(line, pos, fieldEnd, layout.units[i]);
        if (next !== fieldEnd) return Reason.BadTimestamp;
        record.time = Math.floor(parsedTime.value);
        break;
      }
      case Kind.Url:
      case Kind.Path:
        if (fieldEnd > pos && !(fieldEnd - pos === 1 && line[pos] === 45)) setUrl(record, line, pos, fieldEnd);
        break;
      case Kind.Query: {
        // extend the path when the query sits right after it (with or without its '?')
        if (fieldEnd === pos || (fieldEnd - pos === 1 && line[pos] === 45)) break;
        if ((record.present & (1 << Field.Url)) !== 0 && record.buffers[Field.Url] === line && (record.ends[Field.Url] === pos || record.ends[Field.Url] === pos - 1)) {
          record.ends[Field.Url] = fieldEnd;
        }
        break;
      }
      case Kind.Wildcard:
        break;
    }
    pos = fieldEnd;
  }
  if (pos !== end && !layout.trailingIgnored) return Reason.LayoutMismatch;
  return '';
}

/** A line that ends early is "truncated" if most of it matched; else it is some other line. */
function endedEarly(field: number, count: number): string {
  return field * 2 >= count ? Reason.TruncatedLine : Reason.LayoutMismatch;
}

function hasControlBytes(line: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = line[i];
    if ((code < 32 && code !== 9) || code === 127) return true;
  }
  return false;
}

/** A scanner over one primary layout and its fallbacks. */
export class LayoutScanner implements LineScanner {
  private readonly clf = new ClfTimeParser();
  private readonly iso = new IsoTimeParser();
  /** which layout matched the last Ok line: 0 is the primary (detection prefers primary matches) */
  lastVariant = 0;

  constructor(private readonly layouts: CompiledLayout[]) {}

  scan(line: Buffer, start: number, end: number, record: ScanRecord): ScanOutcomeValue {
    if (start === end) return ScanOutcome.Meta;
    start += containerPrefixLength(line, start, end);
    const layouts = this.layouts;
    let firstReason = '';
    for (let variant = 0; variant < layouts.length; variant++) {
      record.reset();
      const reason = scanLayout(layouts[variant], this.clf, this.iso, line, start, end, record);
      if (reason === '') {
        this.lastVariant = variant;
        return ScanOutcome.Ok;
      }
      if (variant === 0) firstReason = reason;
    }
    record.reset();
    if (isBlank(line, start, end)) return ScanOutcome.Meta;
    record.reason = firstReason !== Reason.BinaryData && hasControlBytes(line, start, end) ? Reason.BinaryData : firstReason;
    return ScanOutcome.Skip;
  }
}

export function isBlank(line: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = line[i];
    if (code !== 32 && code !== 9 && code !== 13) return false;
  }
  return true;
}

/**
 * The internal template syntax the presets use: literal text with `{name}` fields, e.g.
 * `{ip:port} [{time:clf}] {-} "{request}" {status}`. Names are listed in TEMPLATE_FIELDS.
 */
const TEMPLATE_FIELDS: Record<string, FieldSegment> = {
  '-': { kind: Kind.Skip, name: 'ignored field' },
  '*': { kind: Kind.Wildcard, name: 'ignored text' },
  ip: { kind: Kind.Ip, name: 'client address' },
  xff: { kind: Kind.ForwardedFor, header: 'x-forwarded-for', name: 'x-forwarded-for' },
  request: { kind: Kind.Request, name: 'request' },
  method: { kind: Kind.Text, field: Field.Method, name: 'method' },
  url: { kind: Kind.Url, name: 'url' },
  protocol: { kind: Kind.Text, field: Field.Protocol, name: 'protocol' },
  status: { kind: Kind.Status, name: 'status' },
  bytes: { kind: Kind.Bytes, name: 'bytes' },
  referrer: { kind: Kind.Text, field: Field.Referrer, name: 'referrer' },
  ua: { kind: Kind.Text, field: Field.UserAgent, name: 'user agent' },
  user: { kind: Kind.Text, field: Field.User, name: 'user' },
  host: { kind: Kind.Text, field: Field.Host, name: 'host' },
  'time:clf': { kind: Kind.TimeClf, name: 'time' },
  'time:iso': { kind: Kind.TimeIso, name: 'time' },
  'duration:s': { kind: Kind.Duration, unit: 1000, name: 'duration' },
  'duration:ms': { kind: Kind.Duration, unit: 1, name: 'duration' },
  'duration:timers': { kind: Kind.DurationTimers, name: 'timers' },
};

export function parseTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== '{') {
      literal += template[i];
      continue;
    }
    const close = template.indexOf('}', i);
    const name = template.slice(i + 1, close);
    const field = TEMPLATE_FIELDS[name];
    if (close < 0 || field === undefined) throw new LayoutError(`unknown template field {${name}}`);
    segments.push(literal, field);
    literal = '';
    i = close;
  }
  segments.push(literal);
  return segments;
}
