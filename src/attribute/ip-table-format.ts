/**
 * The compiled IP table: what build-table writes and ip-table reads.
 *
 * One little-endian file, every section 4-byte aligned so the loader can view it as typed
 * arrays without copying:
 *
 *   header      Uint32[16]  magic 'RWIP', FORMAT_VERSION, then the counts below
 *   metadata    UTF-8 JSON (source package versions), padded to 4
 *   v4 ASN      start[n], end[n], asn[n], org[n]                      (Uint32 each)
 *   v6 ASN      startHigh[n], startLow[n], endHigh[n], endLow[n], asn[n], org[n]
 *   v4 country  start[n], end[n], code[n] (Uint16, padded)
 *   v6 country  startHigh[n], startLow[n], endHigh[n], endLow[n], code[n] (Uint16, padded)
 *   orgs        offsets Uint32[orgCount + 1], then UTF-8 bytes
 *   v4 jump     Uint32[65537]: for each /16 b, the first v4 ASN range whose start >= b << 16
 *               (and the range count last), so a lookup binary-searches only the ranges
 *               of its /16 (at most 249 of 412k; FORMAT_VERSION 2)
 *
 * Invariants (checked by build-table, relied on by the binary searches): within a section the
 * ranges are sorted by start, do not overlap, and start <= end. IPv6 ranges are cut to their
 * top 64 bits. A country code is (first letter << 8) | second letter, 0 for unknown. The org
 * index 0 is the empty string (no name in the source).
 */
export const MAGIC = 0x50495752; // 'RWIP' read as a little-endian uint32
/** 2 added the v4 jump section; a file of another version is rebuilt by IpTable.load. */
export const FORMAT_VERSION = 2;
/** one entry per /16, plus the end */
export const V4_JUMP_ENTRIES = 65537;

export const Header = {
  Magic: 0,
  Version: 1,
  MetadataBytes: 2,
  V4AsnCount: 3,
  V6AsnCount: 4,
  V4CountryCount: 5,
  V6CountryCount: 6,
  OrgCount: 7,
  OrgBytes: 8,
  V4JumpCount: 9,
} as const;
export const HEADER_WORDS = 16;

export interface TableMetadata {
  asnPackage: string;
  countryPackage: string;
  builtAt: string;
}

/**
 * Lays typed-array views one after another over one buffer, each section starting 4-byte
 * aligned (typed arrays need it). The writers and readers of the generated files (IP table,
 * catalogue) walk their layouts with it, so both sides agree by construction; a section that
 * would run past `end` throws "<what> is truncated".
 */
export class SectionCursor {
  constructor(
    private readonly buffer: ArrayBufferLike,
    public offset: number,
    private readonly end: number,
    private readonly what: string,
  ) {}

  words(count: number): Uint32Array {
    this.need(count * 4);
    const view = new Uint32Array(this.buffer, this.offset, count);
    this.offset += count * 4;
    return view;
  }

  halves(count: number): Uint16Array {
    this.need(count * 2);
    const view = new Uint16Array(this.buffer, this.offset, count);
    this.offset += padTo4(count * 2);
    return view;
  }

  bytes(count: number): Uint8Array {
    this.need(count);
    const view = new Uint8Array(this.buffer, this.offset, count);
    this.offset += padTo4(count);
    return view;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.end) throw new Error(`${this.what} is truncated`);
  }
}

export function padTo4(bytes: number): number {
  return (bytes + 3) & ~3;
}

export function encodeCountry(code: string): number {
  if (!/^[A-Z]{2}$/.test(code)) return 0;
  return (code.charCodeAt(0) << 8) | code.charCodeAt(1);
}

export function decodeCountry(code: number): string | null {
  return code === 0 ? null : String.fromCharCode(code >>> 8, code & 255);
}
