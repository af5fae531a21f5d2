/**
 * One task of a parallel scan (a byte range of a plain file, or a whole file) read into a
 * detector: the same code on a worker thread (scan-worker.ts, into a detector of its own that
 * it then sends back) and on the main thread (parallel-scan.ts reads the first task itself,
 * straight into the detector the others are merged into).
 */
import type { Detector } from '../detect/index.js';
import { Reason, resolveFormat, ScanOutcome, ScanRecord, SkipCounter } from '../formats/index.js';
import { forEachLine, forEachLineInRange, MAX_LINE_BYTES } from '../ingest/index.js';
import type { ScanTask } from './parallel-scan.js';

export interface TaskScan {
  counter: SkipCounter;
  /** first and last record time, epoch ms (infinities when no record had a time) */
  from: number;
  to: number;
}

/** Reads `task` into `detector`; `onBytes` hears the bytes read so far, at most every 100 ms. */
export async function scanTask(task: ScanTask, detector: Detector, onBytes: (bytesRead: number) => void): Promise<TaskScan> {
  const format = resolveFormat(task.format, { clientIpField: task.clientIpField });
  const scanner = format.createScanner();
  const record = new ScanRecord();
  const counter = new SkipCounter();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  let lineNumber = 0;
  const file = task.path;
  const visit = (line: Buffer, start: number, end: number): void => {
    lineNumber++;
    const outcome = scanner.scan(line, start, end, record);
    if (outcome === ScanOutcome.Ok) {
      const time = record.time;
      if (time < from) from = time;
      if (time > to) to = time;
      detector.observe(record);
      counter.countRecord();
      return;
    }
    counter.count(outcome, record.reason, line, start, end, lineNumber, file);
  };
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
    onOverlongLine: (line: Buffer, start: number, end: number) => {
      lineNumber++;
      counter.skip(Reason.OverlongLine, line, start, end, lineNumber, file);
      counter.lines++;
    },
  };
  if (task.start === null) await forEachLine({ path: task.path, size: task.size, gzip: task.gzip }, visit, (bytesRead) => report(bytesRead), readerOptions);
  else await forEachLineInRange(task.path, task.start, task.end!, visit, readerOptions);
  return { counter, from, to };
}
