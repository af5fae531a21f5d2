/**
 * The compiled catalogue: data/generated/catalogue.bin, written at install by
 * build-catalogue.ts (package.json "prepare") and read by loadCompiledCatalogue. It holds what
 * is dear to derive at startup: the catalogue's ~18k CIDRs (parsing the range files took
 * ~45 ms of a 62 ms catalogue load) as a ready prefix index (prefix-index.ts), and the
 * declared-bot patterns of the crawler-user-agents package already reduced to their index
 * keys (agents.ts). data/actors.json and data/ranges/ stay the source of truth: the file
 * carries a SHA-256 of them and a loader that finds a different hash ignores the file.
 *
 * One little-endian file, every section 4-byte aligned so the loader views it as typed arrays
 * without copying (same conventions as ip-table-format.ts):
 *
 *   header       Uint32[16]  magic 'RWCA', FORMAT_VERSION, then the counts below
 *   source hash  32 bytes    SHA-256 over actors.json and the range files it names (sourceHash)
 *   metadata     UTF-8 JSON  (CatalogueMetadata), padded to 4
 *   hits         entry[h], bits[h], version[h], words[4h], textOffsets[h + 1]   (Uint32 each)
 *   hit text     ASCII, padded to 4
 *   v4 segments  start[s4], end[s4], label[s4]
 *   v6 segments  start[4 * s6], end[4 * s6], label[s6]
 *   labels       offsets[l + 1], hits[n]
 *   agent rules  UTF-8 JSON (CompiledAgentRules, agents.ts), padded to 4; 0 bytes when absent
 *
 * The invariants of the index sections are PrefixIndex's (prefix-index.ts).
 */
import { padTo4, SectionCursor } from './ip-table-format.js';
import { PrefixIndex, type PrefixArrays } from './prefix-index.js';

export const CATALOGUE_MAGIC = 0x41435752; // 'RWCA' read as a little-endian uint32
/** Bump when the layout or the meaning of a section changes: an older file is then ignored. */
export const CATALOGUE_FORMAT_VERSION = 1;
const HEADER_WORDS = 16;
const HASH_BYTES = 32;

const Header = {
  Magic: 0,
  Version: 1,
  MetadataBytes: 2,
  HitCount: 3,
  HitTextBytes: 4,
  V4SegmentCount: 5,
  V6SegmentCount: 6,
  LabelCount: 7,
  LabelHitCount: 8,
  AgentRulesBytes: 9,
} as const;

export interface CatalogueMetadata {
  /** entry ids in catalogue order: a hit's entry number indexes this list */
  entryIds: string[];
  builtAt: string;
}

export interface DecodedCatalogue {
  sourceHash: string;
  metadata: CatalogueMetadata;
  index: PrefixIndex;
  /** the agent-rules JSON text, decoded by the classifier on first use; '' when absent */
  agentRulesJson: () => string;
}

export function encodeCatalogue(sourceHash: string, metadata: CatalogueMetadata, index: PrefixIndex, agentRulesJson: string): Uint8Array {
  const arrays = index.arrays;
  const hash = Buffer.from(sourceHash, 'hex');
  if (hash.length !== HASH_BYTES) throw new Error('catalogue source hash must be SHA-256');
  const metadataBytes = Buffer.from(JSON.stringify(metadata), 'utf8');
  const agentBytes = Buffer.from(agentRulesJson, 'utf8');
  const hits = arrays.hitEntry.length;
  const v4 = arrays.v4Start.length;
  const v6 = arrays.v6Label.length;
  const labels = arrays.labelOffsets.length - 1;
  const size =
    HEADER_WORDS * 4 +
    HASH_BYTES +
    padTo4(metadataBytes.length) +
    (hits * 8 + 1) * 4 +
    padTo4(arrays.hitText.length) +
    v4 * 12 +
    v6 * 36 +
    (labels + 1) * 4 +
    arrays.labelHits.length * 4 +
    padTo4(agentBytes.length);
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const cursor = new SectionCursor(buffer, 0, size, 'catalogue being built');
  const put32 = (source: Uint32Array): void => cursor.words(source.length).set(source);
  const putBytes = (source: Uint8Array): void => cursor.bytes(source.length).set(source);
  const header = cursor.words(HEADER_WORDS);
  header[Header.Magic] = CATALOGUE_MAGIC;
  header[Header.Version] = CATALOGUE_FORMAT_VERSION;
  header[Header.MetadataBytes] = metadataBytes.length;
  header[Header.HitCount] = hits;
  header[Header.HitTextBytes] = arrays.hitText.length;
  header[Header.V4SegmentCount] = v4;
  header[Header.V6SegmentCount] = v6;
  header[Header.LabelCount] = labels;
  header[Header.LabelHitCount] = arrays.labelHits.length;
  header[Header.AgentRulesBytes] = agentBytes.length;
  putBytes(hash);
  putBytes(metadataBytes);
  put32(arrays.hitEntry);
  put32(arrays.hitBits);
  put32(arrays.hitVersion);
  put32(arrays.hitWords);
  put32(arrays.hitTextOffsets);
  putBytes(arrays.hitText);
  put32(arrays.v4Start);
  put32(arrays.v4End);
  put32(arrays.v4Label);
  put32(arrays.v6Start);
  put32(arrays.v6End);
  put32(arrays.v6Label);
  put32(arrays.labelOffsets);
  put32(arrays.labelHits);
  putBytes(agentBytes);
  if (cursor.offset !== size) throw new Error(`catalogue: wrote ${cursor.offset} bytes, planned ${size}`);
  return bytes;
}

/** The source hash a file was built from, or null when it is not a catalogue file of this version. */
export function readSourceHash(file: Uint8Array): string | null {
  if (file.byteLength < HEADER_WORDS * 4 + HASH_BYTES) return null;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(Header.Magic * 4, true) !== CATALOGUE_MAGIC || view.getUint32(Header.Version * 4, true) !== CATALOGUE_FORMAT_VERSION) return null;
  return Buffer.from(file.buffer, file.byteOffset + HEADER_WORDS * 4, HASH_BYTES).toString('hex');
}

/** View a file's sections; throws on a truncated or foreign file. No copying, no parsing beyond the metadata. */
export function decodeCatalogue(file: Uint8Array): DecodedCatalogue {
  const sourceHash = readSourceHash(file);
  if (sourceHash === null) throw new Error('not a replaywatch catalogue file of this version');
  // typed-array views need 4-byte alignment; readFileSync's own buffers are, pooled ones may not be
  const bytes = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
  const buffer = bytes.buffer;
  const header = new Uint32Array(buffer, bytes.byteOffset, HEADER_WORDS);
  const end = bytes.byteOffset + bytes.byteLength;
  const cursor = new SectionCursor(buffer, bytes.byteOffset + HEADER_WORDS * 4 + HASH_BYTES, end, 'catalogue file');
  const words = (count: number): Uint32Array => cursor.words(count);
  const raw = (count: number): Uint8Array => cursor.bytes(count);
  const metadata = JSON.parse(Buffer.from(raw(header[Header.MetadataBytes]!)).toString('utf8')) as CatalogueMetadata;
  const hits = header[Header.HitCount]!;
  const v4 = header[Header.V4SegmentCount]!;
  const v6 = header[Header.V6SegmentCount]!;
  const arrays: PrefixArrays = {
    hitEntry: words(hits),
    hitBits: words(hits),
    hitVersion: words(hits),
    hitWords: words(hits * 4),
    hitTextOffsets: words(hits + 1),
    hitText: raw(header[Header.HitTextBytes]!),
    v4Start: words(v4),
    v4End: words(v4),
    v4Label: words(v4),
    v6Start: words(v6 * 4),
    v6End: words(v6 * 4),
    v6Label: words(v6),
    labelOffsets: words(header[Header.LabelCount]! + 1),
    labelHits: words(header[Header.LabelHitCount]!),
  };
  const agentRules = raw(header[Header.AgentRulesBytes]!);
  if (cursor.offset !== end) throw new Error('catalogue file has trailing bytes');
  return {
    sourceHash,
    metadata,
    index: new PrefixIndex(arrays),
    agentRulesJson: () => Buffer.from(agentRules.buffer, agentRules.byteOffset, agentRules.byteLength).toString('utf8'),
  };
}
