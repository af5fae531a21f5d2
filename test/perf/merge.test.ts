import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, Counter, Detector, type AnalysisContext } from '../../src/detect/index.js';
import { resolveFormat, ScanOutcome, ScanRecord } from '../../src/formats/index.js';
import { toRecord } from '../support/records.js';
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
  // every column, the last agent too (kin in grouping.ts read it): the later part's is the client's
  for (const [name, counter] of Object.entries(Counter)) perClient[name] = detector.clientKeys.map((_, client) => detector.count(client, counter));
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
        // as a worker sends it (views of its own tables) and as a follow keeps it (copies)
        const state = worker.exportState(part % 2 === 1);
        merged.merge(structuredClone(state, { transfer: Detector.transferList(state) }));
      }
      assert.deepEqual(snapshot(merged), expected, `${parts} parts`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a page that went popular inside one part still names its day units after the merge (the replay across midnight is found with 3 parts as with one reader)', () => {
  const day = (n: number, hh: string) => `2026-03-0${n}T${hh}Z`;
  const agent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
  const part1 = [toRecord({ ip: '192.0.2.1', time: day(1, '08:00:00'), url: '/other', userAgent: agent })];
  // /p goes popular overall inside part 2 (nine clients over five days, two or one a day)
  const part2: ScanRecord[] = [];
  for (let index = 0; index < 9; index++) {
    const dayNumber = 1 + Math.floor(index / 2);
    part2.push(toRecord({ ip: `198.51.${index}.7`, time: day(dayNumber, index === 8 ? '23:50:00' : `1${index}:00:00`), url: '/p', userAgent: agent }));
  }
  // part 3: another network fetches /p ten minutes after the last visit, across midnight
  const part3 = [toRecord({ ip: '203.0.113.9', time: day(6, '00:00:10'), url: '/p', userAgent: 'Java/1.8.0_151', protocol: 'HTTP/1.0' })];
  const unitsOf = (detector: Detector): unknown[] => {
    const units: unknown[] = [];
    detector.index.forEachRareUnit((bucket, url, entries, context) => units.push([bucket, url, context, entries.map((entry) => ({ ...entry }))]));
    return units;
  };
  const single = new Detector({ classifyAgent });
  for (const record of [...part1, ...part2, ...part3]) single.observe(record);
  const expected = unitsOf(single);
  // the day unit of day 6, with day 5's visit as its context, is visited and named
  assert.ok(expected.some((unit) => (unit as [number, string | null])[1] === '/p' && (unit as [number, string, number])[2] === 1), JSON.stringify(expected));
  // popular inside a later part (merged unit by unit) and inside the first part (adopted whole)
  for (const parts of [[part1, part2, part3], [[...part1, ...part2], part3]]) {
    const merged = new Detector({ classifyAgent });
    for (const part of parts) {
      const worker = new Detector({ classifyAgent, keepTexts: true });
      for (const record of part) worker.observe(record);
      const state = worker.exportState();
      merged.merge(structuredClone(state, { transfer: Detector.transferList(state) }));
    }
    assert.deepEqual(unitsOf(merged), expected, `${parts.length} parts`);
  }
});

test('the day unit of `/` keeps detail for more clients than other pages\' (maxClientsPerEntryDay), merged as one reader keeps it', () => {
  const agent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
  const records: ScanRecord[] = [];
  // `/` and /about popular overall (a visit a day for two weeks), then 20 clients of each on day 15
  for (let day = 1; day <= 14; day++) {
    for (const url of ['/', '/about']) records.push(toRecord({ ip: `192.0.${day}.1`, time: Date.UTC(2026, 2, day, 9) + (url === '/' ? 0 : 1000), url, userAgent: agent }));
  }
  for (let index = 0; index < 20; index++) {
    for (const url of ['/', '/about']) records.push(toRecord({ ip: `198.51.${index}.7`, time: Date.UTC(2026, 2, 15, 8, index) + (url === '/' ? 0 : 1000), url, userAgent: agent }));
  }
  const dayUnitsOf = (detector: Detector): Map<string, number> => {
    const units = new Map<string, number>();
    detector.index.forEachRareUnit((bucket, url, entries, unitContext) => {
      if (bucket === Math.floor(Date.UTC(2026, 2, 15) / 86_400_000)) units.set(url ?? '', entries.length - unitContext);
    });
    return units;
  };
  const single = new Detector({ classifyAgent });
  for (const record of records) single.observe(record);
  // `/`: all 20 clients of the day; /about went popular at its ninth and keeps none
  assert.deepEqual([...dayUnitsOf(single)], [['/', 20]]);
  for (const parts of [2, 3]) {
    const merged = new Detector({ classifyAgent });
    for (let part = 0; part < parts; part++) {
      const worker = new Detector({ classifyAgent, keepTexts: true });
      for (const record of records.slice(Math.floor((part * records.length) / parts), Math.floor(((part + 1) * records.length) / parts))) worker.observe(record);
      const state = worker.exportState();
      merged.merge(structuredClone(state, { transfer: Detector.transferList(state) }));
    }
    assert.deepEqual(snapshot(merged), snapshot(single), `${parts} parts`);
  }
});
