import { createCanaryMatcher, type CanaryHitInput } from '../canary/index.js';
import { Field, type ScanRecord } from '../formats/index.js';

/**
 * The canaries' hits in a stream of records: a byte check per record on the URL the format
 * scanner already located (no string unless it matches). Built from the tokens alone, so a worker
 * thread makes its own from the task it is sent and the scan stays as parallel with canaries as
 * without; hits come back in record order and are concatenated in task order.
 */
export interface CanaryHitCollector {
  observe(record: ScanRecord): void;
  readonly hits: CanaryHitInput[];
}

export function createCanaryHitCollector(tokens: readonly string[]): CanaryHitCollector {
  const matcher = createCanaryMatcher([...tokens]);
  const hits: CanaryHitInput[] = [];
  return {
    hits,
    observe(record) {
      if (!record.has(Field.Url)) return;
      const index = matcher.match(record.buffers[Field.Url]!, record.starts[Field.Url]!, record.ends[Field.Url]!);
      if (index === -1) return;
      hits.push({ token: tokens[index]!, time: record.time, ip: record.text(Field.Ip), userAgent: record.text(Field.UserAgent) || null, method: record.text(Field.Method), url: record.text(Field.Url) });
    },
  };
}
