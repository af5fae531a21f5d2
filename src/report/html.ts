import { createHash } from 'node:crypto';
import type { ExampleView, ProbeView, ReportModel, SourceView } from './model.js';
import type { SourcePlots } from './plots.js';
import { escapeHtml } from './escape.js';
import { formatDuration, formatNumber } from './terminal.js';

/**
 * The HTML report: one self-contained file that makes no request when opened. Plots are SVG
 * drawn here; the only script sorts and filters the tables. Every string that came from a log
 * goes through `escapeHtml`, and a Content-Security-Policy allows only this file's own script
 * and style (by hash), so even a string that escaped escaping could neither run nor fetch.
 */
export interface HtmlOptions {
  /** page title; default "replaywatch report" */
  title?: string;
  /**
   * A live page (`follow --dashboard`): connect to this same-origin Server-Sent Events path and
   * replace the report's body with each `report` event's HTML, without a reload.
   */
  liveEventsPath?: string;
}

export function renderHtml(model: ReportModel, options: HtmlOptions = {}): string {
  const title = options.title ?? 'replaywatch report';
  const script = options.liveEventsPath === undefined ? TABLE_SCRIPT : TABLE_SCRIPT + liveScript(options.liveEventsPath);
  const policy = [
    "default-src 'none'",
    `script-src '${hashOf(script)}'`,
    `style-src '${hashOf(STYLE)}'`,
    "img-src 'none'",
    options.liveEventsPath === undefined ? "connect-src 'none'" : "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main id="report">
${renderHtmlBody(model)}
</main>
<script>${script}</script>
</body>
</html>
`;
}

/** The report without the page around it: what the live dashboard sends on each update. */
export function renderHtmlBody(model: ReportModel): string {
  const input = model.input;
  const out: string[] = [];
  const span = input.from && input.to ? `${input.from.replace('T', ' ').replace('Z', '')} → ${input.to.replace('T', ' ').replace('Z', '')} UTC` : 'no timestamps';
  const active = model.sources.filter((source) => source.kind === 'replayer' || source.kind === 'prefetcher');
  out.push(`<header><h1>replaywatch</h1><p class="files">${escapeHtml(describeFiles(input.files))}</p>`);
  out.push(
    `<p class="meta">${formatNumber(input.records)} requests in ${formatNumber(input.lines)} lines · format ${escapeHtml(input.format)} · ${escapeHtml(span)}</p></header>`,
  );
  out.push('<section id="summary">');
  if (active.length === 0) out.push('<p class="verdict ok">No replayers or prefetchers found.</p>');
  else out.push(`<p class="verdict found">${active.length} source${active.length === 1 ? '' : 's'} replaying your users' URLs</p>`);
  out.push(
    `<ul class="counts"><li><b>${model.sources.length}</b> sources</li><li><b>${model.probes.length}</b> probes</li><li><b>${formatNumber(input.skipped)}</b> skipped lines</li>${model.hiddenSources > 0 ? `<li><b>${model.hiddenSources}</b> below confidence ${model.minConfidence}</li>` : ''}</ul>`,
  );
  for (const warning of model.warnings) out.push(`<p class="warning">${escapeHtml(warning)}</p>`);
  out.push('</section>');
  if (model.live) out.push(liveSection(model));

  if (model.sources.length > 0) {
    out.push('<section id="sources"><h2>Sources</h2>');
    out.push(filterInput('sources-table'));
    out.push('<div class="scroll"><table id="sources-table" class="sortable"><thead><tr>');
    for (const [label, numeric] of SOURCE_COLUMNS) out.push(`<th${numeric ? ' class="number"' : ''} data-type="${numeric ? 'number' : 'text'}"><button type="button">${label}</button></th>`);
    out.push('</tr></thead><tbody>');
    model.sources.forEach((source, index) => out.push(sourceRow(source, index)));
    out.push('</tbody></table></div>');
    model.sources.forEach((source, index) => out.push(sourceCard(source, index)));
    out.push('</section>');
  }

  if (model.probes.length > 0) {
    out.push(`<section id="probes"><h2>Probes (${model.probes.length})</h2><p class="note">Requests for other software's paths, mostly refused.</p>`);
    out.push(filterInput('probes-table'));
    out.push('<div class="scroll"><table id="probes-table" class="sortable"><thead><tr>');
    for (const [label, numeric] of PROBE_COLUMNS) out.push(`<th${numeric ? ' class="number"' : ''} data-type="${numeric ? 'number' : 'text'}"><button type="button">${label}</button></th>`);
    out.push('</tr></thead><tbody>');
    for (const probe of model.probes) out.push(probeRow(probe));
    out.push('</tbody></table></div></section>');
  }

  if (model.canaries && model.canaries.length > 0) {
    out.push(`<section id="canaries"><h2>Canaries (${model.canaries.length})</h2><ul>`);
    for (const canary of model.canaries as { label?: string; token?: string; url?: string; verdict?: { sentence?: string } }[]) {
      out.push(`<li><b>${escapeHtml(canary.label || canary.token || '?')}</b> <code>${escapeHtml(canary.url ?? '')}</code>${canary.verdict?.sentence ? `<br>${escapeHtml(canary.verdict.sentence)}` : ''}</li>`);
    }
    out.push('</ul></section>');
  }

  if (input.skipped > 0) {
    out.push(`<section id="skipped"><h2>Skipped lines: ${formatNumber(input.skipped)}</h2><p class="note">of ${formatNumber(input.lines)} lines read</p>`);
    const reasons = Object.entries(input.skippedReasons ?? {}).sort((a, b) => b[1] - a[1]);
    if (reasons.length > 0) {
      out.push('<table class="plain"><tbody>');
      for (const [reason, count] of reasons) out.push(`<tr><td class="number">${formatNumber(count)}</td><td>${escapeHtml(reason)}</td></tr>`);
      out.push('</tbody></table>');
    }
    if (input.skippedExamples.length > 0) {
      out.push('<ol class="skipped">');
      for (const example of input.skippedExamples)
        out.push(`<li><span class="where">line ${example.line}${example.file ? ` of ${escapeHtml(example.file)}` : ''}: ${escapeHtml(example.reason)}</span><pre>${escapeHtml(example.text)}</pre></li>`);
      out.push('</ol>');
    }
    out.push('</section>');
  }

  out.push(
    `<footer><p>${model.attribution.reverseDns === 'offline' ? 'Reverse DNS not looked up (--offline). ' : ''}${escapeHtml(model.attribution.notice)}</p></footer>`,
  );
  return out.join('\n');
}

/** The dashboard's figures: throughput, and the latest replays with the source each belongs to. */
function liveSection(model: ReportModel): string {
  const live = model.live!;
  const out: string[] = [
    `<section id="live"><h2>Live</h2><p class="meta"><b id="throughput">${formatNumber(Math.round(live.linesPerSecond))}</b> lines/s · ${formatNumber(live.lines)} lines read · updated ${escapeHtml(live.updated.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''))} UTC</p>`,
  ];
  if (live.recent.length > 0) {
    out.push('<div class="scroll"><table id="recent"><thead><tr><th>when (UTC)</th><th>source</th><th>address</th><th>URL</th><th class="number">lag</th></tr></thead><tbody>');
    for (const pair of live.recent) {
      // the source's own request: a replay's second side, a prefetcher's first
      const own = pair.lead ? pair.origin : pair.replay;
      out.push(
        `<tr><td>${escapeHtml(own.time.replace('T', ' ').replace('Z', ''))}</td><td><a href="#source-${pair.source + 1}">${pair.source + 1}</a></td><td><code>${escapeHtml(own.ip)}</code></td><td><code>${escapeHtml(pair.url)}</code></td><td class="number">${pair.lead ? '−' : '+'}${formatDuration(pair.lagSeconds)}</td></tr>`,
      );
    }
    out.push('</tbody></table></div>');
  }
  out.push('</section>');
  return out.join('\n');
}

const SOURCE_COLUMNS: [string, boolean][] = [
  ['#', true],
  ['kind', false],
  ['confidence', true],
  ['network', false],
  ['AS', true],
  ['addresses', true],
  ['requests', true],
  ['replays', true],
  ['victims', true],
  ['median lag', true],
];

const PROBE_COLUMNS: [string, boolean][] = [
  ['address', false],
  ['network', false],
  ['paths', true],
  ['first', false],
  ['last', false],
  ['examples', false],
];

function filterInput(table: string): string {
  return `<input type="search" class="filter" data-table="${table}" placeholder="filter rows" aria-label="filter rows">`;
}

function cell(text: string, sortKey?: number | string, numeric = false): string {
  const key = sortKey === undefined ? '' : ` data-sort="${escapeHtml(String(sortKey))}"`;
  return `<td${numeric ? ' class="number"' : ''}${key}>${text}</td>`;
}

function sourceRow(source: SourceView, index: number): string {
  const kind = source.kind + (source.pattern ? ` · ${source.pattern}` : source.agent ? ` · ${source.agent}` : '');
  const lag = source.lagSeconds;
  return (
    `<tr>` +
    cell(`<a href="#source-${index + 1}">${index + 1}</a>`, index + 1, true) +
    cell(escapeHtml(kind)) +
    cell(source.confidence.toFixed(2), source.confidence, true) +
    cell(escapeHtml(networkName(source.network))) +
    cell(source.network.asn === null ? '' : String(source.network.asn), source.network.asn ?? -1, true) +
    cell(formatNumber(source.ips.length), source.ips.length, true) +
    cell(formatNumber(source.requests), source.requests, true) +
    cell(formatNumber(source.replays), source.replays, true) +
    cell(formatNumber(source.victims), source.victims, true) +
    cell(lag ? formatDuration(lag.p50) : '', lag ? lag.p50 : -1, true) +
    `</tr>`
  );
}

function probeRow(probe: ProbeView): string {
  return (
    '<tr>' +
    cell(`<code>${escapeHtml(probe.ip)}</code>`) +
    cell(escapeHtml(networkName(probe.network))) +
    cell(formatNumber(probe.paths), probe.paths, true) +
    cell(escapeHtml(probe.first.replace('T', ' ').replace('Z', ''))) +
    cell(escapeHtml(probe.last.replace('T', ' ').replace('Z', ''))) +
    cell(probe.pathsNotKept ? 'requests counted, paths not kept (memory budget)' : probe.examples.map((path) => `<code>${escapeHtml(path)}</code>`).join(' ')) +
    '</tr>'
  );
}

function sourceCard(source: SourceView, index: number): string {
  const out: string[] = [];
  const pattern = source.pattern ? ` · ${source.pattern}` : '';
  out.push(`<article class="source ${source.kind}" id="source-${index + 1}">`);
  out.push(`<h3>${index + 1}. <span class="kind">${escapeHtml(source.kind)}</span>${escapeHtml(pattern)}${source.agent ? ` · ${escapeHtml(source.agent)}` : ''} · confidence <b>${source.confidence.toFixed(2)}</b></h3>`);
  const network = source.network;
  const networkParts = [networkName(network), network.asn !== null ? `AS${network.asn}` : null, network.cidr, network.country].filter((part): part is string => part !== null && part !== '');
  out.push(`<p class="network">${networkParts.map((part) => escapeHtml(part)).join(' · ')}</p>`);
  if (network.rdns.length > 0) out.push(`<p class="rdns">reverse DNS: ${network.rdns.map((name) => `<code>${escapeHtml(name)}</code>`).join(' ')}</p>`);
  if (source.actor) out.push(`<p class="actor">${escapeHtml(source.actor.name)}: ${escapeHtml(source.actor.documented)} <span class="dim">(${escapeHtml(source.actor.source)})</span></p>`);
  if (source.verified === false) out.push(`<p class="warning">claims to be ${escapeHtml(source.agent ?? '?')} but is not in its published ranges</p>`);
  const shownIps = source.ips.slice(0, 12);
  out.push(`<p class="ips">${source.ips.length} address${source.ips.length === 1 ? '' : 'es'}: ${shownIps.map((ip) => `<code>${escapeHtml(ip)}</code>`).join(' ')}${source.ips.length > shownIps.length ? ' …' : ''}</p>`);
  const what = source.kind === 'prefetcher' ? 'links opened before the user' : 'replays';
  const lag = source.lagSeconds ? ` · lag ${formatDuration(source.lagSeconds.p50)} median, ${formatDuration(source.lagSeconds.min)}–${formatDuration(source.lagSeconds.max)}` : '';
  out.push(
    `<p>${formatNumber(source.requests)} requests · ${formatNumber(source.replays)} ${what} of ${formatNumber(source.urls)} URLs from ${formatNumber(source.victims)} ${source.kind === 'prefetcher' ? 'followers' : 'people'}${lag}</p>`,
  );
  if (source.reasons.length > 0) out.push(`<ul class="reasons">${source.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul>`);
  if (source.plots) out.push(`<div class="plots">${lagHistogram(source.plots, source.kind === 'prefetcher')}${timeline(source.plots)}</div>`);
  if (source.examples.length > 0) {
    out.push(`<h4>Evidence</h4><div class="scroll"><table class="evidence"><thead><tr><th>URL</th><th></th><th>address</th><th>time (UTC)</th><th class="number">status</th><th class="number">bytes</th><th class="number">lag</th></tr></thead><tbody>`);
    for (const example of source.examples) out.push(evidenceRows(example, source.kind === 'prefetcher'));
    out.push('</tbody></table></div>');
  }
  out.push('</article>');
  return out.join('\n');
}

function evidenceRows(example: ExampleView, lead: boolean): string {
  const side = (label: string, request: ExampleView['origin'], lag: string): string =>
    `<td>${label}</td><td><code>${escapeHtml(request.ip)}</code></td><td>${escapeHtml(request.time.replace('T', ' ').replace('Z', ''))}</td><td class="number">${request.status}</td><td class="number">${formatNumber(request.bytes)}</td><td class="number">${lag}</td>`;
  return (
    `<tr class="pair-first"><td rowspan="2" class="url"><code>${escapeHtml(example.url)}</code></td>${side(lead ? 'first' : 'origin', example.origin, '')}</tr>` +
    `<tr class="pair-second">${side(lead ? 'then' : 'replay', example.replay, `+${formatDuration(example.lagSeconds)}`)}</tr>`
  );
}

const LAG_LABELS = ['<10s', '<1m', '<5m', '<15m', '<1h', '<3h', '<6h', '<12h', '<1d', '<3d', '<7d', '≥7d'];

/** A bar per lag bucket; the buckets are the model's (plots.ts), the labels name their upper bounds. */
function lagHistogram(plots: SourcePlots, lead: boolean): string {
  const counts = plots.lag.counts;
  const total = counts.reduce((sum, count) => sum + count, 0);
  return barPlot({
    name: 'lag-histogram',
    caption: `${lead ? 'Time until the user followed' : 'Lag after the origin'} (${formatNumber(total)} pairs)`,
    counts,
    gap: 4,
    barTitle: (index) => LAG_LABELS[index] ?? `#${index}`,
    ticks: (barWidth) =>
      counts.map((_, index) => `<text class="tick" x="${(index * barWidth + barWidth / 2).toFixed(1)}" y="${PLOT.height - PLOT.bottom + 12}" text-anchor="middle">${LAG_LABELS[index] ?? ''}</text>`).join(''),
  });
}

/** A bar per time bucket over the whole log's span; empty buckets draw nothing. */
function timeline(plots: SourcePlots): string {
  const startSeconds = Date.parse(plots.timeline.start) / 1000;
  const minute = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const counts = plots.timeline.counts;
  const end = minute(startSeconds + counts.length * plots.timeline.bucketSeconds);
  return barPlot({
    name: 'timeline',
    caption: `Over time (one bar per ${formatDuration(plots.timeline.bucketSeconds)})`,
    counts,
    gap: 1,
    skipEmpty: true,
    barTitle: (index) => minute(startSeconds + index * plots.timeline.bucketSeconds),
    ticks: () =>
      `<text class="tick" x="0" y="${PLOT.height - PLOT.bottom + 12}">${minute(startSeconds)}</text><text class="tick" x="${PLOT.width}" y="${PLOT.height - PLOT.bottom + 12}" text-anchor="end">${end}</text>`,
  });
}

/** The plots' frame in SVG user units; the SVG scales to its column's width. */
const PLOT = { width: 360, height: 150, top: 16, bottom: 28 };

/** Bars from a baseline, the largest count written at the top left, a title (tooltip) per bar. */
function barPlot(plot: { name: string; caption: string; counts: number[]; gap: number; skipEmpty?: boolean; barTitle: (index: number) => string; ticks: (barWidth: number) => string }): string {
  const { width, height, top, bottom } = PLOT;
  const barWidth = width / Math.max(1, plot.counts.length);
  const max = Math.max(1, ...plot.counts);
  const bars = plot.counts.map((count, index) => {
    if (count === 0 && plot.skipEmpty) return '';
    const barHeight = ((height - top - bottom) * count) / max;
    return `<rect class="bar" x="${(index * barWidth + plot.gap / 2).toFixed(2)}" y="${(height - bottom - barHeight).toFixed(1)}" width="${Math.max(1, barWidth - plot.gap).toFixed(2)}" height="${barHeight.toFixed(1)}"><title>${escapeHtml(plot.barTitle(index))}: ${formatNumber(count)}</title></rect>`;
  });
  return (
    `<figure class="plot ${plot.name}"><figcaption>${escapeHtml(plot.caption)}</figcaption>` +
    `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${plot.name}"><line class="axis" x1="0" x2="${width}" y1="${height - bottom}" y2="${height - bottom}"/>` +
    `<text class="tick" x="2" y="11">${formatNumber(max)}</text>${bars.join('')}${plot.ticks(barWidth)}</svg></figure>`
  );
}

function networkName(network: { org: string | null; cidr: string }): string {
  return network.org ?? 'unknown owner';
}

function describeFiles(files: string[]): string {
  if (files.length === 0) return 'no input';
  if (files.length <= 3) return files.join(', ');
  return `${files[0]} and ${files.length - 1} more files`;
}

function hashOf(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1d2330;--dim:#667085;--bg:#fff;--card:#f6f7f9;--line:#d0d5dd;--bar:#3b6fd8;--red:#c0362c;--green:#1d7a46;--amber:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ec;--dim:#98a2b3;--bg:#121418;--card:#1b1f26;--line:#343a46;--bar:#6b9bff;--red:#ff7a6e;--green:#5fd28f;--amber:#e3b341}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:12px}
h1{margin:0;font-size:1.4em}h2{margin:1.4em 0 .4em;font-size:1.2em}h3{margin:0 0 .3em;font-size:1.05em}h4{margin:.8em 0 .3em}
.files{margin:.2em 0;word-break:break-all}.meta,.note,.dim,.tick{color:var(--dim)}
.verdict{font-weight:600;font-size:1.1em}.found{color:var(--red)}.ok{color:var(--green)}.warning{color:var(--amber)}
.counts{display:flex;flex-wrap:wrap;gap:.4em 1.2em;padding:0;list-style:none}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.number{text-align:right;font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
.filter{width:100%;max-width:320px;margin:.3em 0 .5em;padding:6px 8px;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:inherit}
.source{background:var(--card);border-radius:8px;padding:10px 12px;margin:12px 0}
.source .kind{color:var(--red)}.link-preview .kind,.crawler .kind{color:var(--amber)}
.network{font-weight:600;margin:.2em 0}.ips,.rdns,.actor{margin:.2em 0;word-break:break-all}
.reasons{margin:.3em 0;padding-left:1.2em;color:var(--dim)}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px;margin:.6em 0}
.plot{margin:0}.plot svg{width:100%;height:auto;display:block}figcaption{font-size:.85em;color:var(--dim)}
.bar{fill:var(--bar)}.axis{stroke:var(--line)}.tick{font-size:9px;fill:var(--dim)}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.url{max-width:320px}.pair-second td{border-bottom:2px solid var(--line)}
pre{white-space:pre-wrap;word-break:break-all;margin:.2em 0;font-size:.85em}
.skipped .where{color:var(--dim)}
footer{margin-top:2em;font-size:.8em;color:var(--dim)}
@media (max-width:600px){body{font-size:14px}main{padding:8px}th,td{padding:3px 5px}}
`;

/** Sorting by a column (numbers by their data-sort key) and filtering rows by text. */
const TABLE_SCRIPT = `
(function(){
function setUp(root){
root.querySelectorAll('table.sortable').forEach(function(table){
table.querySelectorAll('th').forEach(function(th,column){
var button=th.querySelector('button');if(!button)return;
button.addEventListener('click',function(){
var ascending=th.getAttribute('aria-sort')!=='ascending';
table.querySelectorAll('th').forEach(function(other){other.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',ascending?'ascending':'descending');
var numeric=th.getAttribute('data-type')==='number';
var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
function key(row){var c=row.cells[column];var k=c.getAttribute('data-sort');var t=k===null?c.textContent:k;return numeric?Number(t):t.toLowerCase();}
rows.sort(function(a,b){var x=key(a),y=key(b);var r=x<y?-1:x>y?1:0;return ascending?r:-r;});
rows.forEach(function(row){body.appendChild(row);});
});
});
});
root.querySelectorAll('input.filter').forEach(function(input){
input.addEventListener('input',function(){
var table=document.getElementById(input.getAttribute('data-table'));if(!table)return;
var words=input.value.toLowerCase().split(/\\s+/).filter(Boolean);
Array.prototype.forEach.call(table.tBodies[0].rows,function(row){
var text=row.textContent.toLowerCase();
row.hidden=!words.every(function(word){return text.indexOf(word)!==-1;});
});
});
});
}
window.replaywatchSetUp=setUp;
setUp(document);
})();
`;

/** The dashboard's page: each `report` event carries the body's new HTML (rendered by renderHtmlBody). */
function liveScript(path: string): string {
  return `
(function(){
var source=new EventSource(${JSON.stringify(path)});
source.addEventListener('report',function(event){
var main=document.getElementById('report');
main.innerHTML=JSON.parse(event.data).html;
window.replaywatchSetUp(main);
});
})();
`;
}
