import { ceilPowerOfTwo } from './hash.js';

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
 * earliest request per client is kept, ties to the first read; a unit is popular iff it had more
 * distinct clients than its bound), so several workers' indexes merge into exactly what one
 * reader would build (`merge`, in input order). Visiting order is canonical too (slot order, and
 * within a probe cluster by key), because the table's capacity depends only on the unit count.
 *
 * Layout (chosen for cache misses, the cost that dominates once the table outgrows the caches:
 * the previous one-array-per-field layout touched seven arrays per request):
 * - `slots`: open addressing with linear probing, two int32 per slot: a tag (the hash mixed with
 *   the bucket, so a URL's global and day units do not match each other) and unit id + 1 (0 is
 *   empty). Load factor at most MAX_LOAD; units are removed only by `evictOldest`, which
 *   rebuilds the table, so probing needs no tombstones.
 * - `units`: UNIT_STRIDE int32 per unit, units dense in creation order: high, low, bucket,
 *   state (count in bits 0-7, POPULAR = 255; the first entry's status in bits 8-23), and the first
 *   entry inline (client, time, bytes), then the head of the chain of further entries. Most
 *   rare URLs have one client, so most requests touch one slot line and one unit line.
 * - `entries`: ENTRY_STRIDE int32 per further entry (client, time, bytes, next; -1 ends a chain)
 *   plus `entryStatus`; a rare unit with count c has c - 1 chained entries, one per distinct
 *   client other than the inline one, each holding that client's earliest request. A popular
 *   unit has no entries; freed chains go to a free list.
 * - `unitText[unit]` indexes `texts` (the URL) once the unit has had two clients, else -1. With
 *   `keepTexts` (workers) every unit's URL bytes are kept in `arena` instead, from
 *   `arenaStart[unit]` to the next unit's start, because a URL seen once in each of two byte
 *   ranges needs its text when the ranges merge.
 *
 * Memory budget: past `maxUnits` units the oldest units (creation order, which for one reader
 * is time order) are dropped, a quarter at a time; `dropped` counts them and `droppedThrough`
 * is the latest time any dropped unit held, so the report can say what was lost.
 */
export const GLOBAL_BUCKET = -1;
export const POPULAR = 255;
const NONE = -1;

const UNIT_STRIDE = 8;
const U_HIGH = 0;
const U_LOW = 1;
const U_BUCKET = 2;
const U_STATE = 3;
const U_CLIENT = 4;
const U_TIME = 5;
const U_BYTES = 6;
const U_NEXT = 7;

const ENTRY_STRIDE = 4;
const E_CLIENT = 0;
const E_TIME = 1;
const E_BYTES = 2;
const E_NEXT = 3;

/** At most 5/8 of the slots are used: linear probing stays within a cache line or two. */
const MAX_LOAD_NUMERATOR = 5;
const MAX_LOAD_SHIFT = 3;

/**
 * Bytes one unit costs at most, for turning a budget into a unit count: its 32-byte record and
 * 4-byte text index, its slots (8 bytes at a load that can fall to 5/16 right after the table
 * doubles: 25.6), and about 12 bytes for further entries and URL texts (10 M-line bench log:
 * 0.2 further entries per unit; budget tests: hostile log, no further entries).
 */
const BYTES_PER_UNIT = 32 + 4 + 26 + 12;

export interface UnitEntry {
  client: number;
  time: number;
  status: number;
  bytes: number;
}

export interface FirstSeenIndexOptions {
  maxClients?: number;
  maxClientsPerDay?: number;
  initialCapacity?: number;
  /** bytes the index may hold; past it the oldest units are dropped (default: no limit) */
  memoryBudget?: number;
  /** keep every unit's URL bytes (workers: their units are merged later) */
  keepTexts?: boolean;
}

/** The transferable state of an index (typed arrays sliced to their used length). */
export interface FirstSeenIndexState {
  maxClients: number;
  maxClientsPerDay: number;
  unitCount: number;
  units: Int32Array;
  unitText: Int32Array;
  entries: Int32Array;
  entryStatus: Uint16Array;
  texts: string[];
  arena: Uint8Array | null;
  arenaStart: Int32Array | null;
  dropped: number;
  droppedThrough: number;
}

export class FirstSeenIndex {
  readonly maxClients: number;
  readonly maxClientsPerDay: number;
  private capacity: number;
  private slots: Int32Array;
  private unitWords: Int32Array;
  private unitText: Int32Array;
  private unitCount = 0;

  private entries = new Int32Array(1024 * ENTRY_STRIDE);
  private entryStatus = new Uint16Array(1024);
  private entryUsed = 0;
  private freeEntry = NONE;

  readonly texts: string[] = [];
  private textBytes = 0;
  private readonly keepTexts: boolean;
  private arena: Buffer | null = null;
  private arenaUsed = 0;
  private arenaStart: Int32Array | null = null;

  private readonly maxUnits: number;
  readonly memoryBudget: number;
  /** units dropped to stay within the memory budget */
  dropped = 0;
  /** the latest request time (epoch seconds) held by a dropped unit, 0 if none */
  droppedThrough = 0;

  constructor(options: FirstSeenIndexOptions = {}) {
    this.maxClients = options.maxClients ?? 8;
    this.maxClientsPerDay = options.maxClientsPerDay ?? 4;
    this.memoryBudget = options.memoryBudget ?? Number.POSITIVE_INFINITY;
    this.maxUnits = Number.isFinite(this.memoryBudget) ? Math.max(1024, Math.floor(this.memoryBudget / BYTES_PER_UNIT)) : 0x7fffffff;
    this.capacity = ceilPowerOfTwo(options.initialCapacity ?? 1 << 16);
    this.slots = new Int32Array(this.capacity * 2);
    const initialUnits = Math.min(this.maxUnits, 1 << 15);
    this.unitWords = new Int32Array(initialUnits * UNIT_STRIDE);
    this.unitText = new Int32Array(initialUnits);
    this.keepTexts = options.keepTexts ?? false;
    if (this.keepTexts) {
      this.arena = Buffer.allocUnsafe(1 << 20);
      this.arenaStart = new Int32Array(initialUnits + 1);
    }
  }

  /** Units held (rare and popular). */
  get units(): number {
    return this.unitCount;
  }

  /** Units that went popular (detail dropped). */
  get popularUnits(): number {
    let popular = 0;
    for (let unit = 0; unit < this.unitCount; unit++) if ((this.unitWords[unit * UNIT_STRIDE + U_STATE]! & 255) === POPULAR) popular++;
    return popular;
  }

  /**
   * Record that `client` requested the URL whose hash is (high, low) at `time` (epoch seconds).
   * `trackDay` adds the request to the URL's day unit too. `urlText` is called only when the
   * URL text is needed (a unit's second client), so the hot path builds no string; with
   * keepTexts, `url` (buffer[start, end)) is copied for every new unit instead.
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
    url?: Buffer,
    urlStart = 0,
    urlEnd = 0,
  ): void {
    // keys are stored in Int32Arrays: compare them as int32
    high |= 0;
    low |= 0;
    const clamped = bytes < 0 ? 0 : bytes > 0xffffffff ? 0xffffffff : bytes;
    this.observeUnit(high, low, GLOBAL_BUCKET, client, time, status, clamped, this.maxClients, urlText, url, urlStart, urlEnd);
    if (trackDay) this.observeUnit(high, low, Math.floor(time / 86400), client, time, status, clamped, this.maxClientsPerDay, urlText, url, urlStart, urlEnd);
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
    url: Buffer | undefined,
    urlStart: number,
    urlEnd: number,
  ): void {
    const tag = high ^ Math.imul(bucket, 0x9e3779b1);
    const mask = this.capacity - 1;
    const slots = this.slots;
    const units = this.unitWords;
    let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
    for (;;) {
      const stored = slots[slot * 2 + 1]!;
      if (stored === 0) break;
      if (slots[slot * 2] === tag) {
        const base = (stored - 1) * UNIT_STRIDE;
        if (units[base + U_LOW] === low && units[base + U_HIGH] === high && units[base + U_BUCKET] === bucket) {
          this.updateUnit(stored - 1, client, time, status, bytes, bound, urlText);
          return;
        }
      }
      slot = (slot + 1) & mask;
    }
    // a new unit
    if (this.unitCount >= this.maxUnits) {
      this.evictOldest();
      this.observeUnit(high, low, bucket, client, time, status, bytes, bound, urlText, url, urlStart, urlEnd);
      return;
    }
    if (((this.unitCount + 1) << MAX_LOAD_SHIFT) > this.capacity * MAX_LOAD_NUMERATOR) {
      this.growSlots();
      this.observeUnit(high, low, bucket, client, time, status, bytes, bound, urlText, url, urlStart, urlEnd);
      return;
    }
    const unit = this.appendUnit(high, low, bucket, client, time, status, bytes);
    if (this.arena !== null) this.appendText(unit, url!, urlStart, urlEnd);
    slots[slot * 2] = tag;
    slots[slot * 2 + 1] = unit + 1;
  }

  private appendUnit(high: number, low: number, bucket: number, client: number, time: number, status: number, bytes: number): number {
    const unit = this.unitCount++;
    if ((unit + 1) * UNIT_STRIDE > this.unitWords.length) this.growUnits(unit + 1);
    const units = this.unitWords;
    const base = unit * UNIT_STRIDE;
    units[base + U_HIGH] = high;
    units[base + U_LOW] = low;
    units[base + U_BUCKET] = bucket;
    units[base + U_STATE] = 1 | (status << 8);
    units[base + U_CLIENT] = client;
    units[base + U_TIME] = time;
    units[base + U_BYTES] = bytes;
    units[base + U_NEXT] = NONE;
    this.unitText[unit] = NONE;
    return unit;
  }

  private appendText(unit: number, url: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.arenaUsed + length > this.arena!.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena!.length * 2, this.arenaUsed + length));
      this.arena!.copy(grown, 0, 0, this.arenaUsed);
      this.arena = grown;
    }
    url.copy(this.arena!, this.arenaUsed, start, end);
    this.arenaStart![unit] = this.arenaUsed;
    this.arenaUsed += length;
    this.arenaStart![unit + 1] = this.arenaUsed;
  }

  /** Adds a request by `client` to an existing unit. */
  private updateUnit(unit: number, client: number, time: number, status: number, bytes: number, bound: number, urlText: () => string): void {
    const units = this.unitWords;
    const base = unit * UNIT_STRIDE;
    const state = units[base + U_STATE]!;
    const count = state & 255;
    if (count === POPULAR) return;
    if (units[base + U_CLIENT] === client) {
      // logs are not strictly ordered (several files, a server's own skew): keep the earliest
      if (time < units[base + U_TIME]! >>> 0) {
        units[base + U_TIME] = time;
        units[base + U_STATE] = (state & 255) | (status << 8);
        units[base + U_BYTES] = bytes;
      }
      return;
    }
    const entries = this.entries;
    for (let entry = units[base + U_NEXT]!; entry !== NONE; entry = entries[entry * ENTRY_STRIDE + E_NEXT]!) {
      const at = entry * ENTRY_STRIDE;
      if (entries[at + E_CLIENT] === client) {
        if (time < entries[at + E_TIME]! >>> 0) {
          entries[at + E_TIME] = time;
          entries[at + E_BYTES] = bytes;
          this.entryStatus[entry] = status;
        }
        return;
      }
    }
    if (count >= bound) {
      this.markPopular(unit);
      return;
    }
    units[base + U_NEXT] = this.newEntry(client, time, status, bytes, units[base + U_NEXT]!);
    units[base + U_STATE] = state + 1;
    if (this.unitText[unit] === NONE && this.arena === null) this.setText(unit, urlText());
  }

  private setText(unit: number, text: string): void {
    this.unitText[unit] = this.texts.push(text) - 1;
    this.textBytes += 40 + text.length;
  }

  private markPopular(unit: number): void {
    const base = unit * UNIT_STRIDE;
    let entry = this.unitWords[base + U_NEXT]!;
    if (entry !== NONE) {
      // hand the whole chain to the free list at once
      let last = entry;
      while ((entry = this.entries[last * ENTRY_STRIDE + E_NEXT]!) !== NONE) last = entry;
      this.entries[last * ENTRY_STRIDE + E_NEXT] = this.freeEntry;
      this.freeEntry = this.unitWords[base + U_NEXT]!;
    }
    this.unitWords[base + U_NEXT] = NONE;
    this.unitWords[base + U_STATE] = POPULAR;
  }

  private newEntry(client: number, time: number, status: number, bytes: number, next: number): number {
    let entry = this.freeEntry;
    if (entry !== NONE) {
      this.freeEntry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!;
    } else {
      entry = this.entryUsed++;
      if ((entry + 1) * ENTRY_STRIDE > this.entries.length) {
        const grownEntries = new Int32Array(this.entries.length * 2);
        grownEntries.set(this.entries);
        this.entries = grownEntries;
        const grownStatus = new Uint16Array(this.entryStatus.length * 2);
        grownStatus.set(this.entryStatus);
        this.entryStatus = grownStatus;
      }
    }
    const at = entry * ENTRY_STRIDE;
    this.entries[at + E_CLIENT] = client;
    this.entries[at + E_TIME] = time;
    this.entries[at + E_BYTES] = bytes;
    this.entries[at + E_NEXT] = next;
    this.entryStatus[entry] = status;
    return entry;
  }

  /** Unit arrays grow by half (not doubling) up to maxUnits: they are the bulk of the memory. */
  private growUnits(minimum: number): void {
    let length = Math.max(minimum, Math.ceil((this.unitWords.length / UNIT_STRIDE) * 1.5));
    length = Math.min(length, Math.max(minimum, this.maxUnits));
    const units = new Int32Array(length * UNIT_STRIDE);
    units.set(this.unitWords.subarray(0, this.unitCount * UNIT_STRIDE));
    this.unitWords = units;
    const unitText = new Int32Array(length);
    unitText.set(this.unitText.subarray(0, this.unitCount));
    this.unitText = unitText;
    if (this.arenaStart !== null) {
      const arenaStart = new Int32Array(length + 1);
      arenaStart.set(this.arenaStart.subarray(0, this.unitCount + 1));
      this.arenaStart = arenaStart;
    }
  }

  private growSlots(): void {
    this.capacity *= 2;
    this.rebuildSlots();
  }

  /** Re-inserts every unit into a fresh slot table of the current capacity. */
  private rebuildSlots(): void {
    this.slots = new Int32Array(this.capacity * 2);
    const slots = this.slots;
    const units = this.unitWords;
    const mask = this.capacity - 1;
    for (let unit = 0; unit < this.unitCount; unit++) {
      const base = unit * UNIT_STRIDE;
      const high = units[base + U_HIGH]!;
      const low = units[base + U_LOW]!;
      const bucket = units[base + U_BUCKET]!;
      let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
      while (slots[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      slots[slot * 2] = high ^ Math.imul(bucket, 0x9e3779b1);
      slots[slot * 2 + 1] = unit + 1;
    }
  }

  /** The unit id of a key, or -1. */
  private find(high: number, low: number, bucket: number): number {
    const tag = high ^ Math.imul(bucket, 0x9e3779b1);
    const mask = this.capacity - 1;
    let slot = (high ^ Math.imul(low + bucket, 0x27d4eb2d)) & mask;
    for (;;) {
      const stored = this.slots[slot * 2 + 1]!;
      if (stored === 0) return NONE;
      if (this.slots[slot * 2] === tag) {
        const base = (stored - 1) * UNIT_STRIDE;
        if (this.unitWords[base + U_LOW] === low && this.unitWords[base + U_HIGH] === high && this.unitWords[base + U_BUCKET] === bucket) return stored - 1;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** A unit's client count (POPULAR for popular), 0 if there is none. */
  countOf(high: number, low: number, bucket: number): number {
    const unit = this.find(high | 0, low | 0, bucket);
    return unit === NONE ? 0 : this.unitWords[unit * UNIT_STRIDE + U_STATE]! & 255;
  }

  /**
   * Drops the oldest quarter of the units (their detail and their keys): a URL seen again later
   * starts a new unit. Rebuilds the arrays compactly, so memory really goes down.
   */
  private evictOldest(): void {
    const drop = Math.max(1, this.unitCount >> 2);
    const keep = this.unitCount - drop;
    const units = this.unitWords;
    let latest = this.droppedThrough;
    for (let unit = 0; unit < drop; unit++) {
      const base = unit * UNIT_STRIDE;
      if ((units[base + U_STATE]! & 255) === POPULAR) continue;
      latest = Math.max(latest, units[base + U_TIME]! >>> 0);
      for (let entry = units[base + U_NEXT]!; entry !== NONE; entry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!) {
        latest = Math.max(latest, this.entries[entry * ENTRY_STRIDE + E_TIME]! >>> 0);
      }
    }
    this.droppedThrough = latest;
    this.dropped += drop;
    const oldEntries = this.entries;
    const oldStatus = this.entryStatus;
    const oldTexts = this.texts.splice(0);
    this.entries = new Int32Array(Math.max(1024, this.entryUsed) * ENTRY_STRIDE);
    this.entryStatus = new Uint16Array(Math.max(1024, this.entryUsed));
    this.entryUsed = 0;
    this.freeEntry = NONE;
    this.textBytes = 0;
    units.copyWithin(0, drop * UNIT_STRIDE, this.unitCount * UNIT_STRIDE);
    this.unitText.copyWithin(0, drop, this.unitCount);
    for (let unit = 0; unit < keep; unit++) {
      const base = unit * UNIT_STRIDE;
      // copy the chain in order
      let previous = NONE;
      for (let entry = units[base + U_NEXT]!; entry !== NONE; entry = oldEntries[entry * ENTRY_STRIDE + E_NEXT]!) {
        const at = entry * ENTRY_STRIDE;
        const copy = this.newEntry(oldEntries[at + E_CLIENT]!, oldEntries[at + E_TIME]!, oldStatus[entry]!, oldEntries[at + E_BYTES]!, NONE);
        if (previous === NONE) units[base + U_NEXT] = copy;
        else this.entries[previous * ENTRY_STRIDE + E_NEXT] = copy;
        previous = copy;
      }
      const text = this.unitText[unit]!;
      if (text !== NONE) this.setText(unit, oldTexts[text]!);
    }
    if (this.arena !== null) {
      const from = this.arenaStart![drop]!;
      this.arena.copy(this.arena, 0, from, this.arenaUsed);
      this.arenaUsed -= from;
      for (let unit = 0; unit <= keep; unit++) this.arenaStart![unit] = this.arenaStart![unit + drop]! - from;
    }
    this.unitCount = keep;
    this.rebuildSlots();
  }

  /**
   * Visit every rare unit (not popular) with its entries sorted by time (ties by client id, so
   * the order does not depend on the order lines were read). Units are visited in slot order,
   * and within a probe cluster by key, so the order is the same however the table was filled.
   */
  forEachRareUnit(visit: (bucket: number, url: string | null, entries: UnitEntry[]) => void): void {
    const entries: UnitEntry[] = [];
    const cluster: number[] = [];
    const units = this.unitWords;
    const slots = this.slots;
    const mask = this.capacity - 1;
    // start just after an empty slot, so no cluster is cut by the wrap-around
    let first = 0;
    while (slots[first * 2 + 1] !== 0) first = (first + 1) & mask;
    const byKey = (a: number, b: number): number =>
      units[a * UNIT_STRIDE + U_HIGH]! - units[b * UNIT_STRIDE + U_HIGH]! ||
      units[a * UNIT_STRIDE + U_LOW]! - units[b * UNIT_STRIDE + U_LOW]! ||
      units[a * UNIT_STRIDE + U_BUCKET]! - units[b * UNIT_STRIDE + U_BUCKET]!;
    const flush = (): void => {
      if (cluster.length > 1) cluster.sort(byKey);
      for (const unit of cluster) this.visitUnit(unit, entries, visit);
      cluster.length = 0;
    };
    for (let step = 1; step <= this.capacity; step++) {
      const slot = (first + step) & mask;
      const stored = slots[slot * 2 + 1]!;
      if (stored === 0) flush();
      else cluster.push(stored - 1);
    }
    flush();
  }

  private visitUnit(unit: number, entries: UnitEntry[], visit: (bucket: number, url: string | null, entries: UnitEntry[]) => void): void {
    const units = this.unitWords;
    const base = unit * UNIT_STRIDE;
    const state = units[base + U_STATE]!;
    if ((state & 255) === POPULAR) return;
    const bucket = units[base + U_BUCKET]!;
    // a day unit speaks only for URLs popular overall; a URL rare overall has its global unit
    if (bucket !== GLOBAL_BUCKET && this.countOf(units[base + U_HIGH]!, units[base + U_LOW]!, GLOBAL_BUCKET) !== POPULAR) return;
    entries.length = 0;
    entries.push({ client: units[base + U_CLIENT]!, time: units[base + U_TIME]! >>> 0, status: state >>> 8, bytes: units[base + U_BYTES]! >>> 0 });
    for (let entry = units[base + U_NEXT]!; entry !== NONE; entry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!) {
      const at = entry * ENTRY_STRIDE;
      entries.push({ client: this.entries[at + E_CLIENT]!, time: this.entries[at + E_TIME]! >>> 0, status: this.entryStatus[entry]!, bytes: this.entries[at + E_BYTES]! >>> 0 });
    }
    if (entries.length > 1) entries.sort((a, b) => a.time - b.time || a.client - b.client);
    visit(bucket, this.textOf(unit), entries);
  }

  private textOf(unit: number): string | null {
    const text = this.unitText[unit]!;
    if (text !== NONE) return this.texts[text]!;
    if (this.arena !== null && (this.unitWords[unit * UNIT_STRIDE + U_STATE]! & 255) >= 2) {
      return this.arena.toString('utf8', this.arenaStart![unit]!, this.arenaStart![unit + 1]!);
    }
    return null;
  }

  /** Approximate bytes held, for the memory budget and the report. */
  memoryBytes(): number {
    return (
      this.slots.byteLength +
      this.unitWords.byteLength +
      this.unitText.byteLength +
      this.entries.byteLength +
      this.entryStatus.byteLength +
      this.textBytes +
      (this.arena === null ? 0 : this.arena.length + this.arenaStart!.byteLength)
    );
  }

  /**
   * The state to send to another thread: typed arrays cut to their used length (their buffers
   * can be transferred). The index must not be used afterwards.
   */
  exportState(): FirstSeenIndexState {
    return {
      maxClients: this.maxClients,
      maxClientsPerDay: this.maxClientsPerDay,
      unitCount: this.unitCount,
      units: this.unitWords.slice(0, this.unitCount * UNIT_STRIDE),
      unitText: this.unitText.slice(0, this.unitCount),
      entries: this.entries.slice(0, this.entryUsed * ENTRY_STRIDE),
      entryStatus: this.entryStatus.slice(0, this.entryUsed),
      texts: this.texts,
      arena: this.arena === null ? null : new Uint8Array(this.arena.subarray(0, this.arenaUsed)),
      arenaStart: this.arenaStart === null ? null : this.arenaStart.slice(0, this.unitCount + 1),
      dropped: this.dropped,
      droppedThrough: this.droppedThrough,
    };
  }

  /**
   * Adds another index's units (exported by `exportState`), its client ids translated by
   * `clientMap`. Merging the indexes of consecutive parts of the input in input order gives
   * the index one reader of the whole input builds: per client the earliest request is kept
   * (ties to the part read first, as one reader keeps the first it read), and a unit is
   * popular iff the union of its clients exceeds its bound.
   */
  merge(state: FirstSeenIndexState, clientMap: Int32Array): void {
    const arena = state.arena === null ? null : Buffer.from(state.arena.buffer, state.arena.byteOffset, state.arena.byteLength);
    const textOf = (unit: number): string => {
      const text = state.unitText[unit]!;
      if (text !== NONE) return state.texts[text]!;
      if (arena !== null) return arena.toString('utf8', state.arenaStart![unit]!, state.arenaStart![unit + 1]!);
      return '';
    };
    const units = state.units;
    const entries = state.entries;
    for (let unit = 0; unit < state.unitCount; unit++) {
      const base = unit * UNIT_STRIDE;
      const high = units[base + U_HIGH]!;
      const low = units[base + U_LOW]!;
      const bucket = units[base + U_BUCKET]!;
      const bound = bucket === GLOBAL_BUCKET ? this.maxClients : this.maxClientsPerDay;
      const stateWord = units[base + U_STATE]!;
      const text = () => textOf(unit);
      let target = this.find(high, low, bucket);
      if ((stateWord & 255) === POPULAR) {
        if (target === NONE) {
          this.observeUnit(high, low, bucket, 0, 0, 0, 0, bound, text, undefined, 0, 0);
          target = this.find(high, low, bucket);
        }
        this.markPopular(target);
        continue;
      }
      // replay the other part's entries, in their order: each is that client's earliest there
      this.observeUnit(high, low, bucket, clientMap[units[base + U_CLIENT]!]!, units[base + U_TIME]! >>> 0, stateWord >>> 8, units[base + U_BYTES]! >>> 0, bound, text, undefined, 0, 0);
      for (let entry = units[base + U_NEXT]!; entry !== NONE; entry = entries[entry * ENTRY_STRIDE + E_NEXT]!) {
        const at = entry * ENTRY_STRIDE;
        this.observeUnit(high, low, bucket, clientMap[entries[at + E_CLIENT]!]!, entries[at + E_TIME]! >>> 0, state.entryStatus[entry]!, entries[at + E_BYTES]! >>> 0, bound, text, undefined, 0, 0);
      }
    }
    this.dropped += state.dropped;
    this.droppedThrough = Math.max(this.droppedThrough, state.droppedThrough);
  }

  /** An index rebuilt from an exported state (the first part of a merge), client ids translated. */
  static fromState(state: FirstSeenIndexState, clientMap: Int32Array, options: FirstSeenIndexOptions = {}): FirstSeenIndex {
    const index = new FirstSeenIndex({ ...options, maxClients: state.maxClients, maxClientsPerDay: state.maxClientsPerDay, keepTexts: false });
    index.merge(state, clientMap);
    return index;
  }
}
