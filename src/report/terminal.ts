import pc from 'picocolors';
import { terminalStrings } from '../common/terminal-text.js';
import type { ExampleView, ReportModel, SourceView } from './model.js';

export interface TerminalOptions {
  colour: boolean;
  width?: number;
}

/** The report a webmaster reads at a glance: most certain sources first, each with its evidence. */
export function renderTerminal(raw: ReportModel, options: TerminalOptions): string {
  // every string of the model may come from a log line: escaped once, here, before any is printed
  const model = terminalStrings(raw);
  const c = pc.createColors(options.colour);
  const out: string[] = [];
  const input = model.input;
  const span = input.from && input.to ? `${input.from.slice(0, 16).replace('T', ' ')} → ${input.to.slice(0, 16).replace('T', ' ')}` : 'no timestamps';
  out.push(c.bold(`replaywatch · ${describeFiles(input.files)}`));
  out.push(c.dim(`${formatNumber(input.records)} requests in ${formatNumber(input.lines)} lines · format ${input.format} · ${span}`));
  out.push('');

  const active = model.sources.filter((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
  const previews = model.sources.filter((source) => source.kind === 'link-preview');
  const crawlers = model.sources.filter((source) => source.kind === 'crawler');

  if (active.length === 0) {
    out.push(c.green('No replayers or prefetchers found.'));
    if (model.hiddenSources > 0)
      out.push(c.dim(`(${model.hiddenSources} weaker candidate${model.hiddenSources === 1 ? '' : 's'} below --min-confidence ${model.minConfidence}; try --min-confidence 0)`));
  } else {
    out.push(c.bold(c.red(`${active.length} source${active.length === 1 ? '' : 's'} replaying your users' URLs`)));
    active.forEach((source, index) => out.push('', ...renderSource(source, index + 1, c)));
    if (model.hiddenSources > 0) out.push('', c.dim(`(${model.hiddenSources} weaker candidate${model.hiddenSources === 1 ? '' : 's'} below --min-confidence ${model.minConfidence})`));
  }

  if (previews.length > 0) {
    out.push('', c.bold(`Link previewers (${previews.length}) — declared, but private links shared in chats reach a third party`));
    for (const source of previews) out.push(`  ${c.cyan(source.agent ?? '?')}  ${addresses(source)}  ${formatNumber(source.requests)} requests  ${networkLine(source)}`);
  }
  if (crawlers.length > 0) {
    out.push('', c.bold(`Crawlers (${crawlers.length})`));
    for (const source of crawlers) {
      const verdict =
        source.verified === true ? c.green('verified by network') : source.verified === false ? c.red(`claims ${source.agent}, is not`) : c.yellow('unverified');
      out.push(`  ${source.agent ?? '?'}  ${verdict}  ${addresses(source)}  ${formatNumber(source.requests)} requests`);
    }
  }
  if (model.probes.length > 0) {
    out.push('', c.bold(`Probes (${model.probes.length}) — requests for other software's paths, mostly refused`));
    for (const probe of model.probes.slice(0, 20)) {
      const owner = probe.network.org ? ` (${probe.network.org})` : '';
      out.push(`  ${probe.ip.padEnd(16)} ${String(probe.paths).padStart(4)} ${probe.pathsNotKept ? 'hits ' : 'paths'}  ${probe.first.slice(0, 10)}  ${c.dim(probe.examples.slice(0, 3).join('  '))}${c.dim(owner)}`);
    }
    if (model.probes.length > 20) out.push(c.dim(`  … and ${model.probes.length - 20} more (--json lists all)`));
  }
  if (model.canaries && model.canaries.length > 0) {
    out.push('', c.bold(`Canaries (${model.canaries.length})`));
    for (const canary of model.canaries as { label?: string; token?: string; url?: string; verdict?: { sentence?: string } }[]) {
      out.push(`  ${c.bold(canary.label || canary.token || '?')}  ${c.dim(canary.url ?? '')}`);
      if (canary.verdict?.sentence) out.push(`    ${canary.verdict.sentence}`);
    }
  }
  if (input.skipped > 0) {
    out.push('', c.bold(`Skipped lines: ${formatNumber(input.skipped)}`) + c.dim(` of ${formatNumber(input.lines)} (${percent(input.skipped / Math.max(1, input.lines))})`));
    for (const [reason, count] of Object.entries(input.skippedReasons ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 5)) out.push(`  ${formatNumber(count).padStart(7)}  ${reason}`);
    for (const example of input.skippedExamples.slice(0, 3))
      out.push(c.dim(`  line ${example.line}${example.file ? ` of ${example.file}` : ''}: ${example.reason}: ${truncate(example.text, 100)}`));
  }
  if (model.warnings.length > 0) {
    out.push('');
    for (const warning of model.warnings) out.push(c.yellow(`warning: ${warning}`));
  }
  if (model.privacy?.anonymized) out.push('', c.dim("Anonymized (--anonymize): people's addresses are pseudonyms (anon-…); replayers, crawlers and probes stay named."));
  if (model.privacy?.secretsRedacted && mentionsRedaction(model)) out.push('', c.dim('Secrets in URLs are shown as [redacted:hash] (equal hashes, equal values); --show-secrets shows them.'));
  out.push('', c.dim(model.attribution.reverseDns === 'offline' ? 'Reverse DNS not looked up (--offline).' : ''), c.dim(model.attribution.notice));
  return out.filter((line, index, all) => !(line === '' && all[index - 1] === '')).join('\n') + '\n';
}

type Colours = ReturnType<typeof pc.createColors>;

function mentionsRedaction(model: ReportModel): boolean {
  const urls = [...model.sources.flatMap((source) => source.examples.map((example) => example.url)), ...model.probes.flatMap((probe) => probe.examples), ...model.input.skippedExamples.map((example) => example.text)];
  return urls.some((url) => url.includes('[redacted:'));
}

function renderSource(source: SourceView, number: number, c: Colours): string[] {
  const lines: string[] = [];
  const pattern = source.pattern ? ` · ${source.pattern}` : '';
  lines.push(`${c.bold(`${number}.`)} ${c.bold(c.red(source.kind))}${pattern} · confidence ${c.bold(source.confidence.toFixed(2))}`);
  lines.push(`   ${networkLine(source)}`);
  if (source.actor) lines.push(`   ${c.cyan(`${source.actor.name}: ${source.actor.documented}`)} ${c.dim(`(${truncate(source.actor.source, 110)}; --json has the full source)`)}`);
  lines.push(`   ${addresses(source)}`);
  const lag = source.lagSeconds ? ` · lag ${formatDuration(source.lagSeconds.p50)} median, ${formatDuration(source.lagSeconds.min)}–${formatDuration(source.lagSeconds.max)}` : '';
  const what = source.kind === 'prefetcher' ? 'links opened before the user' : 'replays';
  lines.push(
    `   ${formatNumber(source.requests)} requests · ${formatNumber(source.replays)} ${what} of ${formatNumber(source.urls)} URLs from ${formatNumber(source.victims)} ${source.kind === 'prefetcher' ? 'followers' : 'people'}${lag}`,
  );
  if (source.authMismatch > 0) lines.push(`   ${percent(source.authMismatch)} ${source.kind === 'prefetcher' ? 'of followers got less than it did' : 'denied or served an error page where the origin got the page'}`);
  for (const reason of source.reasons) lines.push(c.dim(`   · ${reason}`));
  if (source.examples.length > 0) {
    lines.push('   evidence:');
    for (const example of source.examples) lines.push(...renderExample(example, source.kind === 'prefetcher', c));
  }
  return lines;
}

function renderExample(example: ExampleView, lead: boolean, c: Colours): string[] {
  const side = (label: string, request: ExampleView['origin'], lag?: number): string =>
    `       ${label.padEnd(8)} ${request.ip.padEnd(16)} ${request.time.replace('T', ' ').replace('Z', '')}  ${String(request.status).padStart(3)} ${formatNumber(request.bytes).padStart(9)} B${lag === undefined ? '' : c.dim(`  +${formatDuration(lag)}`)}`;
  return [
    `     ${c.underline(truncate(example.url, 100))}`,
    side(lead ? 'first' : 'origin', example.origin),
    side(lead ? 'then' : 'replay', example.replay, example.lagSeconds),
  ];
}

function networkLine(source: SourceView): string {
  const network = source.network;
  const parts = [network.org ?? 'unknown owner', network.asn !== null ? `AS${network.asn}` : null, network.cidr, network.country, network.rdns[0] ?? null];
  return parts.filter((part) => part !== null && part !== '').join('  ');
}

function addresses(source: SourceView): string {
  const shown = source.ips.slice(0, 4).join(', ');
  return source.ips.length > 4 ? `${source.ips.length} addresses: ${shown}, …` : source.ips.length === 1 ? shown : `${source.ips.length} addresses: ${shown}`;
}

function describeFiles(files: string[]): string {
  if (files.length === 0) return 'no input';
  if (files.length === 1) return files[0]!;
  return `${files[0]} and ${files.length - 1} more file${files.length === 2 ? '' : 's'}`;
}

export function formatNumber(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? String(seconds % 60).padStart(2, '0') + 's' : ''}`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60) ? String(Math.floor((seconds % 3600) / 60)).padStart(2, '0') + 'm' : ''}`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600) ? Math.floor((seconds % 86400) / 3600) + 'h' : ''}`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 && share > 0 ? 2 : 0)}%`;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
