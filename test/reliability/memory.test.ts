/**
 * Issue 11, defect 2 (in part): what the detector keeps per distinct user agent and client
 * under a hostile log. Distinct agents are bounded by the memory budget (past the limit a new
 * agent is "another user agent", not classified, and the report says how many requests);
 * an IPv4 client costs no map entry (it is found through the address table), and lookups by
 * address or /64 still find every client, also after worker states are merged. One budget is
 * shared by the index, the client tables and the agents, and a hostile scan's peak RSS stays
 * within it plus a fixed baseline (a bound on memory, not on time).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/detect/analyze.js';
import { addressesForBudget, agentsForBudget, Detector, indexBudgetOf, probeBytesForBudget } from '../../src/detect/detector.js';
import { FirstSeenIndex } from '../../src/detect/first-seen-index.js';
import { hashBytes, hashHigh, hashLow } from '../../src/detect/hash.js';
import { repoRoot, runCli, scratchDir } from '../support/cli.js';
import { ensureBuilt, generateLog } from '../perf/support.js';
import { combinedLine, replayedLog, replayerAddress } from '../support/hostile-log.js';
import { toRecord } from '../support/records.js';

const start = Date.UTC(2026, 2, 2);

test('agents past the limit are counted as one "another agent", never classified', () => {
  let classified = 0;
  const detector = new Detector({ maxAgents: 10, classifyAgent: () => (classified++, null) });
  for (let index = 0; index < 100; index++) detector.observe(toRecord({ ip: `10.0.0.${index}`, time: start + index * 1000, url: `/p${index}`, userAgent: `agent ${index}` }));
  assert.equal(detector.agentsOverflowed, 90);
  assert.equal(classified, 10, 'only the agents within the limit are classified');
  assert.equal(detector.summary(detector.clientOf('10.0.0.5')).userAgent, 'agent 5');
  assert.match(detector.summary(detector.clientOf('10.0.0.50')).userAgent, /another user agent/);
  assert.equal(agentsForBudget(256 << 20), 65_536);
  assert.equal(agentsForBudget(1 << 20), 1024);
});

test('clients are found by address and by /64 without a map entry per IPv4 client, also after a merge', () => {
  const parts = [0, 1].map(() => new Detector({ keepTexts: true }));
  const addresses = ['203.0.113.9', '2001:db8:1:2::1', '2001:db8:1:2::2', '198.51.100.7'];
  addresses.forEach((ip, index) => parts[index % 2]!.observe(toRecord({ ip, time: start + index * 1000, url: `/u${index}` })));
  // the same IPv4 client in both parts
  parts[1]!.observe(toRecord({ ip: '203.0.113.9', time: start + 9000, url: '/again' }));
  const merged = new Detector();
  for (const part of parts) merged.merge(part.exportState());
  assert.equal(merged.clientCount, 3, 'two IPv4 clients and one /64');
  assert.equal(merged.clientOf('2001:db8:1:2::1'), merged.clientOf('2001:db8:1:2::2'));
  assert.equal(merged.clientOf('2001:db8:1:2::/64'), merged.clientOf('2001:db8:1:2::1'));
  const client = merged.clientOf('203.0.113.9');
  assert.ok(client >= 0);
  assert.equal(merged.summary(client).requests, 2);
  assert.equal(merged.clientOf('192.0.2.1'), -1);
});

test('a part is handed over as bytes: no string crosses between threads but agent classes, and its merge equals the direct one', () => {
  const part = new Detector({ keepTexts: true, classifyAgent: (agent) => (agent.includes('bot') ? { kind: 'crawler', name: 'a bot' } : null) });
  for (let index = 0; index < 200; index++) {
    // IPv4 clients, an IPv6 /64 of many addresses, probe paths, agents (one a declared bot)
    const ip = index % 3 === 0 ? `2001:db8:0:1::${index.toString(16)}` : `10.2.${index >> 8}.${index & 255}`;
    part.observe(toRecord({ ip, time: start + index * 1000, url: index % 5 === 0 ? `/wp-login.php?x=${index}` : `/u${index}`, status: index % 5 === 0 ? 404 : 200, userAgent: index % 7 === 0 ? 'a bot/1.0' : `agent ${index}` }));
  }
  const state = part.exportState(true);
  const strings: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') strings.push(path);
    else if (value instanceof Map) for (const [key, entry] of value) walk(entry, `${path}.${String(key)}`);
    else if (Array.isArray(value)) value.forEach((entry, index) => walk(entry, `${path}[${index}]`));
    else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) for (const [key, entry] of Object.entries(value)) if (key !== 'agentClasses') walk(entry, `${path}.${key}`);
  };
  walk(state, 'state');
  assert.deepEqual(strings, [], 'strings in the state');
  const sent = structuredClone(state, { transfer: Detector.transferList(state) });
  assert.equal(state.texts.bytes.byteLength, 0, 'the texts were transferred, not copied');
  const merged = new Detector();
  merged.merge(sent);
  assert.equal(merged.clientCount, 134, '133 IPv4 clients and one /64');
  const network = merged.clientOf('2001:db8:0:1::3');
  assert.equal(merged.addressesOf(network).length, 67);
  assert.equal(merged.clientKeys[network], '2001:db8:0:1::/64');
  assert.equal(merged.summary(merged.clientOf('10.2.0.1')).userAgent, 'agent 1');
  assert.equal(merged.agentClasses[merged.botAgentOf(network)]?.name, 'a bot');
  assert.ok(merged.probeExamples.get(network)?.has('/wp-login.php?x=0'));
  assert.equal([...merged.probeExamples.values()].reduce((sum, paths) => sum + paths.size, 0), 40);
});

test('scan of a log with a new user agent on every line: bounded agents, and the report says so', () => {
  const directory = scratchDir('agents');
  const path = join(directory, 'distinct.log');
  const lines: string[] = [];
  for (let index = 0; index < 3000; index++) lines.push(combinedLine(`1.0.${index >> 8}.${index & 255}`, start + index * 1000, `/r/${index}`, { agent: `Mozilla/5.0 (rv:${index}) Firefox/128.0` }));
  writeFileSync(path, lines.join('\n') + '\n');
  const run = runCli(['scan', path, '--json', '--offline', '--workers', '1', '--memory-budget', '1MB', '--state', '/nonexistent/x.duckdb']);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  const report = JSON.parse(run.stdout) as { input: { records: number }; warnings: string[] };
  assert.equal(report.input.records, 3000);
  assert.ok(report.warnings.some((warning) => warning.startsWith('1976 requests came with a new user agent past the limit')), report.warnings.join('\n'));
});

test('addresses past the limit are one "another client": counted, never a source, also after a merge', () => {
  const detector = new Detector({ maxAddresses: 10 });
  for (let index = 0; index < 100; index++) detector.observe(toRecord({ ip: `10.0.1.${index}`, time: start + index * 1000, url: `/same-page?q=${index % 3}` }));
  assert.equal(detector.clientsOverflowed, 90);
  assert.equal(detector.clientCount, 11, 'ten clients and the one standing for the rest');
  assert.equal(detector.summary(detector.overflowClient).requests, 90);
  assert.equal(detector.clientOf('10.0.1.50'), -1, 'an address past the limit is not kept');
  const findings = analyze(detector, { networkKey: (address) => address, actors: () => [], verifyCrawler: () => 'unknown' });
  assert.ok(findings.sources.every((source) => !source.clients.includes(detector.overflowClient)));

  const parts = [0, 1].map((part) => {
    const detector = new Detector({ keepTexts: true });
    for (let index = 0; index < 10; index++) detector.observe(toRecord({ ip: `10.${part}.2.${index}`, time: start + index * 1000, url: `/p${index}` }));
    return detector;
  });
  const merged = new Detector({ maxAddresses: 15 });
  for (const part of parts) merged.merge(part.exportState());
  assert.equal(merged.clientCount, 16);
  assert.equal(merged.clientsOverflowed, 5);
  assert.equal(merged.summary(merged.overflowClient).requests, 5);
  assert.equal(addressesForBudget(256 << 20), 349_525);
  assert.equal(addressesForBudget(1 << 20), 65_536);
});

test('probe paths are bounded by the budget: a new client with new probe paths on every line keeps 1/32 of it, counted past that, also after a merge', () => {
  // 1 MB: 64 KiB of probe paths (the floor), ~300 paths of ~60 characters
  const budget = 1 << 20;
  const probing = (detector: Detector, from: number, count: number): void => {
    for (let index = from; index < from + count; index++) {
      for (let path = 0; path < 8; path++) detector.observe(toRecord({ ip: `10.3.${index >> 8}.${index & 255}`, time: start + index * 1000 + path, url: `/wp-admin/setup-config.php?step=${path}&x=${'a'.repeat(20)}${index}`, status: 404 }));
    }
  };
  const detector = new Detector({ memoryBudget: budget });
  probing(detector, 0, 2000);
  const kept = [...detector.probeExamples.values()].reduce((sum, paths) => sum + paths.size, 0);
  assert.ok(kept > 200 && kept < 16_000, `kept ${kept}`);
  assert.equal(kept + detector.probePathsDropped, 16_000, 'every probe path kept or counted');
  const bytes = [...detector.probeExamples.values()].reduce((sum, paths) => sum + 160 + [...paths].reduce((total, path) => total + path.length + 48, 0), 0);
  assert.ok(bytes <= probeBytesForBudget(budget), `${bytes} bytes`);
  assert.equal(probeBytesForBudget(256 << 20), 8 << 20);
  // the first clients keep their paths, and still count as probes
  assert.equal(detector.probeExamples.get(detector.clientOf('10.3.0.0'))?.size, 8);
  assert.equal(detector.summary(detector.clientOf('10.3.7.200')).requests, 8);
  // merged parts: the merged detector's own limit holds, and the parts' drops are carried
  const parts = [0, 1].map((part) => {
    const partDetector = new Detector({ keepTexts: true, memoryBudget: budget });
    probing(partDetector, part * 1000, 1000);
    return partDetector;
  });
  const dropped = parts.reduce((sum, part) => sum + part.probePathsDropped, 0);
  const merged = new Detector({ memoryBudget: budget });
  for (const part of parts) merged.merge(part.exportState());
  const mergedKept = [...merged.probeExamples.values()].reduce((sum, paths) => sum + paths.size, 0);
  assert.equal(mergedKept + merged.probePathsDropped, 16_000);
  assert.ok(merged.probePathsDropped >= dropped);
  assert.ok(mergedKept <= kept);
  // the scan says so
  const path = join(scratchDir('probes'), 'probes.log');
  const lines: string[] = [];
  for (let index = 0; index < 2000; index++) for (let probe = 0; probe < 8; probe++) lines.push(combinedLine(`10.3.${index >> 8}.${index & 255}`, start + index * 1000 + probe, `/wp-admin/setup-config.php?step=${probe}&x=${'a'.repeat(20)}${index}`, { status: 404 }));
  writeFileSync(path, lines.join('\n') + '\n');
  const run = runCli(['scan', path, '--json', '--offline', '--workers', '1', '--memory-budget', '1MB', '--state', '/nonexistent/x.duckdb']);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  const report = JSON.parse(run.stdout) as { input: { records: number }; warnings: string[]; probes: { ip: string; paths: number; examples: string[]; pathsNotKept?: boolean }[] };
  assert.equal(report.input.records, 16_000);
  // every prober is listed: the later ones, none of whose paths were kept, by their probe requests
  assert.equal(report.probes.length, 2000);
  assert.deepEqual(report.probes.find((probe) => probe.ip === '10.3.0.0'), { ...report.probes.find((probe) => probe.ip === '10.3.0.0')!, paths: 8 });
  assert.equal(report.probes.find((probe) => probe.ip === '10.3.0.0')!.pathsNotKept, undefined);
  const late = report.probes.find((probe) => probe.ip === '10.3.7.200')!;
  assert.deepEqual([late.paths, late.examples, late.pathsNotKept], [8, [], true]);
  assert.ok(report.warnings.some((warning) => /^\d+ probe paths came past the limit of probe paths kept/.test(warning)), report.warnings.join('\n'));
});

test('scan of a log with a new address on every line: bounded clients, the replayer still found, and the report says so', () => {
  const directory = scratchDir('addresses');
  const path = join(directory, 'distinct-addresses.log');
  const { text } = replayedLog(['/search?q=my+own+words', '/orders/4711', '/messages/1234']);
  const lines: string[] = text.trimEnd().split('\n');
  const later = Date.UTC(2026, 2, 3);
  for (let index = 0; index < 70_000; index++) lines.push(combinedLine(`2.${index >> 16}.${(index >> 8) & 255}.${index & 255}`, later + index * 100, `/r/${index}`));
  writeFileSync(path, lines.join('\n') + '\n');
  // 16 MB: room for every URL (no unit dropped), 65,536 addresses
  const run = runCli(['scan', path, '--json', '--offline', '--workers', '1', '--memory-budget', '16MB', '--state', '/nonexistent/x.duckdb']);
  assert.equal(run.status, 1, run.stderr);
  const report = JSON.parse(run.stdout) as { input: { records: number }; warnings: string[]; sources: { kind: string; ips: string[] }[] };
  assert.equal(report.input.records, lines.length);
  assert.ok(report.sources.some((source) => source.kind === 'replayer' && source.ips.includes(replayerAddress)));
  assert.ok(report.warnings.some((warning) => /^\d+ requests came from a new address past the limit of distinct addresses/.test(warning)), report.warnings.join('\n'));
});

test('explain\'s victims are bounded over all clients: many replayers of many people, the report says so', () => {
  const directory = scratchDir('victims');
  const path = join(directory, 'many-victims.log');
  // 300 clients of their own networks each fetch, a minute after, one private page of each of
  // 240 people: 72,000 replayer-victim pairs, past the 65,536 kept at 64 MB (where the index keeps every page)
  const lines: string[] = [];
  const start = Date.UTC(2026, 2, 3);
  for (let person = 0; person < 240; person++) {
    for (let replayer = 0; replayer < 300; replayer++) {
      const time = start + (person * 300 + replayer) * 2000;
      const url = `/orders/${person}-${replayer}`;
      lines.push(combinedLine(`${81 + (person % 40)}.${person}.7.${replayer % 200}`, time, url));
      lines.push(combinedLine(`${150 + (replayer % 60)}.${replayer % 250}.${replayer}.9`, time + 60_000, url, { agent: 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)', referrer: '-' }));
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
  const run = runCli(['scan', path, '--json', '--offline', '--workers', '1', '--memory-budget', '64MB', '--state', '/nonexistent/x.duckdb']);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  const report = JSON.parse(run.stdout) as { input: { records: number }; warnings: string[] };
  assert.equal(report.input.records, lines.length);
  assert.ok(report.warnings.some((warning) => /^\d+ replays' origin clients came past the limit kept for the memory budget/.test(warning)), report.warnings.join('\n'));
});

test('one budget: the index, the client tables, the agents and the probe paths take their shares of it, no more', () => {
  const budget = 256 << 20;
  // ~256 bytes a client at most, ~400 an agent: with the index's and the probe paths' shares, within the budget
  const bound = indexBudgetOf(budget) + addressesForBudget(budget) * 256 + agentsForBudget(budget) * 400 + probeBytesForBudget(budget);
  assert.ok(bound <= budget, `${bound} > ${budget}`);
  assert.equal(new Detector({ memoryBudget: budget }).index.memoryBudget, indexBudgetOf(budget));
});

test('an index past its budget drops its oldest units again and again and still finds every unit it kept', () => {
  const budget = 8 << 20;
  const index = new FirstSeenIndex({ memoryBudget: budget, maxClients: 8 });
  const url = (n: number): Buffer => Buffer.from(`/r/${n}?k=${(n * 2654435761) >>> 0}`);
  const observe = (n: number, client: number): void => {
    const bytes = url(n);
    hashBytes(bytes, 0, bytes.length);
    index.observe(hashHigh, hashLow, client, 1_772_400_000 + n, 200, 100, false, bytes, 0, bytes.length);
  };
  for (let n = 0; n < 400_000; n++) observe(n, n % 1000);
  assert.ok(index.dropped > 200_000, `dropped ${index.dropped}`);
  // within the budget but for the last page of units (2 MiB)
  assert.ok(index.memoryBytes() <= budget + (2 << 20), `${index.memoryBytes()} bytes`);
  const kept = index.units;
  // the newest units are kept: a second client joins each one (no new unit), found through the slots compacted by every drop
  for (let n = 400_000 - kept; n < 400_000; n++) observe(n, 5000);
  assert.equal(index.units, kept);
  let pairs = 0;
  index.forEachRareUnit((_bucket, _url, entries) => {
    if (entries.length === 2) pairs++;
  });
  assert.equal(pairs, kept);
});

/**
 * The peak RSS (MB) of a scan by the built CLI, in a process of its own: a launcher that runs
 * main() and then prints process.resourceUsage().maxRSS (the bin's, as a user runs it).
 */
function peakRss(directory: string, args: string[]): number {
  const launcher = join(directory, 'peak-rss.mjs');
  writeFileSync(launcher, `import { main } from ${JSON.stringify(join(repoRoot, 'dist/cli/main.js'))};\nconst code = await main(process.argv.slice(2));\nprocess.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n');\nprocess.exitCode = code;\n`);
  const run = spawnSync(process.execPath, [launcher, 'scan', ...args, '--json', '--offline', '--no-progress', '--state', '/nonexistent/x.duckdb'], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  const match = /maxrss (\d+)/.exec(run.stderr);
  assert.ok(match, run.stderr);
  return Math.round(Number(match[1]) / 1024);
}

test('scan of 1 M lines, each a new client, URL and agent: peak RSS within the budget plus a fixed baseline, one thread and two, and at 64MB on two threads within it plus the two-thread baseline (and not without the budget)', () => {
  ensureBuilt();
  const directory = scratchDir('peak-rss');
  try {
    const hostile = join(directory, 'distinct.log');
    generateLog(hostile, 1_000_000, ['--distinct']);
    const tiny = join(directory, 'tiny.log');
    writeFileSync(tiny, combinedLine('203.0.113.9', start, '/') + '\n');
    // Node, the attribution tables, the CLI: a one-line log's peak
    const baseline = peakRss(directory, [tiny, '--workers', '1']);
    // what a scan holds beyond the budget whatever the log (docs/PERFORMANCE.md): V8's young
    // generation under a log of new strings (~24 MB), the line buffers, the allocator's slack;
    // a worker thread adds its isolate and young generation
    const runtime = 64;
    const worker = 48;
    const budget = 32;
    const one = peakRss(directory, [hostile, '--workers', '1', '--memory-budget', `${budget}MB`]);
    assert.ok(one <= baseline + budget + runtime, `one thread: ${one} MB > ${baseline} + ${budget} + ${runtime} MB`);
    const two = peakRss(directory, [hostile, '--workers', '2', '--memory-budget', `${budget}MB`]);
    assert.ok(two <= baseline + budget + runtime + worker, `two threads: ${two} MB > ${baseline} + ${budget} + ${runtime} + ${worker} MB`);
    // two threads at 64MB (above the floors of addresses and agents, which a 32MB budget's parts
    // exceed) against the two-thread baseline: a log of one line repeated, large enough for two
    // threads (Node, both isolates, their buffers, nothing to remember). Measured with node's
    // defaults as here: 176-180 MB against 122-125 + 64 MB; before the parts shared their budget
    // (Detector.shareWithIndex) and their index reserved its slots on first growth, 214-229 MB.
    // 16 MB of margin for the allocator.
    const repeated = join(directory, 'repeated.log');
    writeFileSync(repeated, `${combinedLine('203.0.113.9', start, '/index.html')}\n`.repeat(250_000));
    const twoBaseline = peakRss(directory, [repeated, '--workers', '2', '--memory-budget', '64MB']);
    const two64 = peakRss(directory, [hostile, '--workers', '2', '--memory-budget', '64MB']);
    assert.ok(two64 <= twoBaseline + 64 + 16, `two threads at 64MB: ${two64} MB > ${twoBaseline} + 64 + 16 MB`);
    // the same log with a budget that bounds nothing: the bound above would fail
    const unbounded = peakRss(directory, [hostile, '--workers', '1', '--memory-budget', '4GB']);
    assert.ok(unbounded > baseline + budget + runtime + worker, `without a budget: ${unbounded} MB`);
    console.log(`peak RSS: baseline ${baseline} MB; ${budget}MB budget: ${one} MB on one thread, ${two} MB on two; 64MB on two threads: ${two64} MB (two-thread baseline ${twoBaseline} MB); 4GB budget: ${unbounded} MB`);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
