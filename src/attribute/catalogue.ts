/**
 * The actor catalogue (data/actors.json + data/ranges/*.txt): who is known to fetch other
 * people's URLs, from which networks, and when that was documented. A prior, never a verdict.
 *
 * Loaded and validated once at startup (about 20 ms, most of it the 14k iCloud Private Relay
 * prefixes); a malformed entry stops the load with every problem listed, because a silently
 * skipped entry would silently change who gets named.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReplaywatchError } from '../common/errors.js';
import { maskWords, parseCidr, prefixMask, type Cidr, type ParsedAddress } from './address.js';
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
}

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
  list.forEach((item: unknown, index: number) => {
    const where = `actors[${index}]${isObject(item) && typeof item.id === 'string' ? ` (${item.id})` : ''}`;
    const entry = validateEntry(item, where, problems, readRangeFile);
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
  return new Catalogue(entries);
}

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
      else
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
          if (!/^[a-z0-9][a-z0-9.-]*\.txt$/.test(name)) {
            problem(`range file name "${name}" must be a plain .txt name in data/ranges/`);
            continue;
          }
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

/** One prefix of one entry, for the index. */
interface PrefixHit {
  entry: number;
  cidr: Cidr;
}

/**
 * Prefix index: one hash map per prefix length, probed longest first, so a lookup costs at
 * most ~30 map probes (v4) and returns matches most specific first. Chosen over an interval
 * tree because catalogue ranges nest (a /28 scanner inside a /15 cloud) and the lookup runs
 * once per client, not per line.
 */
class PrefixIndex {
  private readonly v4 = new Map<number, Map<number, PrefixHit[]>>();
  private readonly v6 = new Map<number, Map<string, PrefixHit[]>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];

  add(cidr: Cidr, entry: number): void {
    if (cidr.version === 4) {
      let byNetwork = this.v4.get(cidr.bits);
      if (!byNetwork) this.v4.set(cidr.bits, (byNetwork = new Map()));
      push(byNetwork, cidr.value, { entry, cidr });
    } else {
      let byNetwork = this.v6.get(cidr.bits);
      if (!byNetwork) this.v6.set(cidr.bits, (byNetwork = new Map()));
      push(byNetwork, wordsKey(cidr.words), { entry, cidr });
    }
  }

  seal(): void {
    this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
    this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
  }

  /** Every prefix holding the address, longest first. */
  lookup(address: ParsedAddress): PrefixHit[] {
    const hits: PrefixHit[] = [];
    if (address.version === 4) {
      for (const bits of this.v4Lengths) {
        const found = this.v4.get(bits)!.get((address.value & prefixMask(bits)) >>> 0);
        if (found) hits.push(...found);
      }
    } else {
      for (const bits of this.v6Lengths) {
        const found = this.v6.get(bits)!.get(wordsKey(maskWords(address.words, bits)));
        if (found) hits.push(...found);
      }
    }
    return hits;
  }

  /** Longest prefix holding the address among one entry's, or null (for crawler verification). */
  firstOf(address: ParsedAddress, entry: number): PrefixHit | null {
    for (const hit of this.lookup(address)) if (hit.entry === entry) return hit;
    return null;
  }
}

function push<K>(map: Map<K, PrefixHit[]>, key: K, hit: PrefixHit): void {
  const list = map.get(key);
  if (list) list.push(hit);
  else map.set(key, [hit]);
}

/** Eight UTF-16 code units, one per 16-bit group: the cheapest exact string key for 128 bits. */
function wordsKey(words: ArrayLike<number>): string {
  const [a, b, c, d] = [words[0]!, words[1]!, words[2]!, words[3]!];
  return String.fromCharCode(a >>> 16, a & 0xffff, b >>> 16, b & 0xffff, c >>> 16, c & 0xffff, d >>> 16, d & 0xffff);
}

export class Catalogue {
  readonly entries: readonly ActorEntry[];
  private readonly byId = new Map<string, number>();
  private readonly byFamily = new Map<string, number>();
  private readonly byAsn = new Map<number, number[]>();
  private readonly prefixes = new PrefixIndex();

  constructor(entries: ActorEntry[]) {
    this.entries = entries;
    entries.forEach((entry, index) => {
      this.byId.set(entry.id, index);
      if (entry.family && !this.byFamily.has(entry.family)) this.byFamily.set(entry.family, index);
      for (const cidr of entry.cidrList) this.prefixes.add(cidr, index);
      for (const asn of entry.asnList) {
        const list = this.byAsn.get(asn);
        if (list) list.push(index);
        else this.byAsn.set(asn, [index]);
      }
    });
    this.prefixes.seal();
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

  /**
   * Entries covering an address: prefix matches longest first, then ASN matches (an ASN is
   * the least specific claim). One match per entry. `asn` is the address's ASN from the IP
   * table (0 when unknown).
   */
  match(address: ParsedAddress, asn: number): ActorMatch[] {
    const matches: ActorMatch[] = [];
    const seen = new Set<number>();
    for (const hit of this.prefixes.lookup(address)) {
      if (seen.has(hit.entry) || this.entries[hit.entry]!.verifyOnly) continue;
      seen.add(hit.entry);
      matches.push(toMatch(this.entries[hit.entry]!, 'network', { cidr: hit.cidr.text }));
    }
    if (asn > 0) {
      for (const index of this.byAsn.get(asn) ?? []) {
        if (seen.has(index) || this.entries[index]!.verifyOnly) continue;
        seen.add(index);
        matches.push(toMatch(this.entries[index]!, 'asn', { asn }));
      }
    }
    return matches;
  }

  /** Does this entry's published networks hold the address? */
  covers(entry: ActorEntry, address: ParsedAddress, asn: number): boolean {
    if (asn > 0 && entry.asnList.includes(asn)) return true;
    const index = this.byId.get(entry.id);
    return index !== undefined && this.prefixes.firstOf(address, index) !== null;
  }

  /** Entries whose reverse-DNS suffix ends this (forward-confirmed) name. */
  matchName(name: string): ActorMatch[] {
    const lower = name.toLowerCase().replace(/\.$/, '');
    return this.entries.filter((entry) => entry.suffixes.some((suffix) => lower.endsWith(suffix))).map((entry) => toMatch(entry, 'rdns', {}));
  }
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
