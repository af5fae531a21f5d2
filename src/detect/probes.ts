import { Counter, type Detector } from './detector.js';
import type { ProbeFinding } from './types.js';

/**
 * Clients that request many paths of other software and mostly get errors: by their distinct
 * paths kept (detector.probeExamples). Past the budget's bound on kept paths a later prober
 * keeps none (detector.probePathsDropped): such a client is still listed, by its probe-path
 * requests (Counter.ProbeHits, `pathsNotKept`), when it mostly got errors.
 */
export function findProbes(detector: Detector): ProbeFinding[] {
  const probes: ProbeFinding[] = [];
  const finding = (client: number, paths: number, examples: string[]): ProbeFinding => ({
    client,
    paths,
    first: detector.count(client, Counter.FirstTime),
    last: detector.count(client, Counter.LastTime),
    examples,
  });
  for (const [client, paths] of detector.probeExamples) {
    if (client === detector.overflowClient) continue;
    const requests = detector.count(client, Counter.Requests);
    const errors = detector.count(client, Counter.ClientErrors);
    const enough = paths.size >= 3 || (paths.size >= 1 && errors >= 10 && errors / requests >= 0.8);
    if (!enough) continue;
    probes.push(finding(client, paths.size, [...paths].slice(0, 5)));
  }
  if (detector.probePathsDropped > 0) {
    const clients = detector.clientCount;
    for (let client = 0; client < clients; client++) {
      if (client === detector.overflowClient || detector.probeExamples.has(client)) continue;
      const hits = detector.count(client, Counter.ProbeHits);
      if (hits < 3) continue;
      const errors = detector.count(client, Counter.ClientErrors);
      if (errors < 3 || errors / detector.count(client, Counter.Requests) < 0.8) continue;
      probes.push({ ...finding(client, hits, []), pathsNotKept: true });
    }
  }
  probes.sort((a, b) => b.paths - a.paths || a.first - b.first || a.client - b.client);
  return probes;
}
