/**
 * From what the user typed (`--format`) or what the first lines look like, to a LogFormat.
 */
import { ReplaywatchError } from '../common/errors.js';
import { parseApacheFormat } from './apache.js';
import { parseMappingSpec } from './json.js';
import { parseNginxFormat } from './nginx.js';
import { compileLayout, Kind, LayoutScanner, type Segment } from './pattern.js';
import { DETECTION_ORDER, type FormatOptions, jsonMappingFormat, PRESETS } from './presets.js';
import { type LineScanner, type LogFormat, ScanOutcome, ScanRecord } from './record.js';

function presetList(): string {
  return Object.keys(PRESETS).join(', ');
}

function compiledFormat(name: string, description: string, segments: Segment[], options: FormatOptions): LogFormat {
  checkFormatString(name.slice(name.indexOf(':') + 1), segments);
  // compile now so a bad format fails at startup, not on the first line
  const layout = compileLayout(segments, { trailing: 'ignore', clientIpField: options.clientIpField });
  return { name, description, createScanner: () => new LayoutScanner([layout]) };
}

/**
 * A format string that can read no request is refused before any line is read: quotes that do
 * not pair (`"%r %>s` reads nothing), or no client address or no request (or URL) among its
 * fields (`%t` alone). Without them a scan would skip every line, or compare nothing. (A format
 * without a time is read; the scan then warns that nothing could be compared.)
 */
function checkFormatString(text: string, segments: Segment[]): void {
  const quotes = text.split('"').length - 1;
  if (quotes % 2 !== 0) throw new Error(`its quotes do not pair (${quotes} '"'): a quoted field never ends`);
  const kinds = new Set(segments.flatMap((segment) => (typeof segment === 'string' ? [] : [segment.kind])));
  const missing: string[] = [];
  if (!kinds.has(Kind.Ip) && !kinds.has(Kind.ForwardedFor)) missing.push('client address (%h, %a, $remote_addr)');
  if (![Kind.Request, Kind.Url, Kind.Path].some((kind) => kinds.has(kind))) missing.push('request or URL (%r, %U, $request, $request_uri)');
  if (missing.length > 0) throw new Error(`it names no ${missing.join(' and no ')}: replaywatch needs both to compare requests`);
}

/**
 * A preset name (`combined`, `caddy`, ...), an Apache LogFormat string (contains '%'), an
 * nginx log_format string (contains '$'), or `json:target=key,...`.
 * Throws E_FORMAT_UNKNOWN for anything else, with the presets as the hint.
 */
export function resolveFormat(spec: string, options: FormatOptions = {}): LogFormat {
  const trimmed = spec.trim();
  const preset = PRESETS[trimmed.toLowerCase()];
  if (preset !== undefined) return options.clientIpField === undefined ? preset : preset.withOptions(options);
  try {
    if (trimmed.toLowerCase().startsWith('json:')) {
      const { mapping, durationUnit } = parseMappingSpec(trimmed.slice(5));
      return jsonMappingFormat(trimmed, mapping, durationUnit, options);
    }
    if (trimmed.includes('%')) return compiledFormat(`apache:${trimmed}`, 'Apache LogFormat string', parseApacheFormat(trimmed), options);
    if (trimmed.includes('$')) return compiledFormat(`nginx:${trimmed}`, 'nginx log_format string', parseNginxFormat(trimmed), options);
  } catch (error) {
    throw new ReplaywatchError('E_FORMAT_UNKNOWN', `cannot use format '${trimmed}': ${(error as Error).message}`, {
      cause: error,
      hint: 'check the format string against your server config, or use a preset: ' + presetList(),
    });
  }
  throw new ReplaywatchError('E_FORMAT_UNKNOWN', `unknown format '${trimmed}'`, {
    hint: `use a preset (${presetList()}), an Apache LogFormat string ('%h %l %u %t "%r" ...'), an nginx log_format string ('$remote_addr - ...') or json:ip=key,url=key,time=key`,
  });
}

export interface Detection {
  format: LogFormat;
  /** lines the chosen format read as records */
  parsed: number;
  /** lines it tried (not counting its meta lines: headers, comments, blanks) */
  tried: number;
}

/** How many non-meta lines detection looks at. */
export const DETECT_LINES = 50;

/** Scanners that try fallback layouts report which one matched; primary matches count as stronger evidence. */
function primaryMatched(scanner: LineScanner): boolean {
  const variant = (scanner as { lastVariant?: number }).lastVariant;
  return variant === undefined || variant === 0;
}

/**
 * Tries every preset on the lines (all of them are fed, so W3C sees its `#Fields:` header;
 * at most DETECT_LINES non-meta lines count). The winner parses the most lines; then the one
 * whose primary layout parsed the most (a combined log is not nginx-proxy-manager's fallback);
 * then DETECTION_ORDER. Null when no preset parses any line.
 */
export function detectFormat(lines: Buffer[], options: FormatOptions = {}): Detection | null {
  const record = new ScanRecord();
  let best: { name: string; parsed: number; primary: number; tried: number; rank: number } | null = null;
  DETECTION_ORDER.forEach((name, rank) => {
    const scanner = PRESETS[name].createScanner();
    let parsed = 0;
    let primary = 0;
    let tried = 0;
    for (const line of lines) {
      if (tried >= DETECT_LINES) break;
      let outcome: number;
      try {
        outcome = scanner.scan(line, 0, line.length, record);
      } catch {
        outcome = ScanOutcome.Skip;
      }
      if (outcome === ScanOutcome.Meta) continue;
      tried++;
      if (outcome === ScanOutcome.Ok) {
        parsed++;
        if (primaryMatched(scanner)) primary++;
      }
    }
    if (parsed === 0) return;
    if (best === null || parsed > best.parsed || (parsed === best.parsed && primary > best.primary)) {
      best = { name, parsed, primary, tried, rank };
    }
  });
  if (best === null) return null;
  const chosen = best as { name: string; parsed: number; tried: number };
  const preset = PRESETS[chosen.name];
  return { format: options.clientIpField === undefined ? preset : preset.withOptions(options), parsed: chosen.parsed, tried: chosen.tried };
}
