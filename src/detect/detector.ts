import { Field, type ScanRecord } from '../formats/record.js';
import type { AgentClass } from '../attribute/types.js';
import { ByteInterner, growTyped, hashBytes, hashHigh, hashLow } from './hash.js';
import { FirstSeenIndex, type FirstSeenIndexState } from './first-seen-index.js';
import { classifyPath, isProbePath, PathKind } from './paths.js';
import type { ClientSummary } from './types.js';

export interface DetectorOptions {
  /** Declared-bot classification, called once per distinct user agent. */
  classifyAgent?: (userAgent: string) => AgentClass | null;
  /** A URL seen by more distinct clients than this is popular: its detail is dropped. */
  maxClientsPerUrl?: number;
  /** The same within one day, for URLs popular overall. */
  maxClientsPerDay?: number;
  /** Bytes the first-seen index may hold before its oldest units are dropped (default DEFAULT_MEMORY_BUDGET). */
  memoryBudget?: number;
  /** Keep every rare URL's bytes (a worker's detector, merged later). */
  keepTexts?: boolean;
}

/**
 * Default memory budget of the first-seen index: 256 MiB holds about 4.3 M URL units. The
 * 10 M-line bench log (bench/, 14 days of a busy site) makes 1.64 M units, 117 MB; the hostile
 * bench log (10 M lines, each a new URL) passes the budget and keeps the newest ~3.2-4.3 M.
 */
export const DEFAULT_MEMORY_BUDGET = 256 << 20;

/** A detector's state as sent between threads (see exportState / merge). */
export interface DetectorState {
  addressTexts: string[];
  agentTexts: string[];
  agentClasses: (AgentClass | null)[];
  clientKeys: string[];
  clientAddresses: number[][];
  counters: Record<(typeof COUNTERS)[number], Uint32Array>;
  firstTime: Uint32Array;
  lastTime: Uint32Array;
  firstAgent: Int32Array;
  botAgent: Int32Array;
  probeExamples: Map<number, Set<string>>;
  records: number;
  unindexed: number;
  minTime: number;
  maxTime: number;
  index: FirstSeenIndexState;
}

/** Per-client counters that merge by adding. */
const COUNTERS = [
  'requests', 'pages', 'assets', 'scripts', 'posts', 'withReferrer', 'http10', 'denied', 'notFound',
  'clientErrors', 'probeHits', 'crawlerRequests', 'previewRequests', 'botRequests', 'agentChanges',
] as const;

const AGENT_NONE = 0;
const AGENT_CRAWLER = 1;
const AGENT_PREVIEW = 2;
const AGENT_OTHER_BOT = 3;

/**
 * Reads records one at a time and keeps only what detection needs: per-client counters in
 * typed arrays and the first-seen index of URLs. Nothing here grows with the number of lines;
 * it grows with distinct clients, user agents and (bounded) rare URLs.
 */
export class Detector {
  index: FirstSeenIndex;
  private readonly keepTexts: boolean;
  private readonly addresses = new ByteInterner(4096);
  private readonly agents = new ByteInterner(1024);
  private readonly classifyAgent: (userAgent: string) => AgentClass | null;

  /** address id -> client id */
  private addressClient = new Int32Array(4096);
  private readonly clientIds = new Map<string, number>();
  readonly clientKeys: string[] = [];
  /** client id -> address ids (IPv6 clients are /64s and may hold many addresses) */
  private readonly clientAddresses: number[][] = [];

  /** agent id -> AGENT_* */
  private agentKind = new Uint8Array(1024);
  readonly agentClasses: (AgentClass | null)[] = [];

  // per-client counters, indexed by client id
  requests = new Uint32Array(1024);
  pages = new Uint32Array(1024);
  assets = new Uint32Array(1024);
  scripts = new Uint32Array(1024);
  posts = new Uint32Array(1024);
  withReferrer = new Uint32Array(1024);
  http10 = new Uint32Array(1024);
  denied = new Uint32Array(1024);
  notFound = new Uint32Array(1024);
  clientErrors = new Uint32Array(1024);
  probeHits = new Uint32Array(1024);
  crawlerRequests = new Uint32Array(1024);
  previewRequests = new Uint32Array(1024);
  /** requests by any declared bot agent (crawler, previewer, feed reader, monitor, scanner, tool) */
  botRequests = new Uint32Array(1024);
  firstTime = new Uint32Array(1024);
  lastTime = new Uint32Array(1024);
  firstAgent = new Int32Array(1024);
  /** the first declared-bot agent a client used, -1 if none */
  botAgent = new Int32Array(1024);
  agentChanges = new Uint32Array(1024);
  /** first few probe paths per client */
  readonly probeExamples = new Map<number, Set<string>>();

  records = 0;
  /** records without a usable time or address (counted, not indexed) */
  unindexed = 0;
  minTime = Number.POSITIVE_INFINITY;
  maxTime = Number.NEGATIVE_INFINITY;

  constructor(options: DetectorOptions = {}) {
    this.keepTexts = options.keepTexts ?? false;
    this.index = new FirstSeenIndex({
      maxClients: options.maxClientsPerUrl,
      maxClientsPerDay: options.maxClientsPerDay,
      memoryBudget: options.memoryBudget ?? DEFAULT_MEMORY_BUDGET,
      keepTexts: this.keepTexts,
    });
    this.classifyAgent = options.classifyAgent ?? (() => null);
  }

  /** Sets the index's memory budget; only before the first record. */
  setMemoryBudget(bytes: number): void {
    if (this.records > 0) throw new Error('setMemoryBudget after records were observed');
    this.index = new FirstSeenIndex({ maxClients: this.index.maxClients, maxClientsPerDay: this.index.maxClientsPerDay, memoryBudget: bytes, keepTexts: this.keepTexts });
  }

  get clientCount(): number {
    return this.clientKeys.length;
  }

  observe(record: ScanRecord): void {
    this.records++;
    const time = record.time;
    if (!record.has(Field.Ip) || Number.isNaN(time)) {
      this.unindexed++;
      return;
    }
    const seconds = Math.floor(time / 1000);
    if (seconds < this.minTime) this.minTime = seconds;
    if (seconds > this.maxTime) this.maxTime = seconds;

    const address = this.addresses.intern(record.buffers[Field.Ip]!, record.starts[Field.Ip]!, record.ends[Field.Ip]!);
    if (address >= this.addressClient.length) this.addressClient = growTyped(this.addressClient, address + 1);
    const mapped = this.addressClient[address]!;
    const client = mapped === 0 ? this.newAddress(address) : mapped - 1;

    let agent = -1;
    if (record.has(Field.UserAgent)) {
      agent = this.agents.intern(record.buffers[Field.UserAgent]!, record.starts[Field.UserAgent]!, record.ends[Field.UserAgent]!);
      if (agent >= this.agentClasses.length) this.classifyNewAgent(agent);
    }

    const status = record.status;
    this.requests[client]!++;
    if (this.requests[client] === 1) {
      this.firstTime[client] = seconds;
      this.lastTime[client] = seconds;
      this.firstAgent[client] = agent;
      this.botAgent[client] = -1;
    } else {
      if (seconds < this.firstTime[client]!) this.firstTime[client] = seconds;
      if (seconds > this.lastTime[client]!) this.lastTime[client] = seconds;
      if (agent !== this.firstAgent[client]) this.agentChanges[client]!++;
    }
    if (agent >= 0) {
      const kind = this.agentKind[agent]!;
      if (kind !== AGENT_NONE) {
        this.botRequests[client]!++;
        if (kind === AGENT_CRAWLER) this.crawlerRequests[client]!++;
        else if (kind === AGENT_PREVIEW) this.previewRequests[client]!++;
        if (this.botAgent[client] === -1) this.botAgent[client] = agent;
      }
    }
    if (record.has(Field.Referrer)) {
      const buffer = record.buffers[Field.Referrer]!;
      const start = record.starts[Field.Referrer]!;
      // '-' alone means no referrer
      if (!(record.ends[Field.Referrer] === start + 1 && buffer[start] === 45)) this.withReferrer[client]!++;
    }
    if (record.has(Field.Protocol)) {
      const buffer = record.buffers[Field.Protocol]!;
      const end = record.ends[Field.Protocol]!;
      // "HTTP/1.0": ends in '1' '.' '0'
      if (end - record.starts[Field.Protocol]! === 8 && buffer[end - 1] === 48 && buffer[end - 3] === 49) this.http10[client]!++;
    }
    if (status === 401 || status === 403) this.denied[client]!++;
    else if (status === 404) this.notFound[client]!++;
    if (status >= 400 && status < 500) this.clientErrors[client]!++;

    if (!record.has(Field.Url)) return;
    const urlBuffer = record.buffers[Field.Url]!;
    const urlStart = record.starts[Field.Url]!;
    const urlEnd = record.ends[Field.Url]!;
    const pathKind = classifyPath(urlBuffer, urlStart, urlEnd);
    if (pathKind === PathKind.Asset) this.assets[client]!++;
    else if (pathKind === PathKind.Script) this.scripts[client]!++;
    else this.pages[client]!++;

    if (status >= 400 && status < 500 && status !== 401) this.checkProbe(client, record);

    // only reads are fingerprints: a POST body is not in the log, and a replayer does not submit forms
    if (!isReadMethod(record)) {
      this.posts[client]!++;
      return;
    }
    hashBytes(urlBuffer, urlStart, urlEnd);
    const trackDay = pathKind !== PathKind.Asset && !hasQuery(urlBuffer, urlStart, urlEnd);
    this.index.observe(hashHigh, hashLow, client, seconds, status, record.bytes, trackDay, () => record.text(Field.Url), urlBuffer, urlStart, urlEnd);
  }

  private newAddress(address: number): number {
    const text = this.addresses.texts[address]!;
    const key = clientKeyOf(text);
    let client = this.clientIds.get(key);
    if (client === undefined) {
      client = this.clientKeys.length;
      this.clientIds.set(key, client);
      this.clientKeys.push(key);
      this.clientAddresses.push([]);
      if (client >= this.requests.length) this.growClients(client + 1);
    }
    this.clientAddresses[client]!.push(address);
    this.addressClient[address] = client + 1;
    return client;
  }

  private growClients(minimum: number): void {
    this.requests = growTyped(this.requests, minimum);
    this.pages = growTyped(this.pages, minimum);
    this.assets = growTyped(this.assets, minimum);
    this.scripts = growTyped(this.scripts, minimum);
    this.posts = growTyped(this.posts, minimum);
    this.withReferrer = growTyped(this.withReferrer, minimum);
    this.http10 = growTyped(this.http10, minimum);
    this.denied = growTyped(this.denied, minimum);
    this.notFound = growTyped(this.notFound, minimum);
    this.clientErrors = growTyped(this.clientErrors, minimum);
    this.probeHits = growTyped(this.probeHits, minimum);
    this.crawlerRequests = growTyped(this.crawlerRequests, minimum);
    this.previewRequests = growTyped(this.previewRequests, minimum);
    this.botRequests = growTyped(this.botRequests, minimum);
    this.firstTime = growTyped(this.firstTime, minimum);
    this.lastTime = growTyped(this.lastTime, minimum);
    this.firstAgent = growTyped(this.firstAgent, minimum);
    this.botAgent = growTyped(this.botAgent, minimum);
    this.agentChanges = growTyped(this.agentChanges, minimum);
  }

  private classifyNewAgent(agent: number): void {
    const agentClass = this.classifyAgent(this.agents.texts[agent]!);
    this.agentClasses[agent] = agentClass;
    if (agent >= this.agentKind.length) this.agentKind = growTyped(this.agentKind, agent + 1);
    this.agentKind[agent] = agentKindOf(agentClass);
  }

  private checkProbe(client: number, record: ScanRecord): void {
    const path = record.text(Field.Url);
    if (!isProbePath(path)) return;
    this.probeHits[client]!++;
    let examples = this.probeExamples.get(client);
    if (examples === undefined) {
      examples = new Set();
      this.probeExamples.set(client, examples);
    }
    if (examples.size < 64) examples.add(path.length > 200 ? path.slice(0, 200) : path);
  }

  /**
   * The state to send to another thread. Typed arrays are cut to the client count; their
   * buffers (and the index's) may be transferred. The detector must not be used afterwards.
   */
  exportState(): DetectorState {
    const count = this.clientCount;
    const counters = {} as DetectorState['counters'];
    for (const name of COUNTERS) counters[name] = this[name].slice(0, count);
    return {
      addressTexts: this.addresses.texts,
      agentTexts: this.agents.texts,
      agentClasses: this.agentClasses,
      clientKeys: this.clientKeys,
      clientAddresses: this.clientAddresses,
      counters,
      firstTime: this.firstTime.slice(0, count),
      lastTime: this.lastTime.slice(0, count),
      firstAgent: this.firstAgent.slice(0, count),
      botAgent: this.botAgent.slice(0, count),
      probeExamples: this.probeExamples,
      records: this.records,
      unindexed: this.unindexed,
      minTime: this.minTime,
      maxTime: this.maxTime,
      index: this.index.exportState(),
    };
  }

  /** Buffers of a state that can be transferred rather than copied. */
  static transferList(state: DetectorState): ArrayBuffer[] {
    const arrays: ArrayBufferView[] = [...Object.values(state.counters), state.firstTime, state.lastTime, state.firstAgent, state.botAgent, ...FirstSeenIndex.transferables(state.index)];
    // a buffer may back several views; each is transferred once
    return [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))];
  }

  /**
   * Adds the state of a detector that read the next part of the input. Merging the parts in
   * input order gives what one detector reading the whole input builds: ids of addresses,
   * agents and clients in first-seen order; counters added; a client's first agent, first bot
   * agent and first probe paths from the earliest part; the index merged (first-seen-index.ts).
   * agentChanges is exact as the only thing read from it, whether it is zero.
   */
  merge(state: DetectorState): void {
    const addressMap = new Int32Array(state.addressTexts.length);
    state.addressTexts.forEach((text, local) => {
      const bytes = Buffer.from(text, 'utf8');
      addressMap[local] = this.addresses.intern(bytes, 0, bytes.length);
      if (addressMap[local]! >= this.addressClient.length) this.addressClient = growTyped(this.addressClient, addressMap[local]! + 1);
    });
    const agentMap = new Int32Array(state.agentTexts.length);
    state.agentTexts.forEach((text, local) => {
      const bytes = Buffer.from(text, 'utf8');
      const agent = this.agents.intern(bytes, 0, bytes.length);
      agentMap[local] = agent;
      if (agent >= this.agentClasses.length) {
        // classified where it was read: the same classifier, so the same class
        const agentClass = state.agentClasses[local] ?? null;
        this.agentClasses[agent] = agentClass;
        if (agent >= this.agentKind.length) this.agentKind = growTyped(this.agentKind, agent + 1);
        this.agentKind[agent] = agentKindOf(agentClass);
      }
    });
    const mapAgent = (agent: number): number => (agent < 0 ? agent : agentMap[agent]!);
    const clientMap = new Int32Array(state.clientKeys.length);
    state.clientKeys.forEach((key, local) => {
      let client = this.clientIds.get(key);
      if (client === undefined) {
        client = this.clientKeys.length;
        this.clientIds.set(key, client);
        this.clientKeys.push(key);
        this.clientAddresses.push([]);
        if (client >= this.requests.length) this.growClients(client + 1);
      }
      clientMap[local] = client;
      for (const localAddress of state.clientAddresses[local]!) {
        const address = addressMap[localAddress]!;
        if (this.addressClient[address] === 0) {
          this.addressClient[address] = client + 1;
          this.clientAddresses[client]!.push(address);
        }
      }
      const counters = state.counters;
      const requests = counters.requests[local]!;
      const localFirst = mapAgent(state.firstAgent[local]!);
      if (this.requests[client] === 0) {
        this.firstTime[client] = state.firstTime[local]!;
        this.lastTime[client] = state.lastTime[local]!;
        this.firstAgent[client] = localFirst;
        this.botAgent[client] = -1;
      } else {
        if (state.firstTime[local]! < this.firstTime[client]!) this.firstTime[client] = state.firstTime[local]!;
        if (state.lastTime[local]! > this.lastTime[client]!) this.lastTime[client] = state.lastTime[local]!;
        // this part's requests with its own first agent differ from the client's first agent
        if (localFirst !== this.firstAgent[client]) this.agentChanges[client]! += requests - counters.agentChanges[local]!;
      }
      for (const name of COUNTERS) this[name][client]! += counters[name][local]!;
      if (this.botAgent[client] === -1) this.botAgent[client] = mapAgent(state.botAgent[local]!);
      const examples = state.probeExamples.get(local);
      if (examples !== undefined) {
        let merged = this.probeExamples.get(client);
        if (merged === undefined) this.probeExamples.set(client, (merged = new Set()));
        for (const path of examples) if (merged.size < 64) merged.add(path);
      }
    });
    this.records += state.records;
    this.unindexed += state.unindexed;
    if (state.minTime < this.minTime) this.minTime = state.minTime;
    if (state.maxTime > this.maxTime) this.maxTime = state.maxTime;
    this.index.merge(state.index, clientMap);
  }

  /** Text of an agent id ('' for none). */
  agentText(agent: number): string {
    return agent < 0 ? '' : this.agents.texts[agent]!;
  }

  addressesOf(client: number): string[] {
    return this.clientAddresses[client]!.map((address) => this.addresses.texts[address]!);
  }

  /** Client id for an address or /64 key, or -1. */
  clientOf(addressOrKey: string): number {
    return this.clientIds.get(clientKeyOf(addressOrKey)) ?? -1;
  }

  summary(client: number): ClientSummary {
    return {
      client,
      key: this.clientKeys[client]!,
      addresses: this.addressesOf(client),
      requests: this.requests[client]!,
      pages: this.pages[client]!,
      assets: this.assets[client]!,
      scripts: this.scripts[client]!,
      posts: this.posts[client]!,
      withReferrer: this.withReferrer[client]!,
      http10: this.http10[client]!,
      denied: this.denied[client]!,
      notFound: this.notFound[client]!,
      first: this.firstTime[client]!,
      last: this.lastTime[client]!,
      userAgent: this.agentText(this.firstAgent[client]!),
      userAgents: this.agentChanges[client]! > 0 ? 2 : 1,
    };
  }
}

function agentKindOf(agentClass: AgentClass | null): number {
  return agentClass === null ? AGENT_NONE : agentClass.kind === 'crawler' ? AGENT_CRAWLER : agentClass.kind === 'link-preview' ? AGENT_PREVIEW : AGENT_OTHER_BOT;
}

function hasQuery(buffer: Buffer, start: number, end: number): boolean {
  for (let index = start; index < end; index++) if (buffer[index] === 63 /* '?' */) return true;
  return false;
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

/**
 * The client an address belongs to: IPv4 is the address; IPv6 is its /64, because privacy
 * addresses rotate inside it.
 */
export function clientKeyOf(address: string): string {
  if (!address.includes(':')) return address;
  if (address.endsWith('/64')) return address;
  const groups = expandIpv6(address);
  if (groups === null) return address;
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** Eight 16-bit groups of an IPv6 address, or null if it is not one. */
export function expandIpv6(address: string): number[] | null {
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // IPv4-mapped tail (::ffff:1.2.3.4): rewrite it as two hex groups
    const parts = last.split('.').map(Number);
    if (parts.length !== 4 || parts.some((part) => !(part >= 0 && part <= 255))) return null;
    text = `${text.slice(0, lastColon + 1)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':').map((group) => (/^[0-9a-fA-F]{1,4}$/.test(group) ? parseInt(group, 16) : Number.NaN));
    return groups.some(Number.isNaN) ? null : groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === null || rest === null) return null;
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 0) return null;
    return [...head, ...new Array<number>(fill).fill(0), ...rest];
  }
  return head.length === 8 ? head : null;
}
