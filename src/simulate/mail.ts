import { headlessChrome, pickBrowser } from './agents.js';
import type { NetworkPool } from './networks.js';
import { browse, DAY, HOUR, MINUTE, type MailLink, type Mailbox, type PeopleContext, type Person } from './people.js';
import type { Random } from './random.js';
import type { ActorRecord, World } from './world.js';

/**
 * A mail provider's link scanner (Defender Safe Links, Proofpoint URL Defense, Mimecast...):
 * seconds after delivery, before the recipient sees the mail, it opens every link from its own
 * network, often HEAD then GET, sometimes with a full headless browser that follows redirects
 * and loads the page's assets. A one-time link is used up by the scan.
 */
export class MailScanner implements Mailbox {
  private readonly addresses: string[] = [];

  constructor(
    world: World,
    readonly actor: ActorRecord,
    network: NetworkPool,
    addressCount: number,
    private readonly rng: Random,
    private readonly style: { headFirst: number; browser: number; secondScan: number },
  ) {
    for (let i = 0; i < addressCount; i++) {
      const v6 = (network.v6?.length ?? 0) > 0 && rng.chance(0.2);
      this.addresses.push(v6 ? world.addresses.v6Address(world.addresses.v6Prefix(network), true) : world.addresses.v4(network));
    }
  }

  deliver(world: World, sentAt: number, links: readonly MailLink[]): Map<string, number> {
    const rng = this.rng;
    const consumed = new Map<string, number>();
    let t = sentAt + Math.min(6 * MINUTE, Math.max(1_500, Math.round(rng.logNormal(9_000, 0.9))));
    const browser = rng.chance(this.style.browser);
    const ip = this.addresses[rng.zipf(this.addresses.length, 0.9)]!;
    const userAgent = browser ? headlessChrome : rng.chance(0.5) ? pickBrowser(rng, false) : 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    for (const link of links) {
      if (rng.chance(this.style.headFirst)) {
        this.fetch(world, t, ip, 'HEAD', link.url, userAgent, link, false);
        t += rng.int(200, 2_500);
      }
      this.fetch(world, t, ip, 'GET', link.url, userAgent, link, false);
      const token = link.oneTime ? world.tokens.get(link.url) : undefined;
      if (token !== undefined && token.consumesOn === 'GET' && t <= token.expiresAt) consumed.set(link.url, t);
      t += rng.int(150, 900);
      if (browser) {
        // the headless browser follows the redirect and renders the landing page
        const landing = link.target ?? (link.oneTime && token?.consumesOn === 'GET' ? '/account' : undefined);
        if (landing !== undefined) {
          const area = link.target !== undefined ? 'public' : 'account';
          this.fetch(world, t, ip, 'GET', landing, userAgent, { url: landing, area, oneTime: false }, true);
          t += rng.int(100, 400);
          for (const asset of world.site.commonAssets.slice(0, 3)) {
            this.fetch(world, t, ip, 'GET', asset, userAgent, { url: asset, area: 'asset', oneTime: false }, true, world.absolute(landing));
            t += rng.int(5, 60);
          }
        }
      }
      if (rng.chance(this.style.secondScan)) {
        const other = this.addresses[rng.int(0, this.addresses.length - 1)]!;
        this.fetch(world, t + rng.int(1_000, 25_000), other, 'GET', link.url, userAgent, link, false);
      }
      t += rng.int(300, 3_000);
    }
    return consumed;
  }

  private fetch(world: World, time: number, ip: string, method: string, url: string, userAgent: string, link: MailLink, authorised: boolean, referrer = ''): void {
    const response = world.site.respond(link.area, url, method, authorised, this.rng);
    world.emit(this.actor, {
      time,
      ip,
      method,
      url,
      protocol: 'HTTP/1.1',
      status: response.status,
      bytes: response.bytes,
      referrer,
      userAgent,
      user: '',
      cookie: authorised,
      duration: Math.round(this.rng.logNormal(60, 0.7)),
      oneTime: link.oneTime ? link.url : undefined,
    });
  }
}

/**
 * The weekly newsletter: per-recipient tracking links (rare URLs by construction) and an
 * unsubscribe link. Scanned mailboxes get every link opened seconds after sending; the
 * recipient reads it minutes to a day later, if at all.
 */
export function sendNewsletters(context: PeopleContext, people: readonly Person[], rng: Random, utcOffsetHours: number): void {
  const { world } = context;
  let campaign = 300 + rng.int(0, 200);
  for (let day = world.from + rng.int(0, 6) * DAY; day < world.to; day += 7 * DAY) {
    campaign++;
    const sendTime = day + (9 - utcOffsetHours) * HOUR;
    const articles = world.site.publicPages.filter((url) => url.startsWith('/blog/')).slice(0, 40);
    const featured = [rng.pick(articles), rng.pick(articles), rng.pick(articles)];
    for (const person of people) {
      if (!person.member || person.rng.chance(0.4)) continue;
      const sentAt = sendTime + person.id * 350 + rng.int(0, 300);
      const key = person.rng.hex(10);
      const links: MailLink[] = featured.map((target, n) => ({ url: `/r/${campaign}/${key}/${n + 1}`, area: 'tracking', oneTime: false, target }));
      links.push({ url: `/unsubscribe?u=${person.id + 1000}&sig=${person.rng.hex(16)}`, area: 'login', oneTime: false });
      person.mailbox?.deliver(world, sentAt, links);
      if (!person.rng.chance(0.3)) continue;
      const readAt = sentAt + Math.min(2 * DAY, Math.round(person.rng.logNormal(2 * HOUR, 1.3)));
      const choice = person.rng.int(0, featured.length - 1);
      browse(context, person, readAt, { url: featured[choice]!, area: 'public', referrer: '', via: links[choice]!.url });
    }
  }
}
