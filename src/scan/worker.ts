/**
 * One worker thread of a parallel scan (parallel.ts): reads the tasks it is sent (a byte
 * range of a plain file, or a whole file), scans their lines into a Detector of its own, and
 * sends back the detector's state, the line counts and the canaries' hits. Runs from dist/ (the
 * bin) or, in tests, from src/ under tsx (parallel.ts passes the loader on).
 */
import { parentPort } from 'node:worker_threads';
import type { AgentClass } from '../attribute/types.js';
import { loadAgentClassifier } from '../attribute/index.js';
import { Detector } from '../detect/index.js';
import type { ScanTask, ScanTaskResult } from './parallel.js';
import { scanTask } from './task.js';

if (parentPort === null) throw new Error('scan/worker.ts runs as a worker thread');
const port = parentPort;

let classify: ((userAgent: string) => AgentClass | null) | undefined;
function classifier(): (userAgent: string) => AgentClass | null {
  if (classify === undefined) {
    // user agents only: addresses are attributed on the main thread
    const agentClass = loadAgentClassifier();
    const cache = new Map<string, AgentClass | null>();
    classify = (userAgent) => {
      let found = cache.get(userAgent);
      if (found === undefined) cache.set(userAgent, (found = agentClass(userAgent)));
      return found;
    };
  }
  return classify;
}

async function run(task: ScanTask): Promise<ScanTaskResult> {
  const started = performance.now();
  const detector = new Detector({ classifyAgent: classifier(), memoryBudget: task.memoryBudget, keepTexts: true, part: true });
  // progress for the bar on the main thread
  const { counter, canaryHits, from, to } = await scanTask(task, detector, (bytesRead) => port.postMessage({ progress: true, id: task.id, bytesRead }));
  return {
    id: task.id,
    // views of the detector's own tables, transferred (worker.on('message') below)
    state: detector.exportState(true),
    // posted by structured clone: its counts arrive, not the class
    counter,
    canaryHits,
    from,
    to,
    elapsed: performance.now() - started,
  };
}

port.on('message', (task: ScanTask) => {
  run(task).then(
    (result) => port.postMessage({ ok: true, result }, Detector.transferList(result.state)),
    (error: unknown) => {
      const failure = error as { message?: string; code?: string; hint?: string };
      port.postMessage({ ok: false, id: task.id, error: { message: failure.message ?? String(error), code: failure.code, hint: failure.hint } });
    },
  );
});
