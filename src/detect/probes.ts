import { Counter, type Detector } from './detector.js';
import type { ProbeFinding } from './types.js';

/** Clients that request many paths of other software and mostly get errors. */
export function findProbes(detector: Detector): ProbeFinding[] {
  const probes: ProbeFinding[] = [];
  for (const [client, paths] of detector.probeExamples) {
    if (client === detector.overflowClient) continue;
    const requests = detector.count(client, Counter.Requests);
    const errors = detector.count(client, Counter.ClientErrors);
    const enough = paths.size >= 3 || (paths.size >= 1 && errors >= 10 && errors / requests >= 0.8);
    if (!enough) continue;
    probes.push({
      client,
      paths: paths.size,
      first: detector.count(client, Counter.FirstTime),
      last: detector.count(client, Counter.LastTime),
      examples: [...paths].slice(0, 5),
    });
  }
  probes.sort((a, b) => b.paths - a.paths || a.first - b.first || a.client - b.client);
  return probes;
}

