/**
 * The confounders seen in real logs of real sites (issue 10): clients that are not replaying
 * anyone's visit but look like it to a rarity-and-lag model, and one that is replaying and
 * looks like nothing. Each is modelled on what the raw lines of those logs show, not on a toy.
 * Every generator draws from its own forked stream and runs after everyone else, so turning
 * one on does not reshuffle the rest of a scenario.
 */
import { browserAgents, pickBrowser } from './agents.js';
import { botHit } from './bots.js';
import type { NetworkPool } from './networks.js';
import type { Person } from './people.js';
import type { Random } from './random.js';
import type { Area } from './site.js';
import type { ActorRecord, Leak, PageView, World } from './world.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A page as the site answers a client without a session; 404 for a URL the site never had. */
function answer(world: World, url: string, rng: Random): { status: number; bytes: number } {
  if (!world.site.hasPage(url)) return { status: 404, bytes: 1_245 + rng.int(0, 40) };
  return world.site.respond('public', url, 'GET', false, rng);
}

/**
 * Agents a spam script sends: a different one each visit, built from parts so that no two
 * visits share one, many of them years old (MSIE, Chrome 4x–9x, Firefox 3x–6x).
 */
export function fakeAgent(rng: Random): string {
  const windows = rng.pick(['Windows NT 5.1', 'Windows NT 6.1', 'Windows NT 6.1; WOW64', 'Windows NT 6.3; Win64; x64', 'Windows NT 10.0; Win64; x64', 'Windows NT 6.0']);
  switch (rng.int(0, 4)) {
    case 0:
      return `Mozilla/4.0 (compatible; MSIE ${rng.pick(['6.0', '7.0', '8.0'])}; ${windows}${rng.chance(0.5) ? '; SV1' : ''}${rng.chance(0.5) ? `; .NET CLR ${rng.pick(['1.1.4322', '2.0.50727', '3.0.04506.30'])}` : ''})`;
    case 1:
      return `Mozilla/5.0 (${windows}; rv:${rng.int(30, 68)}.0) Gecko/20100101 Firefox/${rng.int(30, 68)}.0`;
    case 2:
      return `Mozilla/5.0 (compatible; MSIE ${rng.pick(['9.0', '10.0'])}; ${windows}; Trident/${rng.pick(['5.0', '6.0'])})`;
    case 3:
      return `Opera/9.${rng.int(10, 80)} (${windows}; U; ${rng.pick(['en', 'ru', 'de', 'pl'])}) Presto/2.${rng.int(1, 12)}.${rng.int(100, 400)} Version/1${rng.int(0, 2)}.${rng.int(0, 99)}`;
    default:
      return `Mozilla/5.0 (${windows}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${rng.int(40, 99)}.0.${rng.int(1000, 4900)}.${rng.int(10, 200)} Safari/537.36`;
  }
}

/** Fresh addresses at hosting providers, some neighbours of the previous one (a rented block). */
function hostingAddress(world: World, networks: readonly NetworkPool[], rng: Random, previous: string | undefined): string {
  if (previous !== undefined && !previous.includes(':') && rng.chance(0.3)) return world.addresses.v4Near(previous);
  return world.addresses.v4(rng.pick(networks));
}

export interface SpamBotOptions {
  campaigns: number;
  /** visits per campaign per day, drawn per day */
  perDay: readonly [number, number];
}

/**
 * Scripted guestbook and contact-form spam: each campaign walks the same ordered path (the
 * form page, then the site's menu pages) within seconds, page only, no referrer or a fake
 * one, a new fake agent each visit, from a new hosting address most visits.
 */
export function runSpamBots(world: World, rng: Random, networks: readonly NetworkPool[], options: SpamBotOptions): ActorRecord[] {
  const actors: ActorRecord[] = [];
  const menu = world.site.menuPages;
  const form = world.site.formPage;
  for (let c = 0; c < options.campaigns; c++) {
    const crng = rng.fork(`campaign-${c}`);
    const actor = world.actor('spam-bot', `guestbook spam script ${c + 1}`);
    actors.push(actor);
    // the campaign's path: the form, then (some of) the menu in the script's fixed order
    const path = [form, ...menu.filter((url) => url !== form).slice(0, crng.int(Math.min(4, menu.length - 1), menu.length - 1))];
    const posts = crng.chance(0.7);
    const fakeReferrer = crng.chance(0.5) ? `http://${crng.pick(['best-seo', 'cheap-pills', 'casino-bonus', 'replica-watch', 'loans-now'])}-${crng.hex(4)}.${crng.pick(['ru', 'info', 'biz', 'top', 'xyz'])}/` : undefined;
    const used: string[] = [];
    let last: string | undefined;
    for (let day = world.from; day < world.to; day += DAY) {
      for (let visit = crng.int(...options.perDay); visit > 0; visit--) {
        // most visits from a new address; a few come back from one already used
        const ip = used.length > 0 && crng.chance(0.15) ? crng.pick(used) : hostingAddress(world, networks, crng, last);
        if (!used.includes(ip)) used.push(ip);
        last = ip;
        const userAgent = fakeAgent(crng);
        const protocol = crng.chance(0.3) ? 'HTTP/1.0' : 'HTTP/1.1';
        let t = day + crng.int(0, DAY - MINUTE);
        for (const url of path) {
          const referrer = fakeReferrer !== undefined && crng.chance(0.6) ? fakeReferrer : url === form || crng.chance(0.6) ? '' : world.absolute(form);
          const response = answer(world, url, crng);
          botHit(world, actor, { time: t, ip, method: 'GET', url, protocol, status: response.status, bytes: response.bytes, referrer, userAgent, duration: crng.int(20, 300) });
          t += crng.int(150, 2_500);
          if (url === form && posts && crng.chance(0.8)) {
            botHit(world, actor, { time: t, ip, method: 'POST', url: form, protocol, status: crng.pick([200, 302, 302]), bytes: crng.int(0, 2_000), referrer: world.absolute(form), userAgent, duration: crng.int(40, 600) });
            t += crng.int(150, 2_000);
          }
        }
      }
    }
  }
  return actors;
}

/** Agents an undeclared crawler sends: none at all, or a browser's. */
function undeclaredAgent(rng: Random): string {
  return rng.weighted([
    ['', 4],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36', 2],
    ['Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:47.0) Gecko/20100101 Firefox/47.0', 1],
    ['Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1)', 1],
    ['Mozilla/5.0', 1],
    [rng.weighted(browserAgents), 2],
  ] as const);
}

export interface CrawlerOptions {
  crawlers: number;
}

/**
 * Link-following crawlers and scrapers that declare nothing, on hosting networks: `/` and
 * the links on it in the same second or minute, the assets it links (hashed bundles
 * included) for some, robots.txt for some, dead links and archive pages nobody else asks
 * for, HTTP/1.0 for some. A few come back for another crawl; scrapers go deeper.
 */
export function runUndeclaredCrawlers(world: World, rng: Random, networks: readonly NetworkPool[], options: CrawlerOptions): ActorRecord[] {
  const actors: ActorRecord[] = [];
  const site = world.site;
  const pages = site.publicPages;
  for (let c = 0; c < options.crawlers; c++) {
    const crng = rng.fork(`crawler-${c}`);
    const scraper = crng.chance(0.35);
    const actor = world.actor('undeclared-crawler', scraper ? 'undeclared scraper' : 'undeclared link-following crawler');
    actors.push(actor);
    const addresses: string[] = [];
    for (let a = crng.int(1, scraper ? 3 : 2); a > 0; a--) addresses.push(hostingAddress(world, networks, crng, addresses[addresses.length - 1]));
    const userAgent = undeclaredAgent(crng);
    const protocol = crng.chance(0.35) ? 'HTTP/1.0' : 'HTTP/1.1';
    const robots = crng.chance(0.5);
    const assets = crng.chance(0.45);
    const gap = scraper ? (): number => crng.int(300, 4_000) : (): number => crng.int(30, 900);
    const crawls = crng.weighted([[1, 5], [2, 3], [3, 2], [5, 1]] as const);
    for (let k = 0; k < crawls; k++) {
      let t = world.from + crng.int(0, world.to - world.from - HOUR);
      const ip = crng.pick(addresses);
      const get = (url: string, area: Area = 'public', referrer = ''): void => {
        const response = area === 'public' ? answer(world, url, crng) : site.respond(area, url, 'GET', false, crng);
        botHit(world, actor, { time: t, ip, method: 'GET', url, protocol, status: response.status, bytes: response.bytes, referrer, userAgent, duration: crng.int(5, 200) });
        t += gap();
      };
      if (robots) get('/robots.txt', 'robots');
      get('/');
      if (assets) for (const asset of site.commonAssets) get(asset, 'asset', crng.chance(0.5) ? world.absolute('/') : '');
      // the links on `/`: the menu, then what the home page lists
      const links = [...site.menuPages.filter((url) => url !== '/'), ...pages.slice(site.menuPages.length, site.menuPages.length + crng.int(5, 20))];
      for (const url of links) get(url);
      // deeper: the long tail (archive pages few people ever open), dead links, a probe or two
      const deep = scraper ? crng.int(40, Math.min(250, pages.length)) : crng.int(3, 15);
      for (let d = 0; d < deep; d++) {
        const roll = crng.next();
        if (roll < 0.07) get(`/${crng.pick(['blog', 'archive', 'news', 'old'])}/${crng.int(2005, 2019)}/${crng.pick(['draft', 'post', 'page', 'copy'])}-${crng.hex(4)}.htm`);
        else if (roll < 0.1) get(crng.pick(['/wp-login.php', '/sitemap.xml', '/feed', '/index.php', '/.well-known/security.txt']));
        else get(pages[pages.length - 1 - crng.int(0, Math.floor(pages.length * 0.7))]!);
      }
    }
  }
  return actors;
}

export interface ProxyFarmOptions {
  /** people whose every request leaves from a different address of the farm */
  people: number;
  /** the farm's size */
  addresses: readonly [number, number];
}

/**
 * One person behind a proxy farm (the AOL caches of the old logs, corporate proxy pools
 * today): every request of a session may leave from another of ~25 addresses of one range,
 * pages through some of them and images through others, so each page address alone fetches
 * pages without assets (and a page again on a reload) while the group loads them.
 */
export function runProxyFarms(world: World, rng: Random, network: NetworkPool, options: ProxyFarmOptions): ActorRecord[] {
  const actors: ActorRecord[] = [];
  const site = world.site;
  for (let p = 0; p < options.people; p++) {
    const prng = rng.fork(`farm-${p}`);
    const actor = world.actor('proxy-farm', `one person behind a ${network.name} proxy farm`);
    actors.push(actor);
    const farm: string[] = [];
    for (let a = prng.int(...options.addresses); a > 0; a--) farm.push(farm.length > 0 && prng.chance(0.7) ? world.addresses.v4Near(farm[prng.int(0, farm.length - 1)]!) : world.addresses.v4(network));
    // the farm's page caches and its image caches are different machines
    const pageProxies = Math.max(2, Math.round(farm.length * 0.4));
    const at = (): string => farm[prng.int(0, pageProxies - 1)]!;
    const imageAt = (): string => farm[prng.int(pageProxies, farm.length - 1)]!;
    const userAgent = prng.chance(0.5) ? 'Mozilla/4.0 (compatible; MSIE 7.0; AOL 9.5; AOLBuild 4337.43; Windows NT 6.0; Trident/4.0)' : pickBrowser(prng, false);
    // pages opened from favourites, keywords and typed addresses send no referrer (a guess
    // per person: the real logs show page-only addresses, not why)
    const linkShare = 0.1 + prng.next() * 0.5;
    for (let day = world.from; day < world.to; day += DAY) {
      let t = day + prng.int(7 * HOUR, 13 * HOUR);
      // a regular: most days a session or a few, each a handful of pages and their images
      for (let session = prng.weighted([[0, 2], [1, 4], [2, 3], [3, 1]] as const); session > 0; session--, t += prng.int(1, 4) * HOUR) {
        let referrer = prng.chance(0.5) ? '' : 'https://www.google.com/';
        let cached = false;
        const seen: string[] = [];
        for (let page = 3 + Math.floor(prng.exponential(5)); page > 0; page--) {
          // back to a page of this session (back button, reload): the page again, from another
          // proxy, its images already cached
          const again = seen.length > 0 && prng.chance(0.25);
          const url = again ? prng.pick(seen) : site.publicPages[prng.zipf(site.publicPages.length, 1.05)]!;
          const response = site.respond('public', url, 'GET', false, prng);
          botHit(world, actor, { time: t, ip: at(), method: 'GET', url, status: response.status, bytes: response.bytes, referrer, userAgent, duration: prng.int(30, 300) });
          const assets = again ? [] : [...(cached ? [] : site.commonAssets), ...site.imagesOf(url)];
          cached = true;
          seen.push(url);
          let a = t;
          for (const asset of assets) {
            a += prng.int(20, 400);
            botHit(world, actor, { time: a, ip: imageAt(), method: 'GET', url: asset, status: 200, bytes: site.respond('asset', asset, 'GET', true, prng).bytes, referrer: world.absolute(url), userAgent, duration: prng.int(5, 80) });
          }
          referrer = prng.chance(linkShare) ? world.absolute(url) : '';
          t = a + Math.min(15 * MINUTE, Math.round(prng.logNormal(30_000, 1)));
        }
      }
    }
  }
  return actors;
}

/**
 * A reputation or uptime service that fetches the home page, and only it, on a schedule of
 * about 36 hours, each time with another agent and often from another address.
 */
export function runHomepageChecker(world: World, rng: Random, network: NetworkPool, index: number): ActorRecord {
  const actor = world.actor('homepage-checker', `scheduled home-page check ${index + 1}`);
  const addresses: string[] = [];
  for (let a = rng.int(2, 5); a > 0; a--) addresses.push(addresses.length > 0 && rng.chance(0.6) ? world.addresses.v4Near(addresses[0]!) : world.addresses.v4(network));
  const period = rng.int(30, 40) * HOUR;
  for (let t = world.from + rng.int(0, period); t < world.to; t += period + rng.int(-90, 90) * MINUTE) {
    const response = world.site.respond('public', '/', 'GET', false, rng);
    const userAgent = rng.chance(0.7) ? pickBrowser(rng, rng.chance(0.2)) : fakeAgent(rng);
    botHit(world, actor, { time: t, ip: rng.pick(addresses), method: 'GET', url: '/', protocol: rng.chance(0.3) ? 'HTTP/1.0' : 'HTTP/1.1', status: response.status, bytes: response.bytes, userAgent, duration: rng.int(20, 400) });
  }
  return actor;
}

/**
 * A realtime web filter (a secure web gateway's cloud) in front of one person: it fetches the
 * URL the person opens in step with them, 0–2 s apart and sometimes logged just before the
 * person's own request, sending the person's exact user agent; typo URLs only this person
 * ever asked for (404) included. A replayer whose lag is almost zero.
 */
export class ShadowFilter implements Leak {
  private readonly views: { time: number; url: string; area: Area; userAgent: string; missing: boolean }[] = [];
  private readonly victims = new Map<number, Person>();

  constructor(
    readonly actor: ActorRecord,
    private readonly network: NetworkPool,
    private readonly rng: Random,
  ) {}

  protect(person: Person): void {
    this.victims.set(person.id, person);
    person.leaks.push(this);
  }

  observe(view: PageView): void {
    if (view.area === 'asset' || view.area === 'status' || view.area === 'private-feed') return;
    const person = this.victims.get(view.personId);
    if (person !== undefined) this.views.push({ time: view.time, url: view.url, area: view.area, userAgent: person.userAgent, missing: false });
  }

  /** The person mistypes a URL (a link with a typo, an old bookmark): 404, and the filter fetches it too. */
  typos(world: World): void {
    const rng = this.rng;
    const menu = world.site.menuPages;
    for (const person of this.victims.values()) {
      for (let n = rng.int(2, 5); n > 0; n--) {
        const time = world.from + rng.int(0, world.to - world.from - MINUTE);
        const base = rng.pick(menu.length > 1 ? menu.slice(1) : ['/about']);
        const url = rng.pick([
          `/id${rng.int(1, 9)}.html`,
          `${base.replace(/\.htm$/, '')}.${rng.pick(['htm.', 'hmtl', 'html'])}`,
          `${base}${rng.pick(['/', '%20', ')', '.'])}`,
          base.length > 3 ? `${base.slice(0, -2)}${base.slice(-1)}${base.slice(-2, -1)}` : `${base}x`,
        ]);
        if (world.site.hasPage(url)) continue;
        const where = person.addressing.at(time, rng);
        world.emit(where.actor, {
          time,
          ip: where.ip,
          method: 'GET',
          url,
          protocol: world.site.config.http2 ? 'HTTP/2.0' : 'HTTP/1.1',
          status: 404,
          bytes: 1_245 + rng.int(0, 40),
          referrer: '',
          userAgent: person.userAgent,
          user: '',
          cookie: person.hasCookie,
          duration: rng.int(2, 30),
        });
        this.views.push({ time, url, area: 'public', userAgent: person.userAgent, missing: true });
      }
    }
  }

  replay(world: World): void {
    const rng = this.rng;
    const addresses: string[] = [];
    for (let a = rng.int(2, 5); a > 0; a--) addresses.push(addresses.length > 0 && rng.chance(0.7) ? world.addresses.v4Near(addresses[addresses.length - 1]!) : world.addresses.v4(this.network));
    const cache = new Map<string, number>();
    for (const view of this.views.sort((a, b) => a.time - b.time)) {
      const previous = cache.get(view.url);
      // a verdict is cached for a while; then the next visit is checked again
      if (previous !== undefined && view.time - previous < 2 * HOUR) continue;
      if (!rng.chance(0.92)) continue;
      cache.set(view.url, view.time);
      // in step: up to a second before the person's request is logged, or up to two after
      const time = view.time + (rng.chance(0.3) ? -rng.int(0, 900) : rng.int(50, 2_000));
      const response = view.missing ? { status: 404, bytes: 1_245 + rng.int(0, 40) } : world.site.respond(view.area, view.url, 'GET', false, rng);
      botHit(world, this.actor, {
        time,
        ip: rng.pick(addresses),
        method: 'GET',
        url: view.url,
        status: response.status,
        bytes: response.bytes,
        userAgent: view.userAgent,
        duration: rng.int(20, 300),
        oneTime: world.tokens.has(view.url) ? view.url : undefined,
      });
    }
  }
}
