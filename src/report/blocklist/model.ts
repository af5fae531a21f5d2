import {
  aggregateCidrs,
  clientCidr,
  containsCidr,
  formatCidr,
  overlapsCidr,
  parseCidrText,
  subtractCidr,
  type Cidr,
} from '../../common/cidr.js';
import type { ReportModel, SourceView } from '../model.js';

/**
 * The blocklist model: what a `block` run decided, built once from a report and read by every
 * writer (writers.ts). Everything a reviewer needs to check a generated file is here: the scan
 * it came from, each selected source with why, what was added, excepted and refused.
 */
export type BlockKind = SourceView['kind'] | 'probe';
export const blockKinds: readonly BlockKind[] = ['replayer', 'prefetcher', 'link-preview', 'crawler', 'probe'];

export interface BlockSelection {
  kinds: BlockKind[];
  minConfidence: number;
  /** case-insensitive substrings of the catalogue name, owner, agent family or actor id; any matches */
  names: string[];
  asns: number[];
  add: string[];
  except: string[];
  /** block each selected source's announced prefix instead of its client addresses */
  widen: boolean;
  /** write rules for loopback, private ranges, this machine's addresses and verified crawlers too */
  force: boolean;
}

export interface BlockContext {
  /** when the file is written (ISO, UTC) */
  now: string;
  /** "replaywatch 0.1.0" */
  tool: string;
  /** the scan: a report file name, or "scan of" the inputs */
  scanLabel: string;
  /** this machine's own addresses (os.networkInterfaces) */
  ownAddresses: string[];
  /** how long a decision lasts, for targets that expire them (CrowdSec) */
  duration: string;
}

export interface BlockSource {
  name: string;
  kind: BlockKind;
  pattern?: string;
  confidence: number | null;
  asn: number | null;
  org: string | null;
  announced: string | null;
  addresses: number;
  /** the source's share of the final entries */
  cidrs: string[];
  /** one line of evidence */
  why: string;
}

export interface BlockEntry {
  cidr: Cidr;
  /** indexes into sources; empty for entries only from --add */
  sources: number[];
  added: boolean;
}

export interface BlockRefusal {
  cidr: string;
  reason: string;
  /** who asked for it: a source's name, or --add */
  from: string;
}

export interface Blocklist {
  tool: string;
  generatedAt: string;
  duration: string;
  scan: { label: string; files: string[]; format: string; records: number; from: string | null; to: string | null };
  selection: string;
  sources: BlockSource[];
  entries: BlockEntry[];
  added: string[];
  excepted: string[];
  refused: BlockRefusal[];
  /** refused unless --force: forced ones are blocked and listed here */
  forced: BlockRefusal[];
  /** addresses in the report that are not addresses (a hand-edited or hostile report) */
  invalid: string[];
}

/** Ranges no blocklist should name without --force: they are never a remote third party. */
const PROTECTED_RANGES: [string, string][] = [
  ['0.0.0.0/8', 'the unspecified range'],
  ['10.0.0.0/8', 'a private range'],
  ['100.64.0.0/10', 'carrier-grade NAT space'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'a private range'],
  ['192.168.0.0/16', 'a private range'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['::/128', 'the unspecified address'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'a private range (unique local)'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
].map(([cidr, reason]) => [cidr!, reason!]);
const protectedRanges = PROTECTED_RANGES.map(([text, reason]) => ({ cidr: parseCidrText(text)!, reason }));

export function sourceName(source: SourceView): string {
  return source.actor?.name ?? source.agent ?? source.network.org ?? (source.network.asn ? `AS${source.network.asn}` : `network ${source.network.cidr}`);
}

function whyOf(source: SourceView): string {
  const share = Math.round(source.authMismatch * 100);
  switch (source.kind) {
    case 'replayer':
      return `replayed ${source.replays} rare URLs first requested by ${source.victims} other clients${share > 0 ? `, ${share}% of them denied or served an error page` : ''}`;
    case 'prefetcher':
      return `first on ${source.urls} rare URLs that ${source.victims} other clients then opened (one-time links consumed before the person)`;
    case 'link-preview':
      return `declared link previewer${source.agent ? ` ${source.agent}` : ''}: fetched ${source.urls} shared URLs`;
    case 'crawler':
      return `declared crawler${source.agent ? ` ${source.agent}` : ''}${source.verified === true ? ' (verified)' : source.verified === false ? ' outside its published ranges' : ''}: ${source.requests} requests`;
  }
}

function matchesName(source: SourceView, names: string[], asns: number[]): boolean {
  if (names.length === 0 && asns.length === 0) return true;
  if (source.network.asn !== null && asns.includes(source.network.asn)) return true;
  const haystack = [source.actor?.name, source.actor?.id, source.agent, source.network.org].filter((text): text is string => typeof text === 'string').map((text) => text.toLowerCase());
  return names.some((name) => haystack.some((text) => text.includes(name.toLowerCase())));
}

interface Candidate {
  cidr: Cidr;
  source: number;
  from: string;
}

/** Parse --add/--except values; the CLI turns a null into a usage error. */
export function parseCidrList(values: string[]): { cidrs: Cidr[]; bad: string[] } {
  const cidrs: Cidr[] = [];
  const bad: string[] = [];
  for (const value of values) {
    const cidr = parseCidrText(value);
    if (cidr === null) bad.push(value);
    else cidrs.push(cidr);
  }
  return { cidrs, bad };
}

export function buildBlocklist(report: ReportModel, selection: BlockSelection, context: BlockContext): Blocklist {
  const sources: BlockSource[] = [];
  const candidates: Candidate[] = [];
  const invalid: string[] = [];
  // verified crawlers in the report: their addresses are protected like our own
  const verifiedCrawlers: { cidr: Cidr; name: string }[] = [];
  for (const source of report.sources) {
    if (source.kind !== 'crawler' || source.verified !== true) continue;
    for (const ip of source.ips) {
      const cidr = clientCidr(ip);
      if (cidr) verifiedCrawlers.push({ cidr, name: sourceName(source) });
    }
  }

  for (const source of report.sources) {
    if (!selection.kinds.includes(source.kind) || source.confidence < selection.minConfidence || !matchesName(source, selection.names, selection.asns)) continue;
    const index = sources.length;
    const name = sourceName(source);
    sources.push({
      name,
      kind: source.kind,
      ...(source.pattern ? { pattern: source.pattern } : {}),
      confidence: source.confidence,
      asn: source.network.asn,
      org: source.network.org,
      announced: source.network.cidr,
      addresses: source.ips.length,
      cidrs: [],
      why: whyOf(source),
    });
    // --widen: the announced prefix stands for the addresses inside it; a source's addresses
    // outside it (a second network of the same actor) stay exact, as the report has no prefix for them
    const announced = selection.widen && source.network.cidr.includes('/') ? parseCidrText(source.network.cidr) : null;
    for (const ip of source.ips) {
      const cidr = clientCidr(ip);
      if (cidr === null) invalid.push(ip);
      else candidates.push({ cidr: announced !== null && containsCidr(announced, cidr) ? announced : cidr, source: index, from: name });
    }
  }
  if (selection.kinds.includes('probe')) {
    for (const probe of report.probes) {
      if (!matchesName({ network: probe.network } as SourceView, selection.names, selection.asns)) continue;
      const cidr = clientCidr(probe.ip);
      if (cidr === null) {
        invalid.push(probe.ip);
        continue;
      }
      const index = sources.length;
      const name = probe.network.org ?? probe.ip;
      sources.push({
        name,
        kind: 'probe',
        confidence: null,
        asn: probe.network.asn,
        org: probe.network.org,
        announced: probe.network.cidr,
        addresses: 1,
        cidrs: [],
        why: `requested ${probe.paths} paths of software this site does not run, e.g. ${probe.examples.slice(0, 3).join(' ')}`,
      });
      candidates.push({ cidr: selection.widen ? (parseCidrText(probe.network.cidr) ?? cidr) : cidr, source: index, from: name });
    }
  }
  const added = parseCidrList(selection.add).cidrs;
  for (const cidr of added) candidates.push({ cidr, source: -1, from: '--add' });

  const own = context.ownAddresses.map((ip) => ({ ip, cidr: parseCidrText(ip) })).filter((entry): entry is { ip: string; cidr: Cidr } => entry.cidr !== null && !entry.ip.includes('/'));
  const refusalOf = (cidr: Cidr): string | null => {
    for (const range of protectedRanges) if (overlapsCidr(range.cidr, cidr)) return range.reason;
    for (const address of own) if (containsCidr(cidr, address.cidr)) return `this machine's own address ${address.ip}`;
    for (const crawler of verifiedCrawlers) if (overlapsCidr(crawler.cidr, cidr)) return `the verified crawler ${crawler.name}`;
    return null;
  };

  const refused: BlockRefusal[] = [];
  const forced: BlockRefusal[] = [];
  const kept: Candidate[] = [];
  const seenRefusal = new Set<string>();
  for (const candidate of candidates) {
    const reason = refusalOf(candidate.cidr);
    if (reason === null) {
      kept.push(candidate);
      continue;
    }
    const refusal = { cidr: formatCidr(candidate.cidr), reason, from: candidate.from };
    const key = `${refusal.cidr} ${refusal.from}`;
    if (seenRefusal.has(key)) continue;
    seenRefusal.add(key);
    if (selection.force) {
      forced.push(refusal);
      kept.push(candidate);
    } else {
      refused.push(refusal);
    }
  }

  const excepted = parseCidrList(selection.except).cidrs;
  let merged = aggregateCidrs(kept.map((candidate) => candidate.cidr));
  for (const hole of excepted) merged = merged.flatMap((cidr) => subtractCidr(cidr, hole));
  const entries: BlockEntry[] = merged.map((cidr) => {
    const owners = new Set<number>();
    let isAdded = false;
    for (const candidate of kept) {
      if (!overlapsCidr(cidr, candidate.cidr)) continue;
      if (candidate.source === -1) isAdded = true;
      else owners.add(candidate.source);
    }
    return { cidr, sources: [...owners].sort((a, b) => a - b), added: isAdded };
  });
  for (const entry of entries) for (const index of entry.sources) sources[index]!.cidrs.push(formatCidr(entry.cidr));

  const selectionText = [
    `kinds ${selection.kinds.join(',')}`,
    `min confidence ${selection.minConfidence}`,
    selection.names.length > 0 || selection.asns.length > 0 ? `matching ${[...selection.names.map((name) => JSON.stringify(name)), ...selection.asns.map((asn) => `AS${asn}`)].join(' or ')}` : null,
    selection.widen ? 'widened to each source\'s announced prefix' : 'exact client addresses (IPv6 clients as /64)',
    selection.force ? 'forced' : null,
  ].filter(Boolean);
  return {
    tool: context.tool,
    generatedAt: context.now,
    duration: context.duration,
    scan: {
      label: context.scanLabel,
      files: report.input.files,
      format: report.input.format,
      records: report.input.records,
      from: report.input.from,
      to: report.input.to,
    },
    selection: selectionText.join('; '),
    sources,
    entries,
    added: added.map(formatCidr),
    excepted: excepted.map(formatCidr),
    refused,
    forced,
    invalid: [...new Set(invalid)],
  };
}
