import { feedAgents } from './agents.js';
import { crawlerSpecs, ChatPreviewers, makeFeedService, pollFeed, runCrawler, runMonitors, runProber } from './bots.js';
import {
  ShadowFilter,
  runHomepageChecker,
  runProxyFarms,
  runSpamBots,
  runUndeclaredCrawlers,
  type ProxyFarmOptions,
  type SpamBotOptions,
} from './confounders.js';
import { MailScanner, sendNewsletters } from './mail.js';
import * as nets from './networks.js';
import type { NetworkPool } from './networks.js';
import {
  DAY,
  DynamicAddress,
  HOUR,
  MINUTE,
  OfficeAddress,
  PrivacyAddress,
  SharedAddresses,
  StaticAddress,
  browse,
  livePerson,
  makePerson,
  resetPassword,
  viewPage,
  type Addressing,
  type ChatApp,
  type PeopleContext,
  type Person,
} from './people.js';
import { Random } from './random.js';
import { ReplayProduct, SnapshotProduct, deferredBehaviour, incidentBehaviour, realtimeBehaviour } from './replayers.js';
import { Site, type SiteConfig } from './site.js';
import { World, type ActorRecord } from './world.js';

type ReplayerKey = 'incident' | 'zscaler' | 'netskope' | 'menlo' | 'forcepoint' | 'kaspersky' | 'snapshot' | 'unknown' | 'unknown-deferred';
type ScannerKey = 'exchange' | 'proofpoint' | 'mimecast' | 'barracuda';

/**
 * A scenario is data: who is in it and how many. Every scenario carries the confounders of
 * the first judge (NAT, privacy addresses, previewers, crawlers, probes, monitors...); the
 * optional fields at the end are the confounders of real logs (issue 10), off where absent.
 */
export interface ScenarioMix {
  description: string;
  days: number;
  users: number;
  site: Partial<SiteConfig>;
  /** `menu`: a small site's menu pages (a guestbook among them) instead of the default landing pages and tags */
  siteSize: { articles: number; threads: number; products: number; menu?: readonly string[] };
  memberShare: number;
  admins: number;
  /** how regular visitors reach the site (weights) */
  addressing: { static: number; dynamic: number; v6: number; mobile: number; vpn: number };
  offices: number;
  officeSize: [number, number];
  teams: number;
  shareRate: number;
  viral: boolean;
  crawlers: (keyof typeof crawlerSpecs)[];
  crawlScale: number;
  fakeCrawler: boolean;
  probers: number;
  monitors: boolean;
  feeds: boolean;
  magicLinkShare: number;
  /** replaying products and the share of people infected (at least `min`) */
  replayers: { product: ReplayerKey; share: number; min: number; addresses: [number, number] }[];
  scanners: ScannerKey[];
  /** share of members whose mail a scanner opens first */
  scannedShare: number;
  /** scripted guestbook/contact-form spam walking a fixed path from hosting networks */
  spamBots?: SpamBotOptions;
  /** link-following crawlers and scrapers on hosting networks that declare no agent */
  undeclaredCrawlers?: number;
  /** people whose requests spread over a proxy farm's addresses */
  proxyFarms?: ProxyFarmOptions;
  /** reputation/uptime services fetching `/` only, about every 36 h */
  homepageCheckers?: number;
  /** realtime web filters fetching in step with the people behind them (positive: replayers) */
  shadowFilters?: { share: number; min: number; catalogued: boolean };
  /** one-time visitors a day from search who never come back (what a small site lives on) */
  passersBy?: readonly [number, number];
}

const base: Omit<ScenarioMix, 'description' | 'replayers' | 'scanners' | 'scannedShare'> = {
  // every scenario carries the confounders of real logs (each drawn from its own stream, after
  // everything else: the people and replayers of a seed stay as they were)
  spamBots: { campaigns: 1, perDay: [1, 5] },
  undeclaredCrawlers: 4,
  proxyFarms: { people: 1, addresses: [18, 30] },
  homepageCheckers: 1,
  days: 14,
  users: 700,
  site: {},
  siteSize: { articles: 400, threads: 1500, products: 250 },
  memberShare: 0.55,
  admins: 4,
  addressing: { static: 30, dynamic: 20, v6: 15, mobile: 27, vpn: 8 },
  offices: 2,
  officeSize: [15, 40],
  teams: 14,
  shareRate: 0.08,
  viral: true,
  crawlers: ['googlebot', 'bingbot', 'ahrefs', 'applebot'],
  crawlScale: 1,
  fakeCrawler: true,
  probers: 14,
  monitors: true,
  feeds: true,
  magicLinkShare: 0.35,
};

const mixed: ScenarioMix = {
  ...base,
  description: 'everything: replayers of every pattern, mail scanners, previewers, crawlers, probes and every confounder',
  replayers: [
    { product: 'incident', share: 0.05, min: 3, addresses: [8, 18] },
    { product: 'zscaler', share: 0.04, min: 2, addresses: [4, 10] },
    { product: 'netskope', share: 0.025, min: 2, addresses: [3, 8] },
    { product: 'snapshot', share: 0.015, min: 2, addresses: [2, 4] },
    { product: 'unknown', share: 0.03, min: 2, addresses: [3, 7] },
  ],
  scanners: ['exchange', 'proofpoint', 'mimecast'],
  scannedShare: 0.3,
};

/** The menu of a small hand-made site, guestbook included (the 2009–2011 IIS log's kind of site). */
const smallSiteMenu = ['/about.htm', '/services.htm', '/gallery.htm', '/news.htm', '/prices.htm', '/links.htm', '/contact.htm', '/guest.htm', '/history.htm', '/faq.htm'];

export const scenarios: Record<string, ScenarioMix> = {
  mixed,
  clean: {
    ...base,
    description: 'every confounder, previewers, crawlers and probes, but no replayer or prefetcher',
    replayers: [],
    scanners: [],
    scannedShare: 0,
  },
  incident: {
    ...base,
    description: "the antivirus story: a members' forum whose private pages are replayed from 150.70.0.0/16 and 216.104.15.0/24",
    users: 320,
    site: { searchNeedsLogin: true, refuseAccount: '403', refuseAdmin: '401', http2: false },
    admins: 6,
    replayers: [{ product: 'incident', share: 0.15, min: 4, addresses: [10, 24] }],
    scanners: [],
    scannedShare: 0,
  },
  mail: {
    ...base,
    description: 'magic-link logins and newsletters; mail link scanners open the links before the people do',
    users: 360,
    site: { tokenUsedOnGet: true },
    memberShare: 0.8,
    magicLinkShare: 0.6,
    replayers: [],
    scanners: ['exchange', 'proofpoint', 'mimecast', 'barracuda'],
    scannedShare: 0.45,
  },
  small: {
    ...base,
    description: 'a small site with a few visitors a day, one infected visitor and one scanned mailbox',
    days: 21,
    users: 24,
    siteSize: { articles: 50, threads: 120, products: 10 },
    admins: 1,
    offices: 0,
    teams: 1,
    viral: false,
    crawlers: ['googlebot', 'bingbot'],
    crawlScale: 0.08,
    probers: 6,
    replayers: [{ product: 'incident', share: 0.05, min: 1, addresses: [3, 6] }],
    scanners: ['exchange'],
    scannedShare: 0.25,
  },
  confounded: {
    ...mixed,
    description:
      'mixed plus the confounders of real logs: guestbook spam scripts, undeclared crawlers and scrapers, a proxy farm, a scheduled home-page checker, and realtime web filters fetching in step with their users',
    spamBots: { campaigns: 2, perDay: [2, 8] },
    undeclaredCrawlers: 10,
    proxyFarms: { people: 2, addresses: [18, 30] },
    homepageCheckers: 1,
    shadowFilters: { share: 0.01, min: 2, catalogued: true },
  },
  lowtraffic: {
    ...base,
    description:
      'a small hand-made site over months: 20–50 visits a day, ten menu pages and a guestbook, spam scripts, undeclared crawlers, a regular behind a proxy farm, a home-page checker, one visitor whose antivirus cloud replays pages later and one behind a web filter fetching in step',
    days: 100,
    users: 12,
    siteSize: { articles: 24, threads: 0, products: 0, menu: smallSiteMenu },
    memberShare: 0.3,
    admins: 1,
    offices: 0,
    teams: 0,
    shareRate: 0,
    viral: false,
    crawlers: ['googlebot', 'bingbot'],
    crawlScale: 0.02,
    fakeCrawler: false,
    probers: 10,
    monitors: false,
    feeds: false,
    magicLinkShare: 0.2,
    replayers: [{ product: 'unknown-deferred', share: 0, min: 1, addresses: [3, 6] }],
    scanners: [],
    scannedShare: 0,
    spamBots: { campaigns: 2, perDay: [0, 4] },
    undeclaredCrawlers: 8,
    proxyFarms: { people: 1, addresses: [20, 28] },
    homepageCheckers: 1,
    shadowFilters: { share: 0, min: 1, catalogued: false },
    passersBy: [14, 36],
  },
};

const regionOffset: Record<string, number> = {
  'Deutsche Telekom': 1, 'Vodafone Germany': 1, 'Orange France': 1, 'Free SAS': 1, 'British Telecom': 0, Telia: 1, Proximus: 1,
  Telstra: 10, 'NTT OCN': 9, 'Three UK': 0, 'Telekom Deutschland Mobile': 1, 'Reliance Jio': 5, 'Deutsche Telekom Business': 1, Colt: 1,
};
const offsetOf = (network: NetworkPool, rng: Random): number => regionOffset[network.name] ?? rng.pick([-5, -6, -8, -5]);

export interface BuildOptions {
  seed: number;
  days?: number;
  users?: number;
}

/** Builds the world for a scenario: every actor, every request, settled in time order. */
export function buildWorld(name: string, options: BuildOptions): { world: World; mix: ScenarioMix } {
  const mix = scenarios[name];
  if (mix === undefined) throw new Error(`unknown scenario ${name}`);
  const root = new Random(options.seed ^ 0x5eed);
  const days = options.days ?? mix.days;
  const users = options.users ?? mix.users;
  const siteRng = root.fork('site');
  const config: SiteConfig = {
    host: siteRng.pick(['forum.example.org', 'shop.example.com', 'www.example.net', 'community.example.io']),
    http2: siteRng.chance(0.8),
    refuseAccount: siteRng.pick(['302', '302', '401', '403', 'soft'] as const),
    refuseAdmin: siteRng.pick(['302', '403', '403', '401', 'soft'] as const),
    searchNeedsLogin: siteRng.chance(0.35),
    tokenUsedOnGet: siteRng.chance(0.75),
    expired: siteRng.pick(['410', 'soft'] as const),
    utcOffsetMinutes: siteRng.pick([0, 0, 60, -300, 540]),
    ...mix.site,
  };
  const site = new Site(config, siteRng, mix.siteSize);
  const from = Date.UTC(2026, 2, 2);
  const world = new World(site, root.fork('world'), from, from + days * DAY);
  const previewers = new ChatPreviewers(world, root.fork('previewers'));
  const context: PeopleContext = { world, previewers, shareRate: mix.shareRate };
  const peopleRng = root.fork('people');
  const people: Person[] = [];
  const members: Person[] = [];
  let nextId = 1;
  const personRng = (): Random => peopleRng.fork(`person-${nextId}`);

  // shared address pools: carriers' CGNAT and VPN exits
  const carriers = peopleRng.shuffle([...nets.mobileCarriers]).slice(0, 3).map((network) => {
    const actor = world.actor('cgnat', network.name);
    const size = Math.max(3, Math.round((users * mix.addressing.mobile) / 100 / 12));
    const addresses = Array.from({ length: size }, () => world.addresses.v4(network));
    return { network, actor, addresses };
  });
  const vpns = peopleRng.shuffle([...nets.vpnProviders]).slice(0, 2).map((network) => {
    const actor = world.actor('vpn', network.name);
    const addresses = Array.from({ length: peopleRng.int(5, 12) }, () => world.addresses.v4(network));
    return { network, actor, addresses };
  });

  const homeAddressing = (rng: Random, kind: 'static' | 'dynamic' | 'v6'): { addressing: Addressing; offset: number } => {
    const network = kind === 'v6' ? rng.pick(nets.residential.filter((pool) => (pool.v6?.length ?? 0) > 0)) : rng.pick(nets.residential);
    const offset = offsetOf(network, rng);
    if (kind === 'static') return { addressing: new StaticAddress(world.actor('human'), world.addresses.v4(network)), offset };
    if (kind === 'dynamic') {
      const period = rng.pick([1, 1, 2, 3]) * DAY;
      return { addressing: new DynamicAddress(world, world.actor('dynamic-ip', network.name), network, period, from + rng.int(0, period)), offset };
    }
    const fallback = rng.chance(0.25) ? world.addresses.v4(network) : undefined;
    return { addressing: new PrivacyAddress(world, world.actor('ipv6-privacy', network.name), world.addresses.v6Prefix(network), fallback), offset };
  };

  for (let i = 0; i < users; i++) {
    const rng = personRng();
    const kind = rng.weighted(Object.entries(mix.addressing) as [keyof ScenarioMix['addressing'], number][]);
    let addressing: Addressing;
    let offset: number;
    let mobile = false;
    if (kind === 'mobile') {
      const carrier = rng.pick(carriers);
      addressing = new SharedAddresses(carrier.actor, carrier.addresses, undefined);
      offset = offsetOf(carrier.network, rng);
      mobile = true;
    } else if (kind === 'vpn') {
      const vpn = rng.pick(vpns);
      addressing = new SharedAddresses(vpn.actor, vpn.addresses, rng.int(0, vpn.addresses.length - 1));
      offset = rng.pick([-5, 1, 0]);
    } else {
      ({ addressing, offset } = homeAddressing(rng, kind));
      mobile = rng.chance(0.2);
    }
    const member = rng.chance(mix.memberShare);
    const person = makePerson(world, nextId++, rng, {
      member,
      mobile,
      addressing,
      utcOffsetHours: offset,
      sessionsPerDay: Math.min(5, Math.max(0.04, rng.logNormal(0.45, 0.9))),
    });
    person.magicLinkLogin = member && rng.chance(mix.magicLinkShare);
    people.push(person);
    if (member) members.push(person);
  }
  for (const admin of members.slice(0, mix.admins)) {
    admin.admin = true;
    admin.sessionsPerDay = Math.max(admin.sessionsPerDay, 1.5);
  }

  // offices: everyone behind one NAT address on working hours, at home otherwise
  const officeRng = root.fork('offices');
  const officeTeams: Person[][] = [];
  for (let o = 0; o < mix.offices; o++) {
    const network = officeRng.pick(nets.business);
    const office = { ip: world.addresses.v4(network), actor: world.actor('office-nat', network.name) };
    const offset = offsetOf(network, officeRng);
    const employees: Person[] = [];
    for (let e = officeRng.int(...mix.officeSize); e > 0; e--) {
      const rng = personRng();
      const home = homeAddressing(rng, rng.pick(['static', 'dynamic', 'v6'] as const));
      const person = makePerson(world, nextId++, rng, {
        member: rng.chance(0.7),
        mobile: false,
        addressing: new OfficeAddress(office, home.addressing, offset),
        utcOffsetHours: offset,
        sessionsPerDay: Math.min(5, Math.max(0.1, rng.logNormal(0.9, 0.7))),
        workHours: true,
      });
      person.magicLinkLogin = person.member && rng.chance(mix.magicLinkShare);
      employees.push(person);
      people.push(person);
      if (person.member) members.push(person);
    }
    officeTeams.push(employees);
    const team = { actor: office.actor, colleagues: employees, app: officeRng.pick(['slack', 'teams'] as const) };
    for (const employee of employees) employee.team = team;
  }

  // teams: a few members share links with colleagues elsewhere
  const teamRng = root.fork('teams');
  const apps: [ChatApp, number][] = [['slack', 30], ['teams', 14], ['discord', 14], ['whatsapp', 16], ['telegram', 8], ['messenger', 7], ['linkedin', 5], ['twitter', 6]];
  const unteamed = members.filter((person) => person.team === undefined);
  for (let t = 0; t < mix.teams && unteamed.length > 0; t++) {
    const actor = world.actor('colleague');
    const colleagues: Person[] = [];
    for (let c = teamRng.int(2, 8); c > 0; c--) {
      const rng = personRng();
      const network = rng.chance(0.6) ? rng.pick(nets.residential) : rng.pick(nets.business);
      const colleague = makePerson(world, nextId++, rng, {
        member: false,
        mobile: rng.chance(0.3),
        addressing: new StaticAddress(actor, world.addresses.v4(network)),
        utcOffsetHours: offsetOf(network, rng),
        sessionsPerDay: 0,
      });
      colleagues.push(colleague);
    }
    const team = { actor, colleagues, app: teamRng.weighted(apps) };
    for (let s = teamRng.int(1, 3); s > 0 && unteamed.length > 0; s--) {
      const sharer = unteamed.splice(teamRng.int(0, unteamed.length - 1), 1)[0]!;
      sharer.team = team;
    }
  }

  // mail scanners in front of some members' mailboxes
  const scanRng = root.fork('scanners');
  const scannerNetworks: Record<ScannerKey, [NetworkPool, string, number]> = {
    exchange: [nets.exchangeOnline, 'Microsoft Defender for Office 365 Safe Links', 40],
    proofpoint: [nets.proofpoint, 'Proofpoint URL Defense', 14],
    mimecast: [nets.mimecast, 'Mimecast URL Protect', 12],
    barracuda: [nets.barracuda, 'Barracuda Link Protection', 6],
  };
  const scanners = mix.scanners.map((key) => {
    const [network, name, count] = scannerNetworks[key];
    const style = { headFirst: scanRng.next() * 0.7, browser: scanRng.next() * 0.5, secondScan: scanRng.next() * 0.4 };
    return new MailScanner(world, world.actor('prefetcher', name), network, Math.max(3, Math.round(count * Math.min(1, users / 300))), scanRng.fork(key), style);
  });
  if (scanners.length > 0) {
    for (const person of members) if (scanRng.chance(mix.scannedShare)) person.mailbox = scanRng.weighted(scanners.map((scanner, i) => [scanner, i === 0 ? 3 : 1] as const));
  }

  // replaying products and their victims
  const replayRng = root.fork('replayers');
  const products: (ReplayProduct | SnapshotProduct)[] = [];
  const candidates = people.filter((person) => !person.mobile);
  for (const spec of mix.replayers) {
    const rng = replayRng.fork(spec.product);
    const victims = rng.shuffle([...candidates]).slice(0, Math.max(spec.min, Math.round(spec.share * people.length)));
    const addresses = rng.int(...spec.addresses);
    if (spec.product === 'snapshot') {
      const installs = new Map<number, number>();
      for (const victim of victims) installs.set(victim.id, from + rng.int(DAY, days * DAY - HOUR));
      const product = new SnapshotProduct(world, world.actor('replayer', 'history snapshot app (AWS-hosted backend)', 'snapshot'), nets.amazon, addresses, rng, installs);
      for (const victim of victims) victim.leaks.push(product);
      products.push(product);
      continue;
    }
    let networks: NetworkPool[];
    let behaviour;
    switch (spec.product) {
      case 'incident':
        networks = [nets.trendMicroIncident, nets.trendMicroIncident, nets.trendMicroCupertino];
        behaviour = incidentBehaviour;
        break;
      case 'zscaler':
        networks = [nets.zscaler];
        behaviour = realtimeBehaviour('Zscaler cloud re-fetch');
        break;
      case 'netskope':
        networks = [nets.netskope];
        behaviour = realtimeBehaviour('Netskope cloud re-fetch');
        break;
      case 'menlo':
        networks = [nets.menlo];
        behaviour = realtimeBehaviour('Menlo Security re-fetch');
        break;
      case 'forcepoint':
        networks = [nets.forcepoint];
        behaviour = realtimeBehaviour('Forcepoint re-fetch');
        break;
      case 'kaspersky':
        networks = [nets.kaspersky];
        behaviour = deferredBehaviour('Kaspersky URL check');
        break;
      case 'unknown-deferred': {
        // an antivirus cloud no catalogue knows: one /24 at a hosting provider, minutes to hours late
        const host = rng.pick(nets.hosting);
        networks = [{ name: host.name, v4: [rng.pick(host.v4)] }];
        behaviour = deferredBehaviour(`unknown antivirus cloud at ${host.name}`);
        break;
      }
      default: {
        // a replayer no catalogue knows: one /24 at a random hosting provider
        const host = rng.pick(nets.hosting);
        const cidr = rng.pick(host.v4);
        networks = [{ name: host.name, v4: [cidr] }];
        behaviour = rng.chance(0.5) ? realtimeBehaviour(`unknown replayer at ${host.name}`) : deferredBehaviour(`unknown replayer at ${host.name}`);
      }
    }
    const product = new ReplayProduct(world, world.actor('replayer', behaviour.name, behaviour.pattern), networks, addresses, behaviour, rng);
    for (const victim of victims) victim.leaks.push(product);
    products.push(product);
  }

  // realtime web filters in front of a few people (their addresses are drawn at the end)
  const filterRng = root.fork('shadow-filters');
  const filters: ShadowFilter[] = [];
  if (mix.shadowFilters !== undefined) {
    const spec = mix.shadowFilters;
    const host = filterRng.pick(nets.hosting);
    const network = spec.catalogued ? nets.forcepoint : { name: host.name, v4: [filterRng.pick(host.v4)] };
    const name = spec.catalogued ? 'Forcepoint web filter (in-step fetch)' : `unknown web filter at ${host.name} (in-step fetch)`;
    const filter = new ShadowFilter(world.actor('replayer', name, 'realtime'), network, filterRng.fork('filter'));
    // people who browse at all, on their own connection
    const regulars = people.filter((person) => !person.mobile && person.sessionsPerDay >= 0.3 && !(person.addressing instanceof SharedAddresses));
    const pool = regulars.length > 0 ? regulars : people;
    for (const person of filterRng.shuffle([...pool]).slice(0, Math.max(spec.min, Math.round(spec.share * people.length)))) filter.protect(person);
    filters.push(filter);
  }

  // private feeds: opened once in the browser, then polled by a reader service
  const feedRng = root.fork('feeds');
  const feedServices = mix.feeds
    ? [
        makeFeedService(world, feedRng, 'Feedly', nets.amazon, 3, feedAgents.feedly(feedRng.int(3, 40)), 30 * MINUTE),
        makeFeedService(world, feedRng, 'Inoreader', nets.hosting[2]!, 2, feedAgents.inoreader(feedRng.int(2, 20)), 60 * MINUTE),
        makeFeedService(world, feedRng, 'NewsBlur', nets.hosting[0]!, 1, feedAgents.newsblur(feedRng.int(1, 9)), 45 * MINUTE),
        makeFeedService(world, feedRng, 'FreshRSS (self-hosted at home)', nets.residential[4]!, 1, feedAgents.freshrss, 20 * MINUTE),
      ]
    : [];

  // everyone lives their days
  for (const person of people) livePerson(context, person);

  if (mix.feeds) {
    for (const service of feedServices) pollFeed(world, service, '/feed.xml', from + feedRng.int(0, HOUR), feedRng, 'feed');
    for (const person of members) {
      if (!feedRng.chance(0.05)) continue;
      const url = `/feed/private/${feedRng.token(24)}.atom`;
      person.privateFeed = url;
      const at = from + feedRng.int(0, Math.max(1, days - 2) * DAY);
      const where = person.addressing.at(at, person.rng);
      viewPage(context, person, { ip: where.ip, actor: where.actor, protocol: 'HTTP/1.1', authed: true }, at, 'private-feed', url, '');
      pollFeed(world, feedRng.pick(feedServices.slice(0, 3)), url, at + feedRng.int(MINUTE, 20 * MINUTE), feedRng, 'private-feed');
    }
  }

  // the weekly newsletter and the odd forgotten password go through the mailboxes
  sendNewsletters(context, members, root.fork('newsletter'), Math.round(config.utcOffsetMinutes / 60));
  const resetRng = root.fork('resets');
  for (const person of members) {
    for (let day = 0; day < days; day++) if (resetRng.chance(0.004)) resetPassword(context, person, from + day * DAY + resetRng.int(6 * HOUR, 22 * HOUR));
  }

  if (mix.viral) goViral(world, context, root.fork('viral'), members, users);

  for (const product of products) product.replay(world);

  const botRng = root.fork('bots');
  for (const key of mix.crawlers) runCrawler(world, crawlerSpecs[key], botRng.fork(key), mix.crawlScale);
  if (mix.fakeCrawler) {
    const host = botRng.pick(nets.hosting);
    runCrawler(world, { ...crawlerSpecs.googlebot, addresses: botRng.int(1, 3) }, botRng.fork('fake'), 1, 'fake-crawler', host);
  }
  for (let p = 0; p < mix.probers; p++) runProber(world, botRng.pick(nets.scanners), botRng.fork(`probe-${p}`));
  if (mix.monitors) runMonitors(world, botRng.fork('monitors'), { uptimeRobot: true, pingdom: mix.users > 100, selfHosted: botRng.pick(nets.hosting) });

  // the confounders of real logs, each from its own stream, after everyone else
  const confounderRng = root.fork('confounders');
  if (mix.passersBy !== undefined) passBy(context, confounderRng.fork('passers-by'), mix.passersBy);
  for (const filter of filters) {
    filter.typos(world);
    filter.replay(world);
  }
  const hostingNetworks = [...nets.hosting, nets.amazon, nets.googleCloud, nets.azure];
  if (mix.spamBots !== undefined) runSpamBots(world, confounderRng.fork('spam'), hostingNetworks, mix.spamBots);
  if (mix.undeclaredCrawlers !== undefined) runUndeclaredCrawlers(world, confounderRng.fork('crawlers'), hostingNetworks, { crawlers: mix.undeclaredCrawlers });
  if (mix.proxyFarms !== undefined) runProxyFarms(world, confounderRng.fork('proxy-farms'), nets.aolProxies, mix.proxyFarms);
  for (let c = 0; c < (mix.homepageCheckers ?? 0); c++) {
    const rng = confounderRng.fork(`checker-${c}`);
    runHomepageChecker(world, rng, rng.pick(hostingNetworks), c);
  }

  world.settle();
  return { world, mix };
}

/** One-time visitors from a search engine: a page or a few, then gone; a small site's daily bread. */
function passBy(context: PeopleContext, rng: Random, perDay: readonly [number, number]): void {
  const { world } = context;
  const actor = world.actor('human', 'one-time visitors from search');
  let id = 800_000;
  for (let day = world.from; day < world.to; day += DAY) {
    for (let v = rng.int(...perDay); v > 0; v--) {
      const vrng = rng.fork(`visitor-${id}`);
      const mobile = vrng.chance(0.4);
      const network = mobile ? vrng.pick(nets.mobileCarriers) : vrng.pick(nets.residential);
      const visitor = makePerson(world, id++, vrng, { member: false, mobile, addressing: new StaticAddress(actor, world.addresses.v4(network)), utcOffsetHours: offsetOf(network, vrng), sessionsPerDay: 0 });
      visitor.hasCookie = false;
      const hour = vrng.weighted([[8, 2], [10, 3], [12, 3], [14, 3], [17, 3], [19, 4], [21, 4], [23, 1], [2, 1]] as const);
      const at = day + (hour - visitor.utcOffsetHours) * HOUR + vrng.int(0, 2 * HOUR);
      const pages = world.site.publicPages;
      const url = pages[vrng.zipf(pages.length, 0.8)]!;
      browse(context, visitor, at, { url, area: 'public', referrer: vrng.pick(['https://www.google.com/', 'https://www.google.com/', 'https://www.bing.com/', 'https://duckduckgo.com/', '']) });
    }
  }
}

/** A thread hits a news site: hundreds of first-time visitors on one URL within hours. */
function goViral(world: World, context: PeopleContext, rng: Random, members: Person[], users: number): void {
  const threads = world.site.publicPages.filter((url) => url.startsWith('/t/'));
  const url = threads[threads.length - 1 - rng.int(0, 50)]!;
  const author = rng.pick(members);
  const created = world.from + rng.int(1, Math.max(1, Math.floor((world.to - world.from) / DAY) - 3)) * DAY + rng.int(8, 20) * HOUR;
  browse(context, author, created, { url, area: 'public', referrer: '' });
  const actor: ActorRecord = world.actor('viral');
  const start = created + rng.int(2, 30) * HOUR;
  const visitors = Math.round(rng.int(250, 600) * Math.min(1.5, Math.max(0.3, users / 400)));
  const referrers = ['https://news.ycombinator.com/', 'https://news.ycombinator.com/item?id=' + rng.int(40_000_000, 45_000_000), 'https://www.reddit.com/', 'https://old.reddit.com/', 'https://t.co/' + rng.token(10), ''];
  for (let v = 0; v < visitors; v++) {
    const vrng = rng.fork(`visitor-${v}`);
    const mobile = vrng.chance(0.45);
    const network = mobile ? vrng.pick(nets.mobileCarriers) : vrng.pick(nets.residential);
    const useV6 = (network.v6?.length ?? 0) > 0 && vrng.chance(0.3);
    const ip = useV6 ? world.addresses.v6Address(world.addresses.v6Prefix(network)) : world.addresses.v4(network);
    const visitor = makePerson(world, 900_000 + v, vrng, { member: false, mobile, addressing: new StaticAddress(actor, ip), utcOffsetHours: offsetOf(network, vrng), sessionsPerDay: 0 });
    visitor.hasCookie = false;
    // arrivals decay over the day after the post
    const at = start + Math.round(vrng.exponential(5 * HOUR));
    const variant = vrng.chance(0.2) ? `${url}?utm_source=${vrng.pick(['hackernews', 'reddit', 'twitter'])}` : url;
    browse(context, visitor, at, { url: variant, area: 'public', referrer: vrng.pick(referrers) });
    if (vrng.chance(0.03)) context.previewers.preview(world, vrng.pick(['twitter', 'slack', 'discord', 'messenger'] as const), url, 'public', at + vrng.int(MINUTE, HOUR), visitor);
  }
}
