/**
 * The Attributor: IP table + actor catalogue + declared-bot classifier behind one object.
 *
 * loadAttributor() is synchronous and reads two files built at install (package.json
 * "prepare"): the IP table (~10 ms) and the compiled catalogue (~7 ms: hash check, views,
 * entry validation); ~17 ms in all, where parsing the catalogue JSON made it ~95-115 ms. The
 * user-agent classifier is built on the first classifyAgent call from rules derived at
 * install: ~5-10 ms (it was ~31 ms). Medians of 9 cold `node` processes, 2-core container,
 * node 20, shared with other jobs; docs/PERFORMANCE.md "Attribution cost" has the rest.
 */
import { AgentClassifier, type CompiledAgentRules } from './agents.js';
import {
  enclosingCidrV4,
  enclosingCidrV6,
  formatIPv4,
  formatIPv6,
  mappedIPv4,
  maskWords,
  parseAddress,
  parseCidr,
  parseIPv4,
  parseIPv6,
  prefixMask,
  type ParsedAddress,
  type Words,
} from './address.js';
import { Catalogue, loadCatalogue } from './catalogue.js';
import { loadCompiledCatalogue, type LoadedCatalogue } from './compiled-catalogue.js';
import { IpTable } from './ip-table.js';
import { createReverseCache, reverseLookup, type ReverseCache, type ReverseResolver } from './rdns.js';
import type { ActorMatch, AgentClass, Attributor, CrawlerVerdict, NetworkInfo } from './types.js';

/**
 * Required by the data licences (CC BY 4.0: RouteViews, NRO, DB-IP). Print it in the README
 * and the report footer.
 */
export const ATTRIBUTION_NOTICE =
  'IP-to-ASN and country data: @ip-location-db/asn and @ip-location-db/geo-whois-asn-country ' +
  '(https://github.com/sapics/ip-location-db), built from RouteViews (https://www.routeviews.org), ' +
  'NRO (https://www.nro.net) and the DB-IP IP to ASN Lite database (IP data by DB-IP: https://db-ip.com), ' +
  'licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); replaywatch compiles them into a ' +
  'binary table. Crawler user agents: monperrus/crawler-user-agents (MIT). Published ranges: ' +
  'lord-alfred/ipranges and MISP warninglists (CC0).';

/** Reserved and shared address space: not in any ASN table, and worth naming in a report. */
const SPECIAL_V4: [string, string][] = [
  ['0.0.0.0/8', 'this network (reserved)'],
  ['10.0.0.0/8', 'private network'],
  ['100.64.0.0/10', 'carrier-grade NAT (shared address space)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private network'],
  ['192.0.0.0/24', 'IETF protocol assignments (reserved)'],
  ['192.0.2.0/24', 'documentation range (TEST-NET-1)'],
  ['192.168.0.0/16', 'private network'],
  ['198.18.0.0/15', 'benchmarking range'],
  ['198.51.100.0/24', 'documentation range (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation range (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];
const SPECIAL_V6: [string, string][] = [
  ['::1/128', 'loopback'],
  ['::/128', 'unspecified address'],
  ['fc00::/7', 'private network (unique local)'],
  ['fe80::/10', 'link-local'],
  ['2001:db8::/32', 'documentation range'],
  ['ff00::/8', 'multicast'],
];

interface SpecialRange {
  bits: number;
  value: number;
  words: Words;
  org: string;
}

function compileSpecial(list: [string, string][]): SpecialRange[] {
  return list.map(([text, org]) => {
    const cidr = parseCidr(text)!;
    return cidr.version === 4
      ? { bits: cidr.bits, value: cidr.value, words: [0, 0, 0, 0], org }
      : { bits: cidr.bits, value: 0, words: cidr.words, org };
  });
}
const specialV4 = compileSpecial(SPECIAL_V4);
const specialV6 = compileSpecial(SPECIAL_V6);

function specialOrgV4(address: number): string | null {
  for (const range of specialV4) if (((address & prefixMask(range.bits)) >>> 0) === range.value) return range.org;
  return null;
}

function specialOrgV6(words: Words): string | null {
  for (const range of specialV6) {
    const masked = maskWords(words, range.bits);
    if (masked.every((word, index) => word === range.words[index])) return range.org;
  }
  return null;
}

export interface AttributorOptions {
  /** compiled IP table file (default data/generated/ip-table.bin, built if missing) */
  tablePath?: string;
  /** the table's bytes, e.g. IpTable.toShared() from the main thread, for worker threads */
  tableBytes?: Uint8Array;
  /** the catalogue (default data/actors.json) */
  cataloguePath?: string;
  catalogue?: Catalogue;
  /**
   * the compiled catalogue (default data/generated/catalogue.bin, rebuilt when missing or
   * stale); used only when neither `catalogue` nor `cataloguePath` is given
   */
  compiledCataloguePath?: string;
}

/** What loadAttributor returns: the Attributor contract plus fast paths and helpers. */
export interface CatalogueAttributor extends Attributor {
  readonly table: IpTable;
  readonly catalogue: Catalogue;
  /** milliseconds: table load, catalogue load */
  readonly loadTimings: { tableMs: number; catalogueMs: number };
  /** where the catalogue came from: the compiled file, the JSON (file missing, stale, or another catalogue), or the caller */
  readonly catalogueSource: 'compiled' | 'json' | 'given';
  /** Same as networkKey (the name the detector asked for). */
  networkKeyOf(ip: string): string;
  /** Hot path: ASN of an IPv4 address given as uint32, 0 when unknown. */
  asnOfV4(address: number): number;
  /**
   * Hot path: a number naming the network of an IPv4 address (uint32), equal for two
   * addresses exactly when networkKey is: the ASN (< 2^32), or 2^32 + n for the owned catalogue
   * prefix numbered n (prefix-index.ts), or 2^33 + the /24.
   */
  networkIdOfV4(address: number): number;
  /** A CDN or reverse proxy edge holding this address, with the header that carries the real client. */
  edgeOf(ip: string): { name: string; header: string } | null;
  /** Catalogue entries whose reverse-DNS suffix ends this (forward-confirmed) name. */
  actorsForName(name: string): ActorMatch[];
  /** Online check: published ranges first, then forward-confirmed reverse DNS against the crawler's suffixes. */
  verifyCrawlerOnline(ip: string, agent: AgentClass, resolver: ReverseResolver, options?: { timeoutMs?: number; cache?: ReverseCache }): Promise<CrawlerVerdict>;
}

export function loadAttributor(options: AttributorOptions = {}): CatalogueAttributor {
  const tableStarted = performance.now();
  const table = options.tableBytes ? new IpTable(options.tableBytes, tableStarted) : IpTable.load(options.tablePath);
  const tableMs = performance.now() - tableStarted;
  const catalogueStarted = performance.now();
  let loaded: Pick<LoadedCatalogue, 'catalogue' | 'agentRules'> & { from: CatalogueAttributor['catalogueSource'] };
  if (options.catalogue) loaded = { catalogue: options.catalogue, from: 'given', agentRules: () => null };
  else if (options.cataloguePath !== undefined) loaded = { catalogue: loadCatalogue(options.cataloguePath), from: 'json', agentRules: () => null };
  else loaded = loadCompiledCatalogue({ compiledPath: options.compiledCataloguePath });
  const catalogueMs = performance.now() - catalogueStarted;
  return new DefaultAttributor(table, loaded.catalogue, { tableMs, catalogueMs }, loaded.from, loaded.agentRules);
}

/**
 * Declared-bot classification alone, without the IP table: what a scan worker needs (it only
 * classifies user agents; the main thread attributes addresses). Saves each worker ~20 MB.
 */
export function loadAgentClassifier(options: Pick<AttributorOptions, 'compiledCataloguePath'> = {}): (userAgent: string) => AgentClass | null {
  const loaded = loadCompiledCatalogue({ compiledPath: options.compiledCataloguePath });
  let classifier: AgentClassifier | undefined;
  return (userAgent) => {
    classifier ??= new AgentClassifier(loaded.catalogue, loaded.agentRules() ?? undefined);
    return classifier.classify(userAgent);
  };
}

class DefaultAttributor implements CatalogueAttributor {
  private classifier: AgentClassifier | undefined;

  constructor(
    readonly table: IpTable,
    readonly catalogue: Catalogue,
    readonly loadTimings: { tableMs: number; catalogueMs: number },
    readonly catalogueSource: CatalogueAttributor['catalogueSource'],
    /** the package's declared-bot rules compiled at install, or null: derive them on first use */
    private readonly agentRules: () => CompiledAgentRules | null,
  ) {}

  /** Most specific owned catalogue prefix (hit number) holding an address the IP table does not know, or -1. */
  private ownedHitV4(address: number): number {
    return specialOrgV4(address) === null ? this.catalogue.ownedHitV4(address) : -1;
  }

  network(ip: string): NetworkInfo {
    const address = parseAddress(ip);
    if (!address) return { cidr: ip, asn: null, org: null, country: null, rdns: [] };
    if (address.version === 4) {
      const value = address.value;
      const index = this.table.indexV4(value);
      const country = this.table.countryOfV4(value);
      if (index >= 0) {
        const range = this.table.rangeV4(index);
        return { cidr: enclosingCidrV4(value, range.start, range.end), asn: range.asn, org: range.org, country, rdns: [] };
      }
      const special = specialOrgV4(value);
      if (special === null) {
        const owned = this.catalogue.ownedHitV4(value);
        if (owned >= 0) return { cidr: this.catalogue.prefixText(owned), asn: null, org: this.catalogue.ownerLabel(owned), country, rdns: [] };
      }
      return { cidr: `${formatIPv4((value & 0xffffff00) >>> 0)}/24`, asn: null, org: special, country: special ? null : country, rdns: [] };
    }
    const words = address.words;
    const index = this.table.indexV6(words[0]!, words[1]!);
    const country = this.table.countryOfV6(words[0]!, words[1]!);
    if (index >= 0) {
      const range = this.table.rangeV6(index);
      return { cidr: enclosingCidrV6(words[0]!, words[1]!, range.start, range.end), asn: range.asn, org: range.org, country, rdns: [] };
    }
    const special = specialOrgV6(words);
    const matches = special === null ? this.catalogue.match(address, 0).filter((match) => match.owner !== undefined) : [];
    if (matches.length > 0 && matches[0]!.cidr) {
      const match = matches[0]!;
      return { cidr: match.cidr!, asn: null, org: `${match.owner} (${match.documented})`, country, rdns: [] };
    }
    return { cidr: `${formatIPv6(maskWords(words, 48))}/48`, asn: null, org: special, country: special ? null : country, rdns: [] };
  }

  networkKey(ip: string): string {
    // IPv4 first without allocating: this runs once per distinct client
    const value = parseIPv4(ip);
    if (value >= 0) {
      const asn = this.table.asnOfV4(value);
      if (asn > 0) return this.asnKey(asn);
      const owned = this.ownedHitV4(value);
      if (owned >= 0) return this.catalogue.prefixText(owned);
      return `${formatIPv4((value & 0xffffff00) >>> 0)}/24`;
    }
    // IPv6 into scratch words, also without allocating when the ASN is known (most clients)
    const words = this.scratchWords;
    if (!parseIPv6(ip, words)) return ip;
    const mapped = mappedIPv4(words);
    if (mapped >= 0) return this.networkKey(formatIPv4(mapped));
    const asn = this.table.asnOfV6(words[0]!, words[1]!);
    if (asn > 0) return this.asnKey(asn);
    return this.network(ip).cidr;
  }

  private readonly scratchWords: Words = [0, 0, 0, 0];

  private readonly asnKeys = new Map<number, string>();

  /** "AS15169", interned: the detector compares and stores these by the million */
  private asnKey(asn: number): string {
    let key = this.asnKeys.get(asn);
    if (key === undefined) this.asnKeys.set(asn, (key = `AS${asn}`));
    return key;
  }

  networkKeyOf(ip: string): string {
    return this.networkKey(ip);
  }

  asnOfV4(address: number): number {
    return this.table.asnOfV4(address);
  }

  networkIdOfV4(address: number): number {
    const asn = this.table.asnOfV4(address);
    if (asn > 0) return asn;
    const owned = this.ownedHitV4(address);
    if (owned >= 0) return 2 ** 32 + owned;
    return 2 ** 33 + (address >>> 8);
  }

  private asnOf(address: ParsedAddress): number {
    return address.version === 4 ? this.table.asnOfV4(address.value) : this.table.asnOfV6(address.words[0]!, address.words[1]!);
  }

  actors(ip: string): ActorMatch[] {
    // once per client in analysis (10^4-10^6 calls): IPv4 without allocating a ParsedAddress
    const value = parseIPv4(ip);
    if (value >= 0) return this.catalogue.matchV4(value, this.table.asnOfV4(value));
    const address = parseAddress(ip);
    if (!address) return [];
    return this.catalogue.match(address, this.asnOf(address));
  }

  actorsForName(name: string): ActorMatch[] {
    return this.catalogue.matchName(name);
  }

  classifyAgent(userAgent: string): AgentClass | null {
    this.classifier ??= new AgentClassifier(this.catalogue, this.agentRules() ?? undefined);
    return this.classifier.classify(userAgent);
  }

  verifyCrawler(ip: string, agent: AgentClass): CrawlerVerdict {
    const entry = this.catalogue.entryForAgent(agent);
    if (!entry || !entry.hasNetworks) return 'unverifiable';
    const address = parseAddress(ip);
    if (!address) return 'impostor';
    return this.catalogue.covers(entry, address, this.asnOf(address)) ? 'verified' : 'impostor';
  }

  async verifyCrawlerOnline(
    ip: string,
    agent: AgentClass,
    resolver: ReverseResolver,
    options: { timeoutMs?: number; cache?: ReverseCache } = {},
  ): Promise<CrawlerVerdict> {
    const offline = this.verifyCrawler(ip, agent);
    if (offline === 'verified') return offline;
    const entry = this.catalogue.entryForAgent(agent);
    if (!entry || entry.suffixes.length === 0) return offline;
    const reverse = await reverseLookup(ip, resolver, { timeoutMs: options.timeoutMs, cache: options.cache ?? createReverseCache() });
    // published lists lag behind; a forward-confirmed name under the crawler's own domain settles it
    if (reverse.confirmed.some((name) => entry.suffixes.some((suffix) => name.endsWith(suffix)))) return 'verified';
    // no answer is not evidence: keep the offline verdict
    if (reverse.status === 'timeout' || reverse.status === 'error') return offline;
    return 'impostor';
  }

  edgeOf(ip: string): { name: string; header: string } | null {
    const address = parseAddress(ip);
    if (!address) return null;
    for (const match of this.catalogue.match(address, this.asnOf(address))) {
      const entry = this.catalogue.get(match.id);
      if (entry?.edge) return { name: entry.name.replace(/ edge$/, ''), header: entry.edge.header };
    }
    return null;
  }
}

let defaultAttributor: CatalogueAttributor | undefined;

/** The process-wide attributor with default data, loaded on first use. */
export function getDefaultAttributor(): CatalogueAttributor {
  defaultAttributor ??= loadAttributor();
  return defaultAttributor;
}

/**
 * The CDN or proxy whose edge holds this address ("Cloudflare", "Amazon CloudFront", "Fastly", "Akamai"),
 * or null. For the scan's warning: when most clients are one CDN's edges the log records the
 * CDN, not the users; configure the real-client-IP field (CF-Connecting-IP, X-Forwarded-For).
 */
export function cdnOf(ip: string, attributor: CatalogueAttributor = getDefaultAttributor()): string | null {
  return attributor.edgeOf(ip)?.name ?? null;
}
