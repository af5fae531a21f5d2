import { pickBrowser } from './agents.js';
import type { NetworkPool } from './networks.js';
import type { Random } from './random.js';
import { searchQuery, slug, type Area } from './site.js';
import type { ActorRecord, Leak, World } from './world.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Where a person's session comes from: the address and the truth actor that owns it. */
export interface Addressing {
  at(time: number, rng: Random): { ip: string; actor: ActorRecord };
}

export class StaticAddress implements Addressing {
  constructor(
    private readonly actor: ActorRecord,
    private readonly ip: string,
  ) {}
  at(): { ip: string; actor: ActorRecord } {
    return { ip: this.ip, actor: this.actor };
  }
}

/** A residential line whose ISP hands out a new address every period (Telekom's daily reconnect). */
export class DynamicAddress implements Addressing {
  private readonly byPeriod = new Map<number, string>();
  constructor(
    private readonly world: World,
    private readonly actor: ActorRecord,
    private readonly network: NetworkPool,
    private readonly periodMs: number,
    private readonly phase: number,
  ) {}
  at(time: number): { ip: string; actor: ActorRecord } {
    const period = Math.floor((time - this.phase) / this.periodMs);
    let ip = this.byPeriod.get(period);
    if (ip === undefined) {
      ip = this.world.addresses.v4(this.network);
      this.byPeriod.set(period, ip);
    }
    return { ip, actor: this.actor };
  }
}

/** An IPv6 /64 with RFC 4941 temporary addresses: a new interface id each day; sometimes IPv4 fallback. */
export class PrivacyAddress implements Addressing {
  private readonly byDay = new Map<number, string>();
  constructor(
    private readonly world: World,
    private readonly actor: ActorRecord,
    private readonly prefix: number[],
    private readonly fallbackV4: string | undefined,
  ) {}
  at(time: number, rng: Random): { ip: string; actor: ActorRecord } {
    if (this.fallbackV4 !== undefined && rng.chance(0.06)) return { ip: this.fallbackV4, actor: this.actor };
    const day = Math.floor(time / DAY);
    let ip = this.byDay.get(day);
    if (ip === undefined) {
      ip = this.world.addresses.v6Address(this.prefix);
      this.byDay.set(day, ip);
    }
    return { ip, actor: this.actor };
  }
}

/** Addresses shared by many people: carrier-grade NAT or a VPN provider's exits. */
export class SharedAddresses implements Addressing {
  constructor(
    private readonly actor: ActorRecord,
    private readonly addresses: string[],
    /** a favourite exit this person mostly gets (VPN), or none (CGNAT: any of the pool) */
    private readonly favourite: number | undefined,
  ) {}
  at(_time: number, rng: Random): { ip: string; actor: ActorRecord } {
    const index =
      this.favourite !== undefined && rng.chance(0.8) ? this.favourite : rng.zipf(this.addresses.length, 0.8);
    return { ip: this.addresses[index]!, actor: this.actor };
  }
}

/** An office worker: the office's NAT address on weekday working hours, home otherwise. */
export class OfficeAddress implements Addressing {
  constructor(
    private readonly office: { ip: string; actor: ActorRecord },
    private readonly home: Addressing,
    private readonly utcOffsetHours: number,
  ) {}
  at(time: number, rng: Random): { ip: string; actor: ActorRecord } {
    const local = new Date(time + this.utcOffsetHours * HOUR);
    const weekday = local.getUTCDay() >= 1 && local.getUTCDay() <= 5;
    const hour = local.getUTCHours();
    if (weekday && hour >= 8 && hour < 18) return this.office;
    return this.home.at(time, rng);
  }
}

/** How a person's mail is delivered: some providers run a link scanner before the person sees it. */
export interface Mailbox {
  /** Delivers a mail with links; returns when a scanner used up each one-time link (if it did). */
  deliver(world: World, sentAt: number, links: readonly MailLink[]): Map<string, number>;
}

export interface MailLink {
  url: string;
  area: Area;
  oneTime: boolean;
  /** where a tracking link redirects */
  target?: string;
}

export interface Team {
  actor: ActorRecord;
  colleagues: Person[];
  app: ChatApp;
}

export type ChatApp = 'slack' | 'teams' | 'discord' | 'whatsapp' | 'telegram' | 'messenger' | 'linkedin' | 'twitter';

/** Someone who shares links; the previewer of their chat app fetches them. */
export interface Previewers {
  preview(world: World, app: ChatApp, url: string, area: Area, sharedAt: number, sharer: Person): void;
}

export interface Person {
  id: number;
  rng: Random;
  member: boolean;
  admin: boolean;
  mobile: boolean;
  userAgent: string;
  /** local time offset for the daily rhythm */
  utcOffsetHours: number;
  sessionsPerDay: number;
  addressing: Addressing;
  rememberMe: boolean;
  loggedInUntil: number;
  magicLinkLogin: boolean;
  cachedUntil: number;
  hasCookie: boolean;
  own: { messages: string[]; drafts: string[]; orders: string[]; admin: string[]; searches: string[]; docs: string[] };
  leaks: Leak[];
  mailbox: Mailbox | undefined;
  privateFeed: string | undefined;
  team: Team | undefined;
  workHours: boolean;
}

export interface PeopleContext {
  world: World;
  previewers: Previewers;
  /** probability that a session ends with a link shared to the person's team */
  shareRate: number;
}

let nextMessageId = 0;
let nextDocId = 0;

/** Hour-of-day weights (local time) for when people start sessions. */
const evening = [1, 0.6, 0.35, 0.25, 0.25, 0.4, 1, 2, 2.8, 3, 3, 3.2, 3.4, 3.2, 3, 3, 3.1, 3.4, 4, 4.6, 4.8, 4.4, 3.2, 2];
const office = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 5, 5, 4.5, 3.5, 4.5, 5, 5, 4.5, 3.5, 1.5, 1, 1, 0.8, 0.5, 0.3];
const hourWeights = (weights: number[]): (readonly [number, number])[] => weights.map((w, h) => [h, w] as const);
const eveningHours = hourWeights(evening);
const officeHours = hourWeights(office);

export function resetIds(): void {
  nextMessageId = 0;
  nextDocId = 0;
}

/** Every session this person starts in the window. */
export function livePerson(context: PeopleContext, person: Person): void {
  const { world } = context;
  const rng = person.rng;
  for (let day = world.from; day < world.to; day += DAY) {
    const date = new Date(day + person.utcOffsetHours * HOUR);
    const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
    const mean = person.sessionsPerDay * (person.workHours && weekend ? 0.4 : 1);
    let sessions = 0;
    // Poisson by inversion: small means only
    const limit = Math.exp(-mean);
    let product = rng.next();
    while (product > limit && sessions < 12) {
      sessions++;
      product *= rng.next();
    }
    const starts: number[] = [];
    for (let i = 0; i < sessions; i++) {
      const hour = rng.weighted(person.workHours && !weekend ? officeHours : eveningHours);
      starts.push(day + (hour - person.utcOffsetHours) * HOUR + rng.int(0, HOUR - 1));
    }
    starts.sort((a, b) => a - b);
    let busyUntil = 0;
    for (const start of starts) {
      if (start < busyUntil) continue;
      busyUntil = browse(context, person, start);
    }
  }
}

export interface Visit {
  ip: string;
  actor: ActorRecord;
  protocol: string;
  authed: boolean;
}

/** One browsing session; returns when it ended. */
export function browse(
  context: PeopleContext,
  person: Person,
  start: number,
  entry?: { url: string; area: Area; referrer: string; via?: string },
): number {
  const { world } = context;
  const rng = person.rng;
  const where = person.addressing.at(start, rng);
  const visit: Visit = {
    ip: where.ip,
    actor: where.actor,
    protocol: world.site.config.http2 && rng.chance(0.93) ? 'HTTP/2.0' : 'HTTP/1.1',
    authed: person.member && person.loggedInUntil > start,
  };
  let t = start;
  let referrer =
    entry?.referrer ??
    rng.weighted([
      ['', 40],
      ['https://www.google.com/', 35],
      ['https://duckduckgo.com/', 5],
      ['https://www.bing.com/', 4],
      ['https://news.ycombinator.com/', 2],
      ['https://www.reddit.com/', 4],
      ['https://t.co/', 2],
    ] as const);
  const wantsPrivate = person.member && rng.chance(0.75);
  if (entry?.via !== undefined) {
    // a tracking link from a mail: the redirect, then the page
    emitHuman(world, person, visit, t, 'GET', entry.via, { status: 302, bytes: 0 }, '');
    t += rng.int(150, 700);
  }
  if (entry !== undefined) {
    t = viewPage(context, person, visit, t, entry.area, entry.url, referrer);
    referrer = world.absolute(entry.url);
    t += thinkTime(rng);
  } else if (wantsPrivate && !visit.authed) {
    t = logIn(context, person, visit, t, referrer);
    referrer = world.absolute('/account');
  }
  const pages = entry !== undefined ? rng.int(0, 3) : 1 + Math.floor(rng.exponential(3.5));
  let last = entry?.url ?? '/';
  let lastArea: Area = entry?.area ?? 'public';
  for (let i = 0; i < pages; i++) {
    const next = choosePage(context, person, visit.authed);
    t = viewPage(context, person, visit, t, next.area, next.url, referrer);
    if (next.method === 'POST') {
      // a form submission: message sent, draft saved, order placed
      t += rng.int(15_000, 120_000);
      emitHuman(world, person, visit, t, 'POST', next.url, { status: 302, bytes: 0 }, world.absolute(next.url));
    }
    referrer = world.absolute(next.url);
    last = next.url;
    lastArea = next.area;
    t += thinkTime(rng);
  }
  if (person.team !== undefined && rng.chance(context.shareRate)) shareLink(context, person, t, last, lastArea);
  if (person.privateFeed !== undefined && visit.authed && rng.chance(0.01)) {
    t = viewPage(context, person, visit, t, 'private-feed', person.privateFeed, '');
  }
  return t + 5 * MINUTE;
}

function thinkTime(rng: Random): number {
  return Math.min(20 * MINUTE, Math.round(rng.logNormal(25_000, 1.1)));
}

interface Choice {
  area: Area;
  url: string;
  method?: 'POST';
}

function choosePage(context: PeopleContext, person: Person, authed: boolean): Choice {
  const { world } = context;
  const rng = person.rng;
  const site = world.site;
  const own = person.own;
  const areas: (readonly [string, number])[] = authed
    ? [
        ['public', 45],
        ['search', 10],
        ['message', 10],
        ['account', 6],
        ['order', 4],
        ['draft', person.admin ? 8 : 2],
        ['admin', person.admin ? 14 : 0],
        ['doc', 2],
      ]
    : [
        ['public', 88],
        ['search', site.config.searchNeedsLogin ? 0 : 10],
      ];
  const area = rng.weighted(areas);
  const revisit = (list: string[]): string | undefined => (list.length > 0 && rng.chance(0.3) ? rng.pick(list) : undefined);
  switch (area) {
    case 'search': {
      const url = revisit(own.searches) ?? `/search?q=${searchQuery(rng)}`;
      if (!own.searches.includes(url)) own.searches.push(url);
      return { area: 'search', url };
    }
    case 'message': {
      if (rng.chance(0.25)) return { area: 'account', url: '/messages' };
      const url = revisit(own.messages) ?? `/messages/${48_000 + nextMessageId++ * 3 + rng.int(0, 2)}`;
      if (!own.messages.includes(url)) own.messages.push(url);
      return { area: 'message', url };
    }
    case 'account':
      return { area: 'account', url: rng.pick(['/account', '/account/settings', '/account/billing', '/account/notifications']) };
    case 'order': {
      const url = revisit(own.orders) ?? `/orders/${rng.int(100_000, 999_999)}`;
      if (!own.orders.includes(url)) own.orders.push(url);
      return { area: 'account', url, method: rng.chance(0.1) ? 'POST' : undefined };
    }
    case 'draft': {
      const url = revisit(own.drafts) ?? `/drafts/${rng.int(1000, 99_999)}/edit`;
      if (!own.drafts.includes(url)) own.drafts.push(url);
      return { area: 'draft', url, method: rng.chance(0.3) ? 'POST' : undefined };
    }
    case 'admin': {
      const url =
        revisit(own.admin) ??
        rng.weighted([
          ['/admin/', 3],
          [`/admin/users/${rng.int(1, 40_000)}`, 4],
          [`/admin/posts/${rng.int(1, 9_000)}/edit`, 3],
          [`/admin/reports?from=2026-0${rng.int(1, 3)}-${String(rng.int(1, 28)).padStart(2, '0')}&sort=${rng.pick(['date', 'amount'])}`, 2],
          [`/admin/orders?status=${rng.pick(['open', 'refunded', 'disputed'])}&page=${rng.int(1, 30)}`, 2],
        ] as const);
      if (!own.admin.includes(url) && url !== '/admin/') own.admin.push(url);
      return { area: 'admin', url };
    }
    case 'doc': {
      const url = revisit(own.docs) ?? `/docs/${70_000 + nextDocId++}-${slug(rng, 2)}?share=${rng.token(22)}`;
      if (!own.docs.includes(url)) own.docs.push(url);
      return { area: 'share', url };
    }
    default: {
      const pages = site.publicPages;
      const index = rng.zipf(pages.length, 1.05);
      const url = pages[index]!;
      if (url.startsWith('/t/') && rng.chance(0.12)) return { area: 'public', url: `${url}?page=${rng.int(2, 6)}` };
      return { area: 'public', url };
    }
  }
}

function authorisedFor(area: Area, person: Person, authed: boolean): boolean {
  if (area === 'admin') return authed && person.admin;
  return authed;
}

export function emitHuman(
  world: World,
  person: Person,
  visit: Visit,
  time: number,
  method: string,
  url: string,
  response: { status: number; bytes: number },
  referrer: string,
  oneTime?: string,
): void {
  world.emit(visit.actor, {
    time,
    ip: visit.ip,
    method,
    url,
    protocol: visit.protocol,
    status: response.status,
    bytes: response.bytes,
    referrer,
    userAgent: person.userAgent,
    user: '',
    cookie: person.hasCookie,
    duration: Math.round(person.rng.logNormal(method === 'GET' ? 45 : 120, 0.8)),
    oneTime,
  });
  person.hasCookie = true;
}

/** A page with its assets, as a browser loads it; tells the person's leaking software. Returns the time after. */
export function viewPage(context: PeopleContext, person: Person, visit: Visit, time: number, area: Area, url: string, referrer: string, oneTime?: string): number {
  const { world } = context;
  const rng = person.rng;
  const site = world.site;
  const response = site.respond(area, url, 'GET', authorisedFor(area, person, visit.authed), rng);
  emitHuman(world, person, visit, time, 'GET', url, response, referrer, oneTime);
  let t = time + rng.int(20, 250);
  const page = world.absolute(url);
  const html = response.status === 200 && area !== 'asset' && area !== 'private-feed' && area !== 'status';
  let script: string | undefined;
  if (html) {
    const assets: string[] = [];
    if (person.cachedUntil < time) {
      assets.push(...site.commonAssets);
      if (rng.chance(0.5)) assets.push('/favicon.ico');
      person.cachedUntil = time + rng.int(2, 48) * HOUR;
    }
    assets.push(...site.imagesOf(url));
    if ((area === 'draft' || area === 'admin') && response.bytes > 10_000) {
      script = site.editorScript;
      if (rng.chance(0.5)) assets.push(script);
    }
    for (const asset of assets) {
      t += rng.int(5, 180);
      const assetResponse = site.respond('asset', asset, 'GET', true, rng);
      emitHuman(world, person, visit, t, 'GET', asset, assetResponse, asset.endsWith('.woff2') ? world.absolute(site.commonAssets[0]!) : page);
    }
  }
  const view = { time, url, area, personId: person.id, script };
  for (const leak of person.leaks) leak.observe(view);
  return t;
}

/** Signs in, by password or by magic link (which goes through the person's mailbox). */
function logIn(context: PeopleContext, person: Person, visit: Visit, time: number, referrer: string): number {
  const { world } = context;
  const rng = person.rng;
  let t = viewPage(context, person, visit, time, 'login', '/login', referrer);
  t += rng.int(6_000, 40_000);
  if (person.magicLinkLogin) {
    const result = useOneTimeLink(context, person, visit, t, '/login/magic', '/login/check-email', '/auth/magic?token=', 15 * MINUTE);
    t = result.time;
    if (result.ok) return finishLogin(context, person, visit, t + rng.int(100, 400));
    // give up on magic links and use the password
    t = viewPage(context, person, visit, t, 'login', '/login?method=password', '');
    t += rng.int(8_000, 30_000);
  }
  emitHuman(world, person, visit, t, 'POST', '/login', { status: 302, bytes: 0 }, world.absolute('/login'));
  return finishLogin(context, person, visit, t + rng.int(100, 400));
}

/**
 * Asks the site for a one-time link (POST), waits for the mail and clicks it; when the link
 * was already used (by a scanner) or timed out, asks once more. The mailbox decides whether a
 * scanner gets there first.
 */
function useOneTimeLink(
  context: PeopleContext,
  person: Person,
  visit: Visit,
  time: number,
  requestPath: string,
  sentPage: string,
  linkPrefix: string,
  lifetime: number,
): { ok: boolean; time: number } {
  const { world } = context;
  const rng = person.rng;
  let t = time;
  const formPage = requestPath.replace('/magic', '');
  for (let attempt = 0; attempt < 2; attempt++) {
    emitHuman(world, person, visit, t, 'POST', requestPath, { status: 302, bytes: 0 }, world.absolute(formPage));
    t = viewPage(context, person, visit, t + rng.int(80, 400), 'login', sentPage, world.absolute(formPage));
    const url = `${linkPrefix}${rng.token(43)}`;
    const sentAt = t + rng.int(500, 4_000);
    world.tokens.set(url, { consumesOn: world.site.config.tokenUsedOnGet ? 'GET' : 'POST', expiresAt: sentAt + lifetime });
    const consumed = person.mailbox?.deliver(world, sentAt, [{ url, area: 'login', oneTime: true }]).get(url);
    // the person is waiting for this mail, so the click comes soon
    const click = sentAt + Math.min(20 * MINUTE, Math.max(12_000, Math.round(rng.logNormal(55_000, 0.8))));
    const usedUp = (consumed !== undefined && consumed < click) || click > sentAt + lifetime;
    emitHuman(world, person, visit, click, 'GET', url, { status: 0, bytes: 0 }, '', url);
    t = click + rng.int(100, 600);
    if (usedUp) {
      // "This link has expired": ask for another one
      t += rng.int(5_000, 30_000);
      continue;
    }
    if (!world.site.config.tokenUsedOnGet) {
      t += rng.int(1_500, 6_000);
      emitHuman(world, person, visit, t, 'POST', url, { status: 0, bytes: 0 }, world.absolute(url), url);
    }
    return { ok: true, time: t };
  }
  return { ok: false, time: t };
}

/** Forgot the password: a reset link by mail, a new password, then signed in. */
export function resetPassword(context: PeopleContext, person: Person, start: number): number {
  const { world } = context;
  const rng = person.rng;
  const where = person.addressing.at(start, rng);
  const visit: Visit = { ip: where.ip, actor: where.actor, protocol: world.site.config.http2 ? 'HTTP/2.0' : 'HTTP/1.1', authed: false };
  let t = viewPage(context, person, visit, start, 'login', '/login', '');
  t = viewPage(context, person, visit, t + rng.int(3_000, 20_000), 'login', '/forgot-password', world.absolute('/login'));
  const result = useOneTimeLink(context, person, visit, t + rng.int(5_000, 20_000), '/forgot-password', '/forgot-password/sent', '/reset-password?token=', 60 * MINUTE);
  t = result.time;
  if (!result.ok) return t;
  t += rng.int(10_000, 60_000);
  emitHuman(world, person, visit, t, 'POST', '/reset-password/new', { status: 302, bytes: 0 }, world.absolute('/reset-password/new'));
  return finishLogin(context, person, visit, t + rng.int(100, 400));
}

function finishLogin(context: PeopleContext, person: Person, visit: Visit, time: number): number {
  visit.authed = true;
  person.loggedInUntil = time + (person.rememberMe ? 30 * DAY : 3 * HOUR);
  return viewPage(context, person, visit, time, 'account', '/account', context.world.absolute('/login')) + thinkTime(person.rng);
}

/** Copies the current URL into the team chat: the app's previewer fetches it, colleagues open it. */
function shareLink(context: PeopleContext, person: Person, time: number, url: string, area: Area): void {
  const team = person.team!;
  const rng = person.rng;
  const sharedAt = time + rng.int(2_000, 60_000);
  context.previewers.preview(context.world, team.app, url, area, sharedAt, person);
  const readers = rng.int(1, Math.min(6, team.colleagues.length));
  const chosen = rng.shuffle([...team.colleagues]).slice(0, readers);
  for (const colleague of chosen) {
    const opened = sharedAt + Math.min(10 * HOUR, Math.round(colleague.rng.logNormal(18 * MINUTE, 1.4)));
    // links opened from a chat app carry no referrer
    browse(context, colleague, opened, { url, area, referrer: '' });
  }
}

/** A new person with the given addressing. */
export function makePerson(
  world: World,
  id: number,
  rng: Random,
  options: { member: boolean; admin?: boolean; mobile: boolean; addressing: Addressing; utcOffsetHours: number; sessionsPerDay: number; workHours?: boolean },
): Person {
  return {
    id,
    rng,
    member: options.member,
    admin: options.admin ?? false,
    mobile: options.mobile,
    userAgent: pickBrowser(rng, options.mobile),
    utcOffsetHours: options.utcOffsetHours,
    sessionsPerDay: options.sessionsPerDay,
    addressing: options.addressing,
    rememberMe: rng.chance(0.6),
    loggedInUntil: world.from + (rng.chance(0.5) ? rng.int(1, 20) * DAY : 0),
    magicLinkLogin: rng.chance(0.35),
    cachedUntil: 0,
    hasCookie: rng.chance(0.7),
    own: { messages: [], drafts: [], orders: [], admin: [], searches: [], docs: [] },
    leaks: [],
    mailbox: undefined,
    privateFeed: undefined,
    team: undefined,
    workHours: options.workHours ?? false,
  };
}

export { MINUTE, HOUR, DAY };
