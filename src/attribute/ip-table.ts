/**
 * The IP -> ASN/org/country table, read from the compiled file (ip-table-format.ts).
 *
 * Loading is one readFileSync and typed-array views over it, no parsing: measured 9-15 ms
 * (median of 10 runs of `node` importing dist/, 2-core container, warm page cache) for the
 * 18.5 MB file (18.7 MB with the v4 jump section: 10 ms median of 9); test/attribute/
 * ip-table.test.ts prints the figure on every run. The ceiling is 100 ms. Org names
 * are decoded on first use and kept.
 * Lookups are binary searches over sorted uint32 starts: IPv4 by the address within its /16
 * (the file's jump section), IPv6 by its top 64 bits as two uint32 (several million lookups
 * per second; the test prints the rate). In a scan the table is out of cache between
 * lookups: with 20,000 random reads of a 256 MB buffer between lookups, a whole-table search
 * took 0.80-0.85 µs and the /16 one 0.52-0.62 µs (each including ~0.3 µs of timer; 20k random
 * addresses, 2-core container, node 20).
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { DEFAULT_TABLE_PATH, buildTable, writeTable } from './build-table.js';
import { FORMAT_VERSION, HEADER_WORDS, Header, MAGIC, V4_JUMP_ENTRIES, decodeCountry, SectionCursor, type TableMetadata } from './ip-table-format.js';

export class IpTable {
  readonly metadata: TableMetadata;
  /** milliseconds spent reading and viewing the file (the ceiling is 100 ms) */
  readonly loadMilliseconds: number;
  /** the file's bytes; pass them (copied into a SharedArrayBuffer) to worker threads instead of re-reading */
  readonly bytes: Uint8Array;

  private readonly v4Start: Uint32Array;
  private readonly v4End: Uint32Array;
  private readonly v4Asn: Uint32Array;
  private readonly v4Org: Uint32Array;
  private readonly v6StartHigh: Uint32Array;
  private readonly v6StartLow: Uint32Array;
  private readonly v6EndHigh: Uint32Array;
  private readonly v6EndLow: Uint32Array;
  private readonly v6Asn: Uint32Array;
  private readonly v6Org: Uint32Array;
  private readonly countryV4Start: Uint32Array;
  private readonly countryV4End: Uint32Array;
  private readonly countryV4Code: Uint16Array;
  private readonly countryV6StartHigh: Uint32Array;
  private readonly countryV6StartLow: Uint32Array;
  private readonly countryV6EndHigh: Uint32Array;
  private readonly countryV6EndLow: Uint32Array;
  private readonly countryV6Code: Uint16Array;
  private readonly orgOffsets: Uint32Array;
  private readonly orgBytes: Uint8Array;
  private readonly orgNames: (string | undefined)[];
  /** per /16: first v4 ASN range starting at or after it (ip-table-format.ts, "v4 jump") */
  private readonly v4Jump: Uint32Array;

  constructor(file: Uint8Array, loadStarted = performance.now()) {
    // typed-array views need 4-byte alignment; readFileSync's own buffers are, pooled ones may not be
    const bytes = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
    this.bytes = bytes;
    const cursor = new SectionCursor(bytes.buffer, bytes.byteOffset, bytes.byteOffset + bytes.byteLength, 'IP table file');
    const words = (count: number): Uint32Array => cursor.words(count);
    const halves = (count: number): Uint16Array => cursor.halves(count);
    const header = words(HEADER_WORDS);
    if (header[Header.Magic] !== MAGIC || header[Header.Version] !== FORMAT_VERSION) {
      throw new Error(`IP table file has magic/version ${header[Header.Magic]}/${header[Header.Version]}, expected ${MAGIC}/${FORMAT_VERSION}`);
    }
    const metadataBytes = header[Header.MetadataBytes]!;
    this.metadata = JSON.parse(Buffer.from(cursor.bytes(metadataBytes)).toString('utf8')) as TableMetadata;
    const v4 = header[Header.V4AsnCount]!;
    this.v4Start = words(v4);
    this.v4End = words(v4);
    this.v4Asn = words(v4);
    this.v4Org = words(v4);
    const v6 = header[Header.V6AsnCount]!;
    this.v6StartHigh = words(v6);
    this.v6StartLow = words(v6);
    this.v6EndHigh = words(v6);
    this.v6EndLow = words(v6);
    this.v6Asn = words(v6);
    this.v6Org = words(v6);
    const countryV4 = header[Header.V4CountryCount]!;
    this.countryV4Start = words(countryV4);
    this.countryV4End = words(countryV4);
    this.countryV4Code = halves(countryV4);
    const countryV6 = header[Header.V6CountryCount]!;
    this.countryV6StartHigh = words(countryV6);
    this.countryV6StartLow = words(countryV6);
    this.countryV6EndHigh = words(countryV6);
    this.countryV6EndLow = words(countryV6);
    this.countryV6Code = halves(countryV6);
    const orgCount = header[Header.OrgCount]!;
    this.orgOffsets = words(orgCount + 1);
    this.orgBytes = cursor.bytes(header[Header.OrgBytes]!);
    if (header[Header.V4JumpCount] !== V4_JUMP_ENTRIES) throw new Error('IP table file has no v4 jump section');
    this.v4Jump = words(V4_JUMP_ENTRIES);
    this.orgNames = new Array<string | undefined>(orgCount);
    this.loadMilliseconds = performance.now() - loadStarted;
  }

  /** Read the compiled table; if it is missing or of another format version, build it from node_modules first (about 2 s). */
  static load(path: string = DEFAULT_TABLE_PATH): IpTable {
    const started = performance.now();
    if (!existsSync(path) || !isCurrentTable(path)) {
      let built: Uint8Array;
      try {
        built = writeTable(path);
      } catch {
        built = buildTable(); // read-only install: use it for this run only
      }
      return new IpTable(built, started);
    }
    return new IpTable(readFileSync(path), started);
  }

  /** The table's bytes in a SharedArrayBuffer, for `new IpTable(shared)` in worker threads (no copy there). */
  toShared(): Uint8Array {
    const shared = new Uint8Array(new SharedArrayBuffer(this.bytes.byteLength));
    shared.set(this.bytes);
    return shared;
  }

  get rangeCounts(): { v4: number; v6: number } {
    return { v4: this.v4Start.length, v6: this.v6StartHigh.length };
  }

  /**
   * Index of the IPv4 ASN range holding `address` (uint32), or -1. The jump section narrows
   * the search to the ranges starting in the address's /16, plus the one before them (which
   * may reach into it): ~4 cache lines touched instead of ~19 levels of a 412k-entry search,
   * which is what a lookup costs inside a scan whose own data keeps the table out of cache.
   */
  indexV4(address: number): number {
    const block = address >>> 16;
    const starts = this.v4Start;
    let low = this.v4Jump[block]!;
    let high = this.v4Jump[block + 1]! - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (starts[middle]! <= address) low = middle + 1;
      else high = middle - 1;
    }
    // high: last range starting at or below the address (the one before the block when none inside starts early enough)
    return high >= 0 && address <= this.v4End[high]! ? high : -1;
  }

  /** Index of the IPv6 ASN range holding the address whose top 64 bits are high:low, or -1. */
  indexV6(high: number, low: number): number {
    const index = lastAtOrBelow64(this.v6StartHigh, this.v6StartLow, high, low);
    if (index < 0) return -1;
    const endHigh = this.v6EndHigh[index]!;
    return high < endHigh || (high === endHigh && low <= this.v6EndLow[index]!) ? index : -1;
  }

  /** The hot path for the detector: ASN of an IPv4 address as uint32, 0 when unknown. */
  asnOfV4(address: number): number {
    const index = this.indexV4(address);
    return index < 0 ? 0 : this.v4Asn[index]!;
  }

  asnOfV6(high: number, low: number): number {
    const index = this.indexV6(high, low);
    return index < 0 ? 0 : this.v6Asn[index]!;
  }

  rangeV4(index: number): { start: number; end: number; asn: number; org: string | null } {
    return { start: this.v4Start[index]!, end: this.v4End[index]!, asn: this.v4Asn[index]!, org: this.org(this.v4Org[index]!) };
  }

  rangeV6(index: number): { start: [number, number]; end: [number, number]; asn: number; org: string | null } {
    return {
      start: [this.v6StartHigh[index]!, this.v6StartLow[index]!],
      end: [this.v6EndHigh[index]!, this.v6EndLow[index]!],
      asn: this.v6Asn[index]!,
      org: this.org(this.v6Org[index]!),
    };
  }

  countryOfV4(address: number): string | null {
    const index = lastAtOrBelow(this.countryV4Start, address);
    if (index < 0 || address > this.countryV4End[index]!) return null;
    return decodeCountry(this.countryV4Code[index]!);
  }

  countryOfV6(high: number, low: number): string | null {
    const index = lastAtOrBelow64(this.countryV6StartHigh, this.countryV6StartLow, high, low);
    if (index < 0) return null;
    const endHigh = this.countryV6EndHigh[index]!;
    const inside = high < endHigh || (high === endHigh && low <= this.countryV6EndLow[index]!);
    return inside ? decodeCountry(this.countryV6Code[index]!) : null;
  }

  /** Org name by index; null for the empty name. */
  org(index: number): string | null {
    if (index === 0) return null;
    let name = this.orgNames[index];
    if (name === undefined) {
      const start = this.orgOffsets[index]!;
      name = utf8(this.orgBytes.buffer, this.orgBytes.byteOffset + start, this.orgOffsets[index + 1]! - start);
      this.orgNames[index] = name;
    }
    return name;
  }

  /** Org name of the first range announced by an ASN (for naming ASN-only catalogue matches). */
  orgOfAsn(asn: number): string | null {
    if (!this.asnOrgs) {
      this.asnOrgs = new Map();
      for (let index = this.v4Asn.length - 1; index >= 0; index--) this.asnOrgs.set(this.v4Asn[index]!, this.v4Org[index]!);
    }
    const org = this.asnOrgs.get(asn);
    return org === undefined ? null : this.org(org);
  }

  private asnOrgs: Map<number, number> | undefined;
}

/** Does the file at `path` have this build's magic and format version? (reads 8 bytes) */
function isCurrentTable(path: string): boolean {
  const head = Buffer.alloc(8);
  const descriptor = openSync(path, 'r');
  try {
    if (readSync(descriptor, head, 0, 8, 0) < 8) return false;
  } finally {
    closeSync(descriptor);
  }
  return head.readUInt32LE(Header.Magic * 4) === MAGIC && head.readUInt32LE(Header.Version * 4) === FORMAT_VERSION;
}

/** Decode UTF-8 from any buffer (TextDecoder refuses SharedArrayBuffer views; Buffer does not). */
function utf8(buffer: ArrayBufferLike, offset: number, length: number): string {
  return Buffer.from(buffer, offset, length).toString('utf8');
}

/** Largest index i with starts[i] <= key, or -1. */
function lastAtOrBelow(starts: Uint32Array, key: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (starts[middle]! <= key) low = middle + 1;
    else high = middle - 1;
  }
  return high;
}

function lastAtOrBelow64(startsHigh: Uint32Array, startsLow: Uint32Array, keyHigh: number, keyLow: number): number {
  let low = 0;
  let high = startsHigh.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const startHigh = startsHigh[middle]!;
    if (startHigh < keyHigh || (startHigh === keyHigh && startsLow[middle]! <= keyLow)) low = middle + 1;
    else high = middle - 1;
  }
  return high;
}
