/**
 * A scan split across worker threads, merged into exactly what one reader builds.
 *
 * The input is cut into tasks in input order: a plain file into byte ranges (a range owns the
 * lines that start in it: ingest's splitRanges / forEachLineInRange), a file in a stateful
 * format (W3C headers) whole, a .gz file whole or, when there are fewer files than threads,
 * in two halves that two readers cut between them as they read (forEachLineOfGzipHalf). This thread reads the first task itself, straight into
 * the detector everything is merged into, then takes tasks from the queue N - 1 workers take
 * theirs from; every task after the first goes into a fresh Detector and SkipCounter. This thread merges the
 * results strictly in task order (Detector.merge, SkipCounter.merge with the file's line
 * offset), so ids, first-seen choices and skipped-line examples come out as one reader would
 * make them, and the report is the same with 1 or N workers (test/perf/workers.test.ts).
 *
 * Formats are decided here, before any worker starts, the way scanInputs decides them: the
 * explicit --format for every file, else detection on the first file's first lines, and a
 * later file switches format only when the current one reads fewer than half of its lines.
 *
 * Canaries do not keep a scan on one thread: every task carries the tokens and matches them
 * where it reads (task.ts), and the hits are concatenated in task order, as one reader finds them.
 *
 * Not used (the caller scans on its own thread): stdin, a per-record hook (explain), one
 * worker, inputs under MIN_PARALLEL_BYTES, or inputs that make a single task.
 */
import { Worker } from 'node:worker_threads';
import type { CanaryHitInput } from '../canary/index.js';
import { clockOf, Detector, type DetectorState } from '../detect/index.js';
import { type LogFormat, nextFormat, PROBE_LINES, SkipCounter, type ScanInputsResult, type SkipCounts } from '../formats/index.js';
import { type InputFile, newGzipCut, readHeadBytes, splitRanges } from '../ingest/index.js';
import { ReplaywatchError } from '../common/errors.js';
import { scanTask } from './task.js';

/**
 * Below this many bytes a scan stays on one thread: starting a worker (module load, attribution
 * table, agent classifier) costs about 100 ms, the time one thread needs for ~30 MB.
 */
export const MIN_PARALLEL_BYTES = 32 << 20;

/**
 * A .gz file is read in two halves from this many compressed bytes (about 60-100 MB of log):
 * the second half's reader inflates the first half only to skip it.
 */
export const MIN_GZIP_HALVES_BYTES = 4 << 20;

/**
 * How much longer this thread's first byte range is than the workers' (plain files): a worker
 * starts ~0.15 s later and its result takes ~0.15 s to arrive, so with equal ranges this
 * thread waited ~0.3 s for it (about 80 MB of log at two threads' speed; half of that moves).
 */
export const FIRST_RANGE_EXTRA_BYTES = 40 << 20;

/**
 * Where a .gz file is cut between its two readers, as a share of its compressed bytes: the
 * second also inflates the first half to skip it (zlib runs ~8× faster than lines are read,
 * so that is ~1/16 of its work) and starts later, so the first takes a little more.
 */
export const GZIP_FIRST_HALF = 0.54;

/**
 * Byte ranges per thread: one. Every range's detector learns its clients, agents and URLs
 * afresh and every range after the first is merged unit by unit, so more ranges cost more CPU
 * in all; on the 10 M-line bench log, three ranges per worker (merging the first while workers
 * read the last) took 9.4 s on two cores and one range per worker 8.9 s, with less memory;
 * this thread reading the first range itself instead of adopting a worker's, 7.5 s. Progress
 * comes from the readers as they read, not from merges.
 */
export const TASKS_PER_WORKER = 1;

/** One unit of work for a worker. */
export interface ScanTask {
  id: number;
  /** index of the file in the inputs (line numbers restart per input) */
  input: number;
  path: string;
  size: number;
  gzip: boolean;
  /**
   * byte range of a plain file; null: the whole file. For a gzip half, the compressed bytes it
   * stands for in the progress bar.
   */
  start: number | null;
  end: number | null;
  /** one of two halves of a .gz file, with the cut its two readers share */
  gzipHalf?: { second: boolean; half: number; cut: BigInt64Array };
  /** a preset name or the user's --format string */
  format: string;
  clientIpField?: string;
  memoryBudget: number;
  /** the canaries to look for, matched where the task is read */
  canaryTokens: string[];
}

export interface ScanTaskResult {
  id: number;
  state: DetectorState;
  counter: SkipCounts;
  canaryHits: CanaryHitInput[];
  from: number;
  to: number;
  /** milliseconds the worker spent on the task (the diagnostics sink hears it) */
  elapsed: number;
}

export interface ParallelScanOptions {
  workers: number;
  format?: string;
  clientIpField?: string;
  /** bytes for the first-seen index before its oldest detail is dropped */
  memoryBudget?: number;
  /** the canaries to find in the logs (matched on every thread) */
  canaryTokens?: readonly string[];
  /** below this many bytes of input, one thread (default MIN_PARALLEL_BYTES; tests lower it) */
  parallelMinBytes?: number;
  /** hears a line per task: who read it, how long it took, when it was merged */
  diagnostics?: (line: string) => void;
}

/** What a parallel scan read: the per-input result of scanInputs, plus the canaries' hits. */
export interface ParallelScanResult extends ScanInputsResult {
  canaryHits: CanaryHitInput[];
}

export interface ParallelScanHooks {
  onRecord?: unknown;
  stdin?: unknown;
  progress?: (bytesRead: number, totalBytes: number) => void;
}

/** What the report should say about the scan itself: rare-URL detail dropped for memory. */
export function scanWarnings(detector: Detector): string[] {
  const index = detector.index;
  const warnings: string[] = [];
  if (detector.agentsOverflowed > 0)
    warnings.push(
      `${detector.agentsOverflowed} requests came with a new user agent past the limit of distinct agents for the memory budget: those agents were not classified (declared bots among them are not named) nor told apart. Raise the budget to keep more.`,
    );
  if (detector.clientsOverflowed > 0)
    warnings.push(
      `${detector.clientsOverflowed} requests came from a new address past the limit of distinct addresses for the memory budget: they were counted, not told apart nor analysed (a replayer among them would not be seen). Raise the budget to keep more.`,
    );
  if (detector.probePathsDropped > 0)
    warnings.push(
      `${detector.probePathsDropped} probe paths came past the limit of probe paths kept for the memory budget: they were counted as probe hits, not kept, so probing clients may show fewer distinct paths than they tried, and a prober none of whose paths were kept is listed by its probe requests (pathsNotKept). Raise the budget to keep more.`,
    );
  // a coarse clock (unit-walk.ts clockOf): in-step fetches cannot be told, coincidences are likelier
  const clock = clockOf(detector.clock);
  if (clock.secondsFactor > 4)
    warnings.push(
      `the log's times tell minutes, not seconds (a clock ${clock.secondsFactor.toFixed(0)}x coarser than one that runs to the second): fetches in step with a person cannot be told, and every coincidence is counted as that much likelier.`,
    );
  if (clock.minutesFactor > 4)
    warnings.push(
      `the log's times fall in a few minutes of each hour (as if ${clock.minutesFactor.toFixed(0)}x bunched): the times were rounded or bucketed, and every coincidence is counted as that much likelier.`,
    );
  if (index.dropped === 0) return warnings;
  const through = new Date(index.droppedThrough * 1000).toISOString().replace('.000Z', 'Z');
  return [
    ...warnings,
    `rare-URL detail was dropped to stay within the memory budget (${Math.round(detector.memoryBudget / (1 << 20))} MB): the oldest ${index.dropped} URL units, with requests up to ${through}; replays of those URLs cannot be seen. Scan fewer days at once or raise the budget.`,
  ];
}

/**
 * Scans `inputs` into `detector` with worker threads, or returns null when the input or the
 * options call for one thread (the caller then scans as usual). Also applies the memory budget
 * to `detector`, for both paths.
 */
export async function scanInParallel(
  inputs: InputFile[],
  format: LogFormat | null,
  detector: Detector,
  options: ParallelScanOptions,
  hooks: ParallelScanHooks = {},
): Promise<ParallelScanResult | null> {
  const budget = options.memoryBudget;
  if (budget !== undefined && detector.records === 0) detector.setMemoryBudget(budget);
  if (options.workers <= 1 || hooks.onRecord !== undefined || hooks.stdin !== undefined) return null;
  if (inputs.length === 0 || inputs.some((input) => input.path === '-' || input.size < 0)) return null;
  const totalBytes = inputs.reduce((sum, input) => sum + input.size, 0);
  // tests lower the threshold to exercise workers on small logs
  const minimum = options.parallelMinBytes ?? MIN_PARALLEL_BYTES;
  const diagnostics = options.diagnostics;
  const canaryTokens = [...(options.canaryTokens ?? [])];
  if (totalBytes < minimum) return null;

  const formats = await decideFormats(inputs, format, options);
  if (formats === null) return null;
  const tasks: ScanTask[] = [];
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index]!;
    const chosen = formats[index]!;
    const spec = format !== null ? options.format! : chosen.name;
    const base = { input: index, path: input.path, size: input.size, gzip: input.gzip, format: spec, clientIpField: options.clientIpField, memoryBudget: 0, canaryTokens };
    if (input.gzip && chosen.stateful !== true && inputs.length < options.workers && input.size >= (minimum * MIN_GZIP_HALVES_BYTES) / MIN_PARALLEL_BYTES) {
      const half = Math.floor(input.size * GZIP_FIRST_HALF);
      const cut = newGzipCut();
      tasks.push({ ...base, id: tasks.length, start: 0, end: half, gzipHalf: { second: false, half, cut } });
      tasks.push({ ...base, id: tasks.length, start: half, end: input.size, gzipHalf: { second: true, half, cut } });
      continue;
    }
    if (input.gzip || chosen.stateful === true) {
      tasks.push({ ...base, id: tasks.length, start: null, end: null });
      continue;
    }
    // this thread reads the first range of the first file
    const ranges = await splitRanges(input.path, options.workers * TASKS_PER_WORKER, undefined, index === 0 ? FIRST_RANGE_EXTRA_BYTES : 0);
    for (const range of ranges) tasks.push({ ...base, id: tasks.length, start: range.start, end: range.end });
  }
  if (tasks.length < 2) return null;
  const threads = Math.min(options.workers, tasks.length);
  // each task has its share of the budget (a task whose range makes more units than its share
  // drops its oldest, and the report says so)
  const whole = detector.memoryBudget;
  for (const task of tasks) task.memoryBudget = Math.floor(whole / threads);
  // every thread reads its task with its share of the budget, this one too, and the parts are
  // merged with the whole: the merged index takes its share of the whole budget; while they are
  // read, the parts' indexes take 2/3 of theirs at most, less as their client tables and agents
  // fill (DetectorOptions.part, partTablesBudgetOf)
  detector.setMemoryBudget(Math.floor(whole / threads), true, whole);

  const counter = new SkipCounter();
  const canaryHits: CanaryHitInput[] = [];
  const linesPerInput = new Map<number, number>();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  let doneBytes = 0;
  const results = new Map<number, ScanTaskResult>();
  let nextToMerge = 0;
  // bytes read by tasks not merged yet, for the progress bar between merges
  const inFlight = new Map<number, number>();
  const report = (): void => {
    let reading = 0;
    for (const bytes of inFlight.values()) reading += bytes;
    hooks.progress?.(Math.min(totalBytes, doneBytes + reading), totalBytes);
  };
  const mergeReady = (): void => {
    if (nextToMerge === 0) return; // the first task is still being read on this thread
    for (let result = results.get(nextToMerge); result !== undefined; result = results.get(nextToMerge)) {
      results.delete(nextToMerge);
      const task = tasks[nextToMerge]!;
      const mergeStart = performance.now();
      detector.merge(result.state);
      diagnostics?.(`  task ${task.id}: worker ${result.elapsed.toFixed(0)} ms, merge ${(performance.now() - mergeStart).toFixed(0)} ms, merged at ${performance.now().toFixed(0)} ms\n`);
      for (const hit of result.canaryHits) canaryHits.push(hit);
      const offset = linesPerInput.get(task.input) ?? 0;
      counter.merge(result.counter, offset);
      linesPerInput.set(task.input, offset + result.counter.lines);
      if (result.from < from) from = result.from;
      if (result.to > to) to = result.to;
      doneBytes += taskBytes(task);
      inFlight.delete(task.id);
      report();
      nextToMerge++;
    }
  };

  // this thread reads the first task itself, straight into `detector` (nothing to send, adopt
  // or re-intern), while threads - 1 workers read the others; then it takes tasks from the same
  // queue as they do (many files), each into a detector of its own merged in order
  const queue = new TaskQueue(tasks);
  const progressOf = (id: number) => (bytesRead: number): void => {
    inFlight.set(id, bytesRead);
    report();
  };
  const own = (async () => {
    const first = queue.take()!;
    const started = performance.now();
    const part = await scanTask(first, detector, progressOf(first.id));
    diagnostics?.(`  task ${first.id}: this thread ${(performance.now() - started).toFixed(0)} ms, done at ${performance.now().toFixed(0)} ms\n`);
    counter.merge(part.counter, 0);
    for (const hit of part.canaryHits) canaryHits.push(hit);
    linesPerInput.set(first.input, part.counter.lines);
    from = part.from;
    to = part.to;
    doneBytes += taskBytes(first);
    inFlight.delete(first.id);
    report();
    detector.raiseMemoryBudget(whole);
    nextToMerge = 1;
    mergeReady();
    for (let task = queue.take(); task !== undefined; task = queue.take()) {
      const started = performance.now();
      const reader = detector.sibling(task.memoryBudget);
      const scanned = await scanTask(task, reader, progressOf(task.id));
      results.set(task.id, { id: task.id, state: reader.exportState(true), counter: scanned.counter, canaryHits: scanned.canaryHits, from: scanned.from, to: scanned.to, elapsed: performance.now() - started });
      inFlight.set(task.id, taskBytes(task));
      mergeReady();
    }
  })();
  const others = runTasks(
    queue,
    threads - 1,
    (result) => {
      // read whole, waiting for its turn to merge
      inFlight.set(result.id, taskBytes(tasks[result.id]!));
      results.set(result.id, result);
      mergeReady();
    },
    (id, bytesRead) => {
      inFlight.set(id, bytesRead);
      report();
    },
  );
  // both settle before either's error is thrown: no worker is left running behind an error
  const settled = await Promise.allSettled([own, others]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;

  if (counter.lines === 0) {
    throw new ReplaywatchError('E_INPUT_EMPTY', `nothing to read in ${inputs.map((input) => input.path).join(', ')}`, {
      hint: 'check that the files are the access logs and not empty',
    });
  }
  const perFile = inputs.map((input, index) => ({ file: input.path, format: formats[index]!.name }));
  return {
    format: [...new Set(perFile.map((entry) => entry.format))].join(', '),
    formats: perFile,
    counter,
    canaryHits,
    files: inputs.map((input) => input.path),
    from: from === Number.POSITIVE_INFINITY ? Number.NaN : from,
    to: to === Number.NEGATIVE_INFINITY ? Number.NaN : to,
  };
}

function taskBytes(task: ScanTask): number {
  return task.start === null ? task.size : task.end! - task.start;
}

/** The tasks not yet taken, in order: the workers and this thread take from it. */
class TaskQueue {
  private next = 0;

  constructor(private readonly tasks: ScanTask[]) {}

  get empty(): boolean {
    return this.next >= this.tasks.length;
  }

  take(): ScanTask | undefined {
    return this.next < this.tasks.length ? this.tasks[this.next++] : undefined;
  }

  /** After a failure: nobody starts another task. */
  stop(): void {
    this.next = this.tasks.length;
  }
}

/** Runs tasks on a pool of threads, in task order as threads free up. */
async function runTasks(queue: TaskQueue, threads: number, onResult: (result: ScanTaskResult) => void, onProgress: (id: number, bytesRead: number) => void): Promise<void> {
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const feed = (worker: Worker): void => {
        if (failed) return;
        const task = queue.take();
        if (task === undefined) {
          // an idle worker's heap and attribution table go as soon as there is no more work
          void worker.terminate();
          return;
        }
        running++;
        worker.postMessage(task);
      };
      const settleWhenDone = (): void => {
        if (!failed && running === 0 && queue.empty) resolve();
      };
      for (let index = 0; index < threads; index++) {
        const worker = createWorker();
        pool.push(worker);
        worker.on('message', (message: { progress: true; id: number; bytesRead: number } | { ok: true; result: ScanTaskResult } | { ok: false; id: number; error: { message: string; code?: string; hint?: string } }) => {
          if ('progress' in message) {
            onProgress(message.id, message.bytesRead);
            return;
          }
          running--;
          if (!message.ok) {
            failed = true;
            queue.stop();
            const { code, hint } = message.error;
            reject(new ReplaywatchError((code as 'E_INPUT_UNREADABLE' | undefined) ?? 'E_INTERNAL', message.error.message, { hint }));
            return;
          }
          // the next task (or the end: terminate) first, so the worker reads on, or its heap
          // goes, while this thread merges the result
          feed(worker);
          try {
            onResult(message.result);
          } catch (error) {
            failed = true;
            queue.stop();
            reject(error);
            return;
          }
          settleWhenDone();
        });
        worker.on('error', (error) => {
          failed = true;
          queue.stop();
          reject(error);
        });
        feed(worker);
      }
      settleWhenDone();
    });
  } finally {
    await Promise.all(pool.map((worker) => worker.terminate()));
  }
}

/**
 * A worker's young generation: 12 MB (semi-spaces of 4 MB) instead of V8's default, which grows
 * to 32 MB a thread under a log of new strings on every line; a worker's detector holds its
 * state in typed arrays, so the smaller young generation costs it no time (5 M distinct lines:
 * 25 MB less at the same speed). The old generation is not limited: the budget bounds it.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 12 };

/**
 * The worker's module next to this one: dist/scan/worker.js when running compiled. Under
 * tsx (tests import src/), a worker given `--import tsx` loads its entry before the loader is
 * registered (Node 20), so a tiny bootstrap registers tsx first, then imports worker.ts.
 */
function createWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), { resourceLimits: WORKER_LIMITS });
  const loader = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`, { eval: true, resourceLimits: WORKER_LIMITS });
}

/** Bytes read for a file's first PROBE_LINES lines at most. */
const PROBE_BYTES = 1 << 20;

/** The format of every file, chosen as scanInputs chooses it (nextFormat); null when the first file matches nothing. */
async function decideFormats(inputs: InputFile[], explicit: LogFormat | null, options: ParallelScanOptions): Promise<LogFormat[] | null> {
  if (explicit !== null) return inputs.map(() => explicit);
  const formats: LogFormat[] = [];
  let current: LogFormat | null = null;
  for (const input of inputs) {
    current = nextFormat(current, await headLines(input), { clientIpField: options.clientIpField });
    if (current === null) return null;
    formats.push(current);
  }
  return formats;
}

/** The first PROBE_LINES lines of a file (decompressed for .gz), '\r' stripped. */
async function headLines(input: InputFile): Promise<Buffer[]> {
  const head = await readHeadBytes(input, PROBE_BYTES);
  const lines: Buffer[] = [];
  let start = 0;
  while (lines.length < PROBE_LINES) {
    const newline = head.indexOf(10, start);
    if (newline < 0) break;
    const end = newline > start && head[newline - 1] === 13 ? newline - 1 : newline;
    lines.push(Buffer.from(head.subarray(start, end)));
    start = newline + 1;
  }
  return lines;
}
