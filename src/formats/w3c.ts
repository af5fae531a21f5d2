/**
 * W3C extended logs: IIS (space-separated, `#Fields:` header), CloudFront standard logs
 * (tab-separated, `#Fields:` header or the documented fixed column order) and IIS events
 * logged as XML (`<Data Name="c-ip">...</Data>`). The `#Fields:` header defines the columns
 * and may change mid-file (IIS writes a header block at every restart and every new file),
 * so the scanner is stateful and header lines are Meta. Columns are compiled into an action
 * per column when a header arrives; a data line is one split pass.
 */
import { bytesEqual, parseCount, Reason, Scratch, setClientAddress, setText, setUrl } from './bytes.js';
import { isBlank } from './pattern.js';
import { Field, type LineScanner, ScanOutcome, type ScanOutcomeValue, type ScanRecord } from './record.js';
import { daysFromCivil, daysInMonth, parseClock, parseDecimal, parsedTime } from './time.js';

const Action = {
  Skip: 0,
  Date: 1,
  Time: 2,
  Ip: 3,
  User: 4,
  Method: 5,
  Stem: 6,
  Query: 7,
  Status: 8,
  Bytes: 9,
  Duration: 10,
  Protocol: 11,
  Host: 12,
  /** CloudFront x-host-header (the site's name) wins over cs(Host) (the distribution's) */
  HostPreferred: 13,
  UserAgent: 14,
  Referrer: 15,
  Cookie: 16,
  ForwardedClient: 17,
  Url: 18,
} as const;
type ActionValue = (typeof Action)[keyof typeof Action];

function actionFor(name: string, clientIpField: string | undefined): ActionValue {
  const lower = name.toLowerCase();
  switch (lower) {
    case 'date': return Action.Date;
    case 'time': return Action.Time;
    case 'c-ip': return Action.Ip;
    case 'cs-username': return Action.User;
    case 'cs-method': return Action.Method;
    case 'cs-uri-stem': return Action.Stem;
    case 'cs-uri-query': return Action.Query;
    case 'cs-uri': return Action.Url;
    case 'sc-status': return Action.Status;
    case 'sc-bytes': return Action.Bytes;
    case 'time-taken': return Action.Duration;
    case 'cs-version':
    case 'cs-protocol-version': return Action.Protocol;
    case 'cs-host':
    case 'cs(host)': return Action.Host;
    case 'x-host-header': return Action.HostPreferred;
    case 'cs(user-agent)':
    case 'csuser-agent': return Action.UserAgent;
    case 'cs(referer)':
    case 'csreferer': return Action.Referrer;
    case 'cs(cookie)':
    case 'cscookie': return Action.Cookie;
    default: {
      if (clientIpField === undefined) return Action.Skip;
      const header = clientIpField.toLowerCase();
      return lower === header || lower === `cs(${header})` || lower === `cs${header}` ? Action.ForwardedClient : Action.Skip;
    }
  }
}

/** How a text column escapes spaces: IIS writes '+', CloudFront percent-encodes. */
export type W3cDecoding = 'plus' | 'percent';

export interface W3cOptions {
  separator: number;
  /** columns used before any `#Fields:` header (CloudFront's fixed order); none for IIS */
  defaultFields?: string[];
  /** milliseconds per unit of time-taken (IIS: ms = 1; CloudFront: seconds = 1000) */
  durationUnit: number;
  decoding: W3cDecoding;
  clientIpField?: string;
}

const FIELDS_PREFIX = Buffer.from('#Fields:');
const MS_PER_DAY = 86_400_000;

/** Shared by the column and XML scanners: per-line accumulation of date, time, stem, query. */
class W3cLineState {
  dayMs = Number.NaN;
  clockMs = Number.NaN;
  stemBuffer: Buffer | null = null;
  stemStart = 0;
  stemEnd = 0;
  queryBuffer: Buffer | null = null;
  queryStart = 0;
  queryEnd = 0;
  hostPreferred = false;
  clientFromHeader = false;
  private lastDateKey = -1;
  private lastDateMs = 0;
  readonly scratch = new Scratch();

  begin(): void {
    this.dayMs = Number.NaN;
    this.clockMs = Number.NaN;
    this.stemBuffer = null;
    this.queryBuffer = null;
    this.hostPreferred = false;
    this.clientFromHeader = false;
    this.scratch.reset();
  }

  /** `YYYY-MM-DD`, cached: a W3C file holds one day. */
  parseDate(line: Buffer, start: number, end: number): boolean {
    if (end - start !== 10 || line[start + 4] !== 45 || line[start + 7] !== 45) return false; // '-'
    const year = parseCount(line, start, start + 4, -1);
    const month = parseCount(line, start + 5, start + 7, -1);
    const day = parseCount(line, start + 8, start + 10, -1);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
    const key = year * 10_000 + month * 100 + day;
    if (key !== this.lastDateKey) {
      this.lastDateKey = key;
      this.lastDateMs = daysFromCivil(year, month, day) * MS_PER_DAY;
    }
    this.dayMs = this.lastDateMs;
    return true;
  }

  /**
   * Applies one column value. Returns '' or a skip reason.
   * `decoding` turns '+' or '%XX' back into the bytes for user agents and referrers.
   */
  apply(action: number, line: Buffer, start: number, end: number, record: ScanRecord, decoding: W3cDecoding, durationUnit: number): string {
    switch (action) {
      case Action.Skip:
        return '';
      case Action.Date:
        return this.parseDate(line, start, end) ? '' : Reason.BadTimestamp;
      case Action.Time: {
        if (parseClock(line, start, end, 0) < 0) return Reason.BadTimestamp;
        this.clockMs = parsedTime.value;
        return '';
      }
      case Action.Ip:
        if (!this.clientFromHeader) setClientAddress(record, line, start, end);
        return '';
      case Action.ForwardedClient:
        if (setClientAddress(record, line, start, end)) this.clientFromHeader = true;
        return '';
      case Action.User: setText(record, Field.User, line, start, end); return '';
      case Action.Method: setText(record, Field.Method, line, start, end); return '';
      case Action.Protocol: setText(record, Field.Protocol, line, start, end); return '';
      case Action.Stem:
        this.stemBuffer = line;
        this.stemStart = start;
        this.stemEnd = end;
        return '';
      case Action.Query:
        if (end - start === 1 && line[start] === 45) return ''; // '-'
        this.queryBuffer = line;
        this.queryStart = start;
        this.queryEnd = end;
        return '';
      case Action.Url:
        setUrl(record, line, start, end);
        return '';
      case Action.Status: {
        const status = parseCount(line, start, end, 0);
        if (status < 0 || status > 999) return Reason.BadStatus;
        record.status = status;
        return '';
      }
      case Action.Bytes: {
        const bytes = parseCount(line, start, end, -1);
        if (bytes < -1) return Reason.BadNumber;
        record.bytes = bytes;
        return '';
      }
      case Action.Duration: {
        if (end - start === 1 && line[start] === 45) return '';
        if (parseDecimal(line, start, end, durationUnit) < 0) return Reason.BadNumber;
        record.duration = parsedTime.value < 0 ? -1 : parsedTime.value;
        return '';
      }
      case Action.Host:
        if (!this.hostPreferred) setText(record, Field.Host, line, start, end);
        return '';
      case Action.HostPreferred:
        if (end - start === 1 && line[start] === 45) return '';
        record.set(Field.Host, line, start, end);
        this.hostPreferred = true;
        return '';
      case Action.UserAgent:
        this.setDecoded(record, Field.UserAgent, line, start, end, decoding);
        return '';
      case Action.Referrer:
        this.setDecoded(record, Field.Referrer, line, start, end, decoding);
        return '';
      case Action.Cookie:
        setText(record, Field.Cookie, line, start, end);
        return '';
    }
    return '';
  }

  private setDecoded(record: ScanRecord, field: number, line: Buffer, start: number, end: number, decoding: W3cDecoding): void {
    if (end - start === 1 && line[start] === 45) return; // '-'
    const marker = decoding === 'plus' ? 43 : 37; // '+' '%'
    let first = -1;
    for (let i = start; i < end; i++) {
      if (line[i] === marker) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      record.set(field as 0, line, start, end);
      return;
    }
    const at = this.scratch.reserve(end - start);
    const scratch = this.scratch.buffer;
    let out = at;
    for (let i = start; i < end; i++) {
      const code = line[i];
      if (decoding === 'plus') {
        scratch[out++] = code === 43 ? 32 : code; // '+' -> ' '
      } else if (code === 37 && i + 2 < end && hex(line[i + 1]) >= 0 && hex(line[i + 2]) >= 0) {
        // '%XX'
        scratch[out++] = (hex(line[i + 1]) << 4) | hex(line[i + 2]);
        i += 2;
      } else {
        scratch[out++] = code;
      }
    }
    record.set(field as 0, scratch, at, out);
  }

  /** Ends a line: time = date + clock (W3C times are UTC); url = stem ['?' query]. */
  finish(record: ScanRecord): string {
    if (!Number.isNaN(this.dayMs) && !Number.isNaN(this.clockMs)) record.time = this.dayMs + this.clockMs;
    else if (!Number.isNaN(this.dayMs) || !Number.isNaN(this.clockMs)) return Reason.BadTimestamp;
    const stem = this.stemBuffer;
    if (stem !== null) {
      const query = this.queryBuffer;
      if (query === null) {
        setUrl(record, stem, this.stemStart, this.stemEnd);
      } else {
        this.scratch.setJoinedUrl(record, stem, this.stemStart, this.stemEnd, query, this.queryStart, this.queryEnd);
      }
    }
    if (!record.has(Field.Url)) return Reason.NotAccessEntry;
    return '';
  }
}

function hex(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

export class W3cScanner implements LineScanner {
  private actions: Uint8Array | null;
  private readonly state = new W3cLineState();
  private headerCopy: Buffer | null = null;
  /** lines need exactly as many columns as the header names (a fixed default order is lenient) */
  private exactColumns: boolean;

  constructor(private readonly options: W3cOptions) {
    this.actions = options.defaultFields === undefined ? null : this.compile(options.defaultFields);
    this.exactColumns = false;
  }

  private compile(names: string[]): Uint8Array {
    return Uint8Array.from(names.map((name) => actionFor(name, this.options.clientIpField)));
  }

  private readHeader(line: Buffer, start: number, end: number): void {
    if (this.headerCopy !== null && bytesEqual(line, start, end, this.headerCopy)) return;
    this.headerCopy = Buffer.from(line.subarray(start, end));
    const names = line.toString('latin1', start + FIELDS_PREFIX.length, end).trim().split(/\s+/);
    this.actions = this.compile(names);
    this.exactColumns = true;
  }

  scan(line: Buffer, start: number, end: number, record: ScanRecord): ScanOutcomeValue {
    record.reset();
    if (start === end) return ScanOutcome.Meta;
    if (line[start] === 35) {
      // '#': a directive; '#Fields:' redefines the columns
      if (end - start > FIELDS_PREFIX.length && bytesEqual(line, start, start + FIELDS_PREFIX.length, FIELDS_PREFIX)) this.readHeader(line, start, end);
      return ScanOutcome.Meta;
    }
    if ((line[start] === 32 || line[start] === 9) && isBlank(line, start, end)) return ScanOutcome.Meta; // ' ' '\t'
    const actions = this.actions;
    if (actions === null) {
      record.reason = Reason.NoFieldsHeader;
      return ScanOutcome.Skip;
    }
    const separator = this.options.separator;
    const state = this.state;
    state.begin();
    let column = 0;
    let columnStart = start;
    let reason = '';
    for (let at = start; at <= end; at++) {
      if (at < end && line[at] !== separator) continue;
      if (column < actions.length) {
        reason = state.apply(actions[column], line, columnStart, at, record, this.options.decoding, this.options.durationUnit);
        if (reason !== '') break;
      }
      column++;
      columnStart = at + 1;
    }
    if (reason === '' && (this.exactColumns ? column !== actions.length : column < Math.min(actions.length, 12))) reason = Reason.ColumnCount;
    if (reason === '') reason = state.finish(record);
    if (reason !== '') {
      record.reset();
      record.reason = reason;
      return ScanOutcome.Skip;
    }
    return ScanOutcome.Ok;
  }
}

const EVENT_TAG = Buffer.from('<Event');
const DATA_TAG = Buffer.from('<Data Name="');

function indexOfWithin(line: Buffer, needle: Buffer, start: number, end: number): number {
  const first = needle[0];
  outer: for (let at = start; at + needle.length <= end; at++) {
    if (line[at] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (line[at + k] !== needle[k]) continue outer;
    return at;
  }
  return -1;
}

/**
 * IIS "logging to ETW" events as XML, one `<Event>` per line: the same W3C fields as
 * `<Data Name="field">value</Data>`, XML-escaped. Supported because it costs one scanner
 * that reuses the W3C field actions.
 */
export class IisXmlScanner implements LineScanner {
  private readonly state = new W3cLineState();
  private readonly actionCache = new Map<string, number>();

  constructor(private readonly clientIpField?: string) {}

  scan(line: Buffer, start: number, end: number, record: ScanRecord): ScanOutcomeValue {
    record.reset();
    if (isBlank(line, start, end)) return ScanOutcome.Meta;
    if (indexOfWithin(line, EVENT_TAG, start, Math.min(end, start + 64)) < 0) {
      record.reason = Reason.NotAccessEntry;
      return ScanOutcome.Skip;
    }
    const state = this.state;
    state.begin();
    let at = start;
    let fields = 0;
    for (;;) {
      const tag = indexOfWithin(line, DATA_TAG, at, end);
      if (tag < 0) break;
      const nameStart = tag + DATA_TAG.length;
      let nameEnd = nameStart;
      while (nameEnd < end && line[nameEnd] !== 34) nameEnd++; // '"'
      let valueStart = nameEnd + 1;
      if (line[valueStart] === 47) {
        // '/>' : empty element
        at = valueStart;
        continue;
      }
      valueStart++; // '>'
      let valueEnd = valueStart;
      while (valueEnd < end && line[valueEnd] !== 60) valueEnd++; // '<'
      at = valueEnd;
      const name = line.toString('latin1', nameStart, nameEnd);
      let action = this.actionCache.get(name);
      if (action === undefined) {
        action = actionFor(name, this.clientIpField);
        this.actionCache.set(name, action);
      }
      if (action === Action.Skip) continue;
      fields++;
      let buffer = line;
      let from = valueStart;
      let to = valueEnd;
      for (let i = valueStart; i < valueEnd; i++) {
        if (line[i] === 38) {
          // '&': decode entities into scratch
          const target = state.scratch.reserve(valueEnd - valueStart);
          to = decodeEntities(line, valueStart, valueEnd, state.scratch.buffer, target);
          buffer = state.scratch.buffer;
          from = target;
          break;
        }
      }
      const reason = state.apply(action, buffer, from, to, record, 'plus', 1);
      if (reason !== '') {
        record.reset();
        record.reason = reason;
        return ScanOutcome.Skip;
      }
    }
    const reason = fields === 0 ? Reason.NotAccessEntry : state.finish(record);
    if (reason !== '') {
      record.reset();
      record.reason = reason;
      return ScanOutcome.Skip;
    }
    return ScanOutcome.Ok;
  }
}

const ENTITIES: [string, number][] = [['amp;', 38], ['lt;', 60], ['gt;', 62], ['quot;', 34], ['apos;', 39]];

function decodeEntities(line: Buffer, start: number, end: number, target: Buffer, at: number): number {
  let out = at;
  outer: for (let i = start; i < end; i++) {
    const code = line[i];
    if (code === 38) {
      // '&'
      for (const [name, value] of ENTITIES) {
        if (i + name.length < end + 1 && line.toString('latin1', i + 1, i + 1 + name.length) === name) {
          target[out++] = value;
          i += name.length;
          continue outer;
        }
      }
    }
    target[out++] = code;
  }
  return out;
}
