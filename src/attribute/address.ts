/**
 * Address text <-> numbers, without allocating on the common path.
 *
 * IPv4 is one uint32. IPv6 is four uint32 words, most significant first; the ASN table keys
 * IPv6 by the top 64 bits (words 0 and 1), because nothing announced is longer than /64 in
 * practice and a client is its /64 anyway (see DESIGN: "IPv6: the /64").
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is treated as the IPv4 address it carries.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, type Words } from '../common/ip-text.js';

export { formatIPv4, formatIPv6, parseIPv4, parseIPv6, type Words };

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:0:0/96) carries, else -1. */
export function mappedIPv4(words: ArrayLike<number>): number {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff ? words[3]! : -1;
}

/** A parsed address: IPv4 as a uint32, or IPv6 as four words. */
export type ParsedAddress = { version: 4; value: number } | { version: 6; words: Words };

/** Parse either family; IPv4-mapped IPv6 comes back as IPv4. Null when not an address. */
export function parseAddress(text: string): ParsedAddress | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { version: 4, value: v4 };
  const words = [0, 0, 0, 0];
  if (!parseIPv6(text, words)) return null;
  const mapped = mappedIPv4(words);
  if (mapped >= 0) return { version: 4, value: mapped };
  return { version: 6, words };
}


/** Mask of the top `bits` bits of a uint32 (bits 0..32). */
export function prefixMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** IPv6 words masked to a prefix length, as a new array. */
export function maskWords(words: ArrayLike<number>, bits: number): Words {
  const out = [0, 0, 0, 0];
  for (let index = 0; index < 4; index++) {
    out[index] = (words[index]! & prefixMask(bits - index * 32)) >>> 0;
  }
  return out;
}

/** A parsed CIDR block. IPv4: `value` is the masked network. IPv6: `words` masked. */
export type Cidr =
  | { version: 4; value: number; bits: number; text: string }
  | { version: 6; words: Words; bits: number; text: string };

/**
 * Parse "a.b.c.d/n", "x::/n" or a bare address (as /32 or /128). Host bits are masked off;
 * `text` is the input when it was already a network address (no reformatting: catalogue
 * loading parses ~18k of these), else the normalised form.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseAddressStrict(addressText);
  if (!address) return null;
  const maxBits = address.version === 4 ? 32 : 128;
  let bits = maxBits;
  if (slash >= 0) {
    const length = text.length - slash - 1;
    if (length < 1 || length > 3) return null;
    bits = 0;
    for (let index = slash + 1; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code < 48 || code > 57) return null; // not '0'..'9'
      bits = bits * 10 + (code - 48);
    }
    if (bits > maxBits) return null;
  }
  if (address.version === 4) {
    const value = (address.value & prefixMask(bits)) >>> 0;
    const exact = value === address.value && slash >= 0;
    return { version: 4, value, bits, text: exact ? text : `${formatIPv4(value)}/${bits}` };
  }
  const words = maskWords(address.words, bits);
  const original = address.words;
  const exact =
    slash >= 0 && words[0] === original[0] && words[1] === original[1] && words[2] === original[2] && words[3] === original[3];
  return { version: 6, words, bits, text: exact ? text : `${formatIPv6(words)}/${bits}` };
}

/** Like parseAddress, but keeps IPv4-mapped IPv6 as IPv6 (for CIDR text). */
function parseAddressStrict(text: string): ParsedAddress | null {
  const v4 = parseIPv4(text);
  if (v4 >= 0) return { version: 4, value: v4 };
  const words = [0, 0, 0, 0];
  return parseIPv6(text, words) ? { version: 6, words } : null;
}

/**
 * The largest aligned IPv4 block that holds `address` and lies inside [start, end]: how a
 * table range that is not itself one CIDR (216.99.132.0-216.99.134.255) is named per address.
 */
export function enclosingCidrV4(address: number, start: number, end: number): string {
  for (let bits = 0; bits <= 32; bits++) {
    const mask = prefixMask(bits);
    const low = (address & mask) >>> 0;
    const high = (low | ~mask) >>> 0;
    if (low >= start && high <= end) return `${formatIPv4(low)}/${bits}`;
  }
  return `${formatIPv4(address)}/32`;
}

/** The same for IPv6, on the top 64 bits (the table's resolution). */
export function enclosingCidrV6(high: number, low: number, start: [number, number], end: [number, number]): string {
  for (let bits = 0; bits <= 64; bits++) {
    const maskHigh = prefixMask(bits);
    const maskLow = prefixMask(bits - 32);
    const firstHigh = (high & maskHigh) >>> 0;
    const firstLow = (low & maskLow) >>> 0;
    const lastHigh = (firstHigh | ~maskHigh) >>> 0;
    const lastLow = (firstLow | ~maskLow) >>> 0;
    if (compare64(firstHigh, firstLow, start[0], start[1]) >= 0 && compare64(lastHigh, lastLow, end[0], end[1]) <= 0) {
      return `${formatIPv6([firstHigh, firstLow, 0, 0])}/${bits}`;
    }
  }
  return `${formatIPv6([high, low, 0, 0])}/64`;
}

export function compare64(aHigh: number, aLow: number, bHigh: number, bLow: number): number {
  if (aHigh !== bHigh) return aHigh < bHigh ? -1 : 1;
  if (aLow !== bLow) return aLow < bLow ? -1 : 1;
  return 0;
}
