import ipaddr from 'ipaddr.js';
import type { ActorMatch, AgentClass, Attributor } from '../attribute/types.js';

/*
 * The verdict per canary, shared by `canary report` and the scan's `canaries` section.
 *
 * Which fetch is "the machine under test"? The simplest honest rule: the first fetch. A canary
 * is opened once, from one machine (or clicked once in one mail or chat), so whatever comes
 * first is that click, and everything later from another client is someone else. One exception
 * is decidable from the hits: when the first fetch comes from a catalogued mail scanner or
 * gateway (or declares a scanner agent) and a later fetch comes from another network with an
 * ordinary browser agent, the later one is the human click and the earlier scanner fetches are
 * `prefetcher`s (negative lag: they came before the click).
 *
 * Every other fetch, by a client other than the one that clicked:
 * - a declared link-preview agent (Slackbot, ...) is `link-preview`;
 * - a declared crawler is `crawler`;
 * - anything else is `replayer`: nobody was given the URL, so whoever fetches it later got it
 *   from the machine under test (or from the mail/chat service it was pasted into).
 * Later fetches by the clicking client itself (reloads, the browser's own prefetch) are counted
 * as `repeats`, not listed as others.
 */

export type CanaryFetchKind = 'replayer' | 'prefetcher' | 'link-preview' | 'crawler';

/** What the report needs of a canary (the store's CanaryRecord fits). */
export interface CanaryInput {
  token: string;
  label: string;
  url: string;
  /** ms since the epoch */
  created: number;
  revoked?: number | null;
}

/** What the report needs of one fetch (the store's CanaryHitRecord fits; so does a parsed log line). */
export interface CanaryHitInput {
  token: string;
  /** ms since the epoch */
  time: number;
  ip: string;
  userAgent: string | null;
  method?: string;
  /** the request target, when the hit was read from a log */
  url?: string;
}

export interface CanaryNetwork {
  cidr: string;
  asn: number | null;
  org: string | null;
  country: string | null;
}

export interface CanaryActor {
  name: string;
  kind: string;
  documented: string;
}

export interface CanaryFirstHit {
  ip: string;
  time: string;
  userAgent: string | null;
  /** further fetches by the same client (reloads), not counted as leaks */
  repeats: number;
  network: CanaryNetwork;
  actors: CanaryActor[];
}

export interface CanaryOtherFetch {
  ip: string;
  time: string;
  /** seconds after the first fetch; negative for a prefetcher (before the click) */
  lagSeconds: number;
  userAgent: string | null;
  kind: CanaryFetchKind;
  network: CanaryNetwork;
  actors: CanaryActor[];
  /** the declared bot family from the user agent, if any */
  agent: string | null;
  method: string | null;
  sentence: string;
}

export type CanaryStatus = 'never-opened' | 'waiting' | 'leaks' | 'prefetched' | 'previewed' | 'crawled';

export interface CanaryReportEntry {
  token: string;
  label: string;
  url: string;
  created: string;
  revoked: string | null;
  firstHit: CanaryFirstHit | null;
  others: CanaryOtherFetch[];
  verdict: {
    status: CanaryStatus;
    /** one plain sentence for a person */
    sentence: string;
    /** one line per (kind, network) that fetched it */
    details: string[];
  };
}

export interface CanaryReport {
  canaries: CanaryReportEntry[];
}

const scannerActorKinds = new Set(['prefetcher', 'scanner', 'gateway']);

/**
 * Builds the report for `canaries` from their `hits` (any order; hits of other tokens are
 * ignored). `now` (ms) dates "still waiting" verdicts. Pure: no I/O, no clock. The attributor
 * may be given as a function that loads it: it is then called only when a fetch is to be
 * attributed (a report of canaries nobody opened loads no tables).
 */
export function buildCanaryReport(
  canaries: readonly CanaryInput[],
  hits: readonly CanaryHitInput[],
  attributor: Attributor | (() => Attributor),
  now: number,
): CanaryReport {
  const byToken = new Map<string, CanaryHitInput[]>();
  for (const hit of hits) {
    const list = byToken.get(hit.token);
    if (list) list.push(hit);
    else byToken.set(hit.token, [hit]);
  }
  const describe = memoiseAttribution(attributor);
  return {
    canaries: canaries.map((canary) => buildEntry(canary, (byToken.get(canary.token) ?? []).slice().sort((a, b) => a.time - b.time), describe, now)),
  };
}

interface Attribution {
  network: CanaryNetwork;
  networkKey: string;
  actors: ActorMatch[];
}

function memoiseAttribution(given: Attributor | (() => Attributor)): {
  ip(ip: string): Attribution;
  agent(userAgent: string | null): AgentClass | null;
  client(ip: string): string;
} {
  let loaded: Attributor | null = typeof given === 'function' ? null : given;
  const attributor = (): Attributor => (loaded ??= (given as () => Attributor)());
  const ips = new Map<string, Attribution>();
  const agents = new Map<string, AgentClass | null>();
  const clients = new Map<string, string>();
  return {
    // parsed once per address: a canary that a flood fetched has thousands of hits from a few addresses
    client(ip) {
      let key = clients.get(ip);
      if (key === undefined) {
        key = clientKey(ip);
        clients.set(ip, key);
      }
      return key;
    },
    ip(ip) {
      let known = ips.get(ip);
      if (known === undefined) {
        let info: CanaryNetwork = { cidr: fallbackCidr(ip), asn: null, org: null, country: null };
        let networkKey = info.cidr;
        let actors: ActorMatch[] = [];
        // loaded outside the try: tables that cannot be loaded are an error, not a fallback
        const source = attributor();
        try {
          const network = source.network(ip);
          info = { cidr: network.cidr, asn: network.asn, org: network.org, country: network.country };
          networkKey = source.networkKey(ip);
          actors = source.actors(ip);
        } catch {
          // an address the attribution layer cannot place keeps the fallback prefix
        }
        known = { network: info, networkKey, actors };
        ips.set(ip, known);
      }
      return known;
    },
    agent(userAgent) {
      if (!userAgent) return null;
      let known = agents.get(userAgent);
      if (known === undefined) {
        const source = attributor();
        try {
          known = source.classifyAgent(userAgent);
        } catch {
          known = null;
        }
        agents.set(userAgent, known);
      }
      return known;
    },
  };
}

type Describe = ReturnType<typeof memoiseAttribution>;

function buildEntry(canary: CanaryInput, hits: CanaryHitInput[], describe: Describe, now: number): CanaryReportEntry {
  const base = {
    token: canary.token,
    label: canary.label,
    url: canary.url,
    created: new Date(canary.created).toISOString(),
    revoked: canary.revoked ? new Date(canary.revoked).toISOString() : null,
  };
  if (hits.length === 0) {
    return {
      ...base,
      firstHit: null,
      others: [],
      verdict: { status: 'never-opened', sentence: `never opened: no fetch in the ${formatDuration(now - canary.created)} since it was created`, details: [] },
    };
  }

  const isScanner = (hit: CanaryHitInput) =>
    describe.ip(hit.ip).actors.some((actor) => scannerActorKinds.has(actor.kind)) || describe.agent(hit.userAgent)?.kind === 'scanner';

  // the click: the first fetch, unless a scanner came first and a person from elsewhere followed
  let click = hits[0]!;
  if (isScanner(click)) {
    const firstKey = describe.ip(click.ip).networkKey;
    const human = hits.find((hit) => !isScanner(hit) && describe.agent(hit.userAgent) === null && describe.ip(hit.ip).networkKey !== firstKey);
    if (human) click = human;
  }

  const clickAttribution = describe.ip(click.ip);
  let repeats = 0;
  const others: CanaryOtherFetch[] = [];
  for (const hit of hits) {
    if (hit === click) continue;
    if (describe.client(hit.ip) === describe.client(click.ip)) {
      repeats++;
      continue;
    }
    const attribution = describe.ip(hit.ip);
    const agent = describe.agent(hit.userAgent);
    const lagMs = hit.time - click.time;
    let kind: CanaryFetchKind;
    if (agent?.kind === 'link-preview') kind = 'link-preview';
    else if (agent?.kind === 'crawler') kind = 'crawler';
    else if (lagMs < 0 && isScanner(hit)) kind = 'prefetcher';
    else kind = 'replayer';
    const other: CanaryOtherFetch = {
      ip: hit.ip,
      time: new Date(hit.time).toISOString(),
      lagSeconds: Math.round(lagMs) / 1000,
      userAgent: hit.userAgent,
      kind,
      network: attribution.network,
      actors: attribution.actors.map(toActor),
      agent: agent?.name ?? null,
      method: hit.method ?? null,
      sentence: '',
    };
    other.sentence = sentenceFor(other);
    others.push(other);
  }

  const firstHit: CanaryFirstHit = {
    ip: click.ip,
    time: new Date(click.time).toISOString(),
    userAgent: click.userAgent,
    repeats,
    network: clickAttribution.network,
    actors: clickAttribution.actors.map(toActor),
  };
  return { ...base, firstHit, others, verdict: verdictFor(others, click, now) };
}

function toActor(actor: ActorMatch): CanaryActor {
  return { name: actor.name, kind: actor.kind, documented: actor.documented };
}

/** Who owns a fetcher's network, in words. */
function ownerOf(fetch: { network: CanaryNetwork; actors: CanaryActor[] }): string {
  const actor = fetch.actors[0];
  const network = fetch.network;
  const registry = [network.org, network.asn === null ? null : `AS${network.asn}`, network.country].filter((part) => part !== null).join(', ');
  if (actor) return `${actor.name}${actor.documented ? `, ${actor.documented}` : ''}${registry ? `; ${registry}` : ''}`;
  if (registry) return `${registry}, ${network.cidr}`;
  return `network ${network.cidr}, owner unknown`;
}

function leakTarget(fetch: { network: CanaryNetwork; actors: CanaryActor[] }): string {
  return fetch.actors[0]?.name ?? fetch.network.org ?? `whoever runs ${fetch.network.cidr}`;
}

function sentenceFor(fetch: CanaryOtherFetch): string {
  const lag = formatDuration(Math.abs(fetch.lagSeconds * 1000));
  const owner = ownerOf(fetch);
  switch (fetch.kind) {
    case 'prefetcher':
      return `fetched ${lag} before the click by ${fetch.ip} (${owner}): a link scanner opens links before the person does, and would use up one-time links`;
    case 'link-preview':
      return `previewed ${lag} later by ${fetch.agent ?? 'a link previewer'} from ${fetch.ip} (${owner}): the link was shared in a chat or mail and that service fetched it`;
    case 'crawler':
      return `crawled ${lag} later by ${fetch.agent ?? 'a crawler'} from ${fetch.ip} (${owner}): the address reached a crawler, so it was published or leaked somewhere`;
    case 'replayer':
      return `fetched ${lag} later by ${fetch.ip} (${owner}): this machine's browsing leaks to ${leakTarget(fetch)}`;
  }
}

const statusOrder: Array<[CanaryFetchKind, CanaryStatus]> = [
  ['replayer', 'leaks'],
  ['prefetcher', 'prefetched'],
  ['link-preview', 'previewed'],
  ['crawler', 'crawled'],
];

function verdictFor(others: CanaryOtherFetch[], click: CanaryHitInput, now: number): CanaryReportEntry['verdict'] {
  // one detail per kind and network, in time order
  const groups = new Map<string, CanaryOtherFetch[]>();
  for (const other of others) {
    const key = `${other.kind}\u0000${other.network.cidr}`;
    const list = groups.get(key);
    if (list) list.push(other);
    else groups.set(key, [other]);
  }
  const details = [...groups.values()].map((group) => {
    const first = group[0]!;
    const ips = [...new Set(group.map((fetch) => fetch.ip))];
    const more = group.length > 1 ? ` (${group.length} fetches from ${ips.length} address${ips.length === 1 ? '' : 'es'})` : '';
    return `${first.kind}: ${first.sentence}${more}`;
  });
  for (const [kind, status] of statusOrder) {
    const first = others.find((other) => other.kind === kind);
    if (!first) continue;
    const networks = new Set(others.filter((other) => other.kind === kind).map((other) => other.network.cidr)).size;
    const also = networks > 1 ? ` (and ${networks - 1} other network${networks === 2 ? '' : 's'})` : '';
    return { status, sentence: first.sentence + also, details };
  }
  return {
    status: 'waiting',
    sentence: `opened from ${click.ip}; no other fetch in the ${formatDuration(now - click.time)} since the first`,
    details,
  };
}

/**
 * Who a client is: the IPv4 address (an IPv4-mapped IPv6 address is its IPv4 client), or the
 * IPv6 /64 (privacy addresses rotate inside it). Equal keys are the same client; text that is
 * no address is only itself.
 */
function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `text ${ip}`;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  return `${(address as ipaddr.IPv6).parts.slice(0, 4).join(':')}::/64`;
}

function fallbackCidr(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') {
    const octets = (address as ipaddr.IPv4).octets;
    return `${octets[0]}.${octets[1]}.${octets[2]}.0/24`;
  }
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/48`).toString()}/48`;
}

/** "41 s", "3 min", "26 h", "5 days". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}
