/**
 * One task of a parallel scan (a byte range of a plain file, half a .gz file, or a whole file) read into a
 * detector: the same code on a worker thread (worker.ts, into a detector of its own that
 * it then sends back) and on the main thread (parallel.ts reads the first task itself,
 * straight into the detector the others are merged into). Canaries are matched here too, on
 * every thread, from the tokens the task carries.
 */
import type { CanaryHitInput } from '../canary/index.js';
import type { Detector } from '../detect/index.js';
import { FileLines, resolveFormat, ScanRecord, SkipCounter } from '../formats/index.js';
import { forEachLine, forEachLineInRange, forEachLineOfGzipHalf, MAX_LINE_BYTES } from '../ingest/index.js';
import { createCanaryHitCollector } from './canary-hits.js';
import type { ScanTask } from './parallel.js';

export interface TaskScan {
  counter: SkipCounter;
  /** the canaries' hits in this task's lines, in line order */
  canaryHits: CanaryHitInput[];
  /** first and last record time, epoch ms (infinities when no record had a time) */
  from: number;
  to: number;
}

/** Reads `task` into `detector`; `onBytes` hears the bytes read so far, at most every 100 ms. */
export async function scanTask(task: ScanTask, detector: Detector, onBytes: (bytesRead: number) => void): Promise<TaskScan> {
  const format = resolveFormat(task.format, { clientIpField: task.clientIpField });
  const counter = new SkipCounter();
  const canaries = task.canaryTokens.length > 0 ? createCanaryHitCollector(task.canaryTokens) : null;
  const lines = new FileLines(
    format.createScanner(),
    new ScanRecord(),
    counter,
    task.path,
    canaries === null
      ? (record) => detector.observe(record)
      : (record) => {
          detector.observe(record);
          canaries.observe(record);
        },
  );
  let lineNumber = 0;
  const visit = (line: Buffer, start: number, end: number): void => lines.scan(line, start, end, ++lineNumber);
  let reported = 0;
  const report = (bytesRead: number): void => {
    const now = performance.now();
    if (now - reported < 100) return;
    reported = now;
    onBytes(bytesRead);
  };
  const readerOptions = {
    onBytes: report,
    maxLineBytes: MAX_LINE_BYTES,
    onOverlongLine: (line: Buffer, start: number, end: number) => counter.skipOverlong(line, start, end, ++lineNumber, task.path),
    onDamage: (reason: string) => counter.skipDamaged(reason, ++lineNumber, task.path),
  };
  if (task.gzipHalf !== undefined) {
    const { second, half, cut } = task.gzipHalf;
    // the progress bar counts each half's share of the compressed bytes
    const share = (bytesRead: number): number => Math.max(0, Math.min(bytesRead, task.end!) - task.start!);
    await forEachLineOfGzipHalf(task.path, second, half, cut, visit, { ...readerOptions, onBytes: (bytesRead) => report(share(bytesRead)) });
  } else if (task.start === null) await forEachLine({ path: task.path, size: task.size, gzip: task.gzip }, visit, report, readerOptions);
  else await forEachLineInRange(task.path, task.start, task.end!, visit, readerOptions);
  return { counter, canaryHits: canaries?.hits ?? [], from: lines.from, to: lines.to };
}
