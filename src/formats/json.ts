/**
 * JSON-lines access logs (Caddy, Traefik, Envoy, nginx `escape=json`, anything with a field
 * mapping). A mapping says which key paths feed which record field, in priority order; it is
 * compiled once into a trie of keys, and each line is walked byte by byte: values under
 * unmapped keys are skipped without being decoded, mapped strings are sliced in place (or
 * unescaped into the scanner's scratch buffer when they contain a backslash).
 */
import { viewOf } from '../common/data-view.js';
import { containerPrefixLength, parseCount, parseRequest, Reason, Scratch, setClientAddress, setText, setUrl } from './bytes.js';
import { isBlank } from './pattern.js';
import { Field, type LineScanner, ScanOutcome, type ScanOutcomeValue, type ScanRecord } from './record.js';
import { AnyTimeParser, epochToMs, parseDecimal, parsedTime } from './time.js';

export const JSON_TARGETS = [
  'ip', 'method', 'url', 'path', 'query', 'protocol', 'request', 'status', 'bytes',
  'referrer', 'userAgent', 'user', 'host', 'cookie', 'time', 'duration',
] as const;
export type JsonTarget = (typeof JSON_TARGETS)[number];

/** target -> key paths, best first. A path is dotted (`request.headers.User-Agent`); an array value yields its first element. */
export type JsonMapping = Partial<Record<JsonTarget, string[]>>;

export interface JsonOptions {
  /** milliseconds per unit of a numeric duration (Caddy: seconds = 1000; Traefik: ns = 1e-6) */
  durationUnit?: number;
  /** milliseconds per unit of a numeric time; default: guessed from the magnitude */
  timeUnit?: number;
  /** header whose first address is the real client; its key forms are tried before the mapped ip paths */
  clientIpField?: string;
}

const T: Record<JsonTarget, number> = Object.fromEntries(JSON_TARGETS.map((name, index) => [name, index])) as Record<JsonTarget, number>;

interface Leaf {
  target: number;
  /** lower is better; a value only replaces one found at a worse priority */
  priority: number;
}

class KeyNode {
  readonly keys: Buffer[] = [];
  readonly children: (KeyNode | null)[] = [];
  readonly leaves: (Leaf | null)[] = [];

  slot(key: string): number {
    const bytes = Buffer.from(key, 'utf8');
    let index = this.keys.findIndex((existing) => existing.equals(bytes));
    if (index < 0) {
      index = this.keys.length;
      this.keys.push(bytes);
      this.children.push(null);
      this.leaves.push(null);
    }
    return index;
  }

  find(line: Buffer, start: number, end: number): number {
    const length = end - start;
    const keys = this.keys;
    outer: for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      if (key.length !== length) continue;
      for (let k = 0; k < length; k++) if (line[start + k] !== key[k]) continue outer;
      return index;
    }
    return -1;
  }
}

/** Go's canonical header key, as Caddy and Traefik print them: `X-Forwarded-For`. */
function canonicalHeader(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** The key forms a request header takes in the JSON logs we know. */
export function headerKeyForms(header: string): string[] {
  const lower = header.toLowerCase();
  const canonical = canonicalHeader(header);
  return [
    `request.headers.${canonical}`, // Caddy
    `request_${canonical}`, // Traefik
    lower, // Envoy
    `http_${lower.replace(/-/g, '_')}`, // nginx
    canonical,
  ];
}

function compileMapping(mapping: JsonMapping, options: JsonOptions): KeyNode {
  const root = new KeyNode();
  const add = (path: string, target: number, priority: number): void => {
    const parts = path.split('.');
    let node = root;
    // a dotted path walks nested objects (ECS `url.original` is {"url":{"original":...}})
    for (let i = 0; i < parts.length - 1; i++) {
      const slot = node.slot(parts[i]);
      node.children[slot] ??= new KeyNode();
      node = node.children[slot]!;
    }
    const slot = node.slot(parts[parts.length - 1]);
    const existing = node.leaves[slot];
    if (existing === null || existing.priority > priority) node.leaves[slot] = { target, priority };
  };
  for (const target of JSON_TARGETS) {
    const paths = mapping[target] ?? [];
    paths.forEach((path, index) => add(path, T[target], index + 1));
  }
  if (options.clientIpField !== undefined) {
    for (const path of headerKeyForms(options.clientIpField)) add(path, T.ip, 0);
  }
  return root;
}

/** A scanner for JSON lines; lines that are not JSON objects go to `fallback` when given. */
export class JsonScanner implements LineScanner {
  private readonly root: KeyNode;
  private readonly durationUnit: number;
  private readonly timeUnit: number;
  private readonly times = new AnyTimeParser();
  private readonly found = new Int8Array(JSON_TARGETS.length);
  /** path and query when the log has them apart; joined at the end of the line */
  private pathStart = 0;
  private pathEnd = 0;
  private pathBuffer: Buffer | null = null;
  private queryStart = 0;
  private queryEnd = 0;
  private queryBuffer: Buffer | null = null;
  private readonly scratch = new Scratch();
  private failure = '';
  /** the top-level keys of the last line, `"name":` and their slot, by position */
  private readonly sequence: ({ bytes: Buffer; view: DataView; slot: number } | null)[] = [];
  /** a DataView of the line's buffer, for reading four bytes at a time */
  private view: DataView = new DataView(new ArrayBuffer(8));
  lastVariant = 0;

  constructor(mapping: JsonMapping, options: JsonOptions = {}, private readonly fallback: LineScanner | null = null) {
    this.root = compileMapping(mapping, options);
    this.durationUnit = options.durationUnit ?? 1000;
    this.timeUnit = options.timeUnit ?? 0;
  }

  scan(line: Buffer, start: number, end: number, record: ScanRecord): ScanOutcomeValue {
    record.reset();
    let pos = start + containerPrefixLength(line, start, end);
    while (pos < end && (line[pos] === 32 || line[pos] === 9)) pos++; // ' ' '\t'
    if (pos === end) return ScanOutcome.Meta;
    if (line[pos] !== 123) {
      // '{'
      if (this.fallback !== null) {
        const outcome = this.fallback.scan(line, pos, end, record);
        this.lastVariant = 1;
        return outcome;
      }
      record.reason = Reason.NotJson;
      return ScanOutcome.Skip;
    }
    this.lastVariant = 0;
    this.view = viewOf(line);
    this.found.fill(127);
    this.pathBuffer = null;
    this.queryBuffer = null;
    this.scratch.reset();
    this.failure = '';
    const next = this.walkObject(line, pos, end, this.root, record);
    if (next < 0) {
      record.reset();
      record.reason = this.failure || (isBlank(line, pos, end) ? Reason.NotJson : Reason.TruncatedLine);
      return ScanOutcome.Skip;
    }
    if (!record.has(Field.Url) && this.pathBuffer !== null) this.joinPathAndQuery(record);
    if (!record.has(Field.Url)) {
      record.reset();
      record.reason = Reason.NotAccessEntry;
      return ScanOutcome.Skip;
    }
    return ScanOutcome.Ok;
  }

  private joinPathAndQuery(record: ScanRecord): void {
    const path = this.pathBuffer!;
    if (this.queryBuffer === null || this.queryEnd === this.queryStart) {
      setUrl(record, path, this.pathStart, this.pathEnd);
      return;
    }
    this.scratch.setJoinedUrl(record, path, this.pathStart, this.pathEnd, this.queryBuffer, this.queryStart, this.queryEnd);
  }

  /** Walks `{...}` at pos; returns the position after '}' or -1. */
  private walkObject(line: Buffer, pos: number, end: number, node: KeyNode, record: ScanRecord): number {
    pos++; // '{'
    const top = node === this.root;
    for (let position = 0; ; position++) {
      pos = skipSpace(line, pos, end);
      if (pos >= end) return -1;
      if (line[pos] === 125) return pos + 1; // '}'
      if (line[pos] !== 34) return -1; // '"'
      let slot: number;
      // a log writes the same keys in the same order on every line: the key the last line had
      // here, `"name":` byte for byte, settles this one without finding its end or looking it up
      const known = top && position < this.sequence.length ? this.sequence[position]! : null;
      if (known !== null && startsWith(line, this.view, pos, end, known.bytes, known.view)) {
        slot = known.slot;
        pos = skipSpace(line, pos + known.bytes.length, end);
      } else {
        const keyStart = pos + 1;
        const keyEnd = stringEnd(line, this.view, keyStart, end);
        if (keyEnd < 0) return -1;
        slot = node.find(line, keyStart, keyEnd);
        if (top && position < MAX_SEQUENCE && line[keyEnd + 1] === 58) {
          this.sequence.length = Math.max(this.sequence.length, position + 1);
          const bytes = Buffer.from(line.subarray(pos, keyEnd + 2));
          this.sequence[position] = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length), slot };
        }
        pos = skipSpace(line, keyEnd + 1, end);
        if (line[pos] !== 58) return -1; // ':'
        pos = skipSpace(line, pos + 1, end);
      }
      if (pos >= end) return -1;
      const child = slot >= 0 ? node.children[slot] : null;
      const leaf = slot >= 0 ? node.leaves[slot] : null;
      if (child !== null && line[pos] === 123) {
        pos = this.walkObject(line, pos, end, child, record);
      } else if (leaf !== null) {
        pos = this.readValue(line, pos, end, leaf, record);
      } else {
        pos = skipValue(line, this.view, pos, end);
      }
      if (pos < 0) return -1;
      pos = skipSpace(line, pos, end);
      if (pos >= end) return -1;
      if (line[pos] === 44) pos++; // ','
      else if (line[pos] !== 125) return -1; // '}'
    }
  }

  /** Reads a mapped value (a string, a number, or the first element of an array). */
  private readValue(line: Buffer, pos: number, end: number, leaf: Leaf, record: ScanRecord): number {
    const first = line[pos];
    if (first === 91) {
      // '[' : the first element (Caddy header values are arrays)
      const after = skipValue(line, this.view, pos, end);
      if (after < 0) return -1;
      const element = skipSpace(line, pos + 1, end);
      if (line[element] === 34 || (line[element] >= 48 && line[element] <= 57)) this.readValue(line, element, end, leaf, record);
      return after;
    }
    if (first === 34) {
      // '"'
      const valueEnd = stringEnd(line, this.view, pos + 1, end);
      if (valueEnd < 0) return -1;
      const escaped = stringHadBackslash;
      let buffer = line;
      let start = pos + 1;
      let stop = valueEnd;
      if (escaped) {
        // '\' : decode escapes into the scratch buffer
        const at = this.scratch.reserve((valueEnd - start) * 3);
        stop = unescapeJson(line, start, valueEnd, this.scratch.buffer, at);
        buffer = this.scratch.buffer;
        start = at;
      }
      this.apply(leaf, buffer, start, stop, true, record);
      return valueEnd + 1;
    }
    const valueEnd = skipValue(line, this.view, pos, end);
    if (valueEnd < 0) return -1;
    if (first === 110 || first === 116 || first === 102 || first === 123) return valueEnd; // 'n'ull 't'rue 'f'alse '{'
    this.apply(leaf, line, pos, valueEnd, false, record);
    return valueEnd;
  }

  private apply(leaf: Leaf, buffer: Buffer, start: number, end: number, isString: boolean, record: ScanRecord): void {
    const target = leaf.target;
    if (this.found[target] <= leaf.priority) return;
    if (start === end || (end - start === 1 && buffer[start] === 45)) return; // empty or '-'
    switch (target) {
      case T.ip:
        if (!setClientAddress(record, buffer, start, end)) return;
        break;
      case T.method: setText(record, Field.Method, buffer, start, end); break;
      case T.protocol: setText(record, Field.Protocol, buffer, start, end); break;
      case T.referrer: setText(record, Field.Referrer, buffer, start, end); break;
      case T.userAgent: setText(record, Field.UserAgent, buffer, start, end); break;
      case T.user: setText(record, Field.User, buffer, start, end); break;
      case T.host: record.set(Field.Host, buffer, start, end); break;
      case T.cookie: setText(record, Field.Cookie, buffer, start, end); break;
      case T.url: setUrl(record, buffer, start, end); break;
      case T.path:
        this.pathBuffer = buffer;
        this.pathStart = start;
        this.pathEnd = end;
        break;
      case T.query:
        this.queryBuffer = buffer;
        this.queryStart = start;
        this.queryEnd = end;
        break;
      case T.request: {
        const reason = parseRequest(record, buffer, start, end);
        if (reason !== '') {
          this.failure = reason;
          return;
        }
        break;
      }
      case T.status: {
        const status = parseCount(buffer, start, end, 0);
        if (status < 0 || status > 999) return;
        record.status = status;
        break;
      }
      case T.bytes: {
        const bytes = parseCount(buffer, start, end, -1);
        if (bytes < 0) return;
        record.bytes = bytes;
        break;
      }
      case T.time: {
        if (isString || this.timeUnit === 0) {
          if (this.times.parse(buffer, start, end) < 0) return;
          record.time = Math.floor(parsedTime.value);
        } else {
          if (parseDecimal(buffer, start, end, 1) < 0) return;
          record.time = Math.floor(this.timeUnit === 0 ? epochToMs(parsedTime.value) : parsedTime.value * this.timeUnit);
        }
        break;
      }
      case T.duration: {
        if (parseDecimal(buffer, start, end, this.durationUnit) < 0) return;
        record.duration = parsedTime.value < 0 ? -1 : parsedTime.value;
        break;
      }
    }
    this.found[target] = leaf.priority;
  }
}

/** Top-level key positions remembered (a log line has a dozen or two keys). */
const MAX_SEQUENCE = 64;

/** line[pos...] begins with `literal` (literalView: its DataView): four bytes a step. */
function startsWith(line: Buffer, view: DataView, pos: number, end: number, literal: Buffer, literalView: DataView): boolean {
  const length = literal.length;
  if (pos + length > end) return false;
  let k = 0;
  for (; k + 4 <= length; k += 4) if (view.getInt32(pos + k, true) !== literalView.getInt32(k, true)) return false;
  for (; k < length; k++) if (line[pos + k] !== literal[k]) return false;
  return true;
}

function skipSpace(line: Buffer, pos: number, end: number): number {
  while (pos < end) {
    const code = line[pos];
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
    pos++;
  }
  return pos;
}

/** Whether the string the last stringEnd call walked holds a '\' (an escape to decode). */
let stringHadBackslash = false;

/**
 * Index of the closing '"' of a string whose content starts at pos, or -1; sets
 * stringHadBackslash. Four bytes a step while a word holds neither '"' nor '\' (a word xor
 * b×4 has a zero byte exactly when one of its bytes is b), then byte by byte: most strings of
 * a log line are short, and Buffer.indexOf's call cost more than scanning them; one walk finds
 * both the end and whether there is an escape (a mapped value was walked twice before).
 */
function stringEnd(line: Buffer, view: DataView, pos: number, end: number): number {
  let backslash = false;
  for (;;) {
    let at = pos;
    for (; at + 4 <= end; at += 4) {
      const word = view.getInt32(at, true);
      const quote = word ^ 0x22222222;
      const escape = word ^ 0x5c5c5c5c;
      if ((((quote - 0x01010101) & ~quote) | ((escape - 0x01010101) & ~escape)) & 0x80808080) break;
    }
    for (; at < end; at++) {
      const code = line[at];
      if (code === 34) break; // '"'
      if (code === 92) backslash = true; // '\'
    }
    if (at >= end) {
      stringHadBackslash = backslash;
      return -1;
    }
    let backslashes = 0;
    while (line[at - 1 - backslashes] === 92) backslashes++; // '\'
    if ((backslashes & 1) === 0) {
      stringHadBackslash = backslash;
      return at;
    }
    pos = at + 1;
  }
}

/** Position after the JSON value at pos, or -1. */
function skipValue(line: Buffer, view: DataView, pos: number, end: number): number {
  const first = line[pos];
  if (first === 34) {
    // '"'
    const close = stringEnd(line, view, pos + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (first === 123 || first === 91) {
    // '{' '[' : count brackets outside strings
    let depth = 0;
    for (let at = pos; at < end; at++) {
      const code = line[at];
      if (code === 34) {
        at = stringEnd(line, view, at + 1, end);
        if (at < 0) return -1;
      } else if (code === 123 || code === 91) {
        depth++;
      } else if (code === 125 || code === 93) {
        depth--;
        if (depth === 0) return at + 1;
      }
    }
    return -1;
  }
  // number, true, false, null: up to a delimiter
  let at = pos;
  while (at < end) {
    const code = line[at];
    if (code === 44 || code === 125 || code === 93 || code === 32 || code === 9) break; // ',' '}' ']' ' ' '\t'
    at++;
  }
  return at === pos ? -1 : at;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Decodes a JSON string body into target at `at`; returns the end in target. */
function unescapeJson(line: Buffer, start: number, end: number, target: Buffer, at: number): number {
  let out = at;
  for (let i = start; i < end; i++) {
    const code = line[i];
    if (code !== 92 || i + 1 >= end) {
      // not '\'
      target[out++] = code;
      continue;
    }
    const escaped = line[++i];
    switch (escaped) {
      case 110: target[out++] = 10; break; // 'n'
      case 116: target[out++] = 9; break; // 't'
      case 114: target[out++] = 13; break; // 'r'
      case 98: target[out++] = 8; break; // 'b'
      case 102: target[out++] = 12; break; // 'f'
      case 117: {
        // 'u' XXXX, maybe a surrogate pair
        if (i + 4 >= end) break;
        let unit = (hexValue(line[i + 1]) << 12) | (hexValue(line[i + 2]) << 8) | (hexValue(line[i + 3]) << 4) | hexValue(line[i + 4]);
        if (unit < 0) break;
        i += 4;
        if (unit >= 0xd800 && unit <= 0xdbff && line[i + 1] === 92 && line[i + 2] === 117 && i + 6 < end) {
          const low = (hexValue(line[i + 3]) << 12) | (hexValue(line[i + 4]) << 8) | (hexValue(line[i + 5]) << 4) | hexValue(line[i + 6]);
          if (low >= 0xdc00 && low <= 0xdfff) {
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          }
        }
        out += target.write(String.fromCodePoint(unit), out, 'utf8');
        break;
      }
      default:
        // '"' '\' '/' and anything else: the character itself
        target[out++] = escaped;
    }
  }
  return out;
}

/** Parses `ip=client,url=path,time=ts` (and `ip=a|b` for alternatives) into a mapping. */
export function parseMappingSpec(spec: string): { mapping: JsonMapping; durationUnit?: number } {
  const mapping: JsonMapping = {};
  let durationUnit: number | undefined;
  const aliases: Record<string, JsonTarget> = { ua: 'userAgent', user_agent: 'userAgent', useragent: 'userAgent', referer: 'referrer', client: 'ip', uri: 'url', proto: 'protocol', size: 'bytes' };
  const units: Record<string, number> = { duration: 1000, duration_s: 1000, duration_ms: 1, duration_us: 0.001, duration_ns: 0.000001 };
  for (const part of spec.split(',')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals < 0) throw new Error(`'${trimmed}' is not target=key`);
    const name = trimmed.slice(0, equals).trim();
    const paths = trimmed.slice(equals + 1).split('|').map((path) => path.trim()).filter((path) => path !== '');
    let target: JsonTarget | undefined;
    if (name in units) {
      target = 'duration';
      durationUnit = units[name];
    } else {
      target = (JSON_TARGETS as readonly string[]).includes(name) ? (name as JsonTarget) : aliases[name.toLowerCase()];
    }
    if (target === undefined) throw new Error(`unknown target '${name}' (targets: ${JSON_TARGETS.join(', ')}, duration_ms, duration_us, duration_ns)`);
    if (paths.length === 0) throw new Error(`no key given for '${name}'`);
    mapping[target] = paths;
  }
  if (mapping.url === undefined && mapping.request === undefined && mapping.path === undefined) throw new Error('the mapping needs url (or request, or path)');
  return { mapping, durationUnit };
}
