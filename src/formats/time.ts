/**
 * Timestamp parsers that read bytes in place. Each returns the epoch milliseconds through
 * `parsedTime` and the position after the timestamp, or -1 when the bytes are not a time.
 * (Two results without an allocation: one module-level slot, read right after the call.)
 */

export const parsedTime = { value: Number.NaN };

/** Length of `10/Oct/2000:13:55:36 -0700`. */
const CLF_LENGTH = 26;

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthIndex = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthIndex + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Days in a month of the proleptic Gregorian calendar (30/Feb is no date). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The times a log line may have: from 1990 (before the web) to the end of 2099. Outside them
 * the clock that wrote the line was wrong (1970: a zero epoch; 9999: a placeholder), and one
 * such line would stretch the report's window by decades, so the line is skipped as out of
 * range. (The detector keeps times as uint32 seconds, good to 2106.)
 */
export const MIN_LOG_TIME = Date.UTC(1990, 0, 1);
export const MAX_LOG_TIME = Date.UTC(2100, 0, 1);

/** Month number (1-12) of a three-letter English abbreviation, any case; 0 when not a month. */
export function monthFromBytes(a: number, b: number, c: number): number {
  // fold to lower case: ASCII letters differ from upper case by 0x20
  const key = ((a | 0x20) << 16) | ((b | 0x20) << 8) | (c | 0x20);
  switch (key) {
    case 0x6a616e: return 1; // 'jan'
    case 0x666562: return 2; // 'feb'
    case 0x6d6172: return 3; // 'mar'
    case 0x617072: return 4; // 'apr'
    case 0x6d6179: return 5; // 'may'
    case 0x6a756e: return 6; // 'jun'
    case 0x6a756c: return 7; // 'jul'
    case 0x617567: return 8; // 'aug'
    case 0x736570: return 9; // 'sep'
    case 0x6f6374: return 10; // 'oct'
    case 0x6e6f76: return 11; // 'nov'
    case 0x646563: return 12; // 'dec'
    default: return 0;
  }
}

function digit(code: number): number {
  // '0'..'9' -> 0..9, anything else -> a value that fails the range checks below
  const value = code - 48;
  return value >= 0 && value <= 9 ? value : -1000;
}

/** addFraction's second result (module state, as parsedTime, to allocate nothing). */
let fractionTime = 0;

/**
 * Adds the fraction digits at `at` to `time` (ms): the first three are milliseconds, the rest
 * count only before the result is floored. Sets fractionTime; returns the position after them.
 */
function addFraction(line: Buffer, at: number, end: number, time: number): number {
  let scale = 100;
  while (at < end) {
    const value = digit(line[at]);
    if (value < 0) break;
    time += value * scale;
    scale /= 10;
    at++;
  }
  fractionTime = Math.floor(time);
  return at;
}

function twoDigits(line: Buffer, at: number): number {
  return digit(line[at]) * 10 + digit(line[at + 1]);
}

/**
 * Common Log Format time `10/Oct/2000:13:55:36 -0700` (no brackets), also with a fraction
 * `13:55:36.123` (HAProxy) and without a zone (HAProxy, taken as UTC). The day part and
 * zone are cached: a log holds the same day for millions of lines, so most lines cost only
 * the clock digits and a few comparisons.
 */
export class ClfTimeParser {
  private lastDayKey = -1;
  private lastDayMs = 0;
  /** the last plain `dd/Mon/yyyy:hh:mm:ss +zzzz` read, and its time: a busy log repeats a second many times */
  private readonly last = Buffer.alloc(CLF_LENGTH);
  private lastTime = Number.NaN;

  parse(line: Buffer, pos: number, end: number): number {
    if (pos + CLF_LENGTH <= end && this.lastTime === this.lastTime) {
      // compared from the seconds backwards: a different time differs there first
      const last = this.last;
      let same = true;
      for (let index = CLF_LENGTH - 1; index >= 0; index--) {
        if (line[pos + index] !== last[index]) {
          same = false;
          break;
        }
      }
      if (same) {
        parsedTime.value = this.lastTime;
        return pos + CLF_LENGTH;
      }
    }
    const next = this.parseFully(line, pos, end);
    // only the plain form is remembered (a fraction or a missing zone changes the length)
    if (next === pos + CLF_LENGTH && line[pos + 20] === 32) {
      // a loop, not line.copy: Buffer.copy of a range makes a view object each call
      const last = this.last;
      for (let index = 0; index < CLF_LENGTH; index++) last[index] = line[pos + index]!;
      this.lastTime = parsedTime.value;
    }
    return next;
  }

  private parseFully(line: Buffer, pos: number, end: number): number {
    if (pos + 20 > end) return -1;
    if (line[pos + 2] !== 47 || line[pos + 6] !== 47 || line[pos + 11] !== 58) return -1; // '/' '/' ':'
    const day = twoDigits(line, pos);
    const month = monthFromBytes(line[pos + 3], line[pos + 4], line[pos + 5]);
    const year = twoDigits(line, pos + 7) * 100 + twoDigits(line, pos + 9);
    if (day < 1 || day > 31 || month === 0 || year < 0) return -1;
    const dayKey = year * 10_000 + month * 100 + day;
    if (dayKey !== this.lastDayKey) {
      // 30/Feb is no date: checked when the day changes (the cached day is a valid one), which
      // keeps the per-line path as small as it was, inlined into the scanners
      if (day > daysInMonth(year, month)) return -1;
      this.lastDayKey = dayKey;
      this.lastDayMs = daysFromCivil(year, month, day) * MS_PER_DAY;
    }
    if (line[pos + 14] !== 58 || line[pos + 17] !== 58) return -1; // ':' ':'
    const hour = twoDigits(line, pos + 12);
    const minute = twoDigits(line, pos + 15);
    const second = twoDigits(line, pos + 18);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return -1;
    let time = this.lastDayMs + hour * 3_600_000 + minute * 60_000 + second * 1000;
    let at = pos + 20;
    if (at < end && line[at] === 46) {
      // '.' fraction
      at = addFraction(line, at + 1, end, time);
      time = fractionTime;
    }
    if (at + 6 <= end && line[at] === 32 && (line[at + 1] === 43 || line[at + 1] === 45)) {
      // ' +hhmm' or ' -hhmm'
      const hours = twoDigits(line, at + 2);
      const minutes = twoDigits(line, at + 4);
      if (hours < 0 || minutes < 0) return -1;
      const offset = (hours * 60 + minutes) * 60_000;
      time = line[at + 1] === 43 ? time - offset : time + offset;
      at += 6;
    }
    parsedTime.value = time;
    return at;
  }
}

/**
 * ISO 8601 `2026-03-02T10:20:30[.fraction][Z|+hh:mm|+hhmm|+hh]`; a space may stand for the
 * 'T' (W3C, Zoraxy). No zone means UTC. Day results are cached as in ClfTimeParser.
 */
export class IsoTimeParser {
  private lastDayKey = -1;
  private lastDayMs = 0;

  parse(line: Buffer, pos: number, end: number): number {
    if (pos + 19 > end) return -1;
    if (line[pos + 4] !== 45 || line[pos + 7] !== 45) return -1; // '-' '-'
    const separator = line[pos + 10];
    if (separator !== 84 && separator !== 32 && separator !== 116) return -1; // 'T' ' ' 't'
    const year = twoDigits(line, pos) * 100 + twoDigits(line, pos + 2);
    const month = twoDigits(line, pos + 5);
    const day = twoDigits(line, pos + 8);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return -1;
    const dayKey = year * 10_000 + month * 100 + day;
    if (dayKey !== this.lastDayKey) {
      if (day > daysInMonth(year, month)) return -1;
      this.lastDayKey = dayKey;
      this.lastDayMs = daysFromCivil(year, month, day) * MS_PER_DAY;
    }
    return parseClock(line, pos + 11, end, this.lastDayMs);
  }
}

/** `HH:MM:SS[.fraction][zone]` added to dayMs; shared by ISO and W3C date+time columns. */
export function parseClock(line: Buffer, pos: number, end: number, dayMs: number): number {
  if (pos + 8 > end || line[pos + 2] !== 58 || line[pos + 5] !== 58) return -1; // ':' ':'
  const hour = twoDigits(line, pos);
  const minute = twoDigits(line, pos + 3);
  const second = twoDigits(line, pos + 6);
  if (hour < 0 || hour > 24 || minute < 0 || minute > 59 || second < 0 || second > 60) return -1;
  let time = dayMs + hour * 3_600_000 + minute * 60_000 + second * 1000;
  let at = pos + 8;
  if (at < end && (line[at] === 46 || line[at] === 44)) {
    // '.' or ',' fraction
    at = addFraction(line, at + 1, end, time);
    time = fractionTime;
  }
  if (at < end) {
    const sign = line[at];
    if (sign === 90 || sign === 122) {
      // 'Z' 'z'
      at++;
    } else if (sign === 43 || sign === 45) {
      // '+' '-'
      const hours = twoDigits(line, at + 1);
      if (hours < 0 || at + 3 > end) return -1;
      let minutes = 0;
      at += 3;
      if (at < end && line[at] === 58) at++; // ':'
      if (at + 1 < end && digit(line[at]) >= 0) {
        minutes = twoDigits(line, at);
        if (minutes < 0) return -1;
        at += 2;
      }
      const offset = (hours * 60 + minutes) * 60_000;
      time = sign === 43 ? time - offset : time + offset;
    }
  }
  parsedTime.value = time;
  return at;
}

/**
 * A decimal number of `unit` milliseconds (epoch seconds `1693840791.7564995` -> unit 1000).
 * Returns the end position; the value goes to parsedTime.
 */
export function parseDecimal(line: Buffer, pos: number, end: number, unit: number): number {
  let at = pos;
  let negative = false;
  if (at < end && line[at] === 45) {
    // '-'
    negative = true;
    at++;
  }
  let whole = 0;
  const digitsStart = at;
  while (at < end) {
    const value = line[at] - 48;
    if (value < 0 || value > 9) break;
    whole = whole * 10 + value;
    at++;
  }
  let fraction = 0;
  let scale = 1;
  if (at < end && line[at] === 46) {
    // '.'
    at++;
    while (at < end) {
      const value = line[at] - 48;
      if (value < 0 || value > 9) break;
      if (scale < 1e12) {
        fraction = fraction * 10 + value;
        scale *= 10;
      }
      at++;
    }
  }
  if (at === digitsStart) return -1;
  // one rounding: integers times the unit, then one division (0.045 s -> exactly 45 ms)
  const scaled = whole * scale + fraction;
  const number = unit >= 1 ? (scaled * unit) / scale : scaled / (scale * Math.round(1 / unit));
  parsedTime.value = negative ? -number : number;
  return at;
}

/** Epoch number of unknown unit (JSON `ts`): seconds, milliseconds, micro- or nanoseconds by magnitude. */
export function epochToMs(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e17) return value / 1e6; // nanoseconds
  if (magnitude >= 1e14) return value / 1e3; // microseconds
  if (magnitude >= 1e11) return value; // milliseconds
  return value * 1000; // seconds
}

/**
 * Any of the time shapes a JSON or custom field may hold: ISO 8601, CLF, epoch number.
 * Off the fixed-format hot path (JSON logs pick the shape per value).
 */
export class AnyTimeParser {
  private readonly iso = new IsoTimeParser();
  private readonly clf = new ClfTimeParser();

  parse(line: Buffer, pos: number, end: number): number {
    if (end - pos >= 19 && line[pos + 4] === 45) return this.iso.parse(line, pos, end); // '-'
    if (end - pos >= 20 && line[pos + 2] === 47) return this.clf.parse(line, pos, end); // '/'
    const at = parseDecimal(line, pos, end, 1);
    if (at < 0) return -1;
    parsedTime.value = epochToMs(parsedTime.value);
    return at;
  }
}

/**
 * strftime-style time formats (Apache `%{%d/%b/%Y %T}t`), compiled once into a list of
 * parts. Supports %d %e %m %b %h %B %a %y %Y %H %M %S %T %F %D %R %c %z %Z %s %f and literal text. Not cached; custom time formats are rare.
 */
type StrftimePart =
  | { kind: 'literal'; code: number }
  | { kind: 'number'; target: 'day' | 'month' | 'year' | 'year2' | 'hour' | 'minute' | 'second' | 'epoch'; width: number }
  | { kind: 'monthName' | 'monthFullName' | 'zone' | 'zoneName' | 'weekday' | 'fraction' };

export class StrftimeParser {
  private readonly parts: StrftimePart[] = [];

  constructor(format: string) {
    const expand: Record<string, string> = { T: '%H:%M:%S', F: '%Y-%m-%d', D: '%m/%d/%y', R: '%H:%M', c: '%a %b %e %H:%M:%S %Y' };
    const source = format.replace(/%([TFDRc])/g, (_match, letter: string) => expand[letter]);
    for (let i = 0; i < source.length; i++) {
      const char = source[i];
      if (char !== '%' || i + 1 >= source.length) {
        this.parts.push({ kind: 'literal', code: source.charCodeAt(i) });
        continue;
      }
      const letter = source[++i];
      switch (letter) {
        case 'd': case 'e': this.parts.push({ kind: 'number', target: 'day', width: 2 }); break;
        case 'm': this.parts.push({ kind: 'number', target: 'month', width: 2 }); break;
        case 'Y': this.parts.push({ kind: 'number', target: 'year', width: 4 }); break;
        case 'y': this.parts.push({ kind: 'number', target: 'year2', width: 2 }); break;
        case 'H': case 'k': case 'I': case 'l': this.parts.push({ kind: 'number', target: 'hour', width: 2 }); break;
        case 'M': this.parts.push({ kind: 'number', target: 'minute', width: 2 }); break;
        case 'S': this.parts.push({ kind: 'number', target: 'second', width: 2 }); break;
        case 's': this.parts.push({ kind: 'number', target: 'epoch', width: 12 }); break;
        case 'b': case 'h': this.parts.push({ kind: 'monthName' }); break;
        case 'B': this.parts.push({ kind: 'monthFullName' }); break;
        case 'a': case 'A': this.parts.push({ kind: 'weekday' }); break;
        case 'z': this.parts.push({ kind: 'zone' }); break;
        case 'Z': this.parts.push({ kind: 'zoneName' }); break;
        case 'f': this.parts.push({ kind: 'fraction' }); break;
        case '%': this.parts.push({ kind: 'literal', code: 37 }); break;
        default: throw new Error(`unsupported time conversion %${letter}`);
      }
    }
  }

  parse(line: Buffer, pos: number, end: number): number {
    let year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, fraction = 0, offsetMinutes = 0;
    let epoch = Number.NaN;
    let at = pos;
    for (const part of this.parts) {
      if (part.kind === 'literal') {
        if (at >= end || line[at] !== part.code) return -1;
        at++;
        continue;
      }
      if (part.kind === 'number') {
        while (part.width === 2 && at < end && line[at] === 32 && part.target === 'day') at++; // %e pads with a space
        let value = 0;
        let count = 0;
        while (at < end && count < part.width) {
          const d = line[at] - 48;
          if (d < 0 || d > 9) break;
          value = value * 10 + d;
          at++;
          count++;
        }
        if (count === 0) return -1;
        switch (part.target) {
          case 'day': day = value; break;
          case 'month': month = value; break;
          case 'year': year = value; break;
          case 'year2': year = value < 70 ? 2000 + value : 1900 + value; break;
          case 'hour': hour = value; break;
          case 'minute': minute = value; break;
          case 'second': second = value; break;
          case 'epoch': epoch = value * 1000; break;
        }
        continue;
      }
      switch (part.kind) {
        case 'monthName':
        case 'monthFullName': {
          if (at + 3 > end) return -1;
          month = monthFromBytes(line[at], line[at + 1], line[at + 2]);
          if (month === 0) return -1;
          at += 3;
          if (part.kind === 'monthFullName') while (at < end && ((line[at] | 0x20) >= 97 && (line[at] | 0x20) <= 122)) at++;
          break;
        }
        case 'weekday':
        case 'zoneName':
          while (at < end && ((line[at] | 0x20) >= 97 && (line[at] | 0x20) <= 122)) at++;
          break;
        case 'zone': {
          const sign = line[at];
          if (sign === 90) { at++; break; } // 'Z'
          if (sign !== 43 && sign !== 45) return -1; // '+' '-'
          const hours = twoDigits(line, at + 1);
          let next = at + 3;
          if (line[next] === 58) next++; // ':'
          const minutes = twoDigits(line, next);
          if (hours < 0 || minutes < 0) return -1;
          offsetMinutes = (sign === 43 ? 1 : -1) * (hours * 60 + minutes);
          at = next + 2;
          break;
        }
        case 'fraction': {
          let scale = 100;
          while (at < end) {
            const d = line[at] - 48;
            if (d < 0 || d > 9) break;
            fraction += d * scale;
            scale /= 10;
            at++;
          }
          break;
        }
      }
    }
    if (!Number.isNaN(epoch)) {
      parsedTime.value = epoch + Math.floor(fraction);
      return at;
    }
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 24 || minute > 59 || second > 60) return -1;
    parsedTime.value =
      daysFromCivil(year, month, day) * MS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + Math.floor(fraction) - offsetMinutes * 60_000;
    return at;
  }
}
