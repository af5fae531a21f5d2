import { ceilPowerOfTwo, growTyped } from './hash.js';

/**
 * The first-seen index: for every URL, which clients requested it and when each did first.
 *
 * A *unit* is a URL over the whole log (bucket GLOBAL) or a URL within one UTC day (bucket =
 * day number). A unit keeps per-client detail (client, first time, status, bytes) for at most
 * `maxClients` distinct clients; one more and it is marked popular and its detail is dropped,
 * so memory per URL is bounded. Day units are kept only for query-less pages (a site's own
 * pages are a bounded set; one-off query strings are where the volume is) and only read for
 * URLs popular overall: a small site's page visited once a day is popular over two years but
 * rare on the day an antivirus cloud re-fetched it a minute after the visit.
 *
 * Every unit's final state is a function of the set of requests, not of their order (the
 * earliest request per client is kept; a unit is popular iff it had more distinct clients than
 * its bound), so several workers' indexes merge into exactly what one reader would build.
 *
 * Invariants:
 * - slotCount[slot] is 0 for an empty slot, 1..bound for a rare unit, POPULAR for a popular one.
 * - a rare unit's entries form a singly linked list from slotHead through entryNext (-1 ends it),
 *   with exactly slotCount entries, one per distinct client, holding that client's earliest request.
 * - slotText is an index into `texts` (the URL) once the unit has had two clients, else -1.
 * - the table is open addressing with linear probing, load factor under 0.5; units are never
 *   removed, so probing needs no tombstones. Freed entries go to a free list and are reused.
 */
export const GLOBAL_BUCKET = -1;
export const POPULAR = 255;
const NONE = -1;

export interface UnitEntry {
  client: number;
  time: number;
  status: number;
  bytes: number;
}

export class FirstSeenIndex {
  readonly maxClients: number;
  readonly maxClientsPerDay: number;
  private capacity: number;
  private slotHigh: Uint32Array;
  private slotLow: Uint32Array;
  private slotBucket: Int32Array;
  private slotCount: Uint8Array;
  private slotHead: Int32Array;
  private slotText: Int32Array;
  private used = 0;

  private entryClient = new Int32Array(1024);
  private entryTime = new Uint32Array(1024);
  private entryStatus = new Uint16Array(1024);
  private entryBytes = new Uint32Array(1024);
  private entryNext = new Int32Array(1024);
  private entryUsed = 0;
  private freeEntry = NONE;

  readonly texts: string[] = [];
  /** units that went popular (detail dropped) */
  popularUnits = 0;

  constructor(options: { maxClients?: number; maxClientsPerDay?: number; initialCapacity?: number } = {}) {
    this.maxClients = options.maxClients ?? 8;
    this.maxClientsPerDay = options.maxClientsPerDay ?? 4;
    this.capacity = ceilPowerOfTwo((options.initialCapacity ?? 1 << 16) * 2);
    this.slotHigh = new Uint32Array(this.capacity);
    this.slotLow = new Uint32Array(this.capacity);
    this.slotBucket = new Int32Array(this.capacity);
    this.slotCount = new Uint8Array(this.capacity);
    this.slotHead = new Int32Array(this.capacity);
    this.slotText = new Int32Array(this.capacity);
  }

  get units(): number {
    return this.used;
  }

  /**
   * Record that `client` requested the URL whose hash is (high, low) at `time` (epoch seconds).
   * `trackDay` adds the request to the URL's day unit too. `urlText` is called only when the
   * URL text is needed (a unit's second client), so the hot path builds no string.
   */
  observe(
    high: number,
    low: number,
    client: number,
    time: number,
    status: number,
    bytes: number,
    trackDay: boolean,
    urlText: () => string,
  ): void {
    this.observeUnit(high, low, GLOBAL_BUCKET, client, time, status, bytes, this.maxClients, urlText);
    if (trackDay) this.observeUnit(high, low, Math.floor(time / 86400), client, time, status, bytes, this.maxClientsPerDay, urlText);
  }

  private observeUnit(
    high: number,
    low: number,
    bucket: number,
    client: number,
    time: number,
    status: number,
    bytes: number,
    bound: number,
    urlText: () => string,
  ): void {
    const slot = this.findOrCreate(high, low, bucket);
    const count = this.slotCount[slot]!;
    if (count === POPULAR) return;
    if (count === 0) {
      this.slotCount[slot] = 1;
      this.slotHead[slot] = this.newEntry(client, time, status, bytes, NONE);
      this.slotText[slot] = NONE;
      return;
    }
    if (!this.updateRare(slot, client, time, status, bytes, bound, urlText)) this.markPopular(slot);
  }

  /** Returns false when adding the client would exceed `limit` (the caller makes it popular). */
  private updateRare(
    slot: number,
    client: number,
    time: number,
    status: number,
    bytes: number,
    limit: number,
    urlText: () => string,
  ): boolean {
    for (let entry = this.slotHead[slot]!; entry !== NONE; entry = this.entryNext[entry]!) {
      if (this.entryClient[entry] === client) {
        if (time < this.entryTime[entry]!) {
          // logs are not strictly ordered (several files, a server's own skew): keep the earliest
          this.entryTime[entry] = time;
          this.entryStatus[entry] = status;
          this.entryBytes[entry] = bytes < 0 ? 0 : bytes;
        }
        return true;
      }
    }
    const count = this.slotCount[slot]!;
    if (count >= limit) return false;
    this.slotHead[slot] = this.newEntry(client, time, status, bytes, this.slotHead[slot]!);
    this.slotCount[slot] = count + 1;
    if (this.slotText[slot] === NONE) this.slotText[slot] = this.texts.push(urlText()) - 1;
    return true;
  }

  private markPopular(slot: number): void {
    let entry = this.slotHead[slot]!;
    let last = NONE;
    while (entry !== NONE) {
      last = entry;
      entry = this.entryNext[entry]!;
    }
    if (last !== NONE) {
      // hand the whole chain to the free list at once
      this.entryNext[last] = this.freeEntry;
      this.freeEntry = this.slotHead[slot]!;
    }
    this.slotHead[slot] = NONE;
    this.slotCount[slot] = POPULAR;
    this.popularUnits++;
  }

  private newEntry(client: number, time: number, status: number, bytes: number, next: number): number {
    let entry = this.freeEntry;
    if (entry !== NONE) {
      this.freeEntry = this.entryNext[entry]!;
    } else {
      entry = this.entryUsed++;
      if (entry >= this.entryClient.length) {
        const minimum = entry + 1;
        this.entryClient = growTyped(this.entryClient, minimum);
        this.entryTime = growTyped(this.entryTime, minimum);
        this.entryStatus = growTyped(this.entryStatus, minimum);
        this.entryBytes = growTyped(this.entryBytes, minimum);
        this.entryNext = growTyped(this.entryNext, minimum);
      }
    }
    this.entryClient[entry] = client;
    this.entryTime[entry] = time;
    this.entryStatus[entry] = status;
    this.entryBytes[entry] = bytes < 0 ? 0 : Math.min(bytes, 0xffffffff);
    this.entryNext[entry] = next;
    return entry;
  }

  /** A unit's client count (POPULAR for popular), 0 if there is none. */
  countOf(high: number, low: number, bucket: number): number {
    const mask = this.capacity - 1;
    let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
    for (;;) {
      const count = this.slotCount[slot]!;
      if (count === 0) return 0;
      if (this.slotHigh[slot] === high && this.slotLow[slot] === low && this.slotBucket[slot] === bucket) return count;
      slot = (slot + 1) & mask;
    }
  }

  private findOrCreate(high: number, low: number, bucket: number): number {
    const mask = this.capacity - 1;
    let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
    for (;;) {
      if (this.slotCount[slot] === 0) break;
      if (this.slotHigh[slot] === high && this.slotLow[slot] === low && this.slotBucket[slot] === bucket) return slot;
      slot = (slot + 1) & mask;
    }
    if ((this.used + 1) * 2 > this.capacity) {
      this.grow();
      return this.findOrCreate(high, low, bucket);
    }
    this.slotHigh[slot] = high;
    this.slotLow[slot] = low;
    this.slotBucket[slot] = bucket;
    this.used++;
    // slotCount stays 0 until the caller fills the unit
    return slot;
  }

  private grow(): void {
    const old = {
      high: this.slotHigh,
      low: this.slotLow,
      bucket: this.slotBucket,
      count: this.slotCount,
      head: this.slotHead,
      text: this.slotText,
    };
    this.capacity *= 2;
    this.slotHigh = new Uint32Array(this.capacity);
    this.slotLow = new Uint32Array(this.capacity);
    this.slotBucket = new Int32Array(this.capacity);
    this.slotCount = new Uint8Array(this.capacity);
    this.slotHead = new Int32Array(this.capacity);
    this.slotText = new Int32Array(this.capacity);
    const mask = this.capacity - 1;
    for (let from = 0; from < old.count.length; from++) {
      const count = old.count[from]!;
      if (count === 0) continue;
      const high = old.high[from]!;
      const low = old.low[from]!;
      const bucket = old.bucket[from]!;
      let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
      while (this.slotCount[slot] !== 0) slot = (slot + 1) & mask;
      this.slotHigh[slot] = high;
      this.slotLow[slot] = low;
      this.slotBucket[slot] = bucket;
      this.slotCount[slot] = count;
      this.slotHead[slot] = old.head[from]!;
      this.slotText[slot] = old.text[from]!;
    }
  }

  /**
   * Visit every rare unit (not popular) with its entries sorted by time (ties by client id, so
   * the order does not depend on the order lines were read).
   */
  forEachRareUnit(visit: (bucket: number, url: string | null, entries: UnitEntry[]) => void): void {
    const entries: UnitEntry[] = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      const count = this.slotCount[slot]!;
      if (count === 0 || count === POPULAR) continue;
      const bucket = this.slotBucket[slot]!;
      // a day unit speaks only for URLs popular overall; a URL rare overall has its global unit
      if (bucket !== GLOBAL_BUCKET && this.countOf(this.slotHigh[slot]!, this.slotLow[slot]!, GLOBAL_BUCKET) !== POPULAR) continue;
      entries.length = 0;
      for (let entry = this.slotHead[slot]!; entry !== NONE; entry = this.entryNext[entry]!) {
        entries.push({
          client: this.entryClient[entry]!,
          time: this.entryTime[entry]!,
          status: this.entryStatus[entry]!,
          bytes: this.entryBytes[entry]!,
        });
      }
      entries.sort((a, b) => a.time - b.time || a.client - b.client);
      const text = this.slotText[slot]!;
      visit(bucket, text === NONE ? null : this.texts[text]!, entries);
    }
  }

  /** Approximate bytes held, for the memory budget and the report. */
  memoryBytes(): number {
    return this.capacity * (4 + 4 + 4 + 1 + 4 + 4) + this.entryClient.length * (4 + 4 + 2 + 4 + 4);
  }
}
