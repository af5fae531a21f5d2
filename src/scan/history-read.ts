/**
 * The history check's second read (detect/history-check.ts): the input again, keeping only the
 * page requests of the clients the first analysis asked about, within their windows. Read on
 * this thread with the first read's formats; bounded by the watch (a few hundred clients at
 * most, and only their page requests).
 */
import { classifyPath, type Detector, type HistoryWatch, PathKind, type Visit, watched } from '../detect/index.js';
import { Field, scanInputs, type LogFormat, type ScanRecord } from '../formats/index.js';
import type { InputFile } from '../ingest/index.js';

/** Page requests kept at most over all watched clients (~130 bytes each: 8 MB), whatever the log holds. */
const MAX_VISITS = 1 << 16;

/** Whether the inputs can be read again: files, not stdin or a pipe (read once, front to back). */
export function readableAgain(inputs: readonly InputFile[]): boolean {
  return inputs.every((input) => input.path !== '-' && input.stream !== true);
}

export async function readHistoryVisits(
  inputs: InputFile[],
  format: LogFormat | null,
  detector: Detector,
  watch: HistoryWatch,
  clientIpField: string | undefined,
): Promise<Map<number, Visit[]>> {
  // the watched clients' addresses as logged (an IPv6 client's every address the scan kept)
  const clientOfAddress = new Map<string, number>();
  for (const client of watch.clients) for (const address of detector.addressesOf(client)) clientOfAddress.set(address, client);
  const visits = new Map<number, Visit[]>();
  let kept = 0;
  const onRecord = (record: ScanRecord): void => {
    if (kept >= MAX_VISITS || !record.has(Field.Ip)) return;
    const client = clientOfAddress.get(record.text(Field.Ip));
    if (client === undefined || !Number.isFinite(record.time)) return;
    const time = Math.floor(record.time / 1000);
    if (!watched(watch, client, time) || !record.has(Field.Url)) return;
    // a page, as the detector classes it, from the URL's bytes as read
    if (classifyPath(record.buffers[Field.Url]!, record.starts[Field.Url]!, record.ends[Field.Url]!) !== PathKind.Page) return;
    const url = record.text(Field.Url);
    let list = visits.get(client);
    if (list === undefined) visits.set(client, (list = []));
    list.push({ time, url, status: record.status, bytes: Math.max(0, record.bytes) });
    kept++;
  };
  await scanInputs(inputs, format, onRecord, { clientIpField });
  return visits;
}
