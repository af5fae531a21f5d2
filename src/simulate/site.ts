import { hashString, type Random } from './random.js';

/** What part of the site a URL belongs to; decides who may see it and what a refusal looks like. */
export type Area =
  | 'public' // articles, threads, products, tags, home
  | 'search' // /search?q=<the user's own words>
  | 'account' // /account/... and /orders/<id>
  | 'message' // /messages/<id>
  | 'draft' // /drafts/<id>
  | 'admin' // /admin/...
  | 'share' // /docs/<id>?share=<token>: readable by anyone holding the link
  | 'login'
  | 'feed'
  | 'private-feed'
  | 'status'
  | 'tracking' // newsletter redirect links
  | 'asset'
  | 'robots';

/** How the site refuses a client without the session. */
export type Refusal = '401' | '403' | '302' | 'soft';

export interface SiteConfig {
  host: string;
  /** serves HTTP/2 (browsers then log HTTP/2.0) */
  http2: boolean;
  refuseAccount: Refusal;
  refuseAdmin: Refusal;
  /** member-only search (the incident's site) or public search */
  searchNeedsLogin: boolean;
  /** a one-time link is used up by its first GET; otherwise GET shows a confirmation and POST uses it */
  tokenUsedOnGet: boolean;
  /** an expired or used link answers 410, or 200 with a small "link expired" page */
  expired: '410' | 'soft';
  /** the server's clock offset from UTC, in minutes, as written in the log */
  utcOffsetMinutes: number;
}

export interface Response {
  status: number;
  bytes: number;
}

const words = (
  'router vpn garden kitchen invoice budget travel tokyo berlin winter summer python rust linux backup ' +
  'printer camera lens bike repair mortgage tax refund flight hotel recipe bread sourdough coffee espresso ' +
  'grinder keyboard monitor laptop battery charger solar panel roof insulation heat pump boiler thermostat ' +
  'guitar piano lessons school math physics chemistry history essay thesis draft contract lease landlord ' +
  'tenant deposit insurance claim doctor dentist appointment vaccine allergy running shoes marathon yoga ' +
  'climbing tent hiking map trail river lake fishing boat sailing engine oil brake tire winterize paint ' +
  'wallpaper floor tiles shower leak plumber electrician wiring fuse breaker socket lamp bulb led strip ' +
  'arduino raspberry sensor firmware update password manager backup nas raid disk ssd migration docker ' +
  'kubernetes nginx apache certificate dns domain email spam filter calendar meeting agenda minutes ' +
  'quarterly report revenue forecast hiring interview salary review promotion vacation parental leave ' +
  'wedding birthday gift ideas present toddler sleep schedule daycare stroller car seat puppy training ' +
  'cat litter aquarium plants tomato seeds compost chicken coop beekeeping honey cheese wine beer brewing'
).split(' ');

export const vocabulary: readonly string[] = words;

/**
 * The site: its public pages in popularity order, its assets, and how it answers each area
 * with and without a session. Sizes are stable per URL (hash-derived) with the jitter of a
 * dynamic page, so the same page looks the same size to everyone who may see it.
 */
export class Site {
  readonly publicPages: string[] = [];
  readonly tags: string[] = [];
  /** assets every page loads (after the first visit most come from the browser cache) */
  readonly commonAssets: string[];
  readonly editorScript: string;
  readonly deployStamp: number;
  /** the pages every page links to: the home page and the menu */
  readonly menuPages: string[];
  /** the page with the form spam scripts post to (a guestbook, the contact form) */
  readonly formPage: string;
  private readonly pageSet: Set<string>;

  constructor(
    readonly config: SiteConfig,
    rng: Random,
    size: { articles: number; threads: number; products: number; menu?: readonly string[] },
  ) {
    const build = rng.hex(8);
    this.commonAssets = [
      `/static/css/app.${build.slice(0, 6)}.css`,
      `/static/js/vendor.${rng.hex(6)}.js`,
      `/static/js/app.${build.slice(2, 8)}.js`,
      '/static/fonts/inter-var.woff2',
      '/static/img/logo.svg',
    ];
    this.deployStamp = 1_700_000_000 + rng.int(0, 60_000_000);
    // the cache-busting query a replayer copies verbatim (the incident's functions.js?ts=...)
    this.editorScript = `/static/js/editor.js?ts=${this.deployStamp}`;
    // a small site of menu pages (and a guestbook) has no tag pages
    if (size.menu === undefined) for (let i = 0; i < 60; i++) this.tags.push(`/tag/${words[(i * 7) % words.length]}`);
    const pages: string[] = size.menu === undefined ? ['/', '/about', '/pricing', '/contact', '/blog', '/forum'] : ['/', ...size.menu];
    const headLength = pages.length;
    const seen = new Set(pages);
    const add = (url: string): void => {
      if (!seen.has(url)) {
        seen.add(url);
        pages.push(url);
      }
    };
    for (let i = 0; i < size.articles; i++) add(`/blog/${2019 + (i % 7)}/${slug(rng, 3 + (i % 3))}`);
    for (let i = 0; i < size.threads; i++) add(`/t/${slug(rng, 2 + (i % 4))}/${10_000 + i * 7 + rng.int(0, 6)}`);
    for (let i = 0; i < size.products; i++) add(`/products/${300 + i}-${slug(rng, 2)}`);
    for (const tag of this.tags) add(tag);
    // popularity order: the home page and a few landing pages first, the rest shuffled
    const head = pages.slice(0, headLength);
    this.publicPages = [...head, ...rng.shuffle(pages.slice(headLength))];
    this.menuPages = head;
    this.formPage = head.find((url) => /guest/.test(url)) ?? '/contact';
    this.pageSet = new Set(this.publicPages);
  }

  /** Whether the URL is one of the site's public pages (anything else not private is a 404). */
  hasPage(url: string): boolean {
    return this.pageSet.has(url);
  }

  /** Images a page embeds (0–4), stable per page. */
  imagesOf(url: string): string[] {
    const hash = hashString(url);
    const count = url.startsWith('/blog/') || url.startsWith('/products/') ? 1 + (hash % 4) : hash % 2;
    const images: string[] = [];
    for (let i = 0; i < count; i++) images.push(`/media/${((hash + i * 2654435761) >>> 0).toString(36)}.jpg`);
    return images;
  }

  /** The response to a request, given whether the client carries the session that may see it. */
  respond(area: Area, url: string, method: string, authorised: boolean, rng: Random): Response {
    const base = 4_000 + (hashString(url) % 60_000);
    const dynamic = (bytes: number): number => Math.round(bytes * (0.97 + rng.next() * 0.06));
    if (method === 'HEAD') return { status: 200, bytes: 0 };
    switch (area) {
      case 'public':
        return { status: 200, bytes: dynamic(base + 12_000) };
      case 'asset':
        return { status: 200, bytes: assetBytes(url) };
      case 'robots':
        return { status: 200, bytes: url === '/robots.txt' ? 312 : 48_000 + (hashString(url) % 9_000) };
      case 'feed':
        return { status: 200, bytes: 61_000 + rng.int(0, 800) };
      case 'private-feed':
        return { status: 200, bytes: 22_000 + (hashString(url) % 20_000) };
      case 'status':
        return { status: 200, bytes: 17 + (hashString(url) % 40) };
      case 'tracking':
        return { status: 302, bytes: 0 };
      case 'share':
        return { status: 200, bytes: dynamic(base + 20_000) };
      case 'login':
        return { status: 200, bytes: 5_900 + rng.int(0, 40) };
      case 'search':
        if (!authorised && this.config.searchNeedsLogin) return this.refuse(this.config.refuseAccount, rng);
        return { status: 200, bytes: dynamic(base + 18_000) };
      case 'account':
      case 'message':
      case 'draft':
        if (!authorised) return this.refuse(this.config.refuseAccount, rng);
        return { status: 200, bytes: dynamic(base + 25_000) };
      case 'admin':
        if (!authorised) return this.refuse(this.config.refuseAdmin, rng);
        return { status: 200, bytes: dynamic(base + 40_000) };
    }
  }

  refuse(style: Refusal, rng: Random): Response {
    switch (style) {
      case '401':
        return { status: 401, bytes: 381 + rng.int(0, 12) };
      case '403':
        return { status: 403, bytes: 548 + rng.int(0, 12) };
      case '302':
        return { status: 302, bytes: rng.chance(0.5) ? 0 : 138 };
      case 'soft':
        // the "please log in" page, served with 200
        return { status: 200, bytes: 3_400 + rng.int(0, 120) };
    }
  }

  /** The answer to a used or timed-out one-time link. */
  expiredLink(rng: Random): Response {
    return this.config.expired === '410' ? { status: 410, bytes: 1_650 + rng.int(0, 30) } : { status: 200, bytes: 2_210 + rng.int(0, 30) };
  }
}

function assetBytes(url: string): number {
  const hash = hashString(url);
  if (url.endsWith('.css')) return 48_000 + (hash % 4_000);
  if (url.includes('.js')) return 90_000 + (hash % 200_000);
  if (url.endsWith('.woff2')) return 71_000;
  if (url.endsWith('.svg')) return 2_300;
  if (url.endsWith('.ico')) return 15_086;
  return 40_000 + (hash % 260_000);
}

export function slug(rng: Random, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(rng.pick(words));
  return parts.join('-');
}

/** A search a person types: their own words, usually a combination nobody else types. */
export function searchQuery(rng: Random): string {
  const parts: string[] = [];
  const count = rng.weighted([[1, 2], [2, 5], [3, 4], [4, 2]] as const);
  for (let i = 0; i < count; i++) parts.push(rng.pick(words));
  if (rng.chance(0.15)) parts.push(String(rng.int(2, 2026)));
  return parts.join('+');
}
