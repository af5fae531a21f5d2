import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ReplaywatchError } from '../../common/errors.js';
import {
  blockKinds,
  blocklistWriters,
  buildBlocklist,
  commentSafe,
  diffLines,
  parseCidrList,
  type BlockKind,
  type BlocklistTarget,
  type BlockSelection,
  type ReportModel,
} from '../../report/index.js';
import type { CliIo } from '../io.js';
import type { RegisterCommand } from '../main.js';
import { scan } from '../../scan/index.js';
import { engineOptions, parseScanOptions } from '../scan-options.js';
import { addScanOptions, progressHook } from './scan.js';

const require = createRequire(import.meta.url);
const packageJson = require('../../../package.json') as { version: string };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Every block option, once, with its default: the flags come from this table (scan's options are added after). */
export const blockOptionSpecs = [
  { flags: '--to <target>', description: `what to write: ${Object.keys(blocklistWriters).join(', ')}` },
  { flags: '--from <report.json>', description: 'a report written by scan --json, instead of scanning logs' },
  { flags: '-o, --output <file>', description: 'the file to write (default: stdout)' },
  { flags: '--dry-run', description: 'print the diff between --output and what would be written, and write nothing (exit 1 when they differ)', defaultValue: false },
  { flags: '--kind <kinds>', description: `kinds of source to block, comma-separated: ${blockKinds.join(', ')}`, defaultValue: 'replayer,prefetcher' },
  { flags: '--name <text>', description: 'only sources whose catalogue name, owner, agent or actor id contains this (repeatable; any one matches)', repeatable: true },
  { flags: '--asn <number>', description: 'only sources in this autonomous system (repeatable; any one matches)', repeatable: true },
  { flags: '--add <cidr>', description: 'also block this address or network (repeatable)', repeatable: true },
  { flags: '--except <cidr>', description: 'never block inside this address or network (repeatable)', repeatable: true },
  { flags: '--widen', description: "block each source's whole announced prefix, not only the addresses seen", defaultValue: false },
  { flags: '--force', description: "also block loopback, private ranges, this machine's addresses and verified crawlers (refused otherwise)", defaultValue: false },
  { flags: '--duration <duration>', description: 'how long CrowdSec decisions last (--to crowdsec)', defaultValue: '168h' },
] as const;

const examples = `
Examples:
  replaywatch block --from report.json --to nginx -o /etc/nginx/replaywatch.conf
  replaywatch block /var/log/apache2/ --to apache -o /etc/apache2/conf-available/replaywatch.conf
  replaywatch block --from report.json --to nftables -o replaywatch.nft && nft -f replaywatch.nft
  replaywatch block --from report.json --to ipset | ipset restore
  replaywatch block --from report.json --to haproxy -o /etc/haproxy/replaywatch.acl
  replaywatch block --from report.json --to crowdsec --duration 72h -o d.json && cscli decisions import -i d.json
  replaywatch block --from report.json --to cidr --kind prefetcher --name proofpoint
  replaywatch block --from report.json --to nginx -o /etc/nginx/replaywatch.conf --dry-run

The file's header comment says which scan, when, which sources and why. Loopback, private
ranges, this machine's addresses and verified crawlers are refused unless --force.`;

/** Read a report written by `scan --json`: the fields block reads are checked, nothing else is trusted. */
export function readReport(path: string): ReportModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ReplaywatchError('E_INPUT_UNREADABLE', `cannot read the report ${path}`, { cause, hint: 'replaywatch scan access.log --json > report.json' });
  }
  const report = parsed as Partial<ReportModel>;
  const fine =
    typeof report === 'object' &&
    report !== null &&
    report.version === 1 &&
    Array.isArray(report.sources) &&
    report.sources.every((source) => typeof source === 'object' && source !== null && typeof source.kind === 'string' && typeof source.confidence === 'number' && Array.isArray(source.ips) && typeof source.network === 'object' && source.network !== null) &&
    (report.probes === undefined || (Array.isArray(report.probes) && report.probes.every((probe) => typeof probe === 'object' && probe !== null && typeof probe.ip === 'string' && typeof probe.network === 'object' && probe.network !== null)));
  if (!fine) throw new ReplaywatchError('E_INPUT_UNREADABLE', `${path} is not a report of scan --json (version 1)`, { hint: 'replaywatch scan access.log --json > report.json' });
  const input = (typeof report.input === 'object' && report.input !== null ? report.input : {}) as Partial<ReportModel['input']>;
  return {
    ...(report as ReportModel),
    // every field a writer prints is made the type it claims to be: a report file is input like any other
    probes: (report.probes ?? []).map((probe) => ({ ...probe, network: networkOf(probe.network), paths: Number(probe.paths) || 0, examples: Array.isArray(probe.examples) ? probe.examples.map(String) : [] })),
    sources: report.sources!.map((source) => ({
      ...source,
      pattern: typeof source.pattern === 'string' ? source.pattern : undefined,
      ips: source.ips.filter((ip): ip is string => typeof ip === 'string'),
      network: networkOf(source.network),
      actor: typeof source.actor === 'object' && source.actor !== null && typeof source.actor.name === 'string' && typeof source.actor.id === 'string' ? source.actor : undefined,
      agent: typeof source.agent === 'string' ? source.agent : undefined,
      requests: Number(source.requests) || 0,
      replays: Number(source.replays) || 0,
      urls: Number(source.urls) || 0,
      victims: Number(source.victims) || 0,
      authMismatch: Number(source.authMismatch) || 0,
    })),
    input: {
      files: Array.isArray(input.files) ? input.files.map(String) : [],
      lines: Number(input.lines ?? 0),
      records: Number(input.records ?? 0),
      skipped: Number(input.skipped ?? 0),
      skippedExamples: [],
      format: String(input.format ?? 'unknown'),
      from: typeof input.from === 'string' ? input.from : null,
      to: typeof input.to === 'string' ? input.to : null,
    },
  };
}

function networkOf(network: ReportModel['sources'][number]['network']): ReportModel['sources'][number]['network'] {
  return {
    ...network,
    cidr: typeof network.cidr === 'string' ? network.cidr : '',
    asn: typeof network.asn === 'number' ? network.asn : null,
    org: typeof network.org === 'string' ? network.org : null,
  };
}

/** This machine's addresses, which a blocklist must not name without --force. */
export function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .map((entry) => entry.address.replace(/%.*$/, ''));
}

export function parseBlockSelection(raw: Record<string, unknown>, minConfidence: number): BlockSelection {
  const kinds = String(raw.kind ?? 'replayer,prefetcher')
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  for (const kind of kinds) if (!blockKinds.includes(kind as BlockKind)) throw new ReplaywatchError('E_USAGE', `--kind ${kind} is not a kind`, { hint: `one or more of ${blockKinds.join(',')}` });
  const asns = ((raw.asn as string[] | undefined) ?? []).map((text) => {
    const asn = Number(String(text).replace(/^AS/i, ''));
    if (!Number.isInteger(asn) || asn < 0 || asn > 4294967295) throw new ReplaywatchError('E_USAGE', `--asn ${text} is not an AS number`, { hint: '--asn 16880 or --asn AS16880' });
    return asn;
  });
  const add = (raw.add as string[] | undefined) ?? [];
  const except = (raw.except as string[] | undefined) ?? [];
  const bad = [...parseCidrList(add).bad, ...parseCidrList(except).bad];
  if (bad.length > 0) throw new ReplaywatchError('E_USAGE', `not an address or CIDR: ${bad.map((text) => commentSafe(text)).join(', ')}`, { hint: '--add 203.0.113.0/24 --except 2001:db8::/32' });
  return { kinds: kinds as BlockKind[], minConfidence, names: (raw.name as string[] | undefined) ?? [], asns, add, except, widen: raw.widen === true, force: raw.force === true };
}

/** SOURCE_DATE_EPOCH (reproducible builds) fixes the time written in headers; else now. */
function nowText(env: NodeJS.ProcessEnv): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const date = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Write through a temporary file and a rename, so a server never includes a half-written file. */
function writeAtomically(path: string, text: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (cause) {
    throw new ReplaywatchError('E_INPUT_UNREADABLE', `cannot write ${path}`, { cause });
  }
}

function say(io: CliIo, text: string): void {
  io.stderr.write(`replaywatch: ${text}\n`);
}

export const registerBlock: RegisterCommand = (program, io, setExitCode) => {
  const command: Command = program
    .command('block')
    .description('write a blocklist of the sources a scan found, for nginx, Apache, nftables, ipset, HAProxy, CrowdSec or any tool')
    .argument('[inputs...]', 'log files, directories, .gz files, or - for stdin (scanned as by scan), unless --from names a report')
    .addHelpText('after', examples);
  for (const spec of blockOptionSpecs) {
    if ('repeatable' in spec) command.addOption(new Option(spec.flags, spec.description).argParser(collect));
    else if ('defaultValue' in spec && spec.defaultValue !== false) command.option(spec.flags, spec.description, spec.defaultValue);
    else command.option(spec.flags, spec.description);
  }
  addScanOptions(command, ['--json']).action(async (inputs: string[], raw: Record<string, unknown>) => {
    const target = raw.to as string | undefined;
    if (target === undefined || !Object.hasOwn(blocklistWriters, target))
      throw new ReplaywatchError('E_USAGE', target === undefined ? '--to is required' : `--to ${commentSafe(target)} is not a target`, { hint: `--to one of ${Object.keys(blocklistWriters).join(', ')}` });
    const options = parseScanOptions(raw);
    const selection = parseBlockSelection(raw, options.minConfidence);
    const from = raw.from as string | undefined;
    if (from !== undefined && inputs.length > 0) throw new ReplaywatchError('E_USAGE', 'give either --from report.json or logs to scan, not both');
    if (raw.dryRun === true && raw.output === undefined) throw new ReplaywatchError('E_USAGE', '--dry-run compares with the file named by --output', { hint: '--output /etc/nginx/replaywatch.conf --dry-run' });

    let report: ReportModel;
    let scanLabel: string;
    if (from !== undefined) {
      report = readReport(resolve(io.cwd, from));
      scanLabel = `report ${from}`;
    } else {
      const progress = progressHook(io, options.progress);
      try {
        // the scan's own code path: same inputs, options and model as `scan`
        report = (await scan(await engineOptions(inputs.length > 0 ? inputs : ['-'], options, io, { progress: progress.hook }))).model;
      } finally {
        progress.stop();
      }
      scanLabel = `scan of ${inputs.length > 0 ? inputs.join(' ') : 'stdin'}`;
    }

    const list = buildBlocklist(report, selection, {
      now: nowText(io.env),
      tool: `replaywatch ${packageJson.version}`,
      scanLabel,
      ownAddresses: ownAddresses(),
      duration: String(raw.duration ?? '168h'),
    });
    for (const refusal of list.refused) say(io, commentSafe(`refused to block ${refusal.cidr} (${refusal.from}): it is ${refusal.reason}; --force blocks it anyway`));
    for (const forced of list.forced) say(io, commentSafe(`blocking ${forced.cidr} (${forced.from}) although it is ${forced.reason}, as --force asks`));
    if (list.invalid.length > 0) say(io, `skipped ${list.invalid.length} entr${list.invalid.length === 1 ? 'y' : 'ies'} of the report that ${list.invalid.length === 1 ? 'is not an address' : 'are not addresses'}`);
    if (list.entries.length === 0) say(io, 'nothing to block: no source matched the selection (the file is written empty, with its header)');

    const text = blocklistWriters[target as BlocklistTarget].render(list);
    const output = raw.output as string | undefined;
    if (output === undefined) {
      io.stdout.write(text);
    } else if (raw.dryRun === true) {
      const path = resolve(io.cwd, output);
      const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
      const diff = diffLines(current, text, existsSync(path) ? output : '/dev/null', `${output} (replaywatch block --to ${target})`);
      io.stdout.write(diff === '' ? `${output}: no change\n` : diff);
      setExitCode(diff === '' ? 0 : 1);
      return;
    } else {
      writeAtomically(resolve(io.cwd, output), text);
      say(io, `wrote ${output}: ${list.entries.length} entr${list.entries.length === 1 ? 'y' : 'ies'} from ${list.sources.length} source${list.sources.length === 1 ? '' : 's'} (${blocklistWriters[target as BlocklistTarget].usage})`);
    }
    setExitCode(0);
  });
};
