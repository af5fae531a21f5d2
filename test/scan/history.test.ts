/**
 * The history check end to end (detect/history-check.ts, scan/history-read.ts): an app's
 * upload of one person's visit, most of its pages ones many people visit, is below the bar
 * after the first read and a snapshot replayer once the scan reads the file again; a log read
 * from a pipe is read once, and the same upload stays below the bar there.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { scan } from '../../src/scan/index.js';
import { combinedLine } from '../support/hostile-log.js';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const APP = '34.200.123.200';

/** Two days of a small shop: a dozen visitors a day read the menu pages; one reads a topic and an order; the next morning an app fetches that visit's pages in five seconds. */
function shopLog(): string {
  const lines: { time: number; line: string }[] = [];
  const add = (ip: string, time: number, url: string, options: Parameters<typeof combinedLine>[3] = {}): void => {
    lines.push({ time, line: combinedLine(ip, time, url, options) });
  };
  const browse = (ip: string, time: number, url: string, status = 200): void => {
    add(ip, time, url, { status, agent: BROWSER, referrer: 'https://shop.example/' });
    add(ip, time + 1000, '/static/site.css', { agent: BROWSER, referrer: `https://shop.example${url}` });
  };
  const day = Date.UTC(2026, 2, 2);
  for (let d = 0; d < 2; d++) {
    for (let visitor = 0; visitor < 12; visitor++) {
      const at = day + d * 86_400_000 + (8 + visitor) * 3_600_000;
      const ip = `${90 + visitor}.${d + 10}.${visitor}.7`;
      for (const [index, url] of ['/about', '/pricing', '/contact'].entries()) browse(ip, at + index * 60_000, url);
    }
  }
  // the person: a topic two others read that day, their own order, and the menu pages, over 90 minutes
  const person = '81.106.254.17';
  const visit = day + 10 * 3_600_000 + 30 * 60_000;
  browse('95.1.1.1', visit - 3_600_000, '/t/shoes-yoga/13285');
  browse('96.1.1.1', visit - 1_800_000, '/t/shoes-yoga/13285');
  const session: [number, string][] = [[0, '/about'], [9, '/t/shoes-yoga/13285'], [31, '/orders/685116'], [62, '/pricing'], [88, '/contact']];
  for (const [minute, url] of session) browse(person, visit + minute * 60_000, url);
  // the app, 20 hours later: the same pages in the person's order, one a second, logged out
  const upload = visit + 20 * 3_600_000;
  for (const [index, [, url]] of session.entries()) add(APP, upload + index * 1000, url, { status: url.startsWith('/orders/') ? 302 : 200, agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15 (KHTML, like Gecko)', referrer: '-' });
  return lines.sort((a, b) => a.time - b.time).map((entry) => entry.line).join('\n') + '\n';
}

test('history check: an upload of one visit (mostly pages many people visit) is a snapshot replayer when the file is read again; a pipe is read once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replaywatch-history-'));
  try {
    const log = join(dir, 'access.log');
    writeFileSync(log, shopLog());
    const fromFile = await scan({ inputs: [log], workers: 1, resolver: null });
    const app = fromFile.findings.sources.find((source) => source.clients.includes(fromFile.detector.clientOf(APP)));
    assert.ok(app, 'the app is a source');
    assert.equal(app.kind, 'replayer');
    assert.equal(app.pattern, 'snapshot');
    assert.ok(app.confidence >= 0.5, `confidence ${app.confidence}`);
    assert.ok(app.reasons.some((reason) => /more of the pages its bursts fetched were one person's/.test(reason)), app.reasons.join('\n'));
    assert.deepEqual(
      fromFile.findings.histories?.get(fromFile.detector.clientOf(APP))?.map((pair) => pair.url),
      ['/about', '/t/shoes-yoga/13285', '/orders/685116', '/pricing', '/contact'],
    );
    // the same lines through a named pipe: no second read, the upload stays below the bar
    const fifo = join(dir, 'pipe.log');
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat "${log}" > "${fifo}"`]);
    const written = new Promise((resolve) => writer.on('close', resolve));
    const fromPipe = await scan({ inputs: [fifo], workers: 1, resolver: null });
    await written;
    const piped = fromPipe.findings.sources.find((source) => source.clients.includes(fromPipe.detector.clientOf(APP)));
    assert.ok(piped === undefined || piped.confidence < 0.5, `piped: ${piped?.confidence}`);
    assert.equal(fromPipe.findings.histories, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
