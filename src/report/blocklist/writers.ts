import { formatCidr, formatCompact, type Cidr } from '../../common/cidr.js';
import type { Blocklist, BlockEntry } from './model.js';

/**
 * Blocklist writers: each reads the one Blocklist model and returns the file's text. They sit
 * in one map; `block --to` names come from its keys.
 *
 * Only two kinds of text reach a file: CIDRs we format from numbers, and the provenance
 * (source names, owners, file names), which comes from logs, network data or a report file and
 * may hold anything. Provenance goes into comments only, through `commentSafe`, or into JSON
 * and CSV through their own escaping; never into configuration syntax.
 */
export interface BlocklistWriter {
  description: string;
  /** how to use the file, one line for its header */
  usage: string;
  render(list: Blocklist): string;
}

/**
 * Text safe inside a one-line `#` comment of any target: printable ASCII stays, everything
 * else (newlines that would end the comment, control characters, non-ASCII) and the backslash
 * (a line continuation in Apache's parser) become `\xNN` / `\u{N}`, so no line ends in one.
 */
export function commentSafe(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e && char !== '\\') out += char;
    else out += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  }
  return out;
}

const MAX_FILES_NAMED = 5;

/** The provenance, one fact per line, not yet escaped or prefixed. */
export function headerLines(list: Blocklist, target: string, usage: string): string[] {
  const { scan } = list;
  const files = scan.files.length > MAX_FILES_NAMED ? [...scan.files.slice(0, MAX_FILES_NAMED), `and ${scan.files.length - MAX_FILES_NAMED} more`] : scan.files;
  const ipv4 = list.entries.filter((entry) => entry.cidr.family === 4).length;
  const lines = [
    `written by ${list.tool} (block --to ${target}) at ${list.generatedAt}`,
    `scan: ${scan.label}: ${files.join(', ') || 'no file'}; format ${scan.format}; ${scan.records} records from ${scan.from ?? '?'} to ${scan.to ?? '?'}`,
    `selection: ${list.selection}`,
  ];
  list.sources.forEach((source, index) => {
    const network = [source.org, source.asn !== null ? `AS${source.asn}` : null, source.announced].filter(Boolean).join(' ');
    const confidence = source.confidence === null ? '' : `, confidence ${source.confidence.toFixed(2)}`;
    lines.push(
      `source ${index + 1}: ${source.kind}${source.pattern ? ` (${source.pattern})` : ''} ${source.name}${network ? ` [${network}]` : ''}${confidence}, ${source.addresses} address${source.addresses === 1 ? '' : 'es'} -> ${source.cidrs.length} entr${source.cidrs.length === 1 ? 'y' : 'ies'}: ${source.why}`,
    );
  });
  if (list.sources.length === 0) lines.push('source: none selected');
  if (list.added.length > 0) lines.push(`added by hand (--add): ${list.added.join(' ')}`);
  if (list.excepted.length > 0) lines.push(`excepted (--except): ${list.excepted.join(' ')}`);
  for (const refusal of list.refused) lines.push(`refused: ${refusal.cidr} of ${refusal.from}: ${refusal.reason} (--force blocks it anyway)`);
  for (const forced of list.forced) lines.push(`forced: ${forced.cidr} of ${forced.from} although it is ${forced.reason} (--force)`);
  if (list.invalid.length > 0) lines.push(`skipped: ${list.invalid.length} entr${list.invalid.length === 1 ? 'y' : 'ies'} of the report that are not addresses`);
  lines.push(`entries: ${list.entries.length} (${ipv4} IPv4, ${list.entries.length - ipv4} IPv6)`);
  lines.push(`usage: ${usage}`);
  return lines;
}

function hashHeader(list: Blocklist, target: string, usage: string): string {
  return headerLines(list, target, usage).map((line) => `# ${commentSafe(line)}\n`).join('');
}

const byFamily = (entries: BlockEntry[], family: 4 | 6): Cidr[] => entries.filter((entry) => entry.cidr.family === family).map((entry) => entry.cidr);

/** One writer whose body is a line per entry under a `#` header. */
function lineWriter(target: string, description: string, usage: string, line: (cidr: Cidr) => string, wrap: (body: string) => string = (body) => body): BlocklistWriter {
  return {
    description,
    usage,
    render: (list) => hashHeader(list, target, usage) + wrap(list.entries.map((entry) => line(entry.cidr) + '\n').join('')),
  };
}

function setName(family: 4 | 6): string {
  return family === 4 ? 'replaywatch-ipv4' : 'replaywatch-ipv6';
}

function nftables(): BlocklistWriter {
  const usage = 'nft -f FILE (replaces the table inet replaywatch: sets blocked_ipv4, blocked_ipv6; web ports 80 and 443 of blocked clients are reset)';
  return {
    description: 'an nftables table with two named sets and the rules that use them, for nft -f',
    usage,
    render(list) {
      const set = (name: string, type: string, cidrs: Cidr[]) =>
        `  set ${name} {\n    type ${type}\n    flags interval\n${cidrs.length > 0 ? `    elements = {\n${cidrs.map((cidr) => `      ${formatCompact(cidr)},\n`).join('')}    }\n` : ''}  }\n`;
      return (
        '#!/usr/sbin/nft -f\n' +
        hashHeader(list, 'nftables', usage) +
        // declaring, deleting and re-creating the table makes loading the file idempotent
        'table inet replaywatch\ndelete table inet replaywatch\n' +
        'table inet replaywatch {\n' +
        set('blocked_ipv4', 'ipv4_addr', byFamily(list.entries, 4)) +
        set('blocked_ipv6', 'ipv6_addr', byFamily(list.entries, 6)) +
        '  chain input {\n    type filter hook input priority filter; policy accept;\n' +
        '    ip saddr @blocked_ipv4 tcp dport { 80, 443 } reject with tcp reset\n' +
        '    ip6 saddr @blocked_ipv6 tcp dport { 80, 443 } reject with tcp reset\n  }\n}\n'
      );
    },
  };
}

function ipset(): BlocklistWriter {
  const usage = `ipset restore < FILE; then iptables -I INPUT -p tcp -m multiport --dports 80,443 -m set --match-set ${setName(4)} src -j REJECT --reject-with tcp-reset (and ip6tables with ${setName(6)})`;
  return {
    description: 'ipset restore format: two hash:net sets (IPv4, IPv6), flushed and refilled',
    usage,
    render(list) {
      let body = '';
      for (const family of [4, 6] as const) {
        const name = setName(family);
        body += `create ${name} hash:net family ${family === 4 ? 'inet' : 'inet6'} -exist\nflush ${name}\n`;
        for (const cidr of byFamily(list.entries, family)) body += `add ${name} ${formatCompact(cidr)}\n`;
      }
      return hashHeader(list, 'ipset', usage) + body;
    },
  };
}

/** CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function decisionReason(list: Blocklist, entry: BlockEntry): string {
  const names = entry.sources.map((index) => list.sources[index]!).map((source) => `${source.kind} ${source.name}`);
  if (entry.added) names.push('added by hand');
  // shown in cscli's tables and logs: no control characters
  return commentSafe(`replaywatch: ${names.join(', ')}`);
}

export const blocklistWriters = {
  nginx: lineWriter(
    'nginx',
    'nginx deny lines (403 for blocked clients)',
    'include FILE; in an http, server or location block, then nginx -t && nginx -s reload',
    (cidr) => `deny ${formatCidr(cidr)};`,
  ),
  'nginx-geo': lineWriter(
    'nginx-geo',
    'an nginx geo map setting $replaywatch_blocked, for a return 403 or 404 of your choice',
    'include FILE; in the http block; in a server or location: if ($replaywatch_blocked) { return 403; }',
    (cidr) => `    ${formatCidr(cidr)} 1;`,
    (body) => `geo $replaywatch_blocked {\n    default 0;\n${body}}\n`,
  ),
  apache: lineWriter(
    'apache',
    'Apache 2.4 Require not ip inside <RequireAll> (403 for blocked clients)',
    'Include FILE inside a <Directory>, <Location> or <VirtualHost> where you would write Require all granted; apachectl configtest && apachectl graceful',
    (cidr) => `    Require not ip ${formatCidr(cidr)}`,
    (body) => `<RequireAll>\n    Require all granted\n${body}</RequireAll>\n`,
  ),
  nftables: nftables(),
  ipset: ipset(),
  haproxy: lineWriter(
    'haproxy',
    'an HAProxy ACL pattern file (one network a line)',
    'in a frontend: http-request deny deny_status 403 if { src -f FILE }; haproxy -c -f haproxy.cfg && reload',
    (cidr) => formatCidr(cidr),
  ),
  crowdsec: {
    description: 'CrowdSec decisions (JSON) for cscli decisions import: duration, the source as reason (scenario), ranges',
    usage: 'cscli decisions import -i FILE.json --scope range (the file name must end in .json; cscli 1.4 replaces a file\'s scope by its --scope flag)',
    render(list) {
      // JSON has no comments: the provenance is in each decision's reason (CrowdSec shows it as
      // the scenario) and in full in `block --to json`. Every entry is a range (a /32 or /128 for
      // one address), so the file imports alike whatever cscli does with the scope column.
      const decisions = list.entries.map((entry) => ({
        duration: list.duration,
        reason: decisionReason(list, entry),
        scope: 'range',
        type: 'ban',
        value: formatCidr(entry.cidr),
      }));
      return JSON.stringify(decisions, null, 2) + '\n';
    },
  },
  json: {
    description: 'the blocklist model as JSON: entries with their sources, and the provenance',
    usage: 'any program; entries[].cidr is the network, about says what made it',
    render(list) {
      const about = { ...list, entries: undefined, header: headerLines(list, 'json', 'any program') };
      const entries = list.entries.map((entry) => ({
        cidr: formatCidr(entry.cidr),
        family: entry.cidr.family === 4 ? 'ipv4' : 'ipv6',
        sources: entry.sources.map((index) => list.sources[index]!.name),
        kinds: [...new Set(entry.sources.map((index) => list.sources[index]!.kind))],
        added: entry.added,
      }));
      return JSON.stringify({ about, entries }, null, 2) + '\n';
    },
  },
  csv: {
    description: 'CSV: cidr, family, kinds, sources, ASNs, confidence, why (provenance in # lines above)',
    usage: 'a spreadsheet or script; skip the lines that start with #',
    render(list) {
      const rows = list.entries.map((entry) => {
        const sources = entry.sources.map((index) => list.sources[index]!);
        const scored = sources.map((source) => source.confidence).filter((confidence): confidence is number => confidence !== null);
        return [
          formatCidr(entry.cidr),
          entry.cidr.family === 4 ? 'ipv4' : 'ipv6',
          [...new Set(sources.map((source) => source.kind)), ...(entry.added ? ['added'] : [])].join(' '),
          sources.map((source) => source.name).join('; '),
          [...new Set(sources.map((source) => source.asn).filter((asn) => asn !== null))].join(' '),
          scored.length > 0 ? Math.max(...scored).toFixed(2) : '',
          sources.map((source) => source.why).join('; '),
        ]
          .map(csvField)
          .join(',');
      });
      return hashHeader(list, 'csv', 'a spreadsheet or script; skip the lines that start with #') + 'cidr,family,kinds,sources,asns,confidence,why\n' + rows.map((row) => row + '\n').join('');
    },
  },
  cidr: lineWriter('cidr', 'one CIDR a line, with # comments (firehol, ipset-style lists, the guard\'s live list)', 'any tool that reads one network a line and # comments', (cidr) => formatCidr(cidr)),
} satisfies Record<string, BlocklistWriter>;

export type BlocklistTarget = keyof typeof blocklistWriters;

export function renderBlocklist(list: Blocklist, target: BlocklistTarget): string {
  return blocklistWriters[target].render(list);
}
