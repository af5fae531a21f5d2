/**
 * Byte hashing and interning for the hot path: no strings are built per line.
 *
 * hashBytes gives two 32-bit lanes (int32) used together as a 64-bit key. Eight bytes are mixed per
 * step, read as two little-endian words through a DataView (unaligned loads; reading bytes
 * one at a time made hashing a 120-byte user agent cost ~170 ns, this ~45 ns). Each step is
 * a bijection of the 64-bit state for a given input word pair (multiply by an odd constant,
 * xor-shift, add the other lane, xor-shift back), so two keys that differ in one word can
 * never meet again; each lane ends with murmur3's finaliser. At 10 M distinct URLs the chance
 * of any collision is ~3e-6.
 */
export let hashHigh = 0;
export let hashLow = 0;

import { viewOf } from '../common/data-view.js';

/** Hash buffer[start, end) into hashHigh/hashLow (module state avoids an allocation per call). */
export function hashBytes(buffer: Buffer, start: number, end: number): void {
  const data = viewOf(buffer);
  let high = 0x811c9dc5 ^ (end - start);
  let low = 0x9747b28c;
  let index = start;
  for (; index + 8 <= end; index += 8) {
    high = Math.imul(high ^ data.getInt32(index, true), 0x01000193);
    high ^= high >>> 15;
    low = Math.imul(low + data.getInt32(index + 4, true), 0x5bd1e995);
    low ^= low >>> 13;
    high = (high + low) | 0;
    low ^= high >>> 7;
  }
  if (index + 4 <= end) {
    high = Math.imul(high ^ data.getInt32(index, true), 0x01000193);
    high ^= high >>> 15;
    low = (low + high) | 0;
    index += 4;
  }
  for (; index < end; index++) {
    low = Math.imul(low + buffer[index]!, 0x5bd1e995);
    low ^= low >>> 13;
  }
  high = Math.imul(high ^ (high >>> 16), 0x85ebca6b);
  high = Math.imul(high ^ (high >>> 13), 0xc2b2ae35);
  low = Math.imul(low ^ (low >>> 16), 0x85ebca6b);
  low = Math.imul(low ^ (low >>> 13), 0xc2b2ae35);
  // int32, not uint32: a module variable holds a small integer in place, while a uint32 past
  // 2^31 would be a new heap number per call (and a write barrier to store it)
  hashHigh = high ^ (high >>> 16);
  hashLow = low ^ (low >>> 16);
}

/**
 * Interns byte strings (addresses, user agents) to dense ids.
 * Invariant: ids are 0..size-1 in first-seen order; texts[id] is the utf8 text of the bytes.
 * Open addressing with linear probing on the 64-bit hash; load factor kept under 0.5.
 */
export class ByteInterner {
  private capacity: number;
  private slotHigh: Int32Array;
  private slotLow: Int32Array;
  /** id + 1, so 0 marks an empty slot */
  private slotId: Int32Array;
  readonly texts: string[] = [];

  constructor(initialCapacity = 1024) {
    this.capacity = ceilPowerOfTwo(initialCapacity * 2);
    this.slotHigh = new Int32Array(this.capacity);
    this.slotLow = new Int32Array(this.capacity);
    this.slotId = new Int32Array(this.capacity);
  }

  get size(): number {
    return this.texts.length;
  }

  /** The id of buffer[start, end), creating it on first sight; -1 when it is new and `maxSize` texts are held already. */
  intern(buffer: Buffer, start: number, end: number, maxSize = Number.POSITIVE_INFINITY): number {
    hashBytes(buffer, start, end);
    const high = hashHigh;
    const low = hashLow;
    const mask = this.capacity - 1;
    let slot = (high ^ Math.imul(low, 0x27d4eb2d)) & mask;
    for (;;) {
      const stored = this.slotId[slot]!;
      if (stored === 0) break;
      if (this.slotHigh[slot] === high && this.slotLow[slot] === low) return stored - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.texts.length;
    if (id >= maxSize) return -1;
    this.texts.push(buffer.toString('utf8', start, end));
    this.slotHigh[slot] = high;
    this.slotLow[slot] = low;
    this.slotId[slot] = id + 1;
    if (this.texts.length * 2 > this.capacity) this.grow();
    return id;
  }

  /** The id of a text already interned, or -1. Off the hot path. */
  lookup(text: string): number {
    const buffer = Buffer.from(text, 'utf8');
    hashBytes(buffer, 0, buffer.length);
    const mask = this.capacity - 1;
    let slot = (hashHigh ^ Math.imul(hashLow, 0x27d4eb2d)) & mask;
    for (;;) {
      const stored = this.slotId[slot]!;
      if (stored === 0) return -1;
      if (this.slotHigh[slot] === hashHigh && this.slotLow[slot] === hashLow) return stored - 1;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const oldHigh = this.slotHigh;
    const oldLow = this.slotLow;
    const oldId = this.slotId;
    this.capacity *= 2;
    this.slotHigh = new Int32Array(this.capacity);
    this.slotLow = new Int32Array(this.capacity);
    this.slotId = new Int32Array(this.capacity);
    const mask = this.capacity - 1;
    for (let old = 0; old < oldId.length; old++) {
      const stored = oldId[old]!;
      if (stored === 0) continue;
      const high = oldHigh[old]!;
      const low = oldLow[old]!;
      let slot = (high ^ Math.imul(low, 0x27d4eb2d)) & mask;
      while (this.slotId[slot] !== 0) slot = (slot + 1) & mask;
      this.slotHigh[slot] = high;
      this.slotLow[slot] = low;
      this.slotId[slot] = stored;
    }
  }
}

export function ceilPowerOfTwo(value: number): number {
  let result = 1;
  while (result < value) result *= 2;
  return result;
}

/** Grow a typed array to at least `minimum` elements, doubling. */
export function growTyped<T extends Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array>(
  array: T,
  minimum: number,
): T {
  if (array.length >= minimum) return array;
  let length = Math.max(16, array.length);
  while (length < minimum) length *= 2;
  const Constructor = array.constructor as new (length: number) => T;
  const grown = new Constructor(length);
  grown.set(array);
  return grown;
}
