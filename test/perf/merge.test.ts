import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, Counter, Detector, type AnalysisContext } from '../../src/detect/index.js';
import { resolveFormat, ScanOutcome, ScanRecord } from '../../src/formats/index.js';
import { generateLog } from './support.js';

const context: AnalysisContext = {
  networkKey: (address) => (address.includes(':') ? address.split(':').slice(0, 2).join(':') : address.split('.').slice(0, 2).join('.')),
  actors: () => [],
  verifyCrawler: () => 'verified',
};
const classifyAgent = (agent: string) =>
  agent.includes('Googlebot') ? ({ kind: 'crawler', name: 'Googlebot' } as const) : agent.includes('Slackbot') ? ({ kind: 'link-preview', name: 'Slackbot' } as const) : null;

function observeLines(detector: Detector, text: Buffer, lines: [number, number][]): void {
  const scanner = resolveFormat('combined').createScanner();
  const record = new ScanRecord();
  for (const [start, end] of lines) if (scanner.scan(text, start, end, record) === ScanOutcome.Ok) detector.observe(record);
}

/** Everything a detector holds that analysis and the report read, as plain data. */
function snapshot(detector: Detector): unknown {
  const perClient: Record<string, number[]> = {};
  for (const [name, counter] of Object.entries(Counter)) {
    // the last agent is a per-reader cache, not state
    if (counter !== Counter.LastAgent) perClient[name] = detector.clientKeys.map((_, client) => detector.count(client, counter));
  }
  const units: unknown[] = [];
  detector.index.forEachRareUnit((bucket, url, entries) => units.push([bucket, url, entries.map((entry) => ({ ...entry }))]));
  return {
    clients: detector.clientKeys,
    addresses: detector.clientKeys.map((_, client) => detector.addressesOf(client)),
    agents: detector.agentClasses,
    perClient,
    probes: [...detector.probeExamples].map(([client, paths]) => [client, [...paths]]),
    records: detector.records,
    times: [detector.minTime, detector.maxTime],
    units,
    findings: analyze(detector, context).sources,
  };
}

test('detectors of consecutive parts merged in order equal one detector of the whole (every per-client array, every unit, the findings)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-merge-'));
  try {
    const path = join(dir, 'access.log');
    generateLog(path, 30_000, ['--days', '2']);
    const text = readFileSync(path);
    const lines: [number, number][] = [];
    for (let start = 0, newline = text.indexOf(10); newline >= 0; start = newline + 1, newline = text.indexOf(10, start)) lines.push([start, newline]);
    const single = new Detector({ classifyAgent });
    observeLines(single, text, lines);
    const expected = snapshot(single);
    for (const parts of [2, 3, 7]) {
      const merged = new Detector({ classifyAgent });
      for (let part = 0; part < parts; part++) {
        const worker = new Detector({ classifyAgent, keepTexts: true });
        observeLines(worker, text, lines.slice(Math.floor((part * lines.length) / parts), Math.floor(((part + 1) * lines.length) / parts)));
        const state = worker.exportState();
        merged.merge(structuredClone(state, { transfer: Detector.transferList(state) }));
      }
      assert.deepEqual(snapshot(merged), expected, `${parts} parts`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
