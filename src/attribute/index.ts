/**
 * Attribution: who is behind an address. IP -> network/ASN/owner/country offline, the actor
 * catalogue, declared-bot classification, crawler verification, reverse DNS.
 *
 * `loadAttributor()` is synchronous: two files compiled at install, ~17 ms
 * (median, 2-core container, node 20; see attributor.ts). Reverse DNS is the only network
 * access and only the CLI wires it (createDnsResolver).
 */
export type {
  ActorKind,
  ActorMatch,
  AgentClass,
  Attributor,
  CrawlerVerdict,
  NetworkInfo,
  ResolveAddresses,
  ResolvePtr,
  ReverseName,
} from './types.js';
export {
  ATTRIBUTION_NOTICE,
  cdnOf,
  getDefaultAttributor,
  loadAgentClassifier,
  loadAttributor,
  type AttributorOptions,
  type CatalogueAttributor,
} from './attributor.js';
export {
  createDnsResolver,
  createReverseCache,
  reverseLookup,
  reverseLookupAll,
  type DnsResolverOptions,
  type ReverseCache,
  type ReverseLookupOptions,
  type ReverseResolver,
} from './rdns.js';
export { Catalogue, loadCatalogue, parseCatalogue, type ActorEntry, type ActorEntryData } from './catalogue.js';
export { loadCompiledCatalogue, type CompiledCatalogueOptions, type LoadedCatalogue } from './compiled-catalogue.js';
export { IpTable } from './ip-table.js';
export { parseIPv4, parseIPv6, parseAddress, parseCidr } from './address.js';
