/**
 * The HTML report (`scan --html`): escaping and the page's policy as text, then the page itself
 * in a real headless Chromium, for a simulated incident and for a real log: the sources, the
 * plots and the evidence are there, the table sorts and filters, and the page makes no request
 * but its own. Screenshots land in test-artifacts/ for a person to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { escapeHtml, renderHtml, type ReportModel } from '../../src/report/index.js';
import { runCli, tempDir } from '../canary/support/harness.js';
import { artifactPath, browserSkip, launchBrowser, recordRequests, type RunningBrowser } from '../support/browser.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const realLog = join(repoRoot, '..', 'shared', 'data', 'real-logs', 'elastic_apache_logs.log.gz');

const hostile = '<script>alert(1)</script>"\'&<img src=x onerror=alert(2)>\u202e\u0007';

function hostileModel(): ReportModel {
  const request = { ip: '203.0.113.9', time: '2026-03-02T08:00:00Z', status: 200, bytes: 100 };
  return {
    version: 1,
    input: {
      files: [`/logs/${hostile}`],
      lines: 10,
      records: 9,
      skipped: 1,
      skippedExamples: [{ line: 3, reason: hostile, text: hostile }],
      skippedReasons: { [hostile]: 1 },
      format: hostile,
      from: '2026-03-02T08:00:00Z',
      to: '2026-03-02T09:00:00Z',
    },
    sources: [
      {
        kind: 'replayer',
        pattern: 'deferred',
        confidence: 0.9,
        network: { cidr: '203.0.113.0/24', asn: 64500, org: hostile, country: 'ZZ', rdns: [hostile] },
        ips: [hostile],
        requests: 5,
        replays: 5,
        urls: 5,
        victims: 2,
        lagSeconds: { min: 60, p50: 120, p90: 300, max: 600 },
        authMismatch: 0,
        examples: [{ url: `/search?q=${hostile}`, origin: request, replay: { ...request, ip: hostile }, lagSeconds: 120 }],
        agent: hostile,
        reasons: [hostile],
        plots: { lag: { edges: [10], counts: [1, 4] }, timeline: { start: '2026-03-02T08:00:00Z', bucketSeconds: 60, counts: [1, 0, 4] } },
      },
    ],
    probes: [{ ip: hostile, network: { cidr: '198.51.100.0/24', asn: null, org: hostile, country: null, rdns: [] }, paths: 3, first: '2026-03-02T08:00:00Z', last: '2026-03-02T08:01:00Z', examples: [hostile] }],
    canaries: [{ label: hostile, url: hostile, verdict: { sentence: hostile } }],
    warnings: [hostile],
    attribution: { notice: 'notice', reverseDns: 'offline' },
    minConfidence: 0.5,
    hiddenSources: 0,
  };
}

describe('HTML report as text', () => {
  it('escapes every string from the logs and shows control and bidi characters as escapes', () => {
    assert.equal(escapeHtml('<a href="x">\'&'), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
    assert.equal(escapeHtml('a\u202eb\u0007'), 'a\\u202eb\\x07');
    const html = renderHtml(hostileModel());
    assert.ok(!html.includes('<script>alert'), 'a script tag from the log reached the page');
    assert.ok(!html.includes('<img'), 'an img tag from the log reached the page');
    assert.ok(!html.includes('\u202e'), 'a bidi override reached the page');
    // the only script element is the page's own
    assert.equal(html.split('<script').length - 1, 1);
  });

  it('has a strict Content-Security-Policy: no source but its own hashed script and style', () => {
    const html = renderHtml(hostileModel());
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(policy, 'no CSP meta tag');
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(policy, /connect-src 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|https?:/);
  });
});

const skip = browserSkip('the HTML report checks in headless Chromium');

describe('HTML report in headless Chromium', { skip }, () => {
  const dir = tempDir('html-report');
  let running: RunningBrowser;

  before(async () => {
    running = await launchBrowser();
  });
  after(async () => {
    await running?.close();
    dir.remove();
  });

  /** Opens `file` on a phone-sized or desktop page; returns the page and every request it made. */
  async function open(file: string, viewport: { width: number; height: number }) {
    const page = await running.newPage(viewport);
    const context = page;
    const requests = recordRequests(page);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused/.test(message.text())) violations.push(message.text());
    });
    await page.goto(pathToFileURL(file).href);
    return { page, context, requests, violations };
  }

  async function scanToHtml(input: string, name: string): Promise<{ html: string; json: ReportModel }> {
    const html = join(dir.path, `${name}.html`);
    const result = await runCli(['scan', input, '--offline', '--json', '--html', html, '--workers', '1']);
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    return { html, json: JSON.parse(result.stdout) as ReportModel };
  }

  it('shows a simulated incident: sources, plots, evidence, probes; sorts, filters, fetches nothing', async () => {
    const simulated = join(dir.path, 'sim');
    const simulate = await runCli(['simulate', '--out', simulated, '--seed', '3']);
    assert.equal(simulate.code, 0, simulate.stderr);
    const { html, json } = await scanToHtml(join(simulated, 'access.log'), 'simulated');
    assert.ok(json.sources.length >= 2, 'the simulated incident has sources');
    assert.ok(json.sources.every((source) => source.plots !== undefined), '--html asks the model for plots');

    const { page, context, requests, violations } = await open(html, { width: 390, height: 844 });
    try {
      assert.equal(await page.locator('#sources-table tbody tr').count(), json.sources.length);
      assert.equal(await page.locator('article.source').count(), json.sources.length);
      // the first source's network and its evidence pairs
      const first = json.sources[0]!;
      const card = page.locator('#source-1');
      assert.match((await card.locator('.network').textContent()) ?? '', new RegExp(first.network.cidr.replace(/[./]/g, '\\$&')));
      assert.equal(await card.locator('table.evidence tr.pair-second').count(), first.examples.length);
      assert.ok(((await card.locator('table.evidence').textContent()) ?? '').includes(first.examples[0]!.url));
      // two plots a source, with bars drawn, each bar's height in proportion to the model's count
      assert.equal(await page.locator('figure.lag-histogram svg').count(), json.sources.length);
      assert.equal(await page.locator('figure.timeline svg').count(), json.sources.length);
      const bars = await card.locator('figure.lag-histogram rect.bar').count();
      assert.equal(bars, first.plots!.lag.counts.length);
      const timelineBars = await card.locator('figure.timeline rect.bar').count();
      assert.equal(timelineBars, first.plots!.timeline.counts.filter((count) => count > 0).length);
      const box = await card.locator('figure.timeline svg').boundingBox();
      assert.ok(box && box.width > 200 && box.width <= 390, `the timeline fits a phone's width (${box?.width})`);
      if (json.probes.length > 0) assert.equal(await page.locator('#probes-table tbody tr').count(), json.probes.length);

      // sort by replays, descending (second click), then filter by the first source's kind
      const replaysHeader = page.locator('#sources-table th', { hasText: 'replays' }).locator('button');
      await replaysHeader.click();
      await replaysHeader.click();
      const replays = await page.locator('#sources-table tbody tr td:nth-child(8)').evaluateAll((cells) => cells.map((cell) => Number(cell.getAttribute('data-sort'))));
      assert.deepEqual(replays, [...replays].sort((a, b) => b - a));
      assert.deepEqual(replays.slice().sort((a, b) => a - b), json.sources.map((source) => source.replays).sort((a, b) => a - b));
      await page.locator('input.filter[data-table="sources-table"]').fill('prefetcher');
      const visible = await page.locator('#sources-table tbody tr:not([hidden])').count();
      assert.equal(visible, json.sources.filter((source) => source.kind === 'prefetcher').length);
      await page.locator('input.filter[data-table="sources-table"]').fill('');

      await page.screenshot({ path: artifactPath('html-report-simulated-phone.png'), fullPage: false });
      await card.screenshot({ path: artifactPath('html-report-simulated-phone-source.png') });
      assert.deepEqual(requests, [pathToFileURL(html).href], 'the report made a request of its own');
      assert.deepEqual(violations, [], 'the page broke its own Content-Security-Policy');
    } finally {
      await context.close();
    }
  });

  it('shows a real log: sources with plots, probes and skipped lines, and fetches nothing', { skip: existsSync(realLog) ? false : `${realLog} not found` }, async () => {
    const { html, json } = await scanToHtml(realLog, 'real');
    const { page, context, requests, violations } = await open(html, { width: 1280, height: 900 });
    try {
      assert.ok(json.sources.length > 0);
      assert.equal(await page.locator('article.source').count(), json.sources.length);
      assert.equal(await page.locator('figure.lag-histogram').count(), json.sources.length);
      assert.equal(await page.locator('#probes-table tbody tr').count(), json.probes.length);
      assert.equal(await page.locator('#skipped ol.skipped li').count(), json.input.skippedExamples.length);
      const text = (await page.locator('#skipped').textContent()) ?? '';
      assert.ok(text.includes(json.input.skippedExamples[0]!.text.slice(0, 40)), 'the skipped line is shown as text');
      await page.screenshot({ path: artifactPath('html-report-real-desktop.png'), fullPage: false });
      await page.locator('#source-1').screenshot({ path: artifactPath('html-report-real-desktop-source.png') });
      assert.deepEqual(requests, [pathToFileURL(html).href]);
      assert.deepEqual(violations, []);
      assert.ok(readFileSync(html, 'utf8').length > 1000);
    } finally {
      await context.close();
    }
  });

  it('renders hostile strings as text in the browser, running nothing', async () => {
    const file = join(dir.path, 'hostile.html');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, renderHtml(hostileModel()));
    const { page, context, requests } = await open(file, { width: 800, height: 600 });
    try {
      let dialogs = 0;
      page.on('dialog', async (dialog) => {
        dialogs++;
        await dialog.dismiss();
      });
      assert.equal(await page.locator('img').count(), 0);
      assert.equal(await page.locator('script').count(), 1);
      assert.ok(((await page.locator('#source-1 .network').textContent()) ?? '').includes('<script>alert(1)</script>'));
      assert.equal(dialogs, 0);
      assert.deepEqual(requests, [pathToFileURL(file).href]);
    } finally {
      await context.close();
    }
  });
});
