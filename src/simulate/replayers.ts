import { incidentAgents, pickBrowser } from './agents.js';
import type { NetworkPool } from './networks.js';
import type { Random } from './random.js';
import type { Area } from './site.js';
import type { ActorRecord, Leak, PageView, ReplayPattern, World } from './world.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** What a product's cloud does with the URLs its users' devices report. */
export interface ProductBehaviour {
  name: string;
  pattern: ReplayPattern;
  /** share of reported page views it fetches */
  coverage: number;
  /** fetch each URL once ever (a reputation cache) rather than once per sighting window */
  oncePerUrl: boolean;
  /** the lag from the victim's view to the fetch */
  lag(rng: Random): number;
  userAgent(rng: Random): string;
  /** share of requests sent as HTTP/1.0 */
  http10: number;
  /** also fetch the page's cache-busted script, query string and all */
  scriptShare: number;
  /** after fetching admin pages, sometimes probe for phpMyAdmin */
  probesAfterAdmin: number;
}

/** The incident's antivirus cloud: minutes to days later, old agents, HTTP/1.0, page only. */
export const incidentBehaviour: ProductBehaviour = {
  name: 'Trend Micro Web Reputation (incident ranges)',
  pattern: 'deferred',
  coverage: 0.75,
  oncePerUrl: true,
  lag: (rng) =>
    rng.weighted([
      [() => rng.int(40, 180) * SECOND, 8],
      [() => rng.logNormal(15 * MINUTE, 0.6), 37],
      [() => rng.logNormal(4 * HOUR, 0.8), 38],
      [() => rng.int(1, 5) * DAY + rng.int(0, DAY), 17],
    ] as const)(),
  userAgent: (rng) => rng.weighted([[incidentAgents[0], 45], [incidentAgents[1], 10], [incidentAgents[2], 30], [incidentAgents[3], 15]] as const),
  http10: 0.4,
  scriptShare: 0.35,
  probesAfterAdmin: 0.12,
};

/** A secure web gateway / security cloud: re-fetches what its users open within seconds. */
export function realtimeBehaviour(name: string): ProductBehaviour {
  return {
    name,
    pattern: 'realtime',
    coverage: 0.9,
    oncePerUrl: false,
    lag: (rng) => Math.min(150 * SECOND, Math.max(1_500, rng.logNormal(14 * SECOND, 0.8))),
    userAgent: (rng) => pickBrowser(rng, false),
    http10: 0,
    scriptShare: 0,
    probesAfterAdmin: 0,
  };
}

export function deferredBehaviour(name: string): ProductBehaviour {
  return {
    ...incidentBehaviour,
    name,
    coverage: 0.6,
    lag: (rng) => Math.min(4 * DAY, rng.logNormal(50 * MINUTE, 1.2)),
    userAgent: (rng) => rng.pick(['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36', 'Mozilla/5.0 (Windows NT 6.1; Win64; x64)']),
    http10: 0.1,
    scriptShare: 0,
    probesAfterAdmin: 0,
  };
}

const phpMyAdminProbes = [
  '//phpmyadmin/', '//phpMyAdmin/', '//_phpMyAdmin/', '//PMA2005/', '//pma/', '//PMA/', '//mysqladmin/', '//myadmin/',
  '//phpMyAdmin-2.11.4/', '//phpmyadmin2/', '//admin/phpmyadmin/', '//db/', '//dbadmin/', '//sqlmanager/', '//websql/',
  '//phpmyadmin/scripts/setup.php', '//web/phpMyAdmin/', '//php-my-admin/',
];

/**
 * A replaying product seen from the site: a pool of cloud addresses (a few busy, many that
 * appear a handful of times) fetching what infected users' devices report.
 */
export class ReplayProduct implements Leak {
  private readonly views: PageView[] = [];
  private readonly addresses: string[] = [];

  constructor(
    world: World,
    readonly actor: ActorRecord,
    networks: readonly NetworkPool[],
    addressCount: number,
    private readonly behaviour: ProductBehaviour,
    private readonly rng: Random,
  ) {
    // clustered like real clouds: a few /24s, several hosts in each
    let current = '';
    for (let i = 0; i < addressCount; i++) {
      current = i === 0 || rng.chance(0.3) ? world.addresses.v4(rng.pick(networks)) : world.addresses.v4Near(current);
      this.addresses.push(current);
    }
  }

  observe(view: PageView): void {
    if (view.area === 'asset' || view.area === 'private-feed' || view.area === 'status') return;
    this.views.push(view);
  }

  /** Emits the replays of everything observed. */
  replay(world: World): void {
    const rng = this.rng;
    const behaviour = this.behaviour;
    const fetched = new Map<string, number>();
    this.views.sort((a, b) => a.time - b.time);
    for (const view of this.views) {
      if (!rng.chance(behaviour.coverage)) continue;
      const previous = fetched.get(view.url);
      if (previous !== undefined && (behaviour.oncePerUrl || view.time - previous < DAY)) continue;
      fetched.set(view.url, view.time);
      const time = view.time + Math.round(behaviour.lag(rng));
      const ip = this.addresses[rng.zipf(this.addresses.length, 1.0)]!;
      const protocol = rng.chance(behaviour.http10) ? 'HTTP/1.0' : 'HTTP/1.1';
      const userAgent = behaviour.userAgent(rng);
      this.fetch(world, time, ip, view.url, view.area, protocol, userAgent);
      if (view.script !== undefined && rng.chance(behaviour.scriptShare)) {
        this.fetch(world, time + rng.int(1, 40) * SECOND, ip, view.script, 'asset', protocol, userAgent);
      }
      if (view.area === 'admin' && rng.chance(behaviour.probesAfterAdmin)) {
        let t = time + rng.int(20, 600) * SECOND;
        for (const path of rng.shuffle([...phpMyAdminProbes]).slice(0, rng.int(5, phpMyAdminProbes.length))) {
          world.emit(this.actor, { time: t, ip, method: 'GET', url: path, protocol, status: 404, bytes: 209 + rng.int(0, 30), referrer: '', userAgent, user: '', cookie: false, duration: rng.int(1, 9) });
          t += rng.int(300, 4_000);
        }
      }
    }
  }

  private fetch(world: World, time: number, ip: string, url: string, area: Area, protocol: string, userAgent: string): void {
    const response = world.site.respond(area, url, 'GET', false, this.rng);
    const oneTime = world.tokens.has(url) ? url : undefined;
    world.emit(this.actor, {
      time,
      ip,
      method: 'GET',
      url,
      protocol,
      status: response.status,
      bytes: response.bytes,
      referrer: '',
      userAgent,
      user: '',
      cookie: false,
      duration: Math.round(this.rng.logNormal(80, 0.8)),
      oneTime,
    });
  }
}

/**
 * An app that uploads one user's last 24 hours of browser history when it is installed; the
 * vendor's servers then fetch the whole list in one burst of seconds.
 */
export class SnapshotProduct implements Leak {
  private readonly views = new Map<number, PageView[]>();
  private readonly addresses: string[] = [];

  constructor(
    world: World,
    readonly actor: ActorRecord,
    network: NetworkPool,
    addressCount: number,
    private readonly rng: Random,
    /** install time per victim id */
    private readonly installs: Map<number, number>,
  ) {
    let current = '';
    for (let i = 0; i < addressCount; i++) {
      current = i === 0 || rng.chance(0.4) ? world.addresses.v4(network) : world.addresses.v4Near(current);
      this.addresses.push(current);
    }
  }

  observe(view: PageView): void {
    if (view.area === 'asset') return;
    const list = this.views.get(view.personId) ?? [];
    list.push(view);
    this.views.set(view.personId, list);
  }

  replay(world: World): void {
    const rng = this.rng;
    for (const [personId, installedAt] of this.installs) {
      const history = (this.views.get(personId) ?? []).filter((view) => view.time <= installedAt && view.time > installedAt - DAY);
      if (history.length === 0) continue;
      const seen = new Set<string>();
      let t = installedAt + rng.int(15, 900) * SECOND;
      const pool = rng.shuffle([...this.addresses]).slice(0, rng.int(1, Math.min(3, this.addresses.length)));
      const userAgent = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/605.1.15 (KHTML, like Gecko)';
      for (const view of history) {
        if (seen.has(view.url)) continue;
        seen.add(view.url);
        const response = world.site.respond(view.area, view.url, 'GET', false, rng);
        world.emit(this.actor, {
          time: t,
          ip: rng.pick(pool),
          method: 'GET',
          url: view.url,
          protocol: 'HTTP/1.1',
          status: response.status,
          bytes: response.bytes,
          referrer: '',
          userAgent,
          user: '',
          cookie: false,
          duration: Math.round(rng.logNormal(70, 0.6)),
          oneTime: world.tokens.has(view.url) ? view.url : undefined,
        });
        t += rng.int(40, 1_200);
      }
    }
  }
}
