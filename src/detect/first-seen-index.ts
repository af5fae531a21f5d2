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
 * reader would build (`merge`, parts in input order). Units are numbered in creation order,
 * which merging keeps, and are visited in that order.
 *
 * Layout, chosen for cache misses (the cost that dominates once the table outgrows the caches;
 * the first layout, one array per field, touched seven arrays per request) and for memory:
 * - `slots`: open addressing with linear probing, three int32 per slot: a tag (the URL hash's
 *   high word mixed with the bucket, so a URL's global and day units never match each other),
 *   the hash's low word, and unit id + 1, negated once the unit is popular (0 is empty). A
 *   request for a popular URL, most requests, is settled by its slot alone, without reading
 *   the unit. At most 3/4 of the slots are used. Units leave only through `evictOldest`, which
 *   rebuilds the table, so probing needs no tombstones. Under a budget the table is reserved at
 *   the size its most units need when it first grows, and grows within it (spreadSlots), never
 *   beside a copy.
 * - units: UNIT_STRIDE int32 per unit in pages of PAGE_UNITS units (no doubling copies, no
 *   more than one page unused), dense in creation order: the hash's low word, bucket, state
 *   (count in bits 0-7, POPULAR = 255; the first entry's status in bits 8-23), the first entry
 *   inline (client, time, bytes), the head of the chain of further entries, and the hash's high
 *   word. URL texts are kept by unit id in `texts` once a unit has two clients. Most rare URLs
 *   have one client, so most requests touch one slot line and one unit line.
 * - `entries`: ENTRY_STRIDE int32 per further entry (client, time, bytes, next; -1 ends a chain)
 *   plus `entryStatus`. A rare unit with count c has c - 1 chained entries, one per distinct
 *   client other than the inline one, each holding that client's earliest request. A popular
 *   unit has none; freed chains go to a free list.
 * - with `keepTexts` (workers) every unit's URL bytes are also kept in `arena`, from
 *   `arenaStart[unit]` to the next unit's start: a URL seen once in each of two byte ranges
 *   needs its text when the ranges merge.
 *
 * Memory budget: past `maxUnits` units the oldest quarter (creation order, which for one
 * reader is time order) is dropped, keys and all; `dropped` counts them and `droppedThrough` is
 * the latest time a dropped unit held, so the report can say what was lost.
 */
import { tracksDays } from './paths.js';

export const GLOBAL_BUCKET = -1;
export const POPULAR = 255;
/**
 * A state bit: the day unit of an entry page (`/`, index pages), whose bound is
 * maxClientsPerEntryDay. A site's busiest pages, and evidence only when fetched in step with a
 * person (a web filter shadowing its user's landing page): detail on more clients a day costs
 * a handful of units and does not change the chance model's other pages.
 */
const WIDE = 1 << 24;
/** The status bits of a state word (bits 8-23). */
const STATUS_MASK = 0xffff;
const NONE = -1;
/** What a merged part's page is replaced with once read (merge). */
const RELEASED_PAGE = new Int32Array(0);
/** Units an index keeps whatever its other bytes (entries, strings) hold. */
const MIN_KEPT_UNITS = 1024;

const UNIT_STRIDE = 8;
const U_LOW = 0;
const U_BUCKET = 1;
const U_STATE = 2;
const U_CLIENT = 3;
const U_TIME = 4;
const U_BYTES = 5;
const U_NEXT = 6;
const U_HIGH = 7;
const PAGE_SHIFT = 16;
const PAGE_UNITS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_UNITS - 1;
/** Bytes of one unit page. */
const PAGE_BYTES = PAGE_UNITS * UNIT_STRIDE * 4;

/** A slot: the tag, the hash's low word (so a key is known without reading its unit) and the unit id + 1, negated when the unit is popular (0: empty). */
const SLOT_STRIDE = 3;
const S_TAG = 0;
const S_LOW = 1;
const S_REF = 2;
const SLOT_BYTES = SLOT_STRIDE * 4;

/** The hot table: 4096 entries of 16 bytes, 64 KiB, within the L2 cache. */
const HOT_SLOTS = 4096;
const HOT_MASK = HOT_SLOTS - 1;
const HOT_STRIDE = 4;

const ENTRY_STRIDE = 4;
const E_CLIENT = 0;
const E_TIME = 1;
const E_BYTES = 2;
const E_NEXT = 3;

/** At most 3/4 of the slots are used: with 12-byte slots, a probe sequence stays within a cache line or two. */
const MAX_LOAD_NUMERATOR = 3;
const MAX_LOAD_SHIFT = 2;

/**
 * The next slot table size: half as large again, not double, so the load stays between 1/2
 * and 3/4 (doubling let it fall to 3/8: 20 MB of empty slots on the 10 M-line bench log).
 */
function grownCapacity(capacity: number, limit: number): number {
  return Math.max(capacity + 1, Math.min(limit, capacity + (capacity >>> 1)));
}

/** The slot table size that holds `units` at the highest load (3/4): the table grows no further than that under a budget. */
function capacityFor(units: number): number {
  return Math.ceil((units * (1 << MAX_LOAD_SHIFT)) / MAX_LOAD_NUMERATOR) + 1;
}

/** Mixes the bucket into the tag. */
const TAG_MIX = 0x9e3779b1;
const HOME_MIX = 0x27d4eb2d;
/** 2^-31 */
const HOME_SCALE = 1 / 2147483648;

/** A key's tag: the hash's high word mixed with the bucket, so a URL's global and day units never match. */
function tagOf(high: number, bucket: number): number {
  return high ^ Math.imul(bucket, TAG_MIX);
}

/**
 * A key's home slot, from what its slot holds (tag, low): no unit is read to place a key, so
 * growing the table reads the old one front to back and nothing else. The 31-bit hash is scaled
 * to the size (multiply and shift, not modulo), so homes keep the hash's order at every size:
 * the old table, read in order, fills the new one nearly front to back too. (Modulo scattered
 * those writes, and reading each unit's bucket to recompute the home missed the cache again:
 * growth was 10% of a scan.) Exact for sizes below 2^22; above, the product rounds, which keeps
 * it monotone and below the size.
 */
function homeSlot(tag: number, low: number, capacity: number): number {
  return ((tag ^ Math.imul(low, HOME_MIX)) >>> 1) * capacity * HOME_SCALE | 0;
}

/**
 * A slot table with room for `reserved` slots, of which the first `capacity` are used. The
 * system hands out the zero pages of a large array as they are first written, so a table
 * reserved at the most its budget lets it hold costs what it uses, and grows in place
 * (spreadSlots), never beside a second table. (A resizable ArrayBuffer would reserve the same
 * way, but V8 checks its length on every access: the scan's probes took 20-50% longer.)
 */
function reserveSlots(capacity: number, reserved: number): Int32Array {
  return new Int32Array(Math.max(capacity, reserved) * SLOT_STRIDE);
}

/** Scratch for spreadSlots: keys taken out of the table, three words each (grown as needed). */
let takenKeys = new Int32Array(1024 * SLOT_STRIDE);

/**
 * Rehashes, in place, a table of `from` slots grown to `to` (the slots past `from` empty):
 * every key ends where placing it in a table of `to` slots puts it (a key's home in the larger
 * table is at or after its home in the smaller: homeSlot scales one hash to either size).
 *
 * Runs of full slots are moved from the last to the first, each run taken out whole and its
 * keys placed from their new homes. A key of a run that starts at `start` has its home at or
 * after `start` in either size, so placing it touches only slots at or after `start`: the run's
 * own, now empty, or slots that hold keys already placed (never one still to move, which all
 * lie before `start`), and a key placed earlier has its home after this run, so emptying the
 * run breaks no key's probe sequence. Two kinds of key are set aside and placed last, by
 * placeKey, when every other key is where it stays: those of the runs at the two ends of the
 * old table (a run may wrap round from its end to its start) and a key whose probe would wrap
 * round the new table's end.
 */
function spreadSlots(slots: Int32Array, from: number, to: number): void {
  // the keys set aside fill takenKeys from its start; a run's keys are taken after them
  let aside = 0;
  // at most 3/4 of the slots are used: there is an empty slot, and head stops at it
  let head = 0;
  while (slots[head * SLOT_STRIDE + S_REF] !== 0) aside = takeKey(slots, head++, aside);
  let tail = from;
  while (tail > head && slots[(tail - 1) * SLOT_STRIDE + S_REF] !== 0) aside = takeKey(slots, --tail, aside);
  // the run is taken from its last slot back to its first (slot `head` is empty: it ends there)
  let taken = aside;
  for (let slot = tail - 1; slot >= head; slot--) {
    if (slots[slot * SLOT_STRIDE + S_REF] !== 0) {
      taken = takeKey(slots, slot, taken);
      continue;
    }
    for (let key = aside; key < taken; key += SLOT_STRIDE) {
      const tag = takenKeys[key + S_TAG]!;
      const low = takenKeys[key + S_LOW]!;
      const ref = takenKeys[key + S_REF]!;
      let place = homeSlot(tag, low, to);
      while (place < to && slots[place * SLOT_STRIDE + S_REF] !== 0) place++;
      if (place === to) {
        // its probe would wrap round: set aside, over a key of this run already placed (`aside` never passes `key`)
        takenKeys[aside + S_TAG] = tag;
        takenKeys[aside + S_LOW] = low;
        takenKeys[aside + S_REF] = ref;
        aside += SLOT_STRIDE;
        continue;
      }
      const at = place * SLOT_STRIDE;
      slots[at + S_TAG] = tag;
      slots[at + S_LOW] = low;
      slots[at + S_REF] = ref;
    }
    taken = aside;
  }
  for (let key = 0; key < aside; key += SLOT_STRIDE) placeKey(slots, to, takenKeys[key + S_TAG]!, takenKeys[key + S_LOW]!, takenKeys[key + S_REF]!);
}

/** Moves the key in `slot` to takenKeys at `at` and empties the slot; returns the next free place in takenKeys. */
function takeKey(slots: Int32Array, slot: number, at: number): number {
  if (at + SLOT_STRIDE > takenKeys.length) {
    const grown = new Int32Array(takenKeys.length * 2);
    grown.set(takenKeys);
    takenKeys = grown;
  }
  const from = slot * SLOT_STRIDE;
  takenKeys[at + S_TAG] = slots[from + S_TAG]!;
  takenKeys[at + S_LOW] = slots[from + S_LOW]!;
  takenKeys[at + S_REF] = slots[from + S_REF]!;
  slots[from + S_TAG] = 0;
  slots[from + S_LOW] = 0;
  slots[from + S_REF] = 0;
  return at + SLOT_STRIDE;
}

/** Puts a key in the first empty slot from its home (linear probing): rebuilding, compacting and adopting a table all place keys so. */
function placeKey(slots: Int32Array, capacity: number, tag: number, low: number, ref: number): void {
  let slot = homeSlot(tag, low, capacity);
  while (slots[slot * SLOT_STRIDE + S_REF] !== 0) if (++slot === capacity) slot = 0;
  const at = slot * SLOT_STRIDE;
  slots[at + S_TAG] = tag;
  slots[at + S_LOW] = low;
  slots[at + S_REF] = ref;
}

/**
 * Bytes one unit costs at most, for turning a budget into a unit count: its 32-byte record, its
 * slots (12 bytes at a load of 3/4 or more once the units reach the budget: the table's growth
 * stops at the size that holds them, capacityFor: 16), and about 8 bytes of further entries and
 * URL strings (10 M-line bench log: 0.1 further entries and 0.1 strings per unit). With
 * keepTexts, the URL bytes (hostile bench log: 36 bytes). The entries and strings are counted
 * as they are too (heldBytes): a log whose URLs each have several clients drops units sooner.
 */
const BYTES_PER_UNIT = 32 + 16 + 8;
const BYTES_PER_KEPT_TEXT = 44;

/** A part's name for one of its units: its text, else its bytes in the part's arena ('' if neither). */
function textInPart(state: FirstSeenIndexState, arena: Buffer | null, unit: number): string {
  const text = state.texts.get(unit);
  if (text !== undefined) return text;
  return arena === null ? '' : arena.toString('utf8', state.arenaStart![unit]!, state.arenaStart![unit + 1]!);
}

function byTimeThenClient(a: UnitEntry, b: UnitEntry): number {
  return a.time - b.time || a.client - b.client;
}

/** Sorts entries[from, to) by time, then client: by insertion when short (most units hold two or three). */
function sortEntries(entries: UnitEntry[], from: number, to: number): void {
  if (to - from > 16) {
    const sorted = entries.slice(from, to).sort(byTimeThenClient);
    for (let index = from; index < to; index++) entries[index] = sorted[index - from]!;
    return;
  }
  for (let index = from + 1; index < to; index++) {
    const entry = entries[index]!;
    let at = index - 1;
    while (at >= from && byTimeThenClient(entries[at]!, entry) > 0) {
      entries[at + 1] = entries[at]!;
      at--;
    }
    entries[at + 1] = entry;
  }
}

/**
 * Visits one rare unit: entries in time order. For a day unit, the first `context` entries
 * are the previous day's unit of the same URL (when rare), offered only as possible origins:
 * a replay at 00:15 of a page visited at 21:00 crosses midnight. `url` is null when the unit
 * holds one entry (no pair to name) or its text was not kept.
 */
export type RareUnitVisitor = (bucket: number, url: string | null, entries: UnitEntry[], context: number, key: number) => void;

/**
 * A URL's key across its units (global and day), from its hash: 30 bits, a small integer (V8
 * keeps it unboxed, and a Map of them is several times faster than one of 53-bit keys, which
 * analysis fills with every day unit). Two URLs of a million share one about once in a thousand
 * pairs; only rate estimates are keyed by it, and a shared key makes both pages look more
 * visited, so their replays look more like chance: the error is on the side of saying less.
 */
export function urlKeyOf(high: number, low: number): number {
  return (high ^ Math.imul(low, 0x9e3779b1)) & 0x3fffffff;
}

/**
 * Visits a unit of the whole log with one client (most units: a one-off URL), from its record
 * alone: no entry list, sort or name, which the general visitor costs.
 */
export type SingleUnitVisitor = (client: number, time: number, status: number, bytes: number) => void;

export interface UnitEntry {
  client: number;
  time: number;
  status: number;
  bytes: number;
}

export interface FirstSeenIndexOptions {
  maxClients?: number;
  maxClientsPerDay?: number;
  /** the bound of an entry page's day units (WIDE) */
  maxClientsPerEntryDay?: number;
  initialCapacity?: number;
  /** bytes the index may hold; past it the oldest units are dropped (default: no limit) */
  memoryBudget?: number;
  /** keep every unit's URL bytes (workers: their units are merged later) */
  keepTexts?: boolean;
  /**
   * the largest budget raiseBudget will give the index (a parallel scan's first part): its slot
   * table is reserved for that, so it grows in place when the other parts are merged into it
   */
  raisedBudget?: number;
}

/** The transferable state of an index: views of its own arrays, no copies. */
export interface FirstSeenIndexState {
  maxClients: number;
  maxClientsPerDay: number;
  maxClientsPerEntryDay: number;
  unitCount: number;
  pages: Int32Array[];
  entries: Int32Array;
  entryStatus: Uint16Array;
  /** URL text by unit id, for units that have had two clients */
  texts: Map<number, string>;
  arena: Uint8Array | null;
  arenaStart: Int32Array | null;
  dropped: number;
  droppedThrough: number;
}

export class FirstSeenIndex {
  readonly maxClients: number;
  readonly maxClientsPerDay: number;
  readonly maxClientsPerEntryDay: number;
  private capacity: number;
  private slots: Int32Array;
  private pages: Int32Array[] = [];
  /** pages emptied by evictOldest, for the units that come next */
  private sparePages: Int32Array[] = [];
  private unitCount = 0;

  private entries: Int32Array = new Int32Array(1024 * ENTRY_STRIDE);
  private entryStatus: Uint16Array = new Uint16Array(1024);
  private entryUsed = 0;
  private freeEntry = NONE;

  /** URL text by unit id, made when a unit first has a second client */
  private texts = new Map<number, string>();
  /** whether the unit being updated keeps its text when it goes popular (see observe) */
  private keepPopularText = true;
  private textBytes = 0;
  /** entry objects handed to forEachRareUnit's visitor, reused */
  private readonly entryPool: UnitEntry[] = [];
  private arena: Buffer | null = null;
  private arenaUsed = 0;
  private arenaStart: Int32Array | null = null;

  /**
   * HOT_SLOTS recently requested popular keys (tag, low, 1), direct-mapped: a cache in front of
   * the slot table, which outgrows the CPU caches. Popular is final, so an entry stays true
   * until units are dropped (evictOldest and adopt clear it).
   */
  private readonly hot = new Int32Array(HOT_SLOTS * HOT_STRIDE);
  private maxUnits: number;
  /** the slots reserved when the table first grows: the most its budget (raised or not) holds */
  private readonly reservedSlots: number;
  /** the slot table's size at maxUnits: it grows no further (capacityFor) */
  private maxCapacity: number;
  memoryBudget: number;
  private readonly keepTexts: boolean;
  /** units dropped to stay within the memory budget */
  dropped = 0;
  /** the latest request time (epoch seconds) held by a dropped unit, 0 if none */
  droppedThrough = 0;

  constructor(options: FirstSeenIndexOptions = {}) {
    this.maxClients = options.maxClients ?? 8;
    this.maxClientsPerDay = options.maxClientsPerDay ?? 8;
    this.maxClientsPerEntryDay = Math.min(POPULAR - 1, options.maxClientsPerEntryDay ?? 32);
    this.memoryBudget = options.memoryBudget ?? Number.POSITIVE_INFINITY;
    const keepTexts = options.keepTexts ?? false;
    this.keepTexts = keepTexts;
    this.maxUnits = 0;
    this.maxCapacity = 0;
    this.setLimits();
    this.capacity = Math.max(1024, Math.min(this.maxCapacity, options.initialCapacity ?? 1 << 16));
    // without a budget there is no most to reserve: such a table grows by copying (growSlots)
    const raised = Math.max(this.memoryBudget, options.raisedBudget ?? 0);
    this.reservedSlots = Number.isFinite(raised) ? capacityFor(this.unitsFor(raised)) : this.capacity;
    // reserved at the first growth, not here: an index made and dropped unused (a detector's
    // budget set before it reads) then lets go of a table of its first size, not of its most.
    // Freeing a large block raises glibc's mmap threshold to its size for the whole process
    // (all threads), and blocks under the threshold come from malloc's heaps, where freed ones
    // stay resident and a reserved table is no longer pages untouched until written: the 9.7 MB
    // table of a 64MB scan's first setMemoryBudget, let go, put 190-194 MB on a two-thread peak
    // of 175-180 (docs/PERFORMANCE.md).
    this.slots = new Int32Array(this.capacity * SLOT_STRIDE);
    if (keepTexts) {
      // under a budget the arena is reserved at it: zero pages the system hands out as they are
      // first written (URLs are appended), and no growth leaves dead copies for the collector
      // (growing by half again left twice the final arena waiting: ~50 MB in a worker)
      this.arena = Number.isFinite(this.memoryBudget) ? Buffer.from(new ArrayBuffer(Math.max(1 << 20, this.memoryBudget))) : Buffer.allocUnsafe(1 << 20);
      this.arenaStart = new Int32Array(PAGE_UNITS + 1);
    }
  }

  /** maxUnits and maxCapacity from the budget. */
  private setLimits(): void {
    this.maxUnits = Number.isFinite(this.memoryBudget) ? this.unitsFor(this.memoryBudget) : 0x7fffffff;
    this.maxCapacity = Number.isFinite(this.memoryBudget) ? capacityFor(this.maxUnits) : Number.POSITIVE_INFINITY;
  }

  /** The units a (finite) budget holds. */
  private unitsFor(budget: number): number {
    return Math.max(MIN_KEPT_UNITS, Math.floor(budget / (BYTES_PER_UNIT + (this.keepTexts ? BYTES_PER_KEPT_TEXT : 0))));
  }

  /**
   * The budget from now on, larger or smaller (a parallel scan's part, whose other tables take
   * more of its budget as they fill: Detector.shareWithIndex): past it, the next new unit drops
   * the oldest quarter, as many times as it takes.
   */
  limitBudget(bytes: number): void {
    if (bytes === this.memoryBudget) return;
    this.memoryBudget = bytes;
    this.setLimits();
  }

  /** A larger budget from now on (a parallel scan's first part, read with its thread's share, then merged into). */
  raiseBudget(bytes: number): void {
    if (bytes <= this.memoryBudget) return;
    this.memoryBudget = bytes;
    this.setLimits();
  }

  /** Units held (rare and popular). */
  get units(): number {
    return this.unitCount;
  }

  /** Units that went popular (detail dropped). */
  get popularUnits(): number {
    let popular = 0;
    for (let unit = 0; unit < this.unitCount; unit++) {
      if ((this.pages[unit >>> PAGE_SHIFT]![((unit & PAGE_MASK) * UNIT_STRIDE) + U_STATE]! & 255) === POPULAR) popular++;
    }
    return popular;
  }

  /**
   * Record that `client` requested the URL whose hash is (high, low) at `time` (epoch seconds).
   * `trackDay` adds the request to the URL's day unit too (`entryPage`: a wide one, WIDE). The URL's bytes (url[start, end))
   * become a string only when a unit first has two clients, so the hot path builds none; with
   * keepTexts they are copied for every new unit instead.
   */
  observe(
    high: number,
    low: number,
    client: number,
    time: number,
    status: number,
    bytes: number,
    trackDay: boolean,
    url: Buffer,
    urlStart: number,
    urlEnd: number,
    entryPage = false,
  ): void {
    // keys are stored in Int32Arrays: compare them as int32
    high |= 0;
    low |= 0;
    const clamped = bytes < 0 ? 0 : bytes > 0xffffffff ? 0xffffffff : bytes;
    // a popular unit's text is read again only as the fallback name of the URL's day units
    this.keepPopularText = trackDay;
    let needsText = this.observeUnit(high, low, GLOBAL_BUCKET, client, time, status, clamped, this.maxClients, url, urlStart, urlEnd);
    if (needsText !== NONE) this.setText(needsText, url.toString('utf8', urlStart, urlEnd));
    if (!trackDay) return;
    this.keepPopularText = false;
    needsText = this.observeUnit(high, low, Math.floor(time / 86400), client, time, status, clamped, entryPage ? this.maxClientsPerEntryDay : this.maxClientsPerDay, url, urlStart, urlEnd, entryPage);
    if (needsText !== NONE) this.setText(needsText, url.toString('utf8', urlStart, urlEnd));
  }

  /** Adds one request to its unit, creating it; returns a unit that now needs its URL text, else -1. */
  private observeUnit(
    high: number,
    low: number,
    bucket: number,
    client: number,
    time: number,
    status: number,
    bytes: number,
    bound: number,
    url: Buffer | undefined,
    urlStart: number,
    urlEnd: number,
    wide = false,
  ): number {
    const tag = tagOf(high, bucket);
    // the URLs most requests are for are popular, and found in the small hot table first
    const hot = this.hot;
    const hotAt = ((tag ^ low) & HOT_MASK) * HOT_STRIDE;
    if (hot[hotAt] === tag && hot[hotAt + 1] === low && hot[hotAt + 2] === 1) return NONE;
    const capacity = this.capacity;
    const slots = this.slots;
    let slot = homeSlot(tag, low, capacity);
    for (;;) {
      const at = slot * SLOT_STRIDE;
      const ref = slots[at + S_REF]!;
      if (ref === 0) break;
      if (slots[at + S_TAG] === tag && slots[at + S_LOW] === low) {
        // a popular unit is known from its slot alone
        if (ref < 0) {
          hot[hotAt] = tag;
          hot[hotAt + 1] = low;
          hot[hotAt + 2] = 1;
          return NONE;
        }
        const unit = ref - 1;
        return this.updateUnit(this.pages[unit >>> PAGE_SHIFT]!, (unit & PAGE_MASK) * UNIT_STRIDE, unit, slot, client, time, status, bytes, bound);
      }
      if (++slot === capacity) slot = 0;
    }
    // a new unit
    if (this.unitCount >= this.maxUnits) {
      this.evictOldest();
      return this.observeUnit(high, low, bucket, client, time, status, bytes, bound, url, urlStart, urlEnd, wide);
    }
    if (this.unitCount >= MIN_KEPT_UNITS && this.heldBytes() > this.memoryBudget) {
      // entries and strings past the budget: fewer units, and only the spare pages that fit
      // beside what is held. (Dropping them all made a worker, whose URL bytes put it on this
      // path at every eviction, take a new page for the page it had just let go: 43 pages of
      // 2 MB on 2.5 M distinct lines, waiting for the collector and the allocator.)
      this.evictOldest();
      while (this.sparePages.length > 0 && this.heldBytes() + this.sparePages.length * PAGE_BYTES > this.memoryBudget) this.sparePages.pop();
      return this.observeUnit(high, low, bucket, client, time, status, bytes, bound, url, urlStart, urlEnd, wide);
    }
    if (((this.unitCount + 1) << MAX_LOAD_SHIFT) > this.capacity * MAX_LOAD_NUMERATOR) {
      this.growSlots(grownCapacity(this.capacity, this.maxCapacity));
      return this.observeUnit(high, low, bucket, client, time, status, bytes, bound, url, urlStart, urlEnd, wide);
    }
    const unit = this.appendUnit(high, low, bucket, client, time, status, bytes, wide);
    if (this.arena !== null) this.appendText(unit, url!, urlStart, urlEnd);
    const at = slot * SLOT_STRIDE;
    slots[at + S_TAG] = tag;
    slots[at + S_LOW] = low;
    slots[at + S_REF] = unit + 1;
    return NONE;
  }

  private appendUnit(high: number, low: number, bucket: number, client: number, time: number, status: number, bytes: number, wide: boolean): number {
    const unit = this.unitCount++;
    if (unit >>> PAGE_SHIFT >= this.pages.length) this.pages.push(this.sparePages.pop() ?? new Int32Array(PAGE_UNITS * UNIT_STRIDE));
    const page = this.pages[unit >>> PAGE_SHIFT]!;
    const base = (unit & PAGE_MASK) * UNIT_STRIDE;
    page[base + U_LOW] = low;
    page[base + U_BUCKET] = bucket;
    page[base + U_STATE] = 1 | (status << 8) | (wide ? WIDE : 0);
    page[base + U_CLIENT] = client;
    page[base + U_TIME] = time;
    page[base + U_BYTES] = bytes;
    page[base + U_NEXT] = NONE;
    page[base + U_HIGH] = high;
    return unit;
  }

  private appendText(unit: number, url: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.arenaUsed + length > this.arena!.length) {
      // half as large again, not double: the budget counts the bytes used half as large again (heldBytes)
      const grown = Buffer.allocUnsafe(Math.max(this.arena!.length + (this.arena!.length >>> 1), this.arenaUsed + length));
      this.arena!.copy(grown, 0, 0, this.arenaUsed);
      this.arena = grown;
    }
    if (unit + 2 > this.arenaStart!.length) {
      const grown = new Int32Array(this.arenaStart!.length * 2);
      grown.set(this.arenaStart!);
      this.arenaStart = grown;
    }
    const arena = this.arena!;
    // URLs are short: a loop beats a native copy call per unit
    if (length <= 96) for (let index = 0, at = this.arenaUsed; index < length; index++) arena[at + index] = url[start + index]!;
    else url.copy(arena, this.arenaUsed, start, end);
    this.arenaStart![unit] = this.arenaUsed;
    this.arenaUsed += length;
    this.arenaStart![unit + 1] = this.arenaUsed;
  }

  /** Adds a request by `client` to an existing unit; returns the unit if it now needs its URL text, else -1. */
  private updateUnit(page: Int32Array, base: number, unit: number, slot: number, client: number, time: number, status: number, bytes: number, bound: number): number {
    const state = page[base + U_STATE]!;
    const count = state & 255;
    if (count === POPULAR) return NONE;
    if (page[base + U_CLIENT] === client) {
      // logs are not strictly ordered (several files, a server's own skew): keep the earliest
      if (time < page[base + U_TIME]! >>> 0) {
        page[base + U_TIME] = time;
        page[base + U_STATE] = (state & WIDE) | count | (status << 8);
        page[base + U_BYTES] = bytes;
      }
      return NONE;
    }
    const entries = this.entries;
    for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = entries[entry * ENTRY_STRIDE + E_NEXT]!) {
      const at = entry * ENTRY_STRIDE;
      if (entries[at + E_CLIENT] === client) {
        if (time < entries[at + E_TIME]! >>> 0) {
          entries[at + E_TIME] = time;
          entries[at + E_BYTES] = bytes;
          this.entryStatus[entry] = status;
        }
        return NONE;
      }
    }
    if (count >= bound) {
      this.markPopular(unit, slot);
      return NONE;
    }
    page[base + U_NEXT] = this.newEntry(client, time, status, bytes, page[base + U_NEXT]!);
    page[base + U_STATE] = state + 1;
    return count === 1 && this.arena === null ? unit : NONE;
  }

  private setText(unit: number, text: string): void {
    this.texts.set(unit, text);
    this.textBytes += 56 + text.length;
  }

  private deleteText(unit: number): void {
    const text = this.texts.get(unit);
    if (text === undefined) return;
    this.texts.delete(unit);
    this.textBytes -= 56 + text.length;
  }

  /** Drops a unit's detail and marks it popular, in its record and in its slot. */
  private markPopular(unit: number, slot: number): void {
    const page = this.pages[unit >>> PAGE_SHIFT]!;
    const base = (unit & PAGE_MASK) * UNIT_STRIDE;
    const count = page[base + U_STATE]! & 255;
    let entry = page[base + U_NEXT]!;
    if (entry !== NONE) {
      // hand the whole chain to the free list at once
      let last = entry;
      while ((entry = this.entries[last * ENTRY_STRIDE + E_NEXT]!) !== NONE) last = entry;
      this.entries[last * ENTRY_STRIDE + E_NEXT] = this.freeEntry;
      this.freeEntry = page[base + U_NEXT]!;
    }
    page[base + U_NEXT] = NONE;
    page[base + U_STATE] = (page[base + U_STATE]! & WIDE) | POPULAR;
    if (!this.keepPopularText && count >= 2) this.deleteText(unit);
    this.slots[slot * SLOT_STRIDE + S_REF] = -(unit + 1);
  }

  private newEntry(client: number, time: number, status: number, bytes: number, next: number): number {
    let entry = this.freeEntry;
    if (entry !== NONE) {
      this.freeEntry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!;
    } else {
      entry = this.entryUsed++;
      if ((entry + 1) * ENTRY_STRIDE > this.entries.length) {
        const grownEntries = new Int32Array(Math.max(1024 * ENTRY_STRIDE, this.entries.length * 2));
        grownEntries.set(this.entries);
        this.entries = grownEntries;
        const grownStatus = new Uint16Array(grownEntries.length / ENTRY_STRIDE);
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

  /**
   * The slot table grown to `capacity` slots, its keys placed for that size: in place when it
   * has room (reserveSlots), so no second table is held at any moment (a new table beside the
   * old one, which then waited for the collector, was 25-38 MB of a two-thread scan's peak when
   * a part was merged); else (the first growth, which reserves the room; no budget; or past the
   * room reserved) into a new array.
   */
  private growSlots(capacity: number): void {
    const old = this.slots;
    const oldCapacity = this.capacity;
    this.capacity = capacity;
    if (capacity * SLOT_STRIDE <= old.length) {
      spreadSlots(old, oldCapacity, capacity);
      return;
    }
    this.slots = reserveSlots(capacity, this.reservedSlots);
    const slots = this.slots;
    for (let from = 0; from < oldCapacity * SLOT_STRIDE; from += SLOT_STRIDE) {
      const ref = old[from + S_REF]!;
      if (ref === 0) continue;
      placeKey(slots, capacity, old[from + S_TAG]!, old[from + S_LOW]!, ref);
    }
  }

  /**
   * The slot table after evictOldest, in place (a second table was a quarter more memory than
   * the budget allows): units below `shift` leave, the others' ids are lowered by `shift`, then
   * every key is placed again from its home, walking from an empty slot round the table, which
   * is what inserting them afresh in that order gives (linear probing needs no tombstones).
   */
  private compactSlots(shift: number): void {
    const slots = this.slots;
    const capacity = this.capacity;
    let empty = NONE;
    for (let slot = 0; slot < capacity; slot++) {
      const at = slot * SLOT_STRIDE;
      const ref = slots[at + S_REF]!;
      const stored = ref < 0 ? -ref : ref;
      if (stored !== 0 && stored - 1 >= shift) slots[at + S_REF] = ref < 0 ? ref + shift : ref - shift;
      else {
        slots[at + S_TAG] = 0;
        slots[at + S_LOW] = 0;
        slots[at + S_REF] = 0;
        if (empty === NONE) empty = slot;
      }
    }
    if (empty === NONE) return;
    for (let step = 1; step <= capacity; step++) {
      const from = (empty + step) % capacity;
      const at = from * SLOT_STRIDE;
      const ref = slots[at + S_REF]!;
      if (ref === 0) continue;
      slots[at + S_REF] = 0;
      placeKey(slots, capacity, slots[at + S_TAG]!, slots[at + S_LOW]!, ref);
    }
  }

  /** The slot table built from units and their high words (merge's adoption). */
  private buildSlots(): void {
    while ((this.unitCount << MAX_LOAD_SHIFT) > this.capacity * MAX_LOAD_NUMERATOR) this.capacity = grownCapacity(this.capacity, Math.max(this.maxCapacity, capacityFor(this.unitCount)));
    const capacity = this.capacity;
    if (capacity * SLOT_STRIDE <= this.slots.length) this.slots.fill(0, 0, capacity * SLOT_STRIDE);
    else this.slots = reserveSlots(capacity, this.reservedSlots);
    const slots = this.slots;
    for (let unit = 0; unit < this.unitCount; unit++) {
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      const tag = tagOf(page[base + U_HIGH]!, page[base + U_BUCKET]!);
      placeKey(slots, capacity, tag, page[base + U_LOW]!, (page[base + U_STATE]! & 255) === POPULAR ? -(unit + 1) : unit + 1);
    }
  }

  /** The slot of a key, or -1. */
  private findSlot(high: number, low: number, bucket: number): number {
    const tag = tagOf(high, bucket);
    const capacity = this.capacity;
    const slots = this.slots;
    let slot = homeSlot(tag, low, capacity);
    for (;;) {
      const at = slot * SLOT_STRIDE;
      if (slots[at + S_REF] === 0) return NONE;
      if (slots[at + S_TAG] === tag && slots[at + S_LOW] === low) return slot;
      if (++slot === capacity) slot = 0;
    }
  }

  /** The unit id of a key, or -1. */
  private find(high: number, low: number, bucket: number): number {
    const slot = this.findSlot(high, low, bucket);
    if (slot === NONE) return NONE;
    const ref = this.slots[slot * SLOT_STRIDE + S_REF]!;
    return (ref < 0 ? -ref : ref) - 1;
  }

  /** A unit's client count (POPULAR for popular), 0 if there is none. */
  countOf(high: number, low: number, bucket: number): number {
    const unit = this.find(high | 0, low | 0, bucket);
    return unit === NONE ? 0 : this.pages[unit >>> PAGE_SHIFT]![(unit & PAGE_MASK) * UNIT_STRIDE + U_STATE]! & 255;
  }

  /**
   * Drops the oldest quarter of the units (their detail and their keys): a URL seen again later
   * starts a new unit. Compacts units, entries, texts and the arena, so memory really goes down.
   */
  private evictOldest(): void {
    const drop = Math.max(1, this.unitCount >> 2);
    const keep = this.unitCount - drop;
    let latest = this.droppedThrough;
    for (let unit = 0; unit < drop; unit++) {
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      if ((page[base + U_STATE]! & 255) === POPULAR) continue;
      latest = Math.max(latest, page[base + U_TIME]! >>> 0);
      for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!) {
        latest = Math.max(latest, this.entries[entry * ENTRY_STRIDE + E_TIME]! >>> 0);
      }
    }
    this.droppedThrough = latest;
    this.dropped += drop;
    this.hot.fill(0);
    const oldEntries = this.entries;
    const oldStatus = this.entryStatus;
    const oldTexts = this.texts;
    this.texts = new Map();
    // the kept chains are copied into new arrays; with none (every unit of one client: a log of
    // a new URL on every line) the arrays stay. Dead arrays wait for a collection that only
    // JS garbage brings about, and little is made per line: at a 1MB budget, an eviction every
    // 256 new URLs left 18 KB each, ~35 MB waiting on two threads.
    if (this.entryUsed > 0) {
      this.entries = new Int32Array(Math.max(1024, this.entryUsed) * ENTRY_STRIDE);
      this.entryStatus = new Uint16Array(Math.max(1024, this.entryUsed));
    }
    this.entryUsed = 0;
    this.freeEntry = NONE;
    this.textBytes = 0;
    for (let unit = 0; unit < keep; unit++) {
      const from = unit + drop;
      const source = this.pages[from >>> PAGE_SHIFT]!;
      const sourceBase = (from & PAGE_MASK) * UNIT_STRIDE;
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      // word by word: a subarray a unit was a view object each, tens of MB of garbage a second
      for (let word = 0; word < UNIT_STRIDE; word++) page[base + word] = source[sourceBase + word]!;
      // copy the chain in order
      let previous = NONE;
      for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = oldEntries[entry * ENTRY_STRIDE + E_NEXT]!) {
        const at = entry * ENTRY_STRIDE;
        const copy = this.newEntry(oldEntries[at + E_CLIENT]!, oldEntries[at + E_TIME]!, oldStatus[entry]!, oldEntries[at + E_BYTES]!, NONE);
        if (previous === NONE) page[base + U_NEXT] = copy;
        else this.entries[previous * ENTRY_STRIDE + E_NEXT] = copy;
        previous = copy;
      }
      const text = oldTexts.get(from);
      if (text !== undefined) this.setText(unit, text);
    }
    if (this.arena !== null) {
      const from = this.arenaStart![drop]!;
      this.arena.copy(this.arena, 0, from, this.arenaUsed);
      this.arenaUsed -= from;
      for (let unit = 0; unit <= keep; unit++) this.arenaStart![unit] = this.arenaStart![unit + drop]! - from;
    }
    this.unitCount = keep;
    this.compactSlots(drop);
    // the pages past the kept units are filled again by the units that come next: kept, not
    // left to the garbage collector (which let tens of MB of dropped pages wait beside new ones)
    for (const page of this.pages.splice((keep + PAGE_UNITS - 1) >>> PAGE_SHIFT)) this.sparePages.push(page);
  }

  /**
   * Visit every rare unit (not popular) with its entries sorted by time (ties by client id, so
   * the order does not depend on the order lines were read). Units are visited in creation
   * order, which is the same for one reader and for parts merged in input order (merge appends
   * a part's new units in the order that part created them), and walks the unit pages front to
   * back instead of jumping through the slot table. `skipSingles` leaves out units of the whole
   * log with one client (most units; they hold no pair), or, given a function, hands them to
   * it instead (SingleUnitVisitor). The entries array and its objects are reused for the next
   * unit: a visitor copies what it keeps (analyze's makePair does).
   */
  forEachRareUnit(visit: RareUnitVisitor, skipSingles: boolean | SingleUnitVisitor = false, only?: (client: number) => boolean): void {
    const entries: UnitEntry[] = [];
    const single = typeof skipSingles === 'function' ? skipSingles : null;
    for (let unit = 0; unit < this.unitCount; unit++) {
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      const state = page[base + U_STATE]!;
      const count = state & 255;
      if (count === POPULAR) continue;
      if (count === 1 && page[base + U_BUCKET] === GLOBAL_BUCKET && skipSingles !== false) {
        single?.(page[base + U_CLIENT]!, page[base + U_TIME]! >>> 0, (state >>> 8) & STATUS_MASK, page[base + U_BYTES]! >>> 0);
        continue;
      }
      this.visitUnit(page[base + U_HIGH]!, unit, entries, visit, only);
    }
  }

  /**
   * One rare unit to `visit`: a day unit with the previous day's unit of its URL first (its
   * entries are the context), each part sorted, in the one reused array (no array made per
   * unit). `only`: a unit none of whose own clients it accepts (the previous day's are only
   * origins) is not visited, nor anything else read. A unit of one entry is visited without
   * its text (null).
   */
  private visitUnit(high: number, unit: number, entries: UnitEntry[], visit: RareUnitVisitor, only?: (client: number) => boolean): void {
    const page = this.pages[unit >>> PAGE_SHIFT]!;
    const base = (unit & PAGE_MASK) * UNIT_STRIDE;
    const state = page[base + U_STATE]!;
    if ((state & 255) === POPULAR) return;
    // the cheapest test first: the unit's own clients, read in place
    if (only !== undefined && !this.unitHasClient(page, base, only)) return;
    const bucket = page[base + U_BUCKET]!;
    const low = page[base + U_LOW]!;
    // a day unit speaks only for URLs popular overall; a URL rare overall has its global unit
    if (bucket !== GLOBAL_BUCKET && this.countOf(high, low, GLOBAL_BUCKET) !== POPULAR) return;
    let context = 0;
    let previous = NONE;
    if (bucket !== GLOBAL_BUCKET) {
      previous = this.find(high | 0, low | 0, bucket - 1);
      if (previous !== NONE && (this.pages[previous >>> PAGE_SHIFT]![(previous & PAGE_MASK) * UNIT_STRIDE + U_STATE]! & 255) === POPULAR) previous = NONE;
      if (previous !== NONE) {
        context = this.fillUnit(previous, entries, 0);
        if (context > 1) sortEntries(entries, 0, context);
      }
    }
    const length = this.fillUnit(unit, entries, context);
    entries.length = length;
    if (length - context > 1) sortEntries(entries, context, length);
    // one entry makes no pair: its URL is never read (most day units of a busy site)
    let text: string | null = null;
    if (length > 1) {
      text = this.textOf(unit);
      if (previous !== NONE) text ??= this.textOf(previous) ?? this.textOf(this.find(high | 0, low | 0, GLOBAL_BUCKET));
    }
    visit(bucket, text, entries, context, urlKeyOf(high, low));
  }

  /**
   * Person-days per URL key: the sum over a URL's day units of its clients that day
   * (its bound + 1 once popular): how many person-days a page draws, for the chance that
   * someone else fetched it shortly before. Built in one pass over the units into a typed table
   * (a Map of every day unit, with a callback per unit, was a tenth of analysis).
   */
  personDays(): KeyCounts {
    let dayUnits = 0;
    for (let unit = 0; unit < this.unitCount; unit++) if (this.pages[unit >>> PAGE_SHIFT]![(unit & PAGE_MASK) * UNIT_STRIDE + U_BUCKET] !== GLOBAL_BUCKET) dayUnits++;
    const counts = new KeyCounts(dayUnits);
    for (let unit = 0; unit < this.unitCount; unit++) {
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      if (page[base + U_BUCKET] === GLOBAL_BUCKET) continue;
      const state = page[base + U_STATE]!;
      const count = state & 255;
      counts.add(urlKeyOf(page[base + U_HIGH]!, page[base + U_LOW]!), count !== POPULAR ? count : ((state & WIDE) !== 0 ? this.maxClientsPerEntryDay : this.maxClientsPerDay) + 1);
    }
    return counts;
  }

  /** Whether `only` accepts one of the unit's own clients (its inline entry or its chain). */
  private unitHasClient(page: Int32Array, base: number, only: (client: number) => boolean): boolean {
    if (only(page[base + U_CLIENT]!)) return true;
    for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!) if (only(this.entries[entry * ENTRY_STRIDE + E_CLIENT]!)) return true;
    return false;
  }

  /** Appends a unit's entries to `entries` from `length`; returns the new length. */
  private fillUnit(unit: number, entries: UnitEntry[], length: number): number {
    const page = this.pages[unit >>> PAGE_SHIFT]!;
    const base = (unit & PAGE_MASK) * UNIT_STRIDE;
    const state = page[base + U_STATE]!;
    length = this.fillEntry(entries, length, page[base + U_CLIENT]!, page[base + U_TIME]! >>> 0, (state >>> 8) & STATUS_MASK, page[base + U_BYTES]! >>> 0);
    for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = this.entries[entry * ENTRY_STRIDE + E_NEXT]!) {
      const at = entry * ENTRY_STRIDE;
      length = this.fillEntry(entries, length, this.entries[at + E_CLIENT]!, this.entries[at + E_TIME]! >>> 0, this.entryStatus[entry]!, this.entries[at + E_BYTES]! >>> 0);
    }
    return length;
  }

  private fillEntry(entries: UnitEntry[], length: number, client: number, time: number, status: number, bytes: number): number {
    let entry = this.entryPool[length];
    if (entry === undefined) this.entryPool.push((entry = { client, time, status, bytes }));
    entry.client = client;
    entry.time = time;
    entry.status = status;
    entry.bytes = bytes;
    entries[length] = entry;
    return length + 1;
  }

  private textOf(unit: number): string | null {
    const page = this.pages[unit >>> PAGE_SHIFT]!;
    const base = (unit & PAGE_MASK) * UNIT_STRIDE;
    // texts exist only for units that have had two clients (popular ones included)
    if ((page[base + U_STATE]! & 255) < 2) return null;
    const text = this.texts.get(unit);
    if (text !== undefined) return text;
    if (this.arena !== null && (page[base + U_STATE]! & 255) >= 2) return this.arena.toString('utf8', this.arenaStart![unit]!, this.arenaStart![unit + 1]!);
    return null;
  }

  /**
   * Bytes held as the budget counts them: unit pages and slots as allocated; entries and URL
   * bytes as used, half as large again (their arrays grow by copying, and evictOldest leaves
   * them allocated for the units that come next), so that dropping units lowers the count.
   */
  private heldBytes(): number {
    let bytes = this.pages.length * PAGE_UNITS * UNIT_STRIDE * 4 + this.capacity * SLOT_BYTES + this.entryUsed * (ENTRY_STRIDE * 4 + 2) * 1.5 + this.textBytes;
    if (this.arena !== null) bytes += this.arenaUsed * 1.5 + this.arenaStart!.byteLength;
    return bytes;
  }

  /** Approximate bytes held, for the memory budget and the report. */
  memoryBytes(): number {
    return (
      this.capacity * SLOT_BYTES +
      this.pages.length * PAGE_UNITS * UNIT_STRIDE * 4 +
      this.entries.byteLength +
      this.entryStatus.byteLength +
      this.textBytes +
      (this.arena === null ? 0 : this.arena.length + this.arenaStart!.byteLength)
    );
  }

  /**
   * The state to send to another thread: the index's own arrays (no copy; their buffers can be
   * transferred) plus each unit's high word. The index must not be used afterwards.
   */
  exportState(): FirstSeenIndexState {
    return {
      maxClients: this.maxClients,
      maxClientsPerDay: this.maxClientsPerDay,
      maxClientsPerEntryDay: this.maxClientsPerEntryDay,
      unitCount: this.unitCount,
      pages: this.pages,
      entries: this.entries.subarray(0, this.entryUsed * ENTRY_STRIDE),
      entryStatus: this.entryStatus.subarray(0, this.entryUsed),
      texts: this.texts,
      arena: this.arena === null ? null : new Uint8Array(this.arena.buffer, this.arena.byteOffset, this.arenaUsed),
      arenaStart: this.arenaStart === null ? null : this.arenaStart.subarray(0, this.unitCount + 1),
      dropped: this.dropped,
      droppedThrough: this.droppedThrough,
    };
  }

  /** The typed arrays of a state, whose buffers can be transferred rather than copied. */
  static transferables(state: FirstSeenIndexState): ArrayBufferView[] {
    const arrays: ArrayBufferView[] = [...state.pages, state.entries, state.entryStatus];
    if (state.arena !== null) arrays.push(state.arena);
    if (state.arenaStart !== null) arrays.push(state.arenaStart);
    return arrays;
  }

  /**
   * Adds another index's units (exported by `exportState`), its client ids translated by
   * `clientMap`. Merging the indexes of consecutive parts of the input in input order gives
   * the index one reader of the whole input builds: per client the earliest request is kept
   * (ties to the part read first, as one reader keeps the first it read), and a unit is
   * popular iff the union of its clients exceeds its bound.
   */
  merge(state: FirstSeenIndexState, clientMap: Int32Array): void {
    // which popular units a day unit may need the text of is not known here: keep them all
    this.keepPopularText = true;
    if (this.unitCount === 0 && this.arena === null && state.unitCount <= this.maxUnits) {
      this.adopt(state, clientMap);
      return;
    }
    const arena = state.arena === null ? null : Buffer.from(state.arena.buffer, state.arena.byteOffset, state.arena.byteLength);
    const entries = state.entries;
    for (let unit = 0; unit < state.unitCount; unit++) {
      // a page of the part read to its end is let go: this index grows as the part shrinks,
      // into the part's own pages (the next units written here take them, not new pages while
      // the read ones wait for the collector)
      if ((unit & PAGE_MASK) === 0 && unit > 0) {
        const read = state.pages[(unit >>> PAGE_SHIFT) - 1]!;
        state.pages[(unit >>> PAGE_SHIFT) - 1] = RELEASED_PAGE;
        if (this.sparePages.length < 2 && read.length === PAGE_UNITS * UNIT_STRIDE) this.sparePages.push(read);
      }
      const page = state.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      const high = page[base + U_HIGH]!;
      const low = page[base + U_LOW]!;
      const bucket = page[base + U_BUCKET]!;
      const stateWord = page[base + U_STATE]!;
      const wide = (stateWord & WIDE) !== 0;
      const bound = bucket === GLOBAL_BUCKET ? this.maxClients : wide ? this.maxClientsPerEntryDay : this.maxClientsPerDay;
      if ((stateWord & 255) === POPULAR) {
        let slot = this.findSlot(high, low, bucket);
        if (slot === NONE) {
          this.observeUnit(high, low, bucket, 0, 0, 0, 0, bound, undefined, 0, 0, wide);
          slot = this.findSlot(high, low, bucket);
        }
        const ref = this.slots[slot * SLOT_STRIDE + S_REF]!;
        const target = (ref < 0 ? -ref : ref) - 1;
        if (ref > 0) this.markPopular(target, slot);
        // one reader named it at its second client and kept the name only when the URL has day
        // units (a day unit's fallback name); a popular day unit is never visited
        if (bucket !== GLOBAL_BUCKET || this.texts.has(target)) continue;
        if (state.texts.has(unit) || (arena !== null && tracksDays(arena, state.arenaStart![unit]!, state.arenaStart![unit + 1]!))) this.setText(target, textInPart(state, arena, unit));
        continue;
      }
      // replay the other part's entries, in their order: each is that client's earliest there
      let needsText = this.observeUnit(high, low, bucket, clientMap[page[base + U_CLIENT]!]!, page[base + U_TIME]! >>> 0, (stateWord >>> 8) & STATUS_MASK, page[base + U_BYTES]! >>> 0, bound, undefined, 0, 0, wide);
      if (needsText !== NONE) this.setText(needsText, textInPart(state, arena, unit));
      for (let entry = page[base + U_NEXT]!; entry !== NONE; entry = entries[entry * ENTRY_STRIDE + E_NEXT]!) {
        const at = entry * ENTRY_STRIDE;
        needsText = this.observeUnit(high, low, bucket, clientMap[entries[at + E_CLIENT]!]!, entries[at + E_TIME]! >>> 0, state.entryStatus[entry]!, entries[at + E_BYTES]! >>> 0, bound, undefined, 0, 0, wide);
        if (needsText !== NONE) this.setText(needsText, textInPart(state, arena, unit));
      }
    }
    this.dropped += state.dropped;
    this.droppedThrough = Math.max(this.droppedThrough, state.droppedThrough);
  }

  /**
   * Takes over the arrays of the first part whole (this index is empty): client ids translated
   * in place, URL strings made only for units with two clients or more, and the slot table
   * built at the capacity the same unit count gives any index (the same growth steps).
   */
  private adopt(state: FirstSeenIndexState, clientMap: Int32Array): void {
    const entries = state.entries;
    const count = state.unitCount;
    const arena = state.arena === null ? null : Buffer.from(state.arena.buffer, state.arena.byteOffset, state.arena.byteLength);
    this.pages = state.pages;
    this.unitCount = count;
    for (let unit = 0; unit < count; unit++) {
      const page = this.pages[unit >>> PAGE_SHIFT]!;
      const base = (unit & PAGE_MASK) * UNIT_STRIDE;
      const unitState = page[base + U_STATE]!;
      // a popular unit keeps its name too: one of its day units may need it (visitUnit)
      if ((unitState & 255) !== POPULAR) page[base + U_CLIENT] = clientMap[page[base + U_CLIENT]!]!;
      if (state.texts.has(unit) || (arena !== null && (unitState & 255) >= 2)) this.setText(unit, textInPart(state, arena, unit));
    }
    // entries on the part's free list belong to no unit: their client ids are left as they are
    for (let at = 0; at < entries.length; at += ENTRY_STRIDE) entries[at + E_CLIENT] = clientMap[entries[at + E_CLIENT]!] ?? entries[at + E_CLIENT]!;
    if (entries.length >= ENTRY_STRIDE) {
      this.entries = entries;
      this.entryStatus = state.entryStatus;
      this.entryUsed = entries.length / ENTRY_STRIDE;
    }
    this.freeEntry = NONE;
    this.hot.fill(0);
    this.buildSlots();
    this.dropped = state.dropped;
    this.droppedThrough = state.droppedThrough;
  }
}

/**
 * Counts by small non-negative integer key (urlKeyOf's 30 bits): open addressing with linear
 * probing in two Int32Arrays, at most half full. Keys are stored + 1 (0 is empty).
 */
export class KeyCounts {
  private readonly keys: Int32Array;
  private readonly counts: Int32Array;
  private readonly mask: number;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Int32Array(capacity);
    this.counts = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  add(key: number, count: number): void {
    let slot = Math.imul(key, 0x9e3779b1) & this.mask;
    for (;;) {
      const held = this.keys[slot]!;
      if (held === 0) {
        this.keys[slot] = key + 1;
        this.counts[slot] = count;
        return;
      }
      if (held === key + 1) {
        this.counts[slot]! += count;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The count of `key`, or -1 when it has none. */
  get(key: number): number {
    let slot = Math.imul(key, 0x9e3779b1) & this.mask;
    for (;;) {
      const held = this.keys[slot]!;
      if (held === 0) return -1;
      if (held === key + 1) return this.counts[slot]!;
      slot = (slot + 1) & this.mask;
    }
  }
}
