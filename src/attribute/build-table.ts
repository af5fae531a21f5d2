/**
 * Compiles the pinned @ip-location-db CSVs into data/generated/ip-table.bin (see
 * ip-table-format.ts). Run at install by package.json "prepare" (`node dist/attribute/build-table.js`);
 * the output is gitignored, never committed. Also used by the loader when the file is missing
 * (a source checkout that ran tsc but not this step).
 *
 * Takes about 2 s; a scan then loads the result in milliseconds.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  FORMAT_VERSION,
  HEADER_WORDS,
  Header,
  MAGIC,
  V4_JUMP_ENTRIES,
  encodeCountry,
  padTo4,
  SectionCursor,
  type TableMetadata,
} from './ip-table-format.js';

/** Where the compiled table lives, relative to the package root (src/ and dist/ are both two levels down). */
export const DEFAULT_TABLE_PATH = fileURLToPath(new URL('../../data/generated/ip-table.bin', import.meta.url));

export interface TableSources {
  asnV4: string;
  asnV6: string;
  countryV4: string;
  countryV6: string;
  asnPackage: string;
  countryPackage: string;
}

/** The CSV paths inside node_modules, resolved the way Node resolves the packages. */
export function locateTableSources(): TableSources {
  const require = createRequire(import.meta.url);
  const asnJson = require.resolve('@ip-location-db/asn/package.json');
  const countryJson = require.resolve('@ip-location-db/geo-whois-asn-country/package.json');
  const asnDir = dirname(asnJson);
  const countryDir = dirname(countryJson);
  const version = (path: string): string => (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  return {
    asnV4: join(asnDir, 'asn-ipv4-num.csv'),
    asnV6: join(asnDir, 'asn-ipv6-num.csv'),
    countryV4: join(countryDir, 'geo-whois-asn-country-ipv4-num.csv'),
    countryV6: join(countryDir, 'geo-whois-asn-country-ipv6-num.csv'),
    asnPackage: `@ip-location-db/asn@${version(asnJson)}`,
    countryPackage: `@ip-location-db/geo-whois-asn-country@${version(countryJson)}`,
  };
}

/** Split one CSV line (RFC 4180 quoting: "a, b" and "" for a quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let index = 0;
  while (index <= line.length) {
    if (line.charCodeAt(index) === 34) {
      // '"'
      let value = '';
      index++;
      for (;;) {
        const quote = line.indexOf('"', index);
        if (quote < 0) {
          value += line.slice(index);
          index = line.length;
          break;
        }
        value += line.slice(index, quote);
        if (line.charCodeAt(quote + 1) === 34) {
          value += '"';
          index = quote + 2;
        } else {
          index = quote + 1;
          break;
        }
      }
      fields.push(value);
      index++; // the ',' after the closing quote
    } else {
      let comma = line.indexOf(',', index);
      if (comma < 0) comma = line.length;
      fields.push(line.slice(index, comma));
      index = comma + 1;
    }
  }
  return fields;
}

interface Range64 {
  startHigh: number;
  startLow: number;
  endHigh: number;
  endLow: number;
}

const MASK64 = (1n << 64n) - 1n;

function top64(decimal: string): [number, number] {
  const top = (BigInt(decimal) >> 64n) & MASK64;
  return [Number(top >> 32n), Number(top & 0xffffffffn)];
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

/**
 * IPv6 ranges cut to 64 bits can touch or overlap where the source split a /64; the later
 * range is trimmed to start after the earlier one, and dropped if nothing is left.
 */
function trimOverlaps64<T extends Range64>(ranges: T[]): T[] {
  ranges.sort((a, b) => a.startHigh - b.startHigh || a.startLow - b.startLow);
  const kept: T[] = [];
  for (const range of ranges) {
    const previous = kept[kept.length - 1];
    if (previous) {
      const overlaps =
        range.startHigh < previous.endHigh || (range.startHigh === previous.endHigh && range.startLow <= previous.endLow);
      if (overlaps) {
        let nextLow = previous.endLow + 1;
        let nextHigh = previous.endHigh;
        if (nextLow > 0xffffffff) {
          nextLow = 0;
          nextHigh++;
        }
        const empty = nextHigh > range.endHigh || (nextHigh === range.endHigh && nextLow > range.endLow);
        if (empty || nextHigh > 0xffffffff) continue;
        range.startHigh = nextHigh;
        range.startLow = nextLow;
      }
    }
    kept.push(range);
  }
  return kept;
}

function trimOverlaps32<T extends { start: number; end: number }>(ranges: T[]): T[] {
  ranges.sort((a, b) => a.start - b.start);
  const kept: T[] = [];
  for (const range of ranges) {
    const previous = kept[kept.length - 1];
    if (previous && range.start <= previous.end) {
      if (range.end <= previous.end) continue;
      range.start = previous.end + 1;
    }
    kept.push(range);
  }
  return kept;
}

/** Build the table file's bytes from the CSVs. */
export function buildTable(sources: TableSources = locateTableSources()): Uint8Array {
  const orgIndex = new Map<string, number>([['', 0]]);
  const orgNames: string[] = [''];
  const internOrg = (name: string): number => {
    let index = orgIndex.get(name);
    if (index === undefined) {
      index = orgNames.length;
      orgNames.push(name);
      orgIndex.set(name, index);
    }
    return index;
  };

  const asnV4 = trimOverlaps32(
    lines(sources.asnV4).map((line) => {
      const [start, end, asn, org] = splitCsvLine(line);
      return { start: Number(start), end: Number(end), asn: Number(asn), org: internOrg(org ?? '') };
    }),
  );
  const asnV6 = trimOverlaps64(
    lines(sources.asnV6).map((line) => {
      const [start, end, asn, org] = splitCsvLine(line);
      const [startHigh, startLow] = top64(start!);
      const [endHigh, endLow] = top64(end!);
      return { startHigh, startLow, endHigh, endLow, asn: Number(asn), org: internOrg(org ?? '') };
    }),
  );
  const countryV4 = trimOverlaps32(
    lines(sources.countryV4).map((line) => {
      const [start, end, code] = splitCsvLine(line);
      return { start: Number(start), end: Number(end), code: encodeCountry(code ?? '') };
    }),
  );
  const countryV6 = trimOverlaps64(
    lines(sources.countryV6).map((line) => {
      const [start, end, code] = splitCsvLine(line);
      const [startHigh, startLow] = top64(start!);
      const [endHigh, endLow] = top64(end!);
      return { startHigh, startLow, endHigh, endLow, code: encodeCountry(code ?? '') };
    }),
  );

  const metadata: TableMetadata = {
    asnPackage: sources.asnPackage,
    countryPackage: sources.countryPackage,
    builtAt: new Date().toISOString(),
  };
  const metadataBytes = Buffer.from(JSON.stringify(metadata), 'utf8');
  const encoder = new TextEncoder();
  const encodedOrgs = orgNames.map((name) => encoder.encode(name));
  const orgBytes = encodedOrgs.reduce((sum, bytes) => sum + bytes.length, 0);

  const size =
    HEADER_WORDS * 4 +
    padTo4(metadataBytes.length) +
    asnV4.length * 16 +
    asnV6.length * 24 +
    countryV4.length * 8 +
    padTo4(countryV4.length * 2) +
    countryV6.length * 16 +
    padTo4(countryV6.length * 2) +
    (orgNames.length + 1) * 4 +
    padTo4(orgBytes) +
    V4_JUMP_ENTRIES * 4;
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const cursor = new SectionCursor(buffer, 0, size, 'IP table being built');
  const words = (count: number): Uint32Array => cursor.words(count);
  const halves = (count: number): Uint16Array => cursor.halves(count);

  const header = words(HEADER_WORDS);
  header[Header.Magic] = MAGIC;
  header[Header.Version] = FORMAT_VERSION;
  header[Header.MetadataBytes] = metadataBytes.length;
  header[Header.V4AsnCount] = asnV4.length;
  header[Header.V6AsnCount] = asnV6.length;
  header[Header.V4CountryCount] = countryV4.length;
  header[Header.V6CountryCount] = countryV6.length;
  header[Header.OrgCount] = orgNames.length;
  header[Header.OrgBytes] = orgBytes;
  header[Header.V4JumpCount] = V4_JUMP_ENTRIES;
  cursor.bytes(metadataBytes.length).set(metadataBytes);

  fill32(words(asnV4.length), asnV4, (range) => range.start);
  fill32(words(asnV4.length), asnV4, (range) => range.end);
  fill32(words(asnV4.length), asnV4, (range) => range.asn);
  fill32(words(asnV4.length), asnV4, (range) => range.org);

  fill32(words(asnV6.length), asnV6, (range) => range.startHigh);
  fill32(words(asnV6.length), asnV6, (range) => range.startLow);
  fill32(words(asnV6.length), asnV6, (range) => range.endHigh);
  fill32(words(asnV6.length), asnV6, (range) => range.endLow);
  fill32(words(asnV6.length), asnV6, (range) => range.asn);
  fill32(words(asnV6.length), asnV6, (range) => range.org);

  fill32(words(countryV4.length), countryV4, (range) => range.start);
  fill32(words(countryV4.length), countryV4, (range) => range.end);
  fill16(halves(countryV4.length), countryV4, (range) => range.code);

  fill32(words(countryV6.length), countryV6, (range) => range.startHigh);
  fill32(words(countryV6.length), countryV6, (range) => range.startLow);
  fill32(words(countryV6.length), countryV6, (range) => range.endHigh);
  fill32(words(countryV6.length), countryV6, (range) => range.endLow);
  fill16(halves(countryV6.length), countryV6, (range) => range.code);

  const orgOffsets = words(orgNames.length + 1);
  const orgSection = cursor.bytes(orgBytes);
  let orgOffset = 0;
  encodedOrgs.forEach((encoded, index) => {
    orgOffsets[index] = orgOffset;
    orgSection.set(encoded, orgOffset);
    orgOffset += encoded.length;
  });
  orgOffsets[orgNames.length] = orgOffset;

  const jump = words(V4_JUMP_ENTRIES);
  let range = 0;
  for (let block = 0; block < V4_JUMP_ENTRIES - 1; block++) {
    const base = block * 65536;
    while (range < asnV4.length && asnV4[range]!.start < base) range++;
    jump[block] = range;
  }
  jump[V4_JUMP_ENTRIES - 1] = asnV4.length;
  if (cursor.offset !== size) throw new Error(`build-table: wrote ${cursor.offset} bytes, planned ${size}`);
  return bytes;
}

function fill32<T>(target: Uint32Array, ranges: T[], pick: (range: T) => number): void {
  for (let index = 0; index < ranges.length; index++) target[index] = pick(ranges[index]!);
}

function fill16<T>(target: Uint16Array, ranges: T[], pick: (range: T) => number): void {
  for (let index = 0; index < ranges.length; index++) target[index] = pick(ranges[index]!);
}

/** Build and write atomically (a concurrent reader never sees half a file). */
export function writeTable(path: string = DEFAULT_TABLE_PATH, sources?: TableSources): Uint8Array {
  const bytes = buildTable(sources);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
  return bytes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const bytes = writeTable(process.argv[2] ?? DEFAULT_TABLE_PATH);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`build-table: wrote ${(bytes.length / 1e6).toFixed(1)} MB IP table in ${seconds} s`);
}
