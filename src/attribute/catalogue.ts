/**
 * The actor catalogue (data/actors.json + data/ranges/*.txt): who is known to fetch other
 * people's URLs, from which networks, and when that was documented. A prior, never a verdict.
 *
 * Validated once at startup; a malformed entry stops the load with every problem listed,
 * because a silently skipped entry would silently change who gets named. Parsing the JSON and
 * its ~18k range-file CIDRs costs ~62 ms (median, 2-core container, node 20; ~45 ms of it the
 * 14k iCloud Private Relay prefixes), so loadAttributor reads the compiled form instead
 * (compiled-catalogue.ts) and parseCatalogue is the path for a missing or stale file and for
 * catalogues other than the default.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReplaywatchError } from '../common/errors.js';
import { parseCidr, type Cidr, type ParsedAddress } from './address.js';
import { PrefixIndex, type IndexedPrefix } from './prefix-index.js';
import type { ActorKind, ActorMatch, AgentClass } from './types.js';

export const DEFAULT_CATALOGUE_PATH = fileURLToPath(new URL('../../data/actors.json', import.meta.url));
export const DEFAULT_RANGES_DIRECTORY = fileURLToPath(new URL('../../data/ranges/', import.meta.url));

const ACTOR_KINDS: readonly ActorKind[] = ['replayer', 'prefetcher', 'link-preview', 'crawler', 'scanner', 'gateway', 'cloud'];
const AGENT_KINDS: readonly AgentClass['kind'][] = ['crawler', 'link-preview', 'scanner', 'tool', 'monitor', 'feed'];

/** One entry as written in data/actors.json. */
export interface ActorEntryData {
  id: string;
  kind: ActorKind;
  name: string;
  /** organisation to show for an address the IP table does not know (old, unannounced ranges) */
  owner?: string;
  networks: { cidrs?: string[]; asns?: number[]; rangeFiles?: string[] };
  /** JavaScript regular expressions (case-sensitive) for the user agents this actor declares */
  userAgents?: string[];
  /** family name given to a matching user agent (AgentClass.name) */
  family?: string;
  agentKind?: AgentClass['kind'];
  /** reverse-DNS suffixes with their leading dot: ".googlebot.com" */
  rdnsSuffixes?: string[];
  /**
   * the networks only check a claim (crawler verification) and are not reported as the
   * actor's by actors(): "Google" fetchers verify against all of Google's ranges, but not every
   * Google address is a fetcher
   */
  verifyOnly?: boolean;
  /**
   * the ASNs serve much else besides this actor (a whole cloud): a match names the owner but
   * is no prior for behaviour (AS8075 is Exchange Online Protection and all of Azure)
   */
  sharedAsn?: boolean;
  /** a CDN or proxy: the header that carries the real client address */
  edge?: { header: string };
  /** where the claim comes from */
  source: string;
  /** when it was true: "2010-2012", "2026" */
  documented: string;
  notes?: string;
}

/** A validated entry with its networks parsed and patterns compiled. */
export interface ActorEntry extends ActorEntryData {
  cidrList: Cidr[];
  asnList: number[];
  agentPatterns: RegExp[];
  suffixes: string[];
  /** true when the entry names networks, i.e. a claim to be it can be checked offline */
  hasNetworks: boolean;
}

export interface CatalogueOptions {
  /** read a range file named in `networks.rangeFiles`; default: data/ranges/<name> */
  readRangeFile?: (name: string) => string;
  /**
   * the entries' networks, already compiled (compiled-catalogue.ts, after checking the content
   * hash): CIDR texts and range files are then neither parsed nor read, and `cidrList` is
   * materialised from the index on first use
   */
  index?: PrefixIndex;
}

/** A range file name as the catalogue may give it: a plain .txt name inside data/ranges/. */
export const RANGE_FILE_NAME = /^[a-z0-9][a-z0-9.-]*\.txt$/;

/** Validate raw catalogue JSON; throws a ReplaywatchError listing every problem. */
export function parseCatalogue(raw: unknown, options: CatalogueOptions = {}): Catalogue {
  const readRangeFile = options.readRangeFile ?? ((name: string) => readFileSync(`${DEFAULT_RANGES_DIRECTORY}${name}`, 'utf8'));
  const problems: string[] = [];
  const entries: ActorEntry[] = [];
  const list = isObject(raw) && Array.isArray(raw.actors) ? raw.actors : null;
  if (!list) {
    throw new ReplaywatchError('E_INTERNAL', 'actor catalogue is invalid: expected an object with an "actors" array', {
      hint: 'restore data/actors.json from the release',
    });
  }
  const seen = new Set<string>();
  const compiled = options.index !== undefined;
  list.forEach((item: unknown, index: number) => {
    const where = `actors[${index}]${isObject(item) && typeof item.id === 'string' ? ` (${item.id})` : ''}`;
    const entry = validateEntry(item, where, problems, readRangeFile, compiled);
    if (!entry) return;
    if (seen.has(entry.id)) problems.push(`${where}: duplicate id`);
    seen.add(entry.id);
    entries.push(entry);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw new ReplaywatchError('E_INTERNAL', `actor catalogue is invalid: ${shown}${more}`, {
      hint: 'fix the entries named (every entry needs id, kind, name, networks, source and documented)',
    });
  }
  return new Catalogue(entries, options.index);
}

/** Parse and validate the JSON catalogue (and its range files) at `path`. */
export function loadCatalogue(path: string = DEFAULT_CATALOGUE_PATH, options: CatalogueOptions = {}): Catalogue {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ReplaywatchError('E_INTERNAL', `cannot read the actor catalogue ${path}`, { cause: error, hint: 'reinstall replaywatch' });
  }
  return parseCatalogue(raw, options);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}

function validateEntry(
  item: unknown,
  where: string,
  problems: string[],
  readRangeFile: (name: string) => string,
  compiledNetworks: boolean,
): ActorEntry | null {
  if (!isObject(item)) {
    problems.push(`${where}: not an object`);
    return null;
  }
  const before = problems.length;
  const problem = (text: string): void => void problems.push(`${where}: ${text}`);
  if (typeof item.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(item.id)) problem('id must be kebab-case');
  if (!ACTOR_KINDS.includes(item.kind as ActorKind)) problem(`kind must be one of ${ACTOR_KINDS.join(', ')}`);
  if (typeof item.name !== 'string' || item.name.trim() === '') problem('name is missing');
  if (typeof item.source !== 'string' || item.source.trim() === '') problem('source is missing');
  if (typeof item.documented !== 'string' || !/^(19|20)\d\d(-(19|20)\d\d)?$/.test(item.documented)) {
    problem('documented must be a year or a span of years ("2010-2012")');
  }
  if (item.owner !== undefined && (typeof item.owner !== 'string' || item.owner === '')) problem('owner must be a name');
  if (item.family !== undefined && typeof item.family !== 'string') problem('family must be a string');
  if (item.agentKind !== undefined && !AGENT_KINDS.includes(item.agentKind as AgentClass['kind'])) {
    problem(`agentKind must be one of ${AGENT_KINDS.join(', ')}`);
  }
  if (item.verifyOnly !== undefined && typeof item.verifyOnly !== 'boolean') problem('verifyOnly must be true or false');
  if (item.sharedAsn !== undefined && typeof item.sharedAsn !== 'boolean') problem('sharedAsn must be true or false');
  if (item.edge !== undefined && !(isObject(item.edge) && typeof item.edge.header === 'string')) problem('edge.header is missing');

  const cidrList: Cidr[] = [];
  const asnList: number[] = [];
  const networks = item.networks;
  if (!isObject(networks)) {
    problem('networks must be an object (may be empty for user-agent-only actors)');
  } else {
    if (networks.cidrs !== undefined) {
      if (!isStringList(networks.cidrs)) problem('networks.cidrs must be a list of CIDRs');
      else if (!compiledNetworks)
        for (const text of networks.cidrs) {
          const cidr = parseCidr(text);
          if (cidr) cidrList.push(cidr);
          else problem(`bad CIDR "${text}"`);
        }
    }
    if (networks.asns !== undefined) {
      const asns = networks.asns;
      if (!Array.isArray(asns) || !asns.every((asn) => Number.isInteger(asn) && asn > 0 && asn < 2 ** 32)) {
        problem('networks.asns must be a list of AS numbers');
      } else asnList.push(...(asns as number[]));
    }
    if (networks.rangeFiles !== undefined) {
      if (!isStringList(networks.rangeFiles)) problem('networks.rangeFiles must be a list of file names');
      else
        for (const name of networks.rangeFiles) {
          if (!RANGE_FILE_NAME.test(name)) {
            problem(`range file name "${name}" must be a plain .txt name in data/ranges/`);
            continue;
          }
          if (compiledNetworks) continue;
          let text: string;
          try {
            text = readRangeFile(name);
          } catch {
            problem(`range file "${name}" cannot be read`);
            continue;
          }
          parseRangeFile(text, name, cidrList, problem);
        }
    }
  }
  const agentPatterns: RegExp[] = [];
  if (item.userAgents !== undefined) {
    if (!isStringList(item.userAgents)) problem('userAgents must be a list of regular expressions');
    else
      for (const source of item.userAgents) {
        try {
          agentPatterns.push(new RegExp(source));
        } catch {
          problem(`user-agent pattern /${source}/ does not compile`);
        }
      }
  }
  const suffixes: string[] = [];
  if (item.rdnsSuffixes !== undefined) {
    if (!isStringList(item.rdnsSuffixes)) problem('rdnsSuffixes must be a list');
    else
      for (const suffix of item.rdnsSuffixes) {
        if (!/^\.[a-z0-9.-]+[a-z]$/i.test(suffix)) problem(`rdns suffix "${suffix}" must start with a dot: ".example.com"`);
        else suffixes.push(suffix.toLowerCase());
      }
  }
  if (problems.length > before) return null;
  const data = item as unknown as ActorEntryData;
  return {
    ...data,
    cidrList,
    asnList,
    agentPatterns,
    suffixes,
    hasNetworks: cidrList.length > 0 || asnList.length > 0,
  };
}

function parseRangeFile(text: string, name: string, into: Cidr[], problem: (text: string) => void): void {
  let lineNumber = 0;
  let bad = 0;
  for (const rawLine of text.split('\n')) {
    lineNumber++;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cidr = parseCidr(line);
    if (cidr) into.push(cidr);
    else if (bad++ < 3) problem(`${name}:${lineNumber}: bad CIDR "${line}"`);
  }
}

export class Catalogue {
  readonly entries: readonly ActorEntry[];
  /** every entry's prefixes as sorted disjoint segments (prefix-index.ts) */
  readonly index: PrefixIndex;
  private readonly byId = new Map<string, number>();
  private readonly byFamily = new Map<string, number>();
  /** ASN -> entries that name it and are reported by match() (verifyOnly ones left out) */
  private readonly reportedByAsn = new Map<number, number[]>();
  /** per entry: 1 when match() reports it (not verifyOnly) */
  private readonly reported: Uint8Array;
  /** per entry: 1 when its prefixes name an owner for addresses the IP table does not know */
  private readonly owning: Uint8Array;
  /** per entry: "Trend Micro (documented 2010-2012)", built on first use */
  private readonly ownerLabels: (string | undefined)[];
  /** per entry: the generation of the match() call that last reported it (dedupe without a Set) */
  private readonly seenAt: Uint32Array;
  private generation = 0;

  /**
   * `index` given: the entries' networks are in it (a precompiled catalogue) and each entry's
   * `cidrList` is read from it on first use. Otherwise the index is built from the cidrLists.
   */
  constructor(entries: ActorEntry[], index?: PrefixIndex) {
    this.entries = entries;
    if (index) {
      attachCompiledNetworks(entries, index);
      this.index = index;
    } else {
      const prefixes: IndexedPrefix[] = [];
      entries.forEach((entry, position) => {
        for (const cidr of entry.cidrList) prefixes.push({ entry: position, cidr });
      });
      this.index = PrefixIndex.build(prefixes);
    }
    this.reported = new Uint8Array(entries.length);
    this.owning = new Uint8Array(entries.length);
    this.ownerLabels = new Array<string | undefined>(entries.length);
    this.seenAt = new Uint32Array(entries.length);
    entries.forEach((entry, position) => {
      this.byId.set(entry.id, position);
      if (entry.family && !this.byFamily.has(entry.family)) this.byFamily.set(entry.family, position);
      this.reported[position] = entry.verifyOnly ? 0 : 1;
      this.owning[position] = entry.owner !== undefined && !entry.verifyOnly ? 1 : 0;
      if (entry.verifyOnly) return;
      for (const asn of entry.asnList) {
        const list = this.reportedByAsn.get(asn);
        if (list) {
          if (!list.includes(position)) list.push(position);
        } else this.reportedByAsn.set(asn, [position]);
      }
    });
  }

  get(id: string): ActorEntry | undefined {
    const index = this.byId.get(id);
    return index === undefined ? undefined : this.entries[index];
  }

  /** The entry a user-agent family belongs to (AgentClass.actor, else its name). */
  entryForAgent(agent: AgentClass): ActorEntry | undefined {
    const index = (agent.actor !== undefined ? this.byId.get(agent.actor) : undefined) ?? this.byFamily.get(agent.name);
    return index === undefined ? undefined : this.entries[index];
  }

  private labelOf(address: ParsedAddress): number {
    return address.version === 4 ? this.index.labelOfV4(address.value) : this.index.labelOfV6(address.words);
  }

  /**
   * Entries covering an address: prefix matches longest first, then ASN matches (an ASN is
   * the least specific claim). One match per entry. `asn` is the address's ASN from the IP
   * table (0 when unknown). One binary search over the prefix segments. Through
   * Attributor.actors (with the IP table lookup): 0.7 µs per IPv4 and 2.0 µs per IPv6 address,
   * where one hash-map probe per prefix length took 1.6 and 5.6 µs (medians of 9 cold
   * processes, 100k random IPv4 / 20k IPv6 addresses, 2-core container, node 20; see
   * docs/PERFORMANCE.md, "Attribution cost").
   */
  match(address: ParsedAddress, asn: number): ActorMatch[] {
    return this.matchLabel(this.labelOf(address), asn);
  }

  /** match() for an IPv4 address given as uint32 (no ParsedAddress to allocate). */
  matchV4(address: number, asn: number): ActorMatch[] {
    return this.matchLabel(this.index.labelOfV4(address), asn);
  }

  private matchLabel(label: number, asn: number): ActorMatch[] {
    const matches: ActorMatch[] = [];
    if (++this.generation === 0xffffffff) {
      this.seenAt.fill(0);
      this.generation = 1;
    }
    const generation = this.generation;
    if (label >= 0) {
      const index = this.index;
      for (let at = index.labelStart(label), end = index.labelEnd(label); at < end; at++) {
        const hit = index.hitAt(at);
        const entry = index.entryOf(hit);
        if (this.reported[entry] === 0 || this.seenAt[entry] === generation) continue;
        this.seenAt[entry] = generation;
        matches.push(toMatch(this.entries[entry]!, 'network', { cidr: index.textOf(hit) }));
      }
    }
    if (asn > 0) {
      const list = this.reportedByAsn.get(asn);
      if (list !== undefined) {
        for (const entry of list) {
          if (this.seenAt[entry] === generation) continue;
          this.seenAt[entry] = generation;
          matches.push(toMatch(this.entries[entry]!, 'asn', { asn }));
        }
      }
    }
    return matches;
  }

  /** Does this entry's published networks hold the address? */
  covers(entry: ActorEntry, address: ParsedAddress, asn: number): boolean {
    if (asn > 0 && entry.asnList.includes(asn)) return true;
    const position = this.byId.get(entry.id);
    if (position === undefined) return false;
    const label = this.labelOf(address);
    if (label < 0) return false;
    const index = this.index;
    for (let at = index.labelStart(label), end = index.labelEnd(label); at < end; at++) {
      if (index.entryOf(index.hitAt(at)) === position) return true;
    }
    return false;
  }

  /**
   * The most specific prefix of an owning entry (owner set, not verifyOnly) that holds this
   * IPv4 address, as a hit number, or -1: how an address the IP table does not know gets a
   * name (the 2010-2012 replay blocks are no longer announced, and naming them is the point).
   * Between identical prefixes of two entries the later entry wins, as in the flattened owner
   * ranges this replaced.
   */
  ownedHitV4(address: number): number {
    const index = this.index;
    const label = index.labelOfV4(address);
    if (label < 0) return -1;
    let found = -1;
    let foundBits = -1;
    for (let at = index.labelStart(label), end = index.labelEnd(label); at < end; at++) {
      const hit = index.hitAt(at);
      const bits = index.bitsOf(hit);
      if (found >= 0 && bits < foundBits) break; // labels are longest first
      if (this.owning[index.entryOf(hit)] === 1) {
        found = hit;
        foundBits = bits;
      }
    }
    return found;
  }

  /** The CIDR text of a hit (ownedHitV4), as the catalogue wrote it. */
  prefixText(hit: number): string {
    return this.index.textOf(hit);
  }

  /** "Trend Micro (documented 2010-2012)": how a report names an owned prefix's owner. */
  ownerLabel(hit: number): string {
    const position = this.index.entryOf(hit);
    let label = this.ownerLabels[position];
    if (label === undefined) {
      const entry = this.entries[position]!;
      label = `${entry.owner} (documented ${entry.documented})`;
      this.ownerLabels[position] = label;
    }
    return label;
  }

  /** Entries whose reverse-DNS suffix ends this (forward-confirmed) name. */
  matchName(name: string): ActorMatch[] {
    const lower = name.toLowerCase().replace(/\.$/, '');
    return this.entries.filter((entry) => entry.suffixes.some((suffix) => lower.endsWith(suffix))).map((entry) => toMatch(entry, 'rdns', {}));
  }
}

/**
 * A precompiled catalogue's entries carry no parsed CIDRs: give each a `cidrList` read from
 * the index on first use (only crawler tests and tools ask), and `hasNetworks` from its counts.
 * Hits are numbered entry by entry (prefix-index.ts), so an entry's are one run.
 */
function attachCompiledNetworks(entries: ActorEntry[], index: PrefixIndex): void {
  const firstHit = new Uint32Array(entries.length + 1);
  let previous = 0;
  for (let hit = 0; hit < index.hitCount; hit++) {
    const entry = index.entryOf(hit);
    if (entry < previous || entry >= entries.length) throw new Error('compiled catalogue: prefixes out of entry order');
    previous = entry;
    firstHit[entry + 1] = firstHit[entry + 1]! + 1;
  }
  for (let entry = 0; entry < entries.length; entry++) firstHit[entry + 1] = firstHit[entry + 1]! + firstHit[entry]!;
  entries.forEach((entry, position) => {
    const start = firstHit[position]!;
    const end = firstHit[position + 1]!;
    let cidrs: Cidr[] | undefined;
    Object.defineProperty(entry, 'cidrList', {
      configurable: true,
      enumerable: true,
      get: (): Cidr[] => {
        if (cidrs === undefined) {
          cidrs = [];
          for (let hit = start; hit < end; hit++) cidrs.push(index.cidrOf(hit));
        }
        return cidrs;
      },
    });
    entry.hasNetworks = end > start || entry.asnList.length > 0;
  });
}

export function toMatch(entry: ActorEntry, by: ActorMatch['by'], extra: { cidr?: string; asn?: number }): ActorMatch {
  const match: ActorMatch = {
    id: entry.id,
    name: entry.name,
    kind: entry.kind,
    by,
    documented: `documented ${entry.documented}`,
    source: entry.source,
  };
  if (extra.cidr !== undefined) match.cidr = extra.cidr;
  if (extra.asn !== undefined) match.asn = extra.asn;
  if (entry.owner !== undefined) match.owner = entry.owner;
  if (by === 'asn' && entry.sharedAsn === true) match.shared = true;
  return match;
}
