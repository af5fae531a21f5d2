import ipaddr from 'ipaddr.js';
import { formatChance, pairsInvolving, signalsOf } from '../../detect/index.js';
import type { EvidencePair } from '../../detect/types.js';
import { Field, type ParsedRecord } from '../../formats/record.js';
import { formatDuration, formatNumber, isoTime } from '../../report/index.js';
import { ReplaywatchError } from '../../common/errors.js';
import { clientAddressText } from '../../common/ip-text.js';
import { terminalText } from '../../common/terminal-text.js';
import { useColour } from '../io.js';
import type { RegisterCommand } from '../main.js';
import { scan } from '../../scan/index.js';
import { engineOptions, parseScanOptions } from '../scan-options.js';
import { addScanOptions, progressHook } from './scan.js';
import pc from 'picocolors';

type Matcher = (ip: string) => boolean;

/** An address, a CIDR, or an IPv6 /64 written as a prefix. */
export function parseTarget(target: string): Matcher {
  // the records hold `::ffff:1.2.3.4` as 1.2.3.4 (common/ip-text.ts): so does the target
  target = target.includes('/') ? target : clientAddressText(target);
  try {
    if (target.includes('/')) {
      const [range, bits] = ipaddr.parseCIDR(target);
      return (ip) => {
        if (!ipaddr.isValid(ip)) return false;
        const address = ipaddr.process(ip);
        return address.kind() === range.kind() && address.match(range, bits);
      };
    }
    const wanted = ipaddr.process(target).toString();
    return (ip) => ipaddr.isValid(ip) && ipaddr.process(ip).toString() === wanted;
  } catch {
    throw new ReplaywatchError('E_USAGE', `"${target}" is not an IP address or CIDR`, { hint: 'replaywatch explain 150.70.97.43 access.log  or  replaywatch explain 150.70.0.0/16 access.log' });
  }
}

export const registerExplain: RegisterCommand = (program, io, setExitCode) => {
  const command = program
    .command('explain')
    .description('print everything the evidence says about one client or network, request by request')
    .argument('<target>', 'an IP address or a CIDR (150.70.97.43, 150.70.0.0/16, 2001:db8:1:2::/64)')
    .argument('[inputs...]', 'log files, directories, .gz files, or - for stdin', ['-'])
    .option('--limit <n>', 'at most this many requests listed per client', '50');
  addScanOptions(command).action(async (target: string, inputs: string[], raw: Record<string, unknown>) => {
    const matches = parseTarget(target);
    const options = parseScanOptions({ ...raw, minConfidence: raw.minConfidence ?? '0' });
    const limit = Number(raw.limit ?? 50);
    const requests = new Map<string, ParsedRecord[]>();
    const verdictCache = new Map<string, boolean>();
    const progress = progressHook(io, options.progress);
    let result;
    let engine;
    try {
      engine = await engineOptions(inputs, options, io, {
        progress: progress.hook,
        onRecord: (record) => {
          const ip = record.text(Field.Ip);
          let hit = verdictCache.get(ip);
          if (hit === undefined) verdictCache.set(ip, (hit = matches(ip)));
          if (!hit) return;
          let list = requests.get(ip);
          if (list === undefined) requests.set(ip, (list = []));
          list.push(record.toObject());
        },
      });
      result = await scan(engine);
    } finally {
      progress.stop();
    }
    const { detector, findings, attributor, model } = result;
    const clients = new Set<number>();
    for (const ip of requests.keys()) {
      const client = detector.clientOf(ip);
      if (client >= 0) clients.add(client);
    }
    if (clients.size === 0) {
      io.stderr.write(`replaywatch: ${terminalText(target)} not found: no request from it in the input\n`);
      // like grep: 1 when nothing matched, so a script can tell "not there" from "explained"
      setExitCode(1);
      return;
    }
    // what scan does to its report, done to every line here: people pseudonymized (sources and
    // probes stay named), secrets in URLs redacted, and in the terminal every string escaped
    const named = new Set<number>(findings.probes.map((probe) => probe.client));
    for (const source of findings.sources) for (const client of source.clients) named.add(client);
    const anonymize = typeof engine.anonymize === 'function' ? engine.anonymize : undefined;
    const addressOf = (client: number, ip: string): string => (anonymize && !named.has(client) ? anonymize(ip) : ip);
    const redact = engine.redact ?? ((url: string) => url);
    // a pair's other side is a client, not the address of that request: an IPv6 client of several
    // addresses is shown as its /64, so nobody greps the log for an address that never made it
    const clientText = (client: number): string => {
      const first = detector.firstAddressOf(client);
      if (anonymize && !named.has(client)) return anonymize(first);
      return first.includes(':') && detector.addressesOf(client).length > 1 ? detector.summary(client).key : first;
    };
    const show: Shown = { address: clientText, url: redact };
    const requestOut = (client: number, request: ParsedRecord): ParsedRecord => ({
      ...request,
      ip: addressOf(client, request.ip),
      url: redact(request.url),
      referrer: redact(request.referrer),
    });
    const shownTarget = anonymize && !target.includes('/') && ![...clients].some((client) => named.has(client)) ? anonymize(target) : target;
    const pairs = pairsInvolving(detector, { networkKey: (address) => attributor.networkKey(address) }, clients);
    const sourceOf = (client: number) => findings.sources.findIndex((source) => source.clients.includes(client));
    if (options.json) {
      const explained = [...clients].sort((a, b) => a - b).map((client) => {
        const summary = detector.summary(client);
        const index = sourceOf(client);
        const ev = findings.evidence.get(client);
        return {
          client: addressOf(client, summary.key),
          addresses: summary.addresses.map((address) => addressOf(client, address)),
          network: attributor.network(summary.addresses[0]!),
          actors: attributor.actors(summary.addresses[0]!),
          verdict: index >= 0 ? { kind: findings.sources[index]!.kind, pattern: findings.sources[index]!.pattern, confidence: findings.sources[index]!.confidence, reasons: findings.sources[index]!.reasons } : null,
          counts: { ...summary, client: undefined, key: undefined, addresses: undefined },
          evidence: ev
            ? {
                strongReplays: ev.strongReplays, weakReplays: ev.weakReplays, strongOriginated: ev.strongOriginated, weakOriginated: ev.weakOriginated, leads: ev.leads, victims: ev.victims.size, ...(ev.victimsCapped ? { victimsCapped: true } : {}), human: ev.human,
                explained: ev.explained, ambiguous: ev.ambiguous, inStep: ev.inStep, snapshotReplays: ev.snapshotReplays, repeatReplays: ev.repeatReplays, entryPoints: ev.entryPoints, bits: ev.bits, share: ev.share,
              }
            : null,
          signals: signalsOf(ev, summary, findings.policy),
          replays: pairs.replays.filter((pair) => pair.replay.client === client).map((pair) => pairView(pair, show)),
          replayedBy: pairs.replays.filter((pair) => pair.origin.client === client).map((pair) => pairView(pair, show)),
          leads: pairs.leads.filter((pair) => pair.origin.client === client).map((pair) => pairView(pair, show)),
          ...(findings.histories?.has(client) ? { history: findings.histories.get(client)!.map((pair) => pairView(pair, show)) } : {}),
          requests: summary.addresses
            .flatMap((address) => requests.get(address) ?? [])
            .sort((a, b) => a.time - b.time)
            .slice(0, limit)
            .map((request) => requestOut(client, request)),
        };
      });
      const probes = model.probes.filter((probe) => matches(probe.ip));
      io.stdout.write(JSON.stringify({ target: shownTarget, clients: explained, probes, ...(model.privacy ? { privacy: model.privacy } : {}) }, null, 2) + '\n');
      setExitCode(0);
      return;
    }
    const c = pc.createColors(useColour(io.stdout, io.env));
    const t = terminalText;
    const out: string[] = [c.bold(`replaywatch explain ${t(shownTarget)}`) + c.dim(` · ${clients.size} client${clients.size === 1 ? '' : 's'} in ${t(model.input.files.join(', '))}`), ''];
    for (const client of [...clients].sort((a, b) => a - b)) {
      const summary = detector.summary(client);
      const address = summary.addresses[0]!;
      const network = attributor.network(address);
      const key = addressOf(client, summary.key);
      out.push(c.bold(key) + `  ${[network.org ?? 'unknown owner', network.asn ? `AS${network.asn}` : null, network.cidr, network.country].filter(Boolean).join('  ')}`);
      for (const actor of attributor.actors(address)) out.push(c.cyan(`  catalogue: ${actor.name} (${actor.kind}), ${actor.documented} — ${actor.source}`));
      const index = sourceOf(client);
      if (index >= 0) {
        const source = findings.sources[index]!;
        out.push(`  verdict: ${c.bold(source.kind)}${source.pattern ? ` (${source.pattern})` : ''}, confidence ${source.confidence.toFixed(2)}${source.confidence < 0.5 ? c.dim(' — below the default --min-confidence 0.5') : ''}`);
        for (const reason of source.reasons) out.push(c.dim(`    · ${t(reason)}`));
      } else {
        out.push(`  verdict: ${c.green('not a source')} (people, monitors and feed readers are not reported)`);
      }
      out.push(
        `  requests ${formatNumber(summary.requests)}: pages ${summary.pages}, assets ${summary.assets}, scripts ${summary.scripts}, POST and other writes ${summary.posts}, with referrer ${summary.withReferrer}, HTTP/1.0 ${summary.http10}, denied ${summary.denied}, not found ${summary.notFound}`,
      );
      out.push(`  seen ${isoTime(summary.first)} → ${isoTime(summary.last)}; user agent: ${t(summary.userAgent) || '(none)'}${summary.userAgents > 1 ? ' (and others)' : ''}`);
      const ev = findings.evidence.get(client);
      if (ev) {
        out.push(
          `  rare URLs: replayed ${ev.strongReplays + ev.weakReplays} (${ev.strongReplays} rare overall, ${ev.weakReplays} rare that day) from ${ev.victimsCapped ? 'at least ' : ''}${ev.victims.size} origins; originated ${ev.strongOriginated} (+${ev.weakOriginated} that day); first on ${ev.leads} that others followed within 15 min${ev.human ? '; behaves like a person (assets, referrers or form posts)' : ''}`,
        );
      }
      const signals = signalsOf(ev, summary, findings.policy);
      out.push('  signals for:');
      for (const line of signals.for) out.push(c.red(`    + ${line}`));
      out.push('  signals against:');
      for (const line of signals.against) out.push(c.green(`    - ${line}`));
      const own = pairs.replays.filter((pair) => pair.replay.client === client);
      if (own.length > 0) {
        out.push(`  its replays (origin → this client), ${own.length}:`);
        for (const pair of own.slice(0, limit)) out.push(...pairLines(pair, show, c));
      }
      const history = findings.histories?.get(client) ?? [];
      if (history.length > 0) {
        out.push(`  pages of one person's history in its bursts (the log read again for them), ${history.length}:`);
        for (const pair of history.slice(0, limit)) out.push(...pairLines(pair, show, c));
      }
      const led = pairs.leads.filter((pair) => pair.origin.client === client);
      if (led.length > 0) {
        out.push(`  first on URLs others then requested, ${led.length}:`);
        for (const pair of led.slice(0, limit)) out.push(...pairLines(pair, show, c));
      }
      const theirs = pairs.replays.filter((pair) => pair.origin.client === client);
      if (theirs.length > 0) out.push(c.dim(`  its own rare URLs later requested from other networks: ${theirs.length}`));
      const list = summary.addresses.flatMap((a) => requests.get(a) ?? []).sort((a, b) => a.time - b.time);
      out.push(`  requests${list.length > limit ? ` (first ${limit} of ${list.length}; --limit to see more)` : ''}:`);
      for (const raw of list.slice(0, limit)) {
        const request = requestOut(client, raw);
        out.push(
          c.dim(`    ${new Date(request.time).toISOString().replace('T', ' ').slice(0, 19)}  `) +
            `${t(request.method)} ${t(request.url)} ${t(request.protocol)}  ${request.status}  ${request.bytes < 0 ? '-' : request.bytes} B` +
            c.dim(`  ${request.referrer && request.referrer !== '-' ? `ref ${t(request.referrer)}  ` : ''}${raw.ip !== summary.key ? t(request.ip) : ''}`),
        );
      }
      out.push('');
    }
    for (const probe of model.probes.filter((entry) => matches(entry.ip))) out.push(c.yellow(`${t(probe.ip)} probes: ${probe.paths} ${probe.pathsNotKept ? 'requests for paths' : 'paths'} of other software${probe.examples.length > 0 ? `, e.g. ${t(probe.examples.join('  '))}` : ' (paths not kept: memory budget)'}`));
    if (anonymize) out.push(c.dim("Anonymized (--anonymize): people's addresses are pseudonyms (anon-…); replayers, crawlers and probes stay named."));
    io.stdout.write(out.join('\n') + '\n');
    setExitCode(0);
  });
};

/** How explain shows a client's address and a URL (pseudonymized, redacted as the options say). */
interface Shown {
  address(client: number): string;
  url(url: string): string;
}

function pairView(pair: EvidencePair, show: Shown) {
  const side = (request: EvidencePair['origin']) => ({ ip: show.address(request.client), time: isoTime(request.time), status: request.status, bytes: request.bytes });
  return {
    url: show.url(pair.url), origin: side(pair.origin), replay: side(pair.replay), lagSeconds: pair.lagSeconds, rareOverall: pair.strong, authMismatch: pair.authMismatch,
    evidenceBits: pair.bits, inStep: pair.inStep === true, ...(pair.history === true ? { history: true } : {}),
  };
}

function pairLines(pair: EvidencePair, show: Shown, c: ReturnType<typeof pc.createColors>): string[] {
  const side = (label: string, request: EvidencePair['origin']) =>
    `       ${label.padEnd(7)} ${show.address(request.client).padEnd(16)} ${isoTime(request.time).replace('T', ' ').replace('Z', '')}  ${request.status}  ${formatNumber(request.bytes)} B`;
  return [
    pair.history === true
      ? `    ${terminalText(show.url(pair.url))}${pair.authMismatch ? c.red(' auth mismatch') : ''}${c.dim(" · the person's visit, then the burst's fetch")}`
      : `    ${terminalText(show.url(pair.url))}${pair.strong ? '' : c.dim(' (rare that day)')}${pair.authMismatch ? c.red(' auth mismatch') : ''}${pair.inStep === true ? c.red(' in step') : ''}` +
        (pair.bits === undefined ? '' : c.dim(pair.bits === 0 ? ' · entry point, no evidence' : ` · chance ${formatChance(pair.bits)}`)),
    side('first', pair.origin),
    side('then', pair.replay) + c.dim(`  +${formatDuration(pair.lagSeconds)}`),
  ];
}
