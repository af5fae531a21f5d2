/**
 * The catalogue's networks as sorted disjoint segments: "which catalogue prefixes hold this
 * address" becomes one binary search. The same arrays are built in memory from parsed CIDRs
 * (parseCatalogue) or viewed, without copying, over data/generated/catalogue.bin
 * (catalogue-format.ts), so the precompiled and the JSON-parsed catalogue answer alike.
 *
 * Prefixes ("hits") are numbered in catalogue order: entry by entry, each entry's inline CIDRs
 * then its range files, in file order. That number breaks ties and names a prefix in
 * networkIdOfV4.
 *
 * Invariants (built by `build`, relied on by the lookups):
 * - v4 segments: `v4Start[i] <= v4End[i] < v4Start[i + 1]` (sorted, disjoint, possibly with
 *   gaps that no prefix covers). v6 likewise on 128-bit values stored as four uint32 words,
 *   most significant first, at `[4i, 4i + 4)` of `v6Start`/`v6End`.
 * - every address inside segment i is held by exactly the prefixes of label `segmentLabel[i]`,
 *   and by no other: CIDRs nest or are disjoint, so one sweep over them sorted by (start,
 *   length) cuts the address space at every prefix boundary.
 * - a label lists hit numbers longest prefix first, equal lengths in hit order; labels are
 *   interned (segments with the same set share one).
 */
import { type Cidr, type Words } from './address.js';

/** The arrays of an index: what catalogue-format writes and reads. */
export interface PrefixArrays {
  /** per hit: the catalogue entry it belongs to */
  hitEntry: Uint32Array;
  /** per hit: prefix length */
  hitBits: Uint32Array;
  /** per hit: 4 or 6 */
  hitVersion: Uint32Array;
  /** per hit: four words (IPv4: the address in word 0, the rest 0) */
  hitWords: Uint32Array;
  /** per hit: offsets into hitText, hitCount + 1 of them */
  hitTextOffsets: Uint32Array;
  /** the CIDRs as written in the catalogue (ASCII), concatenated */
  hitText: Uint8Array;
  v4Start: Uint32Array;
  v4End: Uint32Array;
  v4Label: Uint32Array;
  v6Start: Uint32Array;
  v6End: Uint32Array;
  v6Label: Uint32Array;
  /** labelCount + 1 offsets into labelHits */
  labelOffsets: Uint32Array;
  labelHits: Uint32Array;
}

/** One catalogue prefix, for `PrefixIndex.build`. */
export interface IndexedPrefix {
  entry: number;
  cidr: Cidr;
}

const TWO_TO_128 = 1n << 128n;

export class PrefixIndex {
  readonly arrays: PrefixArrays;
  private readonly texts: (string | undefined)[];

  constructor(arrays: PrefixArrays) {
    this.arrays = arrays;
    this.texts = new Array<string | undefined>(arrays.hitEntry.length);
  }

  /** Build the segments from prefixes given in catalogue order. */
  static build(prefixes: IndexedPrefix[]): PrefixIndex {
    const count = prefixes.length;
    const hitEntry = new Uint32Array(count);
    const hitBits = new Uint32Array(count);
    const hitVersion = new Uint32Array(count);
    const hitWords = new Uint32Array(count * 4);
    const hitTextOffsets = new Uint32Array(count + 1);
    const textParts: string[] = [];
    let textLength = 0;
    const v4: Span[] = [];
    const v6: Span[] = [];
    prefixes.forEach(({ entry, cidr }, hit) => {
      hitEntry[hit] = entry;
      hitBits[hit] = cidr.bits;
      hitVersion[hit] = cidr.version;
      hitTextOffsets[hit] = textLength;
      textParts.push(cidr.text);
      textLength += cidr.text.length;
      if (cidr.version === 4) {
        hitWords[hit * 4] = cidr.value;
        const start = BigInt(cidr.value);
        v4.push({ hit, bits: cidr.bits, start, end: start + (1n << BigInt(32 - cidr.bits)) - 1n });
      } else {
        hitWords.set(cidr.words, hit * 4);
        const start = wordsToBigInt(cidr.words);
        v6.push({ hit, bits: cidr.bits, start, end: start + (1n << BigInt(128 - cidr.bits)) - 1n });
      }
    });
    hitTextOffsets[count] = textLength;
    const hitText = Buffer.from(textParts.join(''), 'latin1');

    const labels = new Map<string, number>();
    const labelOffsets: number[] = [0];
    const labelHits: number[] = [];
    const internLabel = (stack: Span[]): number => {
      // longest first, equal lengths in hit order (the order lookups report)
      const hits = [...stack].sort((a, b) => b.bits - a.bits || a.hit - b.hit).map((span) => span.hit);
      const key = hits.join(',');
      let label = labels.get(key);
      if (label === undefined) {
        label = labelOffsets.length - 1;
        labels.set(key, label);
        labelHits.push(...hits);
        labelOffsets.push(labelHits.length);
      }
      return label;
    };
    const segmentsV4 = sweep(v4, internLabel);
    const segmentsV6 = sweep(v6, internLabel);

    const v6Start = new Uint32Array(segmentsV6.length * 4);
    const v6End = new Uint32Array(segmentsV6.length * 4);
    segmentsV6.forEach((segment, index) => {
      v6Start.set(bigIntToWords(segment.start), index * 4);
      v6End.set(bigIntToWords(segment.end), index * 4);
    });
    return new PrefixIndex({
      hitEntry,
      hitBits,
      hitVersion,
      hitWords,
      hitTextOffsets,
      hitText: new Uint8Array(hitText.buffer, hitText.byteOffset, hitText.byteLength),
      v4Start: Uint32Array.from(segmentsV4, (segment) => Number(segment.start)),
      v4End: Uint32Array.from(segmentsV4, (segment) => Number(segment.end)),
      v4Label: Uint32Array.from(segmentsV4, (segment) => segment.label),
      v6Start,
      v6End,
      v6Label: Uint32Array.from(segmentsV6, (segment) => segment.label),
      labelOffsets: Uint32Array.from(labelOffsets),
      labelHits: Uint32Array.from(labelHits),
    });
  }

  get hitCount(): number {
    return this.arrays.hitEntry.length;
  }

  get segmentCounts(): { v4: number; v6: number } {
    return { v4: this.arrays.v4Start.length, v6: this.arrays.v6Label.length };
  }

  /** Label of the IPv4 segment holding the address (uint32), or -1 when no prefix does. */
  labelOfV4(address: number): number {
    const { v4Start, v4End, v4Label } = this.arrays;
    let low = 0;
    let high = v4Start.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (v4Start[middle]! <= address) low = middle + 1;
      else high = middle - 1;
    }
    return high >= 0 && address <= v4End[high]! ? v4Label[high]! : -1;
  }

  /** Label of the IPv6 segment holding the address (four words), or -1. */
  labelOfV6(words: Words): number {
    const { v6Start, v6End, v6Label } = this.arrays;
    const a = words[0]!;
    const b = words[1]!;
    const c = words[2]!;
    const d = words[3]!;
    let low = 0;
    let high = v6Label.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (compareWords(v6Start, middle * 4, a, b, c, d) <= 0) low = middle + 1;
      else high = middle - 1;
    }
    return high >= 0 && compareWords(v6End, high * 4, a, b, c, d) >= 0 ? v6Label[high]! : -1;
  }

  labelStart(label: number): number {
    return this.arrays.labelOffsets[label]!;
  }

  labelEnd(label: number): number {
    return this.arrays.labelOffsets[label + 1]!;
  }

  /** The hit at position `at` of the label arrays (labelStart <= at < labelEnd). */
  hitAt(at: number): number {
    return this.arrays.labelHits[at]!;
  }

  entryOf(hit: number): number {
    return this.arrays.hitEntry[hit]!;
  }

  bitsOf(hit: number): number {
    return this.arrays.hitBits[hit]!;
  }

  /** The CIDR text as the catalogue wrote it (decoded on first use and kept). */
  textOf(hit: number): string {
    let text = this.texts[hit];
    if (text === undefined) {
      const { hitText, hitTextOffsets } = this.arrays;
      const start = hitTextOffsets[hit]!;
      text = Buffer.from(hitText.buffer, hitText.byteOffset + start, hitTextOffsets[hit + 1]! - start).toString('latin1');
      this.texts[hit] = text;
    }
    return text;
  }

  /** The hit as a Cidr (for ActorEntry.cidrList on a precompiled catalogue). */
  cidrOf(hit: number): Cidr {
    const { hitVersion, hitBits, hitWords } = this.arrays;
    const text = this.textOf(hit);
    const bits = hitBits[hit]!;
    if (hitVersion[hit] === 4) return { version: 4, value: hitWords[hit * 4]!, bits, text };
    const at = hit * 4;
    return { version: 6, words: [hitWords[at]!, hitWords[at + 1]!, hitWords[at + 2]!, hitWords[at + 3]!], bits, text };
  }
}

/** Compare the four words at `at` of `array` with a:b:c:d (unsigned, most significant first). */
function compareWords(array: Uint32Array, at: number, a: number, b: number, c: number, d: number): number {
  let word = array[at]!;
  if (word !== a) return word < a ? -1 : 1;
  word = array[at + 1]!;
  if (word !== b) return word < b ? -1 : 1;
  word = array[at + 2]!;
  if (word !== c) return word < c ? -1 : 1;
  word = array[at + 3]!;
  if (word !== d) return word < d ? -1 : 1;
  return 0;
}

interface Span {
  hit: number;
  bits: number;
  start: bigint;
  end: bigint;
}

interface Segment {
  start: bigint;
  end: bigint;
  label: number;
}

/**
 * Cut nested-or-disjoint spans into disjoint segments, each labelled with the spans holding
 * it. BigInt because IPv6 is 128 bits; this runs at build time, or once when the compiled
 * file is missing (~18k prefixes: a few ms).
 */
function sweep(spans: Span[], internLabel: (stack: Span[]) => number): Segment[] {
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.bits - b.bits || a.hit - b.hit));
  const segments: Segment[] = [];
  const stack: Span[] = [];
  let cursor = 0n;
  const emit = (end: bigint): void => {
    if (cursor <= end && stack.length > 0) segments.push({ start: cursor, end, label: internLabel(stack) });
    cursor = end + 1n;
  };
  for (const span of spans) {
    while (stack.length > 0 && stack[stack.length - 1]!.end < span.start) {
      emit(stack[stack.length - 1]!.end);
      stack.pop();
    }
    if (stack.length > 0) emit(span.start - 1n);
    cursor = span.start;
    stack.push(span);
  }
  while (stack.length > 0) {
    emit(stack[stack.length - 1]!.end);
    stack.pop();
  }
  return segments;
}

function wordsToBigInt(words: ArrayLike<number>): bigint {
  return (BigInt(words[0]! >>> 0) << 96n) | (BigInt(words[1]! >>> 0) << 64n) | (BigInt(words[2]! >>> 0) << 32n) | BigInt(words[3]! >>> 0);
}

function bigIntToWords(value: bigint): number[] {
  const masked = ((value % TWO_TO_128) + TWO_TO_128) % TWO_TO_128;
  return [Number((masked >> 96n) & 0xffffffffn), Number((masked >> 64n) & 0xffffffffn), Number((masked >> 32n) & 0xffffffffn), Number(masked & 0xffffffffn)];
}
