import { Field, type ScanRecord } from '../formats/record.js';
import type { AgentClass } from '../attribute/types.js';
import { parseIPv6 } from '../common/ip-text.js';
import { viewOf } from '../common/data-view.js';
import { ByteInterner, growTyped, hashBytes, hashHigh, hashLow } from './hash.js';
import { FirstSeenIndex, type FirstSeenIndexState } from './first-seen-index.js';
import { classifiedPathEnd, classifyPath, isEntryPage, isProbePath, PathKind, tracksDaysOf } from './paths.js';
import type { ClientSummary } from './types.js';

export interface DetectorOptions {
  /** Declared-bot classification, called once per distinct user agent. */
  classifyAgent?: (userAgent: string) => AgentClass | null;
  /** A URL seen by more distinct clients than this is popular: its detail is dropped. */
  maxClientsPerUrl?: number;
  /** The same within one day, for URLs popular overall. */
  maxClientsPerDay?: number;
  /** The same for the day units of `/` and the landing pages (first-seen-index.ts WIDE). */
  maxClientsPerEntryDay?: number;
  /** Bytes the first-seen index may hold before its oldest units are dropped (default DEFAULT_MEMORY_BUDGET). */
  memoryBudget?: number;
  /** Keep every rare URL's bytes (a worker's detector, merged later). */
  keepTexts?: boolean;
  /** Distinct user agents told apart (default: from the memory budget, agentsForBudget). */
  maxAgents?: number;
  /** Distinct client addresses kept (default: from the memory budget, addressesForBudget). */
  maxAddresses?: number;
  /**
   * A part of a parallel scan (scan/parallel.ts): its index takes 2/3 of its budget
   * (partIndexBudgetOf), not 17/32, while its other tables leave room (partTablesBudgetOf).
   * Parts each hold the URLs popular in them and keep URL bytes for the merge, and their clients
   * need no analysis arrays (2/9 of the budget at most, with agents a tenth): the 10 M-line bench
   * log's second half needs 841 k units, 84 MB of its 128 MB.
   */
  part?: boolean;
}

/**
 * Distinct user agents a detector tells apart within a memory budget: one per 4 KiB of budget
 * (65,536 at the default 256 MiB), at least 1,024. Each costs its text twice (string and
 * bytes), its classification (the slowest call of a new agent) and a few table slots, ~400
 * bytes; a hostile log with a new agent on every line spent 320 MB and half the scan's time
 * on 1 M of them. Past the limit a new agent is "another user agent" (OVERFLOW_AGENT): not
 * classified, and not told apart from other new ones; the report says how many requests.
 */
export function agentsForBudget(memoryBudget: number): number {
  return Math.max(1024, Math.floor(memoryBudget / 4096));
}

/**
 * Distinct client addresses a detector keeps within a memory budget: one per 768 bytes of
 * budget (349,525 at the default 256 MiB, beyond the 10 M-line bench log's 250 k), at least
 * 65,536. A kept address and its client cost at most ~256 bytes all told: the client's row
 * (80), its address links (8), the interner's slots (12 per slot at a load between 1/4 and 1/2:
 * up to 48 while the table grows), the address string and its places in two arrays (~48), and
 * analysis's per-client arrays (~80; detect/evidence.ts, analyze.ts). So the client tables
 * take a third of the budget at most (BUDGET_SHARES), whatever the log holds (a hostile log
 * with a new address on every line spent 2.8 GB on 5 M of them). Past the limit a new address
 * is "another client" (OVERFLOW_CLIENT): its requests are counted, not told apart, and
 * analysis leaves them out (detect/traits.ts declaredKinds); the report says how many.
 */
export function addressesForBudget(memoryBudget: number): number {
  return Math.max(65_536, Math.floor(memoryBudget / 768));
}

/**
 * Bytes of probe-path examples a detector keeps within a memory budget: 1/32 of it (8 MiB at
 * the default 256 MiB, ~100 k paths of 40 characters: the 2015-2016 real log's 1,163 paths of
 * 128 probing clients take ~120 KB), at least 64 KiB, taken from the index's share. A path costs its text and
 * its set slot (PROBE_PATH_COST more bytes), a probing client its set (PROBE_CLIENT_COST).
 * Each client keeps at most PROBE_PATHS_PER_CLIENT; a hostile log of a new address with new
 * probe paths on every line would otherwise keep 64 paths for every one of 349 k clients
 * (several GB). Past the limit a path is counted as a probe hit, not kept; the report says how
 * many.
 */
export function probeBytesForBudget(memoryBudget: number): number {
  return Math.max(65_536, Math.floor(memoryBudget / 32));
}
/**
 * Origin clients analysis holds as explain's victims (detect/evidence.ts), over all clients: one
 * per KiB of budget (262,144 at the default 256 MiB, ~20 bytes each in a Set: 2% of the
 * budget), at least 65,536. They are only shown (scoring counts a group's victims from its
 * pairs); without a bound they grow with the replays the index keeps, not with the budget.
 */
export function victimsForBudget(memoryBudget: number): number {
  return Math.max(65_536, Math.floor(memoryBudget / 1024));
}
const PROBE_PATH_COST = 48;
const PROBE_CLIENT_COST = 160;
const PROBE_PATHS_PER_CLIENT = 64;
/** Longer probe paths are kept cut to this many characters. */
const PROBE_PATH_CHARS = 200;

/** The first-seen index's share of a parallel scan's part (DetectorOptions.part): 2/3 at most (partTablesBudgetOf). */
export function partIndexBudgetOf(memoryBudget: number): number {
  return Math.floor((memoryBudget * 2) / 3);
}

/**
 * What a part's index, client tables, agents and probe paths hold together at most: its budget
 * less what its thread holds beside them (an eighth, at least PART_THREAD_BYTES). The index
 * takes its 2/3 while the others leave room (the 10 M-line bench log's second half at the
 * default budget: index 81.0 MB where this leaves it 82.9, beside 165 k addresses of 175 k) and
 * less as they fill, as a log of a new address and agent on every line fills them; never less
 * than half its 2/3 (an index dropping its oldest quarter every few new URLs would spend the scan
 * compacting its slots). Each part's 2/3 + 2/9 + 1/10 + 1/32 was its whole budget, held by every
 * thread beside a heap and allocator slack of its own: two threads at 64MB peaked ~20 MB over
 * the budget plus the two-thread baseline (docs/PERFORMANCE.md).
 */
export function partTablesBudgetOf(memoryBudget: number): number {
  return Math.max(0, memoryBudget - Math.max(Math.floor(memoryBudget / 8), PART_THREAD_BYTES));
}
/**
 * What a thread holds beside its part's tables, at least: under a hostile log its heap of address
 * and agent strings grows ~4-6 MB past the baseline's, and its malloc heap keeps a few MB freed.
 */
const PART_THREAD_BYTES = 8 << 20;
/** A part's address as partTablesBudgetOf counts it: addressesForBudget's ~256 bytes but analysis's ~80. */
const PART_ADDRESS_BYTES = 176;
/** An agent as partTablesBudgetOf counts it (agentsForBudget). */
const AGENT_BYTES = 400;

/**
 * The first-seen index's share of a memory budget: 17/32. With the client tables' third
 * (addressesForBudget), the user agents' tenth at most (agentsForBudget: ~400 bytes per 4 KiB)
 * and the probe paths' 32nd (probeBytesForBudget) that is the whole budget: one number bounds
 * what a scan holds beyond Node's own baseline (docs/PERFORMANCE.md measures both). The 10 M-line
 * bench log's index (117 MB) fits the default's 136 MiB share.
 */
export function indexBudgetOf(memoryBudget: number): number {
  return Math.floor((memoryBudget * 17) / 32);
}

/** The key of the client that stands for every new address past the limit (addressesForBudget). */
export const OVERFLOW_CLIENT = '(another client, past the limit of distinct addresses)';

/** What an agent past the limit is counted as (agentsForBudget). */
const OVERFLOW_AGENT = Buffer.from('(another user agent, past the limit of distinct agents)');

/**
 * Default memory budget of the first-seen index: 256 MiB holds about 4.3 M URL units. The
 * 10 M-line bench log (bench/, 14 days of a busy site) makes 1.64 M units, 117 MB; the hostile
 * bench log (10 M lines, each a new URL) passes the budget and keeps the newest ~3.2-4.3 M.
 */
export const DEFAULT_MEMORY_BUDGET = 256 << 20;

/**
 * What the detector keeps per client, as columns of one row: the rows sit one after the
 * other in a single Uint32Array (CLIENT_STRIDE words per client), so one request touches one
 * or two cache lines of its client instead of one line in each of nineteen arrays (which made
 * the counters the largest item of the profile once there were 100,000 clients). The columns
 * read on every request come first. Agents are stored as id + 1 (0: none).
 */
export const Counter = {
  Requests: 0,
  /** epoch seconds of the client's first and last request */
  FirstTime: 1,
  LastTime: 2,
  /** agent id + 1 of the first request; read with firstAgentOf */
  FirstAgent: 3,
  /** requests whose agent differs from the first (only whether it is zero is exact after a merge) */
  AgentChanges: 4,
  WithReferrer: 5,
  Pages: 6,
  Assets: 7,
  Scripts: 8,
  Posts: 9,
  Http10: 10,
  Denied: 11,
  NotFound: 12,
  ClientErrors: 13,
  /** requests by any declared bot agent (crawler, previewer, feed reader, monitor, scanner, tool) */
  BotRequests: 14,
  /** agent id + 1 of the first declared-bot agent; read with botAgentOf */
  BotAgent: 15,
  CrawlerRequests: 16,
  PreviewRequests: 17,
  ProbeHits: 18,
  /**
   * agent id + 1 of the client's last request: read with lastAgentOf (kin in grouping.ts); a
   * merge keeps the latest part's. Also the cache agentOf tries first.
   */
  LastAgent: 19,
} as const;
export type CounterId = (typeof Counter)[keyof typeof Counter];
const CLIENT_STRIDE = 20;
/** Columns that merge by adding. */
const SUMMED: readonly CounterId[] = [
  Counter.Requests, Counter.WithReferrer, Counter.Pages, Counter.Assets, Counter.Scripts, Counter.Posts, Counter.Http10, Counter.Denied,
  Counter.NotFound, Counter.ClientErrors, Counter.BotRequests, Counter.CrawlerRequests, Counter.PreviewRequests, Counter.ProbeHits,
];

/**
 * Strings as UTF-8 bytes in one buffer: text i is bytes[starts[i], starts[i + 1]). Sent between
 * threads by transfer (no copy), where an array of strings is cloned string by string.
 */
export interface PackedTexts {
  bytes: Uint8Array;
  starts: Int32Array;
}

/**
 * A detector's state as sent between threads (see exportState / merge), and kept by a follow
 * (scan/follow.ts snapshot). Every array is typed, so a worker's part is transferred whole and
 * its strings are made on the receiving side only for what is kept there.
 */
export interface DetectorState {
  /**
   * the part's texts, in four runs: its addresses (address ids), its agents (agent ids), its
   * client keys ('' where the key is the client's first address: an IPv4 client's is not sent
   * twice) and the probe paths of the clients in `probeClients`
   */
  texts: PackedTexts;
  addressCount: number;
  agentCount: number;
  agentClasses: (AgentClass | null)[];
  /** client -> its first address id + 1 (0: none) */
  clientFirstAddress: Int32Array;
  /** the clients with more than one address, by client id: client, n, then its n later address ids */
  clientMoreAddresses: Int32Array;
  /** CLIENT_STRIDE words per client */
  clientData: Uint32Array;
  /** the clients with probe paths, by client id: client, n (its n paths are the next n probe texts) */
  probeClients: Int32Array;
  records: number;
  agentsOverflowed: number;
  clientsOverflowed: number;
  /** probe paths not kept (Detector.probePathsDropped); absent in a state written before it was counted */
  probePathsDropped?: number;
  unindexed: number;
  /** clock histogram (Detector.clock) */
  clock: Uint32Array;
  minTime: number;
  maxTime: number;
  index: FirstSeenIndexState;
}

/** `groups` of strings as one PackedTexts (UTF-8). */
function packTexts(groups: readonly (readonly string[])[]): PackedTexts {
  let count = 0;
  let total = 0;
  for (const group of groups) {
    count += group.length;
    for (const text of group) total += Buffer.byteLength(text, 'utf8');
  }
  const bytes = Buffer.from(new ArrayBuffer(total));
  const starts = new Int32Array(count + 1);
  let at = 0;
  let index = 0;
  for (const group of groups) {
    for (const text of group) {
      starts[index++] = at;
      at += bytes.write(text, at, 'utf8');
    }
  }
  starts[index] = at;
  return { bytes: new Uint8Array(bytes.buffer, 0, total), starts };
}

/** DetectorState.clientMoreAddresses from client -> its later address ids. */
function flattenMoreAddresses(moreAddresses: ReadonlyMap<number, readonly number[]>): Int32Array {
  const more: number[] = [];
  for (const client of [...moreAddresses.keys()].sort((a, b) => a - b)) {
    const addresses = moreAddresses.get(client)!;
    more.push(client, addresses.length);
    // one at a time: an IPv6 /64 may have more addresses than a call takes arguments
    for (const address of addresses) more.push(address);
  }
  return Int32Array.from(more);
}

/** DetectorState.probeClients and the probe texts from client -> its probe paths. */
function flattenProbes(probeExamples: ReadonlyMap<number, ReadonlySet<string>>): { probeClients: Int32Array; probePaths: string[] } {
  const probeClients: number[] = [];
  const probePaths: string[] = [];
  for (const client of [...probeExamples.keys()].sort((a, b) => a - b)) {
    const paths = probeExamples.get(client)!;
    probeClients.push(client, paths.size);
    for (const path of paths) probePaths.push(path);
  }
  return { probeClients: Int32Array.from(probeClients), probePaths };
}

/**
 * A detector's state as version 1 of a follow state (`follow --state`) kept it: strings in
 * arrays, the later addresses and the probe paths in maps.
 */
export interface DetectorStateV1 extends Omit<DetectorState, 'texts' | 'addressCount' | 'agentCount' | 'clientMoreAddresses' | 'probeClients'> {
  addressTexts: string[];
  agentTexts: string[];
  clientKeys: string[];
  clientMoreAddresses: Map<number, number[]>;
  probeExamples: Map<number, Set<string>>;
}

/** A version 1 state as today's: the same content, the strings packed (a follow resumes from it). */
export function detectorStateFromV1(old: DetectorStateV1): DetectorState {
  const { addressTexts, agentTexts, clientKeys, clientMoreAddresses, probeExamples, ...same } = old;
  const { probeClients, probePaths } = flattenProbes(probeExamples);
  return {
    ...same,
    texts: packTexts([addressTexts, agentTexts, clientKeys, probePaths]),
    addressCount: addressTexts.length,
    agentCount: agentTexts.length,
    clientMoreAddresses: flattenMoreAddresses(clientMoreAddresses),
    probeClients,
  };
}

const AGENT_NONE = 0;
const AGENT_CRAWLER = 1;
const AGENT_PREVIEW = 2;
const AGENT_OTHER_BOT = 3;

/** Longest address the last-address cache holds (IPv6 text with a zone fits). */
const ADDRESS_CACHE_BYTES = 64;

/**
 * Reads records one at a time and keeps only what detection needs: per-client columns in one
 * typed array and the first-seen index of URLs. Nothing here grows with the number of lines;
 * it grows with distinct clients, user agents and (bounded) rare URLs.
 *
 * Two caches keep the per-line cost down, both exact (bytes compared, never guessed): the last
 * line's address and its client (a page and its assets come in a run), and per client the
 * agent of its last request (a client rarely changes user agent), compared with the bytes of
 * that agent kept in `agentBytes`.
 */
export class Detector {
  index: FirstSeenIndex;
  private readonly keepTexts: boolean;
  private readonly addresses = new ByteInterner(4096);
  private readonly agents = new ByteInterner(1024);
  private readonly classifyAgent: (userAgent: string) => AgentClass | null;

  /** address id -> client id + 1 */
  private addressClient = new Int32Array(4096);
  private readonly clientIds = new Map<string, number>();
  readonly clientKeys: string[] = [];
  /**
   * client id -> its first address id + 1; later addresses (an IPv6 /64 holds many) in
   * `moreAddresses`. Most clients have one address: an array each cost ~60 bytes a client.
   */
  private firstAddress = new Int32Array(1024);
  private readonly moreAddresses = new Map<number, number[]>();

  /** agent id -> AGENT_* */
  private agentKind = new Uint8Array(1024);
  readonly agentClasses: (AgentClass | null)[] = [];
  /** every agent's bytes, agent id -> [agentStart[id], agentStart[id + 1]) */
  private agentBytes = Buffer.allocUnsafe(64 << 10);
  private agentView: DataView = new DataView(this.agentBytes.buffer, this.agentBytes.byteOffset, this.agentBytes.byteLength);
  private agentStart = new Int32Array(1025);

  /** CLIENT_STRIDE columns per client (Counter) */
  private clientData = new Uint32Array(1024 * CLIENT_STRIDE);
  /** first few probe paths per client */
  readonly probeExamples = new Map<number, Set<string>>();
  /** bytes the probe paths in probeExamples cost (probeBytesForBudget) */
  private probeBytes = 0;
  private maxProbeBytes: number;
  /** probe paths not kept: past the limit of probeBytesForBudget */
  probePathsDropped = 0;

  private readonly lastAddress = Buffer.alloc(ADDRESS_CACHE_BYTES);
  private lastAddressLength = -1;
  private lastClient = -1;

  records = 0;
  /** bytes the detector may hold (the index's share and the limits of agents and addresses come from it) */
  memoryBudget: number;
  /** requests whose user agent was new past the limit of distinct agents (agentsForBudget) */
  agentsOverflowed = 0;
  private maxAgents: number;
  private readonly fixedMaxAgents: number | undefined;
  /** requests from a new address past the limit of distinct addresses (addressesForBudget) */
  clientsOverflowed = 0;
  /** the client standing for addresses past the limit, -1 until one came */
  overflowClient = -1;
  /** the agent standing for new agents past the limit, -1 until one came (overflowAgent) */
  private overflowAgentId = -1;
  /** a part's partTablesBudgetOf, 0 for a detector that is not a part (its index keeps its share) */
  private partTables = 0;
  private maxAddresses: number;
  /**
   * The limit the client tables are reserved at (reservedFor): maxAddresses, or the limit of the
   * budget a parallel scan's first part is raised to (setMemoryBudget's `raisedTo`), so its
   * tables are not grown (and copied) when the other parts are merged into it.
   */
  private reserveAddresses: number;
  private readonly fixedMaxAddresses: number | undefined;
  /** records without a usable time or address (counted, not indexed) */
  unindexed = 0;
  /**
   * Indexed records by second of the minute (0-59) and by minute of the hour (60-119): how
   * fine the log's clock really is (unit-walk.ts timeResolution). A log written to the minute
   * has every second at 0; a log whose times were bucketed has a few minutes only.
   */
  clock = new Uint32Array(120);
  /** the last record's second and its two bins in `clock` */
  private clockSecond = -1;
  private secondBin = 0;
  private minuteBin = 60;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;

  constructor(options: DetectorOptions = {}) {
    this.keepTexts = options.keepTexts ?? false;
    this.memoryBudget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    this.maxProbeBytes = probeBytesForBudget(this.memoryBudget);
    this.index = new FirstSeenIndex({
      maxClients: options.maxClientsPerUrl,
      maxClientsPerDay: options.maxClientsPerDay,
      maxClientsPerEntryDay: options.maxClientsPerEntryDay,
      memoryBudget: options.part === true ? partIndexBudgetOf(this.memoryBudget) : indexBudgetOf(this.memoryBudget),
      keepTexts: this.keepTexts,
    });
    this.classifyAgent = options.classifyAgent ?? (() => null);
    this.fixedMaxAgents = options.maxAgents;
    this.maxAgents = options.maxAgents ?? agentsForBudget(options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    this.fixedMaxAddresses = options.maxAddresses;
    this.maxAddresses = options.maxAddresses ?? addressesForBudget(options.memoryBudget ?? DEFAULT_MEMORY_BUDGET);
    this.reserveAddresses = this.maxAddresses;
    if (options.part === true) this.partTables = partTablesBudgetOf(this.memoryBudget);
  }

  /**
   * A new detector with this one's agent classifier and bounds, for reading a later part of the
   * input on the same thread and merging it here (keeps URL texts, as a worker's does).
   */
  sibling(memoryBudget: number): Detector {
    return new Detector({ classifyAgent: this.classifyAgent, maxClientsPerUrl: this.index.maxClients, maxClientsPerDay: this.index.maxClientsPerDay, maxClientsPerEntryDay: this.index.maxClientsPerEntryDay, memoryBudget, keepTexts: true, maxAgents: this.fixedMaxAgents, maxAddresses: this.fixedMaxAddresses, part: true });
  }

  /**
   * Sets the memory budget (the index's share, the limits of agents and addresses); only before
   * the first record. `part`: as DetectorOptions.part. `raisedTo`: the budget raiseMemoryBudget
   * will give it (the client tables and the index's slot table are reserved for it).
   */
  setMemoryBudget(bytes: number, part = false, raisedTo = bytes): void {
    if (this.records > 0) throw new Error('setMemoryBudget after records were observed');
    this.memoryBudget = bytes;
    this.index = new FirstSeenIndex({
      maxClients: this.index.maxClients,
      maxClientsPerDay: this.index.maxClientsPerDay,
      maxClientsPerEntryDay: this.index.maxClientsPerEntryDay,
      memoryBudget: part ? partIndexBudgetOf(bytes) : indexBudgetOf(bytes),
      keepTexts: this.keepTexts,
      // raiseMemoryBudget gives the index this share: its slot table is reserved for it
      raisedBudget: indexBudgetOf(Math.max(bytes, raisedTo)),
    });
    this.maxAgents = this.fixedMaxAgents ?? agentsForBudget(bytes);
    this.maxAddresses = this.fixedMaxAddresses ?? addressesForBudget(bytes);
    this.reserveAddresses = this.fixedMaxAddresses ?? addressesForBudget(Math.max(bytes, raisedTo));
    this.maxProbeBytes = probeBytesForBudget(bytes);
    this.partTables = part ? partTablesBudgetOf(bytes) : 0;
  }

  /**
   * A larger budget from now on: a parallel scan's first part is read with its thread's share
   * of the budget (the other threads read theirs at the same time), then the others are merged
   * into it with the whole.
   */
  raiseMemoryBudget(bytes: number): void {
    if (bytes <= this.memoryBudget) return;
    this.memoryBudget = bytes;
    // no longer a part: the index takes its share of the whole
    this.partTables = 0;
    this.index.raiseBudget(indexBudgetOf(bytes));
    this.maxAgents = this.fixedMaxAgents ?? agentsForBudget(bytes);
    this.maxAddresses = this.fixedMaxAddresses ?? addressesForBudget(bytes);
    this.reserveAddresses = Math.max(this.reserveAddresses, this.maxAddresses);
    this.maxProbeBytes = probeBytesForBudget(bytes);
  }

  get clientCount(): number {
    return this.clientKeys.length;
  }

  /** Distinct agents interned (ids run from 0). */
  get agentCount(): number {
    return this.agents.texts.length;
  }

  /** A client's column (Counter). */
  count(client: number, counter: CounterId): number {
    return this.clientData[client * CLIENT_STRIDE + counter]!;
  }

  /** The agent id of a client's first request, -1 if it had none. */
  firstAgentOf(client: number): number {
    return this.clientData[client * CLIENT_STRIDE + Counter.FirstAgent]! - 1;
  }

  /** The agent id of the client's last request (-1 for none). */
  lastAgentOf(client: number): number {
    return this.clientData[client * CLIENT_STRIDE + Counter.LastAgent]! - 1;
  }

  /** The first declared-bot agent a client used, -1 if none. */
  botAgentOf(client: number): number {
    return this.clientData[client * CLIENT_STRIDE + Counter.BotAgent]! - 1;
  }

  observe(record: ScanRecord): void {
    this.records++;
    const time = record.time;
    // record.has(field), written out: the calls were too many to be inlined into this function
    const present = record.present;
    const starts = record.starts;
    const ends = record.ends;
    if ((present & (1 << Field.Ip)) === 0 || ends[Field.Ip]! <= starts[Field.Ip]! || Number.isNaN(time)) {
      this.unindexed++;
      return;
    }
    const seconds = Math.floor(time / 1000);
    // the bins are worked out when the second changes (a busy log repeats a second many times)
    if (seconds !== this.clockSecond) {
      this.clockSecond = seconds;
      this.secondBin = seconds % 60;
      this.minuteBin = 60 + (Math.floor(seconds / 60) % 60);
    }
    this.clock[this.secondBin]!++;
    this.clock[this.minuteBin]!++;
    if (seconds < this.minTime) this.minTime = seconds;
    if (seconds > this.maxTime) this.maxTime = seconds;

    const client = this.clientOfAddress(record.buffers[Field.Ip]!, starts[Field.Ip]!, ends[Field.Ip]!);
    const data = this.clientData;
    const row = client * CLIENT_STRIDE;
    // agent id + 1, 0 for none
    let agent = 0;
    if ((present & (1 << Field.UserAgent)) !== 0 && ends[Field.UserAgent]! > starts[Field.UserAgent]!) {
      agent = this.agentOf(row, record.buffers[Field.UserAgent]!, starts[Field.UserAgent]!, ends[Field.UserAgent]!);
    }

    const status = record.status;
    if (data[row + Counter.Requests]++ === 0) {
      data[row + Counter.FirstTime] = seconds;
      data[row + Counter.LastTime] = seconds;
      data[row + Counter.FirstAgent] = agent;
    } else {
      if (seconds < data[row + Counter.FirstTime]!) data[row + Counter.FirstTime] = seconds;
      if (seconds > data[row + Counter.LastTime]!) data[row + Counter.LastTime] = seconds;
      if (agent !== data[row + Counter.FirstAgent]) data[row + Counter.AgentChanges]!++;
    }
    if (agent !== 0) {
      const kind = this.agentKind[agent - 1]!;
      if (kind !== AGENT_NONE) {
        data[row + Counter.BotRequests]!++;
        if (kind === AGENT_CRAWLER) data[row + Counter.CrawlerRequests]!++;
        else if (kind === AGENT_PREVIEW) data[row + Counter.PreviewRequests]!++;
        if (data[row + Counter.BotAgent] === 0) data[row + Counter.BotAgent] = agent;
      }
    }
    if ((present & (1 << Field.Referrer)) !== 0 && ends[Field.Referrer]! > starts[Field.Referrer]!) {
      const buffer = record.buffers[Field.Referrer]!;
      const start = starts[Field.Referrer]!;
      // '-' alone means no referrer
      if (!(ends[Field.Referrer] === start + 1 && buffer[start] === 45)) data[row + Counter.WithReferrer]!++;
    }
    if ((present & (1 << Field.Protocol)) !== 0 && ends[Field.Protocol]! > starts[Field.Protocol]!) {
      const buffer = record.buffers[Field.Protocol]!;
      const end = ends[Field.Protocol]!;
      // "HTTP/1.0": ends in '1' '.' '0'
      if (end - starts[Field.Protocol]! === 8 && buffer[end - 1] === 48 && buffer[end - 3] === 49) data[row + Counter.Http10]!++;
    }
    if (status >= 400 && status < 500) {
      data[row + Counter.ClientErrors]!++;
      if (status === 401 || status === 403) data[row + Counter.Denied]!++;
      else if (status === 404) data[row + Counter.NotFound]!++;
    }

    if ((present & (1 << Field.Url)) === 0 || ends[Field.Url]! <= starts[Field.Url]!) return;
    const urlBuffer = record.buffers[Field.Url]!;
    const urlStart = starts[Field.Url]!;
    const urlEnd = ends[Field.Url]!;
    const pathKind = classifyPath(urlBuffer, urlStart, urlEnd);
    const pathEnd = classifiedPathEnd;
    if (pathKind === PathKind.Asset) data[row + Counter.Assets]!++;
    else if (pathKind === PathKind.Script) data[row + Counter.Scripts]!++;
    else data[row + Counter.Pages]!++;

    if (status >= 400 && status < 500 && status !== 401) this.checkProbe(client, record);

    // only reads are fingerprints: a POST body is not in the log, and a replayer does not submit forms
    if (!isReadMethod(record)) {
      data[row + Counter.Posts]!++;
      return;
    }
    hashBytes(urlBuffer, urlStart, urlEnd);
    const trackDay = tracksDaysOf(pathKind, urlBuffer, pathEnd, urlEnd);
    this.index.observe(hashHigh, hashLow, client, seconds, status, record.bytes, trackDay, urlBuffer, urlStart, urlEnd, trackDay && isEntryPage(urlBuffer, urlStart, pathEnd));
  }

  /** The client of an address: the last line's when the bytes are the same, else interned. */
  private clientOfAddress(buffer: Buffer, start: number, end: number): number {
    const length = end - start;
    const last = this.lastAddress;
    if (length === this.lastAddressLength) {
      let same = true;
      for (let index = 0; index < length; index++) {
        if (buffer[start + index] !== last[index]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastClient;
    }
    const address = this.addresses.intern(buffer, start, end, this.maxAddresses);
    let client: number;
    if (address < 0) {
      // past the limit of distinct addresses: counted, not told apart (not cached either: the
      // cache holds kept addresses only)
      this.clientsOverflowed++;
      return this.overflowClientId();
    }
    if (address >= this.addressClient.length) this.addressClient = reservedFor(this.addressClient, address + 1, this.reserveAddresses);
    const mapped = this.addressClient[address]!;
    client = mapped === 0 ? this.newAddress(address) : mapped - 1;
    if (length <= ADDRESS_CACHE_BYTES) {
      // a loop: Buffer.copy's argument checks cost more than copying a few bytes
      for (let index = 0; index < length; index++) last[index] = buffer[start + index]!;
      this.lastAddressLength = length;
      this.lastClient = client;
    }
    return client;
  }

  /** Agent id + 1 of buffer[start, end): the client's last agent when the bytes are the same, else interned. */
  private agentOf(row: number, buffer: Buffer, start: number, end: number): number {
    const data = this.clientData;
    const cached = data[row + Counter.LastAgent]!;
    // a merged agent keeps no bytes (an empty range): an empty agent is interned, never taken from the cache
    if (cached !== 0 && end > start) {
      const from = this.agentStart[cached - 1]!;
      if (this.agentStart[cached]! - from === end - start && sameBytes(buffer, start, end, this.agentBytes, this.agentView, from)) return cached;
    }
    let agent = this.agents.intern(buffer, start, end, this.maxAgents);
    if (agent < 0) {
      this.agentsOverflowed++;
      agent = this.overflowAgent();
    } else if (agent >= this.agentClasses.length) this.classifyNewAgent(agent, buffer, start, end);
    data[row + Counter.LastAgent] = agent + 1;
    return agent + 1;
  }

  /** The client that stands for every new address past the limit (made on first use, with no address). */
  private overflowClientId(): number {
    if (this.overflowClient < 0) this.overflowClient = this.newClient(OVERFLOW_CLIENT, true);
    return this.overflowClient;
  }

  /**
   * The agent id that stands for every new agent past the limit (interned on first use, not
   * classified), kept: past the limit every line asks for it, and hashing its bytes each time
   * swapped the one cached DataView (viewOf) between them and the line's, two views a line: a
   * hostile log's young generation refilled ~25 times a second on each thread.
   */
  private overflowAgent(): number {
    if (this.overflowAgentId >= 0) return this.overflowAgentId;
    const agent = this.agents.intern(OVERFLOW_AGENT, 0, OVERFLOW_AGENT.length);
    if (agent >= this.agentClasses.length) this.classifyNewAgent(agent, OVERFLOW_AGENT, 0, OVERFLOW_AGENT.length, null);
    this.overflowAgentId = agent;
    return agent;
  }

  private newAddress(address: number): number {
    const text = this.addresses.texts[address]!;
    const key = clientKeyOf(text);
    // an address that is its own key (IPv4) and new is a new client, found later through the
    // address table: no map entry (a hostile log of 1 M new addresses spent ~60 MB on them)
    const client = key === text ? this.newClient(key, false) : (this.clientIds.get(key) ?? this.newClient(key, true));
    this.addAddress(client, address);
    this.addressClient[address] = client + 1;
    if ((address & 1023) === 1023 && this.partTables > 0) this.shareWithIndex();
    return client;
  }

  /**
   * A part's index budget: its 2/3 (partIndexBudgetOf) or what partTablesBudgetOf leaves beside
   * its client tables, agents and probe paths as they stand, if less, and at least half its 2/3.
   * Asked every 1,024 new addresses and 256 new agents: a function of the input read so far.
   */
  private shareWithIndex(): void {
    const share = partIndexBudgetOf(this.memoryBudget);
    const others = this.addresses.size * PART_ADDRESS_BYTES + this.agents.size * AGENT_BYTES + this.probeBytes;
    this.index.limitBudget(Math.max(share >>> 1, Math.min(share, this.partTables - others)));
  }

  /** A new client; `mapped`: its key goes in clientIds (keys that are not an address of theirs: IPv6 /64s). */
  private newClient(key: string, mapped: boolean): number {
    const client = this.clientKeys.length;
    if (mapped) this.clientIds.set(key, client);
    this.clientKeys.push(key);
    // past the first 1,024 the client tables are reserved at their limit (reservedFor)
    if (client >= this.firstAddress.length) this.firstAddress = reservedFor(this.firstAddress, client + 1, this.reserveAddresses + 1);
    if ((client + 1) * CLIENT_STRIDE > this.clientData.length) this.clientData = reservedFor(this.clientData, (client + 1) * CLIENT_STRIDE, (this.reserveAddresses + 1) * CLIENT_STRIDE);
    return client;
  }

  /** The client of a key (an IPv4 address or an IPv6 /64), -1 if none: the map, else the address table. */
  private clientOfKey(key: string): number {
    const mapped = this.clientIds.get(key);
    if (mapped !== undefined) return mapped;
    const address = this.addresses.lookup(key);
    return address < 0 || address >= this.addressClient.length ? -1 : this.addressClient[address]! - 1;
  }

  private classifyNewAgent(agent: number, buffer: Buffer, start: number, end: number, known?: AgentClass | null): void {
    const agentClass = known !== undefined ? known : this.classifyAgent(this.agents.texts[agent]!);
    this.agentClasses[agent] = agentClass;
    if (agent >= this.agentKind.length) this.agentKind = growTyped(this.agentKind, agent + 1);
    this.agentKind[agent] = agentKindOf(agentClass);
    // keep the bytes for the per-client comparison
    if (agent + 2 > this.agentStart.length) this.agentStart = growTyped(this.agentStart, agent + 2);
    const from = this.agentStart[agent]!;
    const length = end - start;
    if (from + length > this.agentBytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.agentBytes.length * 2, from + length));
      this.agentBytes.copy(grown, 0, 0, from);
      this.agentBytes = grown;
      this.agentView = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    buffer.copy(this.agentBytes, from, start, end);
    this.agentStart[agent + 1] = from + length;
    if ((agent & 255) === 255 && this.partTables > 0) this.shareWithIndex();
  }

  private checkProbe(client: number, record: ScanRecord): void {
    const path = record.text(Field.Url);
    if (!isProbePath(path)) return;
    this.clientData[client * CLIENT_STRIDE + Counter.ProbeHits]!++;
    this.keepProbePath(client, path);
  }

  /** Keeps one of a client's probe paths, within PROBE_PATHS_PER_CLIENT and probeBytesForBudget. */
  private keepProbePath(client: number, path: string): void {
    let examples = this.probeExamples.get(client);
    if (examples !== undefined && examples.size >= PROBE_PATHS_PER_CLIENT) return;
    const kept = path.length > PROBE_PATH_CHARS ? path.slice(0, PROBE_PATH_CHARS) : path;
    if (examples !== undefined && examples.has(kept)) return;
    const cost = kept.length + PROBE_PATH_COST + (examples === undefined ? PROBE_CLIENT_COST : 0);
    if (this.probeBytes + cost > this.maxProbeBytes) {
      this.probePathsDropped++;
      return;
    }
    if (examples === undefined) this.probeExamples.set(client, (examples = new Set()));
    examples.add(kept);
    this.probeBytes += cost;
  }

  /**
   * The state to send to another thread or to keep: the client rows cut to the client count,
   * and every string as bytes (packTexts). The index's arrays are shared, not copied: the
   * detector must not read records afterwards, and a follow serializes its snapshot at once.
   * `share`: the client tables too, as views of the detector's own (reserved at their limit:
   * transferred, their untouched pages cost nothing; a copy of a hostile part's was 14 MB more
   * at the hand-over); else copies cut to the client count (serialized, a view would write the
   * whole reserved buffer).
   */
  exportState(share = false): DetectorState {
    const count = this.clientCount;
    const first = share ? this.firstAddress.subarray(0, count) : this.firstAddress.slice(0, count);
    const texts = this.addresses.texts;
    const keys = this.clientKeys.map((key, client) => (first[client] !== 0 && texts[first[client]! - 1] === key ? '' : key));
    const { probeClients, probePaths } = flattenProbes(this.probeExamples);
    return {
      texts: packTexts([texts, this.agents.texts, keys, probePaths]),
      addressCount: texts.length,
      agentCount: this.agents.texts.length,
      agentClasses: this.agentClasses,
      clientFirstAddress: first,
      clientMoreAddresses: flattenMoreAddresses(this.moreAddresses),
      clientData: share ? this.clientData.subarray(0, count * CLIENT_STRIDE) : this.clientData.slice(0, count * CLIENT_STRIDE),
      probeClients,
      records: this.records,
      agentsOverflowed: this.agentsOverflowed,
      clientsOverflowed: this.clientsOverflowed,
      probePathsDropped: this.probePathsDropped,
      unindexed: this.unindexed,
      clock: this.clock,
      minTime: this.minTime,
      maxTime: this.maxTime,
      index: this.index.exportState(),
    };
  }

  /** Buffers of a state that can be transferred rather than copied. */
  static transferList(state: DetectorState): ArrayBuffer[] {
    const arrays: ArrayBufferView[] = [state.texts.bytes, state.texts.starts, state.clientData, state.clientFirstAddress, state.clientMoreAddresses, state.probeClients, ...FirstSeenIndex.transferables(state.index)];
    // a buffer may back several views; each is transferred once
    return [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))];
  }

  /**
   * Adds the state of a detector that read the next part of the input. Merging the parts in
   * input order gives what one detector reading the whole input builds: ids of addresses,
   * agents and clients in first-seen order; counters added; a client's first agent, first bot
   * agent and first probe paths from the earliest part; the index merged (first-seen-index.ts).
   * AgentChanges is exact as the only thing read from it, whether it is zero. The part's texts
   * are interned from its bytes: a string is made only for what this detector keeps. The
   * state is emptied as it is merged (its client tables before its index, the index's pages
   * as they are read) and must not be used afterwards.
   */
  merge(state: DetectorState): void {
    const bytes = Buffer.from(state.texts.bytes.buffer, state.texts.bytes.byteOffset, state.texts.bytes.byteLength);
    const starts = state.texts.starts;
    const partText = (index: number): string => bytes.toString('utf8', starts[index]!, starts[index + 1]!);
    // -1: past this detector's limit of distinct addresses (its client becomes the overflow client)
    const addressMap = new Int32Array(state.addressCount);
    for (let local = 0; local < state.addressCount; local++) {
      const address = this.addresses.intern(bytes, starts[local]!, starts[local + 1]!, this.maxAddresses);
      addressMap[local] = address;
      if (address >= this.addressClient.length) this.addressClient = reservedFor(this.addressClient, address + 1, this.reserveAddresses);
    }
    // agent id + 1 here of a part's agent id + 1 (0 stays 0)
    const agentMap = new Uint32Array(state.agentCount + 1);
    for (let local = 0; local < state.agentCount; local++) {
      const text = state.addressCount + local;
      const agent = this.agents.intern(bytes, starts[text]!, starts[text + 1]!, this.maxAgents);
      if (agent < 0) {
        // past this detector's limit: the part's requests with it are counted as overflowed below
        agentMap[local + 1] = this.overflowAgent() + 1;
        continue;
      }
      agentMap[local + 1] = agent + 1;
      if (agent >= this.agentClasses.length) {
        // classified where it was read: the same classifier, so the same class
        const agentClass = state.agentClasses[local] ?? null;
        this.agentClasses[agent] = agentClass;
        if (agent >= this.agentKind.length) this.agentKind = growTyped(this.agentKind, agent + 1);
        this.agentKind[agent] = agentKindOf(agentClass);
        if (agent + 2 > this.agentStart.length) this.agentStart = growTyped(this.agentStart, agent + 2);
        // the per-client cache is not used after a merge: no bytes kept, an empty range
        this.agentStart[agent + 1] = this.agentStart[agent]!;
      }
    }
    const clientCount = state.clientFirstAddress.length;
    const keysFrom = state.addressCount + state.agentCount;
    let probeText = keysFrom + clientCount;
    const clientMap = new Int32Array(clientCount);
    const other = state.clientData;
    const more = state.clientMoreAddresses;
    const probes = state.probeClients;
    // cursors into the runs of clients with more addresses and with probe paths (by client id)
    let moreAt = 0;
    let probeAt = 0;
    for (let local = 0; local < clientCount; local++) {
      const first = state.clientFirstAddress[local]!;
      let moreFrom = 0;
      let moreCount = 0;
      if (moreAt < more.length && more[moreAt] === local) {
        moreCount = first === 0 ? 0 : more[moreAt + 1]!;
        moreFrom = moreAt + 2;
        moreAt += 2 + more[moreAt + 1]!;
      }
      const keyText = keysFrom + local;
      const sent = starts[keyText + 1]! > starts[keyText]!;
      let client: number;
      if (!sent) {
        // the key is the client's first address: its string here if it is kept, no other made
        const firstHere = addressMap[first - 1]!;
        const key = firstHere >= 0 ? this.addresses.texts[firstHere]! : partText(first - 1);
        client = this.clientIds.get(key) ?? (firstHere >= 0 && firstHere < this.addressClient.length ? this.addressClient[firstHere]! - 1 : -1);
        if (client < 0) {
          if (!this.keptAny(addressMap, first, more, moreFrom, moreCount)) {
            client = this.overflowClientId();
            this.clientsOverflowed += other[local * CLIENT_STRIDE + Counter.Requests]!;
          } else client = this.newClient(key, clientKeyOf(key) !== key);
        }
      } else {
        const key = partText(keyText);
        client = key === OVERFLOW_CLIENT ? this.overflowClientId() : this.clientOfKey(key);
        if (client < 0) {
          if (!this.keptAny(addressMap, first, more, moreFrom, moreCount)) {
            client = this.overflowClientId();
            this.clientsOverflowed += other[local * CLIENT_STRIDE + Counter.Requests]!;
          } else {
            // mapped unless the key is one of the client's addresses
            let isAddress = first !== 0 && sameRange(bytes, starts, keyText, first - 1);
            for (let index = 0; !isAddress && index < moreCount; index++) isAddress = sameRange(bytes, starts, keyText, more[moreFrom + index]!);
            client = this.newClient(key, clientKeyOf(key) !== key || !isAddress);
          }
        }
      }
      clientMap[local] = client;
      if (first !== 0) this.joinAddress(client, addressMap[first - 1]!);
      for (let index = 0; index < moreCount; index++) this.joinAddress(client, addressMap[more[moreFrom + index]!]!);
      const data = this.clientData;
      const row = client * CLIENT_STRIDE;
      const from = local * CLIENT_STRIDE;
      const localFirst = agentMap[other[from + Counter.FirstAgent]!]!;
      if (data[row + Counter.Requests] === 0) {
        data[row + Counter.FirstTime] = other[from + Counter.FirstTime]!;
        data[row + Counter.LastTime] = other[from + Counter.LastTime]!;
        data[row + Counter.FirstAgent] = localFirst;
        data[row + Counter.AgentChanges] = other[from + Counter.AgentChanges]!;
      } else {
        if (other[from + Counter.FirstTime]! < data[row + Counter.FirstTime]!) data[row + Counter.FirstTime] = other[from + Counter.FirstTime]!;
        if (other[from + Counter.LastTime]! > data[row + Counter.LastTime]!) data[row + Counter.LastTime] = other[from + Counter.LastTime]!;
        // this part's requests with its own first agent differ from the client's first agent
        if (localFirst !== data[row + Counter.FirstAgent]) data[row + Counter.AgentChanges]! += other[from + Counter.Requests]! - other[from + Counter.AgentChanges]!;
        data[row + Counter.AgentChanges]! += other[from + Counter.AgentChanges]!;
      }
      for (const column of SUMMED) data[row + column]! += other[from + column]!;
      if (data[row + Counter.BotAgent] === 0) data[row + Counter.BotAgent] = agentMap[other[from + Counter.BotAgent]!]!;
      // parts come in input order: the later part's last agent is the client's
      if (other[from + Counter.LastAgent] !== 0) data[row + Counter.LastAgent] = agentMap[other[from + Counter.LastAgent]!]!;
      if (probeAt < probes.length && probes[probeAt] === local) {
        const paths = probes[probeAt + 1]!;
        probeAt += 2;
        for (let index = 0; index < paths; index++, probeText++) this.keepProbePath(client, partText(probeText));
      }
    }
    // the part's client tables and texts are let go before its index is merged
    state.texts = { bytes: new Uint8Array(0), starts: new Int32Array(1) };
    state.addressCount = 0;
    state.agentCount = 0;
    state.agentClasses = [];
    state.clientFirstAddress = new Int32Array(0);
    state.clientMoreAddresses = new Int32Array(0);
    state.clientData = new Uint32Array(0);
    state.probeClients = new Int32Array(0);
    this.records += state.records;
    this.agentsOverflowed += state.agentsOverflowed;
    this.clientsOverflowed += state.clientsOverflowed;
    this.probePathsDropped += state.probePathsDropped ?? 0;
    this.unindexed += state.unindexed;
    for (let index = 0; index < this.clock.length; index++) this.clock[index]! += state.clock[index]!;
    if (state.minTime < this.minTime) this.minTime = state.minTime;
    if (state.maxTime > this.maxTime) this.maxTime = state.maxTime;
    this.index.merge(state.index, clientMap);
  }

  /** Whether any of a part's client's addresses (its first + 1, and more[from, from + count)) is kept here. */
  private keptAny(addressMap: Int32Array, first: number, more: Int32Array, from: number, count: number): boolean {
    if (first !== 0 && addressMap[first - 1]! >= 0) return true;
    for (let index = 0; index < count; index++) if (addressMap[more[from + index]!]! >= 0) return true;
    return false;
  }

  /** A merged client's address (-1: not kept here): its own unless another client had it first. */
  private joinAddress(client: number, address: number): void {
    if (address < 0 || this.addressClient[address] !== 0) return;
    this.addressClient[address] = client + 1;
    this.addAddress(client, address);
  }

  /** Text of an agent id ('' for none). */
  agentText(agent: number): string {
    return agent < 0 ? '' : this.agents.texts[agent]!;
  }

  /** A client's first address ('' for none). */
  firstAddressOf(client: number): string {
    const first = this.firstAddress[client]!;
    return first === 0 ? '' : this.addresses.texts[first - 1]!;
  }

  addressesOf(client: number): string[] {
    return this.addressIdsOf(client).map((address) => this.addresses.texts[address]!);
  }

  private addAddress(client: number, address: number): void {
    if (this.firstAddress[client] === 0) {
      this.firstAddress[client] = address + 1;
      return;
    }
    const more = this.moreAddresses.get(client);
    if (more === undefined) this.moreAddresses.set(client, [address]);
    else more.push(address);
  }

  /** A client's address ids in first-seen order. */
  private addressIdsOf(client: number): number[] {
    const first = this.firstAddress[client]!;
    if (first === 0) return [];
    const more = this.moreAddresses.get(client);
    return more === undefined ? [first - 1] : [first - 1, ...more];
  }

  /** Client id for an address or /64 key, or -1. */
  clientOf(addressOrKey: string): number {
    return this.clientOfKey(clientKeyOf(addressOrKey));
  }

  summary(client: number): ClientSummary {
    const data = this.clientData;
    const row = client * CLIENT_STRIDE;
    return {
      client,
      key: this.clientKeys[client]!,
      addresses: this.addressesOf(client),
      requests: data[row + Counter.Requests]!,
      pages: data[row + Counter.Pages]!,
      assets: data[row + Counter.Assets]!,
      scripts: data[row + Counter.Scripts]!,
      posts: data[row + Counter.Posts]!,
      withReferrer: data[row + Counter.WithReferrer]!,
      http10: data[row + Counter.Http10]!,
      denied: data[row + Counter.Denied]!,
      notFound: data[row + Counter.NotFound]!,
      first: data[row + Counter.FirstTime]!,
      last: data[row + Counter.LastTime]!,
      userAgent: this.agentText(this.firstAgentOf(client)),
      userAgents: data[row + Counter.AgentChanges]! > 0 ? 2 : 1,
    };
  }
}

/**
 * buffer[start, end) equals other[from, from + end - start) (otherView: a view of other).
 * Eight bytes per step compared as float64: equal floats are equal bytes except +0/-0 (checked)
 * and NaN, which is never equal (a false "different" only sends the caller to the interner).
 */
function sameBytes(buffer: Buffer, start: number, end: number, other: Buffer, otherView: DataView, from: number): boolean {
  const view = viewOf(buffer);
  let index = start;
  let at = from;
  for (; index + 8 <= end; index += 8, at += 8) {
    const word = view.getFloat64(index, true);
    if (word !== otherView.getFloat64(at, true)) return false;
    if (word === 0 && view.getInt32(index + 4, true) !== otherView.getInt32(at + 4, true)) return false;
  }
  for (; index < end; index++, at++) if (buffer[index] !== other[at]) return false;
  return true;
}

/**
 * `array` grown to hold `needed` elements: at once to `limit` (the most the detector's limits
 * let it hold), its contents kept. The system hands out the zero pages of a large array as they
 * are first written, so a table reserved at its limit costs what is used; and it is never
 * copied again (doubling a 1 M-client table held 240 MB for a moment, and each copy left its
 * old array to the collector).
 */
function reservedFor<T extends Int32Array | Uint32Array>(array: T, needed: number, limit: number): T {
  const Constructor = array.constructor as new (length: number) => T;
  const grown = new Constructor(Math.max(needed, limit));
  grown.set(array);
  return grown;
}

/** Whether texts a and b of a PackedTexts (bytes, starts) are the same bytes. */
function sameRange(bytes: Buffer, starts: Int32Array, a: number, b: number): boolean {
  const length = starts[a + 1]! - starts[a]!;
  if (starts[b + 1]! - starts[b]! !== length) return false;
  return bytes.compare(bytes, starts[b]!, starts[b + 1]!, starts[a]!, starts[a + 1]!) === 0;
}

function agentKindOf(agentClass: AgentClass | null): number {
  return agentClass === null ? AGENT_NONE : agentClass.kind === 'crawler' ? AGENT_CRAWLER : agentClass.kind === 'link-preview' ? AGENT_PREVIEW : AGENT_OTHER_BOT;
}


function isReadMethod(record: ScanRecord): boolean {
  if (!record.has(Field.Method)) return true;
  const buffer = record.buffers[Field.Method]!;
  const start = record.starts[Field.Method]!;
  const length = record.ends[Field.Method]! - start;
  // "GET" or "HEAD"
  if (length === 3) return buffer[start] === 71 && buffer[start + 1] === 69 && buffer[start + 2] === 84;
  if (length === 4) return buffer[start] === 72 && buffer[start + 1] === 69 && buffer[start + 2] === 65 && buffer[start + 3] === 68;
  return false;
}

/** Scratch words for clientKeyOf. */
const keyWords = [0, 0, 0, 0];

/**
 * The client an address belongs to: IPv4 is the address; IPv6 is its /64, because privacy
 * addresses rotate inside it. Parsed without splitting strings: every new IPv6 address of a
 * busy log comes here (the split-and-regex version was 5% of a scan).
 */
export function clientKeyOf(address: string): string {
  if (!address.includes(':')) return address;
  if (address.endsWith('/64')) return address;
  const text = address.charCodeAt(0) === 91 && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!parseIPv6(text, keyWords)) return address;
  const [high, low] = keyWords as [number, number];
  return `${(high >>> 16).toString(16)}:${(high & 0xffff).toString(16)}:${(low >>> 16).toString(16)}:${(low & 0xffff).toString(16)}::/64`;
}
