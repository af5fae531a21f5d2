/**
 * Inputs -> records, for a single-threaded scan: detection from the first lines, one scanner
 * per file (scanners are stateful), skips counted with file line numbers.
 *
 * It lives in formats, not ingest, because it needs both stages and imports flow downstream:
 * formats may use ingest, ingest never uses formats.
 *
 * Re-detection: when no format was given, each later file is probed with its first lines; if
 * the current format reads fewer than half of them and another preset reads more, that file
 * switches format (a directory holding both an nginx access.log and a Caddy JSON log). An
 * explicit format is never second-guessed.
 */
import { ReplaywatchError } from '../common/errors.js';
import { forEachLine, type InputFile, MAX_LINE_BYTES, type ProgressReporter } from '../ingest/index.js';
import type { FormatOptions } from './presets.js';
import { type LineScanner, type LogFormat, ScanOutcome, ScanRecord } from './record.js';
import { DETECT_LINES, detectFormat } from './resolve.js';
import { SkipCounter } from './skip-counter.js';
import { MAX_LOG_TIME, MIN_LOG_TIME } from './time.js';
import { Reason } from './bytes.js';

export interface ScanInputsOptions extends FormatOptions {
  /** overall progress across files: bytes read so far, total bytes on disk (stdin counts 0) */
  progress?: ProgressReporter;
  maxLineBytes?: number;
  /** called when a later file is read with a different detected format */
  onFormatChange?: (file: string, format: LogFormat) => void;
}

export interface ScanInputsResult {
  /** the format's name; several names joined with ', ' when files differed */
  format: string;
  /** the format used for each file */
  formats: { file: string; format: string }[];
  counter: SkipCounter;
  files: string[];
  /** first and last record time, epoch ms (NaN when no record had a time) */
  from: number;
  to: number;
}

/**
 * One file's lines through its scanner: each record handed on, every line counted (skips with
 * their reason and line number), the first and last record time kept. The single-threaded scan
 * and a worker's task (scan/task.ts) read lines with it alike.
 */
export class FileLines {
  /** first and last record time, epoch ms (infinities while no record had one) */
  from = Number.POSITIVE_INFINITY;
  to = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly scanner: LineScanner,
    private readonly record: ScanRecord,
    private readonly counter: SkipCounter,
    private readonly file: string,
    private readonly onRecord: (record: ScanRecord) => void,
  ) {}

  scan(line: Buffer, start: number, end: number, lineNumber: number): void {
    const record = this.record;
    const outcome = this.scanner.scan(line, start, end, record);
    if (outcome === ScanOutcome.Ok) {
      const time = record.time;
      if (time < MIN_LOG_TIME || time >= MAX_LOG_TIME) {
        // a wrong clock (1970, 9999): one such line would stretch the report by decades
        this.counter.count(ScanOutcome.Skip, Reason.TimeOutOfRange, line, start, end, lineNumber, this.file);
        return;
      }
      if (time < this.from) this.from = time;
      if (time > this.to) this.to = time;
      this.onRecord(record);
      this.counter.countRecord();
      return;
    }
    this.counter.count(outcome, record.reason, line, start, end, lineNumber, this.file);
  }
}

/**
 * Whether a file's first bytes are an access log, for choosing the files of a directory
 * (ingest's `judgeHead`): null when `format` (or, without one, any preset) reads at least half
 * of its first lines, else why not.
 */
export function judgeAccessLog(format: LogFormat | null, options: FormatOptions): (head: Buffer) => string | null {
  return (head) => {
    const lines: Buffer[] = [];
    let start = 0;
    while (lines.length < PROBE_LINES && start < head.length) {
      let end = head.indexOf(10, start); // '\n'
      // the head may end inside a line: only whole lines are judged, unless there is just one
      if (end < 0) {
        if (lines.length > 0) break;
        end = head.length;
      }
      const line = head.subarray(start, end > start && head[end - 1] === 13 ? end - 1 : end); // '\r'
      if (line.length > 0) lines.push(line);
      start = end + 1;
    }
    if (lines.length === 0) return 'no lines';
    if (format !== null) return readsWell(format, lines) ? null : `not in the format ${format.name} (its first lines do not parse)`;
    return detectFormat(lines, options) === null ? 'not an access log: no known format matches its first lines' : null;
  };
}

/** Probe lines buffered before choosing a file's format: enough for W3C header blocks plus DETECT_LINES data lines. */
export const PROBE_LINES = DETECT_LINES + 20;

function readsWell(format: LogFormat, lines: Buffer[]): boolean {
  const scanner = format.createScanner();
  const record = new ScanRecord();
  let tried = 0;
  let parsed = 0;
  for (const line of lines) {
    const outcome = scanner.scan(line, 0, line.length, record);
    if (outcome === ScanOutcome.Meta) continue;
    tried++;
    if (outcome === ScanOutcome.Ok) parsed++;
  }
  return tried === 0 || parsed * 2 >= tried;
}

/**
 * The format of the next file, from its first lines: detected for the first file (`current`
 * null); for a later file the current one is kept unless it reads fewer than half of them and
 * another preset reads it. null: nothing matches the first file. The single-threaded scan and
 * the worker-thread scan both choose formats with this, so they agree file by file.
 */
export function nextFormat(current: LogFormat | null, probe: Buffer[], options: FormatOptions): LogFormat | null {
  if (current === null) return detectFormat(probe, options)?.format ?? null;
  if (readsWell(current, probe)) return current;
  const detection = detectFormat(probe, options);
  return detection !== null && detection.format.name !== current.name ? detection.format : current;
}

export async function scanInputs(
  inputs: InputFile[],
  format: LogFormat | null,
  onRecord: (record: ScanRecord, file: string) => void,
  options: ScanInputsOptions = {},
): Promise<ScanInputsResult> {
  const counter = new SkipCounter();
  const record = new ScanRecord();
  const formats: { file: string; format: string }[] = [];
  const explicit = format !== null;
  let current = format;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const totalBytes = inputs.reduce((sum, input) => sum + Math.max(0, input.size), 0);
  let doneBytes = 0;

  for (const input of inputs) {
    const file = input.path;
    let lines: FileLines | null = null;
    let lineNumber = 0;
    const probe: Buffer[] = [];
    const handOn = (scanned: ScanRecord): void => onRecord(scanned, file);

    const startScanning = (): void => {
      if (!explicit) {
        const next = nextFormat(current, probe, options);
        if (next === null) {
          throw new ReplaywatchError('E_FORMAT_UNDETECTED', `no known log format matches the first lines of ${file === '-' ? 'standard input' : file}`, {
            hint: "give the format with --format (a preset, an Apache LogFormat string or an nginx log_format string)",
          });
        }
        if (current !== null && next !== current) options.onFormatChange?.(file, next);
        current = next;
      }
      const scanning = new FileLines(current!.createScanner(), record, counter, file, handOn);
      lines = scanning;
      // overlong lines were counted when read; their probe entries are empty placeholders
      probe.forEach((line, index) => {
        if (!overlongInProbe.has(index)) scanning.scan(line, 0, line.length, index + 1);
      });
      probe.length = 0;
    };

    const overlongInProbe = new Set<number>();
    await forEachLine(
      input,
      (line, start, end) => {
        lineNumber++;
        if (lines === null) {
          // copy: the reader reuses its buffer
          probe.push(Buffer.from(line.subarray(start, end)));
          if (probe.length >= PROBE_LINES) startScanning();
          return;
        }
        lines.scan(line, start, end, lineNumber);
      },
      options.progress === undefined ? undefined : (bytesRead) => options.progress!(doneBytes + bytesRead, totalBytes),
      {
        maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
        onOverlongLine: (line, start, end) => {
          lineNumber++;
          if (lines === null) {
            overlongInProbe.add(probe.length);
            probe.push(Buffer.alloc(0));
          }
          counter.skipOverlong(line, start, end, lineNumber, file);
        },
        onDamage: (reason) => counter.skipDamaged(reason, ++lineNumber, file),
      },
    );
    if (lines === null && probe.length > 0) startScanning();
    // (set inside the callbacks, which the compiler does not follow)
    const scanned = lines as FileLines | null;
    if (scanned !== null) {
      if (scanned.from < from) from = scanned.from;
      if (scanned.to > to) to = scanned.to;
    }
    doneBytes += Math.max(0, input.size);
    if (current !== null) formats.push({ file, format: current.name });
  }

  if (counter.lines === 0) {
    throw new ReplaywatchError('E_INPUT_EMPTY', `nothing to read in ${inputs.map((input) => (input.path === '-' ? 'standard input' : input.path)).join(', ') || 'the inputs'}`, {
      hint: 'check that the files are the access logs and not empty',
    });
  }
  if (current === null) {
    throw new ReplaywatchError('E_FORMAT_UNDETECTED', 'no known log format matches the input', { hint: 'give the format with --format' });
  }
  const names = [...new Set(formats.map((entry) => entry.format))];
  return {
    format: names.join(', '),
    formats,
    counter,
    files: inputs.map((input) => input.path),
    from: from === Number.POSITIVE_INFINITY ? Number.NaN : from,
    to: to === Number.NEGATIVE_INFINITY ? Number.NaN : to,
  };
}
