/**
 * Address text to numbers, without allocating, and back: shared by detect (a client's IPv6
 * /64), attribute (table and catalogue lookups) and simulate (drawing addresses). IPv4 is one uint32; IPv6 is four uint32 words,
 * most significant first.
 */

/**
 * Four uint32 words. Plain arrays, not Uint32Array: allocating typed arrays is several times
 * dearer in V8, and the catalogue parses ~10k IPv6 prefixes at startup.
 */
export type Words = number[];

/** Parse dotted-quad IPv4 text; -1 when it is not exactly four decimal octets. */
export function parseIPv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === 46) {
      // '.'
      if (digits === 0) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      if (dots > 3) return -1;
    } else if (code >= 48 && code <= 57) {
      // '0'..'9'
      octet = octet * 10 + (code - 48);
      digits++;
      if (octet > 255 || digits > 3) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/**
 * Parse IPv6 text into `out` (four uint32 words). Accepts '::' compression, an embedded
 * dotted IPv4 tail and a zone suffix ('%eth0', ignored). Returns false for anything else.
 */
export function parseIPv6(text: string, out: Words): boolean {
  let end = text.indexOf('%');
  if (end < 0) end = text.length;
  if (end < 2) return false;
  const groups = scratchGroups;
  let count = 0;
  let gapAt = -1;
  let index = 0;
  if (text.charCodeAt(0) === 58) {
    // leading ':' must be '::'
    if (text.charCodeAt(1) !== 58) return false;
    gapAt = 0;
    index = 2;
    if (index === end) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return true;
    }
  }
  while (index < end) {
    // a dotted IPv4 tail takes the last two groups
    let groupEnd = index;
    let value = 0;
    let hexDigits = 0;
    let sawDot = false;
    while (groupEnd < end) {
      const code = text.charCodeAt(groupEnd);
      if (code === 58) break; // ':'
      if (code === 46) sawDot = true; // '.'
      groupEnd++;
    }
    if (sawDot) {
      if (groupEnd !== end || count > 6) return false;
      const v4 = parseIPv4(text.slice(index, groupEnd));
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      index = end;
      break;
    }
    for (let at = index; at < groupEnd; at++) {
      const nibble = hexValue(text.charCodeAt(at));
      if (nibble < 0) return false;
      value = value * 16 + nibble;
      hexDigits++;
    }
    if (hexDigits === 0 || hexDigits > 4 || count >= 8) return false;
    groups[count++] = value;
    index = groupEnd;
    if (index === end) break;
    // at ':'
    index++;
    if (index < end && text.charCodeAt(index) === 58) {
      if (gapAt >= 0) return false; // two '::'
      gapAt = count;
      index++;
    } else if (index === end) {
      return false; // trailing single ':'
    }
  }
  if (gapAt < 0) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const missing = 8 - count;
    for (let from = count - 1; from >= gapAt; from--) groups[from + missing] = groups[from]!;
    for (let fill = gapAt; fill < gapAt + missing; fill++) groups[fill] = 0;
  }
  out[0] = ((groups[0]! << 16) | groups[1]!) >>> 0;
  out[1] = ((groups[2]! << 16) | groups[3]!) >>> 0;
  out[2] = ((groups[4]! << 16) | groups[5]!) >>> 0;
  out[3] = ((groups[6]! << 16) | groups[7]!) >>> 0;
  return true;
}

const scratchGroups = new Uint32Array(8);

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // '0'..'9'
  if (code >= 97 && code <= 102) return code - 87; // 'a'..'f'
  if (code >= 65 && code <= 70) return code - 55; // 'A'..'F'
  return -1;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Compressed IPv6 text (RFC 5952: longest zero run of two or more groups becomes '::'). */
export function formatIPv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let index = 0; index < 4; index++) {
    const word = words[index]! >>> 0;
    groups.push(word >>> 16, word & 0xffff);
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let stop = start;
    while (stop < 8 && groups[stop] === 0) stop++;
    if (stop - start > bestLength) {
      bestStart = start;
      bestLength = stop - start;
    }
    start = stop;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/*
 * Address text as logs and sockets write it, reduced to the client it names: an IPv4-mapped
 * IPv6 address (`::ffff:203.0.113.9`, what dual-stack servers and Node log for IPv4 peers) is
 * its IPv4 address, and a zone id (`fe80::1%eth0`) names an interface of the logging host, not
 * a client, so it is dropped. Done where addresses are read (records, the canary listener,
 * explain's target), so every later stage sees one client per address.
 */

/** Where the client address starts in bytes[start, end): past an IPv4-mapped prefix, else start. */
export function mappedIPv4Start(bytes: Uint8Array, start: number, end: number): number {
  // the shortest mapped form is '::ffff:' + '0.0.0.0'; IPv4 text starts with a digit
  if (end - start < 14) return start;
  let at = start;
  if (bytes[at] === 58 && bytes[at + 1] === 58) at += 2; // '::'
  else if (bytes[at] === 48 && end - start >= 22) {
    // the long form '0:0:0:0:0:'
    for (let group = 0; group < 5; group++, at += 2) if (bytes[at] !== 48 || bytes[at + 1] !== 58) return start; // '0' ':'
  } else return start;
  for (let index = 0; index < 4; index++) if ((bytes[at + index]! | 0x20) !== 102) return start; // 'f' or 'F'
  at += 4;
  if (bytes[at] !== 58) return start; // ':'
  at++;
  // a dotted tail: at most 15 bytes, digits and dots only, with a dot in the first four
  if (end - at > 15) return start;
  let dots = 0;
  for (let index = at; index < end; index++) {
    const code = bytes[index]!;
    if (code === 46) dots++; // '.'
    else if (code < 48 || code > 57) return start; // not '0'..'9'
  }
  return dots === 3 ? at : start;
}

/** Where the address ends in bytes[start, end): at a zone id's '%', else end. */
export function zoneStart(bytes: Uint8Array, start: number, end: number): number {
  // IPv4 text has a '.' within its first four bytes and never a zone: most lines stop here
  if (bytes[start + 1] === 46 || bytes[start + 2] === 46 || bytes[start + 3] === 46) return end; // '.'
  for (let index = start + 2; index < end; index++) if (bytes[index] === 37) return index; // '%'
  return end;
}

/** The same as text: `::ffff:1.2.3.4` -> `1.2.3.4`, `fe80::1%eth0` -> `fe80::1`, other text unchanged. */
export function clientAddressText(text: string): string {
  const percent = text.indexOf('%');
  const address = percent > 0 && text.includes(':') ? text.slice(0, percent) : text;
  const mapped = /^(?:::|(?:0{1,4}:){5})ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped !== null && parseIPv4(mapped[1]!) >= 0 ? mapped[1]! : address;
}
