import ipaddr from 'ipaddr.js';

/**
 * CIDR arithmetic for blocklists and the guard: a prefix is a family, a base address as a
 * bigint and a prefix length. Off the hot path (a blocklist has thousands of entries at most),
 * so bigints for both families keep it one piece of code.
 */
export interface Cidr {
  family: 4 | 6;
  /** the network address, host bits zero */
  base: bigint;
  bits: number;
}

export function widthOf(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

function toBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function maskTo(base: bigint, bits: number, width: number): bigint {
  const hostBits = BigInt(width - bits);
  return (base >> hostBits) << hostBits;
}

/**
 * An address or CIDR as text -> a Cidr with its host bits cleared; null when it is neither.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is IPv4.
 */
export function parseCidrText(text: string): Cidr | null {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(trimmed);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        const v4 = (address as ipaddr.IPv6).toIPv4Address();
        return { family: 4, base: maskTo(toBigInt(v4.toByteArray()), bits - 96, 32), bits: bits - 96 };
      }
      const family = address.kind() === 'ipv4' ? 4 : 6;
      return { family, base: maskTo(toBigInt(address.toByteArray()), bits, widthOf(family)), bits };
    }
    if (!ipaddr.isValid(trimmed)) return null;
    const address = ipaddr.process(trimmed);
    const family = address.kind() === 'ipv4' ? 4 : 6;
    return { family, base: toBigInt(address.toByteArray()), bits: widthOf(family) };
  } catch {
    return null;
  }
}

/** The network a client stands for (DESIGN.md): an IPv4 address, an IPv6 /64. */
export function clientCidr(ip: string): Cidr | null {
  const cidr = parseCidrText(ip);
  if (cidr === null || ip.includes('/')) return null;
  return cidr.family === 6 ? { family: 6, base: maskTo(cidr.base, 64, 128), bits: 64 } : cidr;
}

/** The address part as text: dotted IPv4, RFC 5952 IPv6. */
export function formatAddress(cidr: Cidr): string {
  if (cidr.family === 4) {
    const value = Number(cidr.base);
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  }
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((cidr.base >> shift) & 0xffffn));
  return ipaddr.fromByteArray(parts.flatMap((part) => [part >> 8, part & 255])).toString();
}

/** `1.2.3.0/24`, `2001:db8::/64`; a single address keeps its `/32` or `/128`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr)}/${cidr.bits}`;
}

/** A single address without its prefix length, a network with it. */
export function formatCompact(cidr: Cidr): string {
  return cidr.bits === widthOf(cidr.family) ? formatAddress(cidr) : formatCidr(cidr);
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  return maskTo(inner.base, outer.bits, widthOf(outer.family)) === outer.base;
}

export function overlapsCidr(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.base !== b.base) return a.base < b.base ? -1 : 1;
  return a.bits - b.bits;
}

/**
 * The smallest set of prefixes whose union is exactly the union of the given ones: contained
 * prefixes dropped, then sibling pairs (two halves of one parent) merged, repeatedly. It never
 * covers an address outside the input, so it is never wider than any prefix that held them all.
 * Result sorted: IPv4 first, then by address.
 */
export function aggregateCidrs(cidrs: readonly Cidr[]): Cidr[] {
  const sorted = [...cidrs].sort(compareCidr);
  const stack: Cidr[] = [];
  for (const cidr of sorted) {
    const top = stack[stack.length - 1];
    if (top !== undefined && containsCidr(top, cidr)) continue;
    stack.push(cidr);
    // sorted and disjoint: only the last two can be siblings, and a merge can make a new pair
    while (stack.length >= 2) {
      const second = stack[stack.length - 1]!;
      const first = stack[stack.length - 2]!;
      if (first.family !== second.family || first.bits !== second.bits || first.bits === 0) break;
      const width = widthOf(first.family);
      const size = 1n << BigInt(width - first.bits);
      // first must be the lower half of its parent, second the upper half
      if (((first.base >> BigInt(width - first.bits)) & 1n) !== 0n || second.base !== first.base + size) break;
      stack.length -= 2;
      stack.push({ family: first.family, base: first.base, bits: first.bits - 1 });
    }
  }
  return stack;
}

/** `from` minus `hole`: `from` itself, nothing, or the prefixes left around the hole. */
export function subtractCidr(from: Cidr, hole: Cidr): Cidr[] {
  if (!overlapsCidr(from, hole)) return [from];
  if (containsCidr(hole, from)) return [];
  // walk down from `from` towards `hole`; at each level the half not holding the hole stays
  const width = widthOf(from.family);
  const left: Cidr[] = [];
  for (let bits = from.bits + 1; bits <= hole.bits; bits++) {
    const onPath = maskTo(hole.base, bits, width);
    const sibling = onPath ^ (1n << BigInt(width - bits));
    left.push({ family: from.family, base: sibling, bits });
  }
  return left.sort(compareCidr);
}

/** Membership of addresses in a fixed set of prefixes: sorted disjoint ranges, binary search. */
export class CidrSet {
  private readonly starts: { 4: bigint[]; 6: bigint[] } = { 4: [], 6: [] };
  private readonly ends: { 4: bigint[]; 6: bigint[] } = { 4: [], 6: [] };
  readonly size: number;

  constructor(cidrs: readonly Cidr[]) {
    const merged = aggregateCidrs(cidrs);
    for (const cidr of merged) {
      const size = 1n << BigInt(widthOf(cidr.family) - cidr.bits);
      this.starts[cidr.family].push(cidr.base);
      this.ends[cidr.family].push(cidr.base + size - 1n);
    }
    this.size = merged.length;
  }

  /** Whether an address (text) falls in the set; false for anything that is not an address. */
  has(ip: string): boolean {
    const cidr = parseCidrText(ip);
    if (cidr === null) return false;
    const starts = this.starts[cidr.family];
    const ends = this.ends[cidr.family];
    let low = 0;
    let high = starts.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (cidr.base < starts[middle]!) high = middle - 1;
      else if (cidr.base > ends[middle]!) low = middle + 1;
      else return true;
    }
    return false;
  }
}
