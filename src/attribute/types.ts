/**
 * What the rest of the pipeline may ask of attribution. The core (detect, report, canary)
 * depends on these types only; the CLI wires the real implementations.
 */

/** Where a client sits: its announced prefix and owner, as far as known. */
export interface NetworkInfo {
  /** announced prefix from the IP-to-ASN table, or the fallback /24 (IPv4) or /48 (IPv6) */
  cidr: string;
  asn: number | null;
  org: string | null;
  /** ISO 3166 alpha-2, or null */
  country: string | null;
  /** reverse names, forward-confirmed, filled only for clients a report shows and only online */
  rdns: string[];
}

export type ActorKind = 'replayer' | 'prefetcher' | 'link-preview' | 'crawler' | 'scanner' | 'gateway' | 'cloud';

/** A catalogue entry that matched a client, with when the claim was documented. */
export interface ActorMatch {
  id: string;
  name: string;
  kind: ActorKind;
  /** how the match was made */
  by: 'network' | 'asn' | 'user-agent' | 'rdns';
  /** e.g. "documented 2010-2012" */
  documented: string;
  source: string;
  /** the catalogue prefix that matched (by 'network') */
  cidr?: string;
  /** the ASN that matched (by 'asn') */
  asn?: number;
  /** the organisation to name when the IP table has none, e.g. "Trend Micro" */
  owner?: string;
  /** matched by an ASN that serves much else (a whole cloud): names the owner, is no prior for behaviour */
  shared?: boolean;
}

/** A declared bot recognised by its user agent. */
export interface AgentClass {
  kind: 'crawler' | 'link-preview' | 'scanner' | 'tool' | 'monitor' | 'feed';
  /** family name: "Googlebot", "Slackbot", ... */
  name: string;
  /** the catalogue entry whose user-agent pattern matched, when one did (used by verifyCrawler) */
  actor?: string;
}

export type CrawlerVerdict = 'verified' | 'impostor' | 'unverifiable';

export interface Attributor {
  /** Offline, fast: the network of an address (IPv4 text, IPv6 text). */
  network(ip: string): NetworkInfo;
  /** A stable key used to decide "same network" (ASN when known, else the prefix). */
  networkKey(ip: string): string;
  /** Catalogue entries that cover this address (network/ASN), most specific first. */
  actors(ip: string): ActorMatch[];
  /** Classify a user agent as a declared bot, or null for browsers and unknowns. */
  classifyAgent(userAgent: string): AgentClass | null;
  /** For a client claiming to be a crawler: does its network match the crawler's published ranges? */
  verifyCrawler(ip: string, agent: AgentClass): CrawlerVerdict;
}

/** Reverse DNS, behind an interface so the core is testable without a network. */
export type ResolvePtr = (ip: string) => Promise<string[]>;
export type ResolveAddresses = (name: string) => Promise<string[]>;

export interface ReverseName {
  /** PTR names */
  names: string[];
  /** names whose forward lookup returned the same address */
  confirmed: string[];
  /** 'ok' | 'timeout' | 'error' | 'none' (no PTR) */
  status: 'ok' | 'timeout' | 'error' | 'none';
}
