import { crawlerAgents, feedAgents, monitorAgents, previewAgents, probeAgents } from './agents.js';
import {
  amazon,
  applebot,
  ahrefsbot,
  bingbot,
  facebook,
  googlebot,
  googleCloud,
  linkedin,
  microsoftSkype,
  mobileCarriers,
  pingdom,
  telegram,
  twitter,
  uptimeRobot,
  type NetworkPool,
} from './networks.js';
import type { ChatApp, Person, Previewers } from './people.js';
import type { Random } from './random.js';
import type { Area } from './site.js';
import type { ActorRecord, Hit, World } from './world.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A request by a bot: HTTP/1.1, no referrer, no user, no cookie unless said otherwise. */
export function botHit(world: World, actor: ActorRecord, partial: Omit<Hit, 'protocol' | 'referrer' | 'user' | 'cookie' | 'duration'> & Partial<Hit>): void {
  world.emit(actor, { protocol: 'HTTP/1.1', referrer: '', user: '', cookie: false, duration: 12, ...partial });
}

function addressesIn(world: World, network: NetworkPool, count: number, rng: Random, v6Share = 0): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (v6Share > 0 && (network.v6?.length ?? 0) > 0 && rng.chance(v6Share)) out.push(world.addresses.v6Address(world.addresses.v6Prefix(network), true));
    else out.push(i > 0 && rng.chance(0.5) ? world.addresses.v4Near(out[out.length - 1]!.includes(':') ? world.addresses.v4(network) : out[out.length - 1]!) : world.addresses.v4(network));
  }
  return out;
}

interface PreviewerFleet {
  actor: ActorRecord;
  addresses: string[];
  userAgent: string;
}

/**
 * Declared link previewers: the chat app's server (or, for WhatsApp, the sender's own phone)
 * fetches a link a second or two after it is pasted, to draw the card.
 */
export class ChatPreviewers implements Previewers {
  private readonly fleets = new Map<ChatApp, PreviewerFleet>();
  private readonly phones = new Map<number, string>();

  constructor(
    private readonly world: World,
    private readonly rng: Random,
  ) {}

  private fleet(app: ChatApp): PreviewerFleet {
    let fleet = this.fleets.get(app);
    if (fleet !== undefined) return fleet;
    const rng = this.rng;
    const make = (name: string, network: NetworkPool | undefined, count: number, userAgent: string, v6Share = 0): PreviewerFleet => ({
      actor: this.world.actor('link-preview', name),
      addresses: network === undefined ? [] : addressesIn(this.world, network, count, rng, v6Share),
      userAgent,
    });
    switch (app) {
      case 'slack':
        fleet = make('Slackbot', amazon, rng.int(4, 10), previewAgents.slack);
        break;
      case 'teams':
        fleet = make('Microsoft Teams / Skype preview', microsoftSkype, rng.int(3, 6), previewAgents.skype);
        break;
      case 'discord':
        fleet = make('Discordbot', googleCloud, rng.int(3, 6), previewAgents.discord);
        break;
      case 'whatsapp':
        fleet = make('WhatsApp (sender devices)', undefined, 0, previewAgents.whatsapp);
        break;
      case 'telegram':
        fleet = make('TelegramBot', telegram, rng.int(2, 4), previewAgents.telegram);
        break;
      case 'messenger':
        fleet = make('facebookexternalhit', facebook, rng.int(3, 8), previewAgents.facebook, 0.4);
        break;
      case 'linkedin':
        fleet = make('LinkedInBot', linkedin, rng.int(2, 4), previewAgents.linkedin);
        break;
      case 'twitter':
        fleet = make('Twitterbot', twitter, rng.int(2, 5), previewAgents.twitter);
        break;
    }
    this.fleets.set(app, fleet);
    return fleet;
  }

  preview(world: World, app: ChatApp, url: string, area: Area, sharedAt: number, sharer: Person): void {
    const rng = this.rng;
    const fleet = this.fleet(app);
    let ip: string;
    let userAgent = fleet.userAgent;
    if (app === 'whatsapp') {
      // WhatsApp builds the preview on the sender's phone, from the phone's own connection
      ip = this.phones.get(sharer.id) ?? world.addresses.v4(rng.pick(mobileCarriers));
      this.phones.set(sharer.id, ip);
      if (rng.chance(0.45)) userAgent = previewAgents.whatsappIos;
    } else {
      ip = fleet.addresses[rng.zipf(fleet.addresses.length, 0.8)]!;
    }
    let t = sharedAt + rng.int(400, 4_000);
    const response = world.site.respond(area, url, 'GET', false, rng);
    const ranged = app === 'messenger' && response.status === 200 && rng.chance(0.5);
    botHit(world, fleet.actor, {
      time: t,
      ip,
      method: 'GET',
      url,
      status: ranged ? 206 : response.status,
      bytes: ranged ? Math.min(response.bytes, 524_288) : response.bytes,
      userAgent,
      duration: rng.int(20, 200),
    });
    if (response.status === 200) {
      const image = world.site.imagesOf(url)[0];
      if (image !== undefined && (app === 'slack' || app === 'messenger' || app === 'discord' || app === 'whatsapp')) {
        t += rng.int(300, 3_000);
        botHit(world, fleet.actor, {
          time: t,
          ip: app === 'whatsapp' ? ip : fleet.addresses[rng.zipf(fleet.addresses.length, 0.8)]!,
          method: 'GET',
          url: image,
          status: 200,
          bytes: world.site.respond('asset', image, 'GET', true, rng).bytes,
          userAgent: app === 'slack' ? previewAgents.slackImage : userAgent,
        });
      }
    }
  }

  /** Each fleet's address count, for scenario summaries. */
  get count(): number {
    return this.fleets.size;
  }
}

export interface CrawlerSpec {
  name: string;
  network: NetworkPool;
  addresses: number;
  perDay: number;
  agents: readonly string[];
  /** fetches CSS/JS to render pages */
  renders: boolean;
}

export const crawlerSpecs = {
  googlebot: { name: 'Googlebot', network: googlebot, addresses: 14, perDay: 900, agents: [crawlerAgents.googlebotSmartphone, crawlerAgents.googlebotSmartphone, crawlerAgents.googlebot], renders: true },
  bingbot: { name: 'Bingbot', network: bingbot, addresses: 8, perDay: 350, agents: [crawlerAgents.bingbot], renders: false },
  ahrefs: { name: 'AhrefsBot', network: ahrefsbot, addresses: 4, perDay: 200, agents: [crawlerAgents.ahrefs], renders: false },
  applebot: { name: 'Applebot', network: applebot, addresses: 3, perDay: 60, agents: [crawlerAgents.applebot], renders: true },
} satisfies Record<string, CrawlerSpec>;

/** A search crawler walking the long tail of public pages, robots.txt and sitemap included. */
export function runCrawler(world: World, spec: CrawlerSpec, rng: Random, scale: number, kind: 'crawler' | 'fake-crawler' = 'crawler', network?: NetworkPool): ActorRecord {
  const actor = world.actor(kind, kind === 'fake-crawler' ? `Googlebot user agent from ${network!.name}` : spec.name);
  const addresses = addressesIn(world, network ?? spec.network, spec.addresses, rng);
  const pages = world.site.publicPages;
  const perDay = Math.max(5, Math.round(spec.perDay * scale));
  for (let day = world.from; day < world.to; day += DAY) {
    if (kind === 'fake-crawler' && !rng.chance(0.35)) continue;
    const count = kind === 'fake-crawler' ? rng.int(150, 700) : Math.round(perDay * (0.6 + rng.next() * 0.8));
    let t = day + rng.int(0, DAY - 1);
    const burstEnd = (): number => (kind === 'fake-crawler' ? rng.int(500, 3_000) : rng.int(2_000, 600_000));
    for (let i = 0; i < count; i++) {
      const ip = addresses[rng.zipf(addresses.length, 0.7)]!;
      const userAgent = rng.pick(spec.agents);
      let url: string;
      let status = 200;
      let area: Area = 'public';
      const roll = rng.next();
      if (kind === 'crawler' && roll < 0.01) {
        url = '/robots.txt';
        area = 'robots';
      } else if (kind === 'crawler' && roll < 0.015) {
        url = '/sitemap.xml';
        area = 'robots';
      } else if (roll < 0.03) {
        // links that moved or died
        url = `/blog/2018/${rng.pick(['old', 'archive', 'draft'])}-${rng.hex(4)}`;
        status = 404;
      } else {
        url = pages[rng.zipf(pages.length, 0.35)]!;
      }
      const response = status === 404 ? { status: 404, bytes: 3_100 } : world.site.respond(area, url, 'GET', false, rng);
      botHit(world, actor, { time: t, ip, method: 'GET', url, status: response.status, bytes: response.bytes, userAgent, duration: rng.int(15, 300) });
      if (spec.renders && area === 'public' && rng.chance(0.08)) {
        for (const asset of world.site.commonAssets.slice(0, 3)) {
          t += rng.int(50, 900);
          botHit(world, actor, { time: t, ip, method: 'GET', url: asset, status: 200, bytes: world.site.respond('asset', asset, 'GET', true, rng).bytes, userAgent, referrer: world.absolute(url) });
        }
      }
      t += burstEnd();
      if (t >= day + DAY) t = day + rng.int(0, DAY - 1);
    }
  }
  return actor;
}

export const probePaths = [
  '/.env', '/.env.bak', '/.env.production', '/.git/config', '/.git/HEAD', '/.svn/entries', '/.DS_Store', '/.aws/credentials',
  '/wp-login.php', '/wp-admin/', '/xmlrpc.php', '/wp-content/plugins/', '/wp-includes/wlwmanifest.xml', '/wordpress/wp-admin/',
  '/phpmyadmin/', '/phpMyAdmin/', '/pma/', '/myadmin/', '/mysql/', '/dbadmin/', '/phpmyadmin/index.php',
  '/cgi-bin/', '/cgi-bin/luci', '/cgi-bin/test.cgi', '/shell.php', '/cmd.php', '/info.php', '/phpinfo.php', '/test.php',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/config.json', '/config.php.bak', '/backup.zip', '/backup.sql',
  '/db.sql', '/server-status', '/actuator/health', '/actuator/env', '/api/v1/pods', '/solr/admin/info/system',
  '/console/', '/manager/html', '/jenkins/login', '/owa/auth/logon.aspx', '/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application',
  '/HNAP1/', '/boaform/admin/formLogin', '/GponForm/diag_Form?images/', '/setup.cgi?next_file=netgear.cfg', '/remote/login',
  '/sdk', '/autodiscover/autodiscover.json', '/.well-known/security.txt', '/telescope/requests', '/_ignition/execute-solution',
  '/admin/config.php', '/administrator/', '/user/login', '/login.action', '/struts2-showcase/', '/index.php?s=/Index/\\think\\app/invokefunction',
  '/owncloud/status.php', '/nextcloud/status.php', '/.vscode/sftp.json', '/storage/logs/laravel.log', '/debug/default/view',
];

/** A scanner looking for software the site does not run: many paths, mostly 404 and 403. */
export function runProber(world: World, network: NetworkPool, rng: Random): ActorRecord {
  const actor = world.actor('probe', network.name);
  const ip = world.addresses.v4(network);
  const bursts = rng.weighted([[1, 6], [2, 3], [3, 1]] as const);
  const userAgent = rng.pick(probeAgents);
  for (let b = 0; b < bursts; b++) {
    let t = world.from + rng.int(0, world.to - world.from - HOUR);
    const paths = rng.shuffle([...probePaths]).slice(0, rng.int(6, 45));
    if (rng.chance(0.5)) paths.unshift('/');
    for (const path of paths) {
      let status = 404;
      let bytes = 146 + rng.int(0, 30);
      if (path === '/') {
        status = 200;
        bytes = world.site.respond('public', '/', 'GET', false, rng).bytes;
      } else if (path.startsWith('/.') && !path.startsWith('/.well-known')) {
        status = rng.chance(0.7) ? 403 : 404;
        bytes = status === 403 ? 153 : bytes;
      } else if (path.startsWith('/admin/')) {
        const refused = world.site.refuse(world.site.config.refuseAdmin, rng);
        status = refused.status;
        bytes = refused.bytes;
      }
      const method = path === '/xmlrpc.php' && rng.chance(0.5) ? 'POST' : 'GET';
      botHit(world, actor, { time: t, ip, method, url: path, status, bytes, userAgent: userAgent === '-' ? '' : userAgent, duration: rng.int(1, 20) });
      t += rng.int(100, 6_000);
    }
  }
  return actor;
}

/** Uptime monitors: a check every few minutes from the service's rotating probe addresses. */
export function runMonitors(world: World, rng: Random, which: { uptimeRobot: boolean; pingdom: boolean; selfHosted: NetworkPool | undefined }): ActorRecord[] {
  const actors: ActorRecord[] = [];
  const check = (actor: ActorRecord, addresses: string[], everyMs: number, method: string, url: string, userAgent: string): void => {
    for (let t = world.from + rng.int(0, everyMs); t < world.to; t += everyMs + rng.int(-2_000, 2_000)) {
      const ip = addresses[rng.int(0, addresses.length - 1)]!;
      const response = url === '/' ? world.site.respond('public', url, method, false, rng) : world.site.respond('status', url, method, false, rng);
      botHit(world, actor, { time: t, ip, method, url, status: response.status, bytes: response.bytes, userAgent, duration: rng.int(3, 40) });
    }
  };
  if (which.uptimeRobot) {
    const actor = world.actor('monitor', 'UptimeRobot');
    const addresses = uptimeRobot.v4.map((cidr) => world.addresses.v4({ name: 'UptimeRobot', v4: [cidr] }));
    check(actor, addresses, 5 * MINUTE, 'HEAD', '/', monitorAgents.uptimeRobot);
    // a keyword check on a status URL with a secret: rare, and requested from several networks
    check(actor, addresses, 5 * MINUTE, 'GET', `/healthz?key=${rng.hex(24)}`, monitorAgents.uptimeRobot);
    actors.push(actor);
  }
  if (which.pingdom) {
    const actor = world.actor('monitor', 'Pingdom');
    const addresses = pingdom.v4.map((cidr) => world.addresses.v4({ name: 'Pingdom', v4: [cidr] }));
    check(actor, addresses, 5 * MINUTE, 'GET', `/status?token=${rng.hex(16)}`, monitorAgents.pingdom);
    actors.push(actor);
  }
  if (which.selfHosted !== undefined) {
    const actor = world.actor('monitor', 'Uptime Kuma (self-hosted)');
    check(actor, [world.addresses.v4(which.selfHosted)], 3 * MINUTE, 'GET', '/api/health', monitorAgents.uptimeKuma);
    actors.push(actor);
  }
  return actors;
}

export interface FeedService {
  actor: ActorRecord;
  addresses: string[];
  userAgent: string;
  intervalMs: number;
}

export function makeFeedService(world: World, rng: Random, name: string, network: NetworkPool, addresses: number, userAgent: string, intervalMs: number): FeedService {
  return { actor: world.actor('feed-reader', name), addresses: addressesIn(world, network, addresses, rng), userAgent, intervalMs };
}

/** Polls a feed from the given time on; mostly 304 Not Modified, a full body after a new post. */
export function pollFeed(world: World, service: FeedService, url: string, from: number, rng: Random, area: Area): void {
  let lastBody = 0;
  for (let t = from; t < world.to; t += service.intervalMs + rng.int(-service.intervalMs / 10, service.intervalMs / 10)) {
    const ip = service.addresses[rng.int(0, service.addresses.length - 1)]!;
    const changed = t - lastBody > DAY || rng.chance(0.04);
    const body = world.site.respond(area, url, 'GET', true, rng);
    botHit(world, service.actor, { time: t, ip, method: 'GET', url, status: changed ? 200 : 304, bytes: changed ? body.bytes : 0, userAgent: service.userAgent, duration: rng.int(4, 60) });
    if (changed) lastBody = t;
  }
}

export { feedAgents };
