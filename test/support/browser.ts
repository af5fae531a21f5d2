/**
 * Debian's Chromium, headless, driven by playwright-core: the real browser the HTML report and
 * the dashboard are checked in. scripts/test.sh installs it; in CI a missing browser is a
 * failure, elsewhere the tests say what they skipped.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumBinary = '/usr/bin/chromium';

/** `false` when Chromium is here; else the skip message (and a throw in CI). */
export function browserSkip(what: string): string | false {
  if (existsSync(chromiumBinary)) return false;
  if (process.env.CI === 'true') throw new Error(`${chromiumBinary} is missing: CI must install chromium (scripts/test.sh does) for ${what}`);
  const message = `skipped: ${chromiumBinary} not installed (apt-get install chromium): ${what} did not run`;
  process.stderr.write(`${message}\n`);
  return message;
}

export interface RunningBrowser {
  /** the browser's one context, on a fresh profile directory (--user-data-dir) */
  context: BrowserContext;
  /** a new tab with this viewport */
  newPage(viewport: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile and nothing of its own on the network. */
export async function launchBrowser(): Promise<RunningBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'replaywatch-chromium-'));
  // playwright passes the profile as --user-data-dir itself
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumBinary,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async newPage(viewport) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Every request a page makes, from its first navigation on. */
export function recordRequests(page: Page): string[] {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  return requests;
}

/** test-artifacts/ at the repository's root (gitignored): screenshots a person can look at. */
export function artifactPath(name: string): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
  mkdirSync(root, { recursive: true });
  return join(root, name);
}
