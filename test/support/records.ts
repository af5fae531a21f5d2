import { Field, ScanRecord } from '../../src/formats/record.js';

export interface RecordSpec {
  ip: string;
  /** ISO time or epoch ms */
  time: string | number;
  url: string;
  method?: string;
  status?: number;
  bytes?: number;
  referrer?: string;
  userAgent?: string;
  protocol?: string;
}

/** A ScanRecord filled from plain values, as a scanner would (slices into one buffer). */
export function toRecord(spec: RecordSpec): ScanRecord {
  const record = new ScanRecord();
  const parts: [number, string][] = [
    [Field.Ip, spec.ip],
    [Field.Method, spec.method ?? 'GET'],
    [Field.Url, spec.url],
    [Field.Protocol, spec.protocol ?? 'HTTP/1.1'],
    [Field.Referrer, spec.referrer ?? '-'],
    [Field.UserAgent, spec.userAgent ?? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36'],
  ];
  const buffer = Buffer.from(parts.map(([, text]) => text).join('\u0000'));
  let offset = 0;
  for (const [field, text] of parts) {
    const length = Buffer.byteLength(text);
    record.set(field as 0, buffer, offset, offset + length);
    offset += length + 1;
  }
  record.time = typeof spec.time === 'number' ? spec.time : Date.parse(spec.time);
  record.status = spec.status ?? 200;
  record.bytes = spec.bytes ?? 5000;
  return record;
}

/** Deterministic PRNG for fixtures (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
