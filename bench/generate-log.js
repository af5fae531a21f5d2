#!/usr/bin/env node
/**
 * A fast generator of large, realistic access logs for the benchmarks (and the worker tests).
 *
 *   node bench/generate-log.js --lines 10000000 --format combined --out bench/out/access.log
 *   node bench/generate-log.js --lines 1000000 --format nginx-json --out /tmp/access.jsonl
 *   node bench/generate-log.js --lines 10000000 --hostile --out bench/out/hostile.log
 *
 * What is in it (deterministic for a given --seed): people with sessions (a page, then its
 * styles, scripts with cache-busting query strings, images and fonts, with referrers), their
 * searches with their own words (mostly unique URLs), private account pages, password-reset
 * links; IPv6 clients whose privacy addresses rotate inside their /64; Googlebot and bingbot
 * walking the articles; an uptime monitor; probes for phpMyAdmin and `.env`; an antivirus cloud
 * (150.70.0.0/16, 216.104.15.0/24) replaying a share of people's rare URLs minutes to hours
 * later over HTTP/1.0 and getting 403s; a realtime replayer; a mail link scanner that opens
 * reset links seconds before the user; Slackbot unfurling shared links.
 *
 * --hostile: every line is a new random URL from one of 100,000 clients (the memory-bound test).
 * --distinct: every line is a new URL from a new client address with a new user agent (the
 * memory-bound test of the client tables: bench/hostile-memory.sh).
 *
 * Lines are written in time order over --days days (default 14). Plain JS so it runs without a
 * build; about 1 M lines/s on one core, so 10 M lines (about 2.4 GB) take well under a minute.
 */
import { openSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

function parseArgs(argv) {
  const options = { lines: 10_000_000, format: 'combined', out: 'bench/out/access.log', seed: 1, days: 14, hostile: false, start: '2026-03-02T00:00:00Z' };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const value = () => argv[++index];
    if (arg === '--lines') options.lines = parseCount(value());
    else if (arg === '--format') options.format = value();
    else if (arg === '--out') options.out = value();
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--days') options.days = Number(value());
    else if (arg === '--start') options.start = value();
    else if (arg === '--hostile') options.hostile = true;
    else if (arg === '--distinct') options.distinct = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: generate-log.js [--lines N|10M|500k] [--format combined|nginx-json] [--out FILE|-] [--seed N] [--days N] [--start ISO-TIME] [--hostile] [--distinct]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (options.format !== 'combined' && options.format !== 'nginx-json') throw new Error(`--format must be combined or nginx-json`);
  return options;
}

function parseCount(text) {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text ?? '');
  if (!match) throw new Error(`not a count: ${text}`);
  const scale = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[match[2]];
  return Math.round(Number(match[1]) * scale);
}

/** xorshift128+-like state in two 32-bit halves is overkill; mulberry32 is fast and good enough here. */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (value) => (value < 10 ? '0' : '') + value;

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.165 Mobile Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
];
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BINGBOT = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
const MONITOR = 'Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)';
const SLACKBOT = 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)';
const OLD_AGENT = 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 5.1; Trident/4.0)';
const MAIL_SCANNER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36';
const PROBER_AGENT = 'Mozilla/5.0 zgrab/0.x';
const SITE = 'https://www.example.com';

const WORDS = (
  'router vpn garden kitchen invoice budget travel tokyo berlin winter summer python rust linux backup printer ' +
  'wedding mortgage doctor allergy recipe bicycle camera laptop insurance salary divorce lawyer pregnancy visa ' +
  'apartment rent school piano guitar football tickets flight hotel paris london madrid rome lisbon vienna ' +
  'prague dublin oslo helsinki warsaw budapest athens istanbul cairo nairobi lagos delhi mumbai seoul osaka ' +
  'sydney auckland toronto denver boston chicago seattle portland austin miami vegas phoenix dallas houston ' +
  'diabetes therapy anxiety sleep running yoga vegan coffee tea wine beer whisky chess poker bitcoin stocks ' +
  'pension tax refund loan credit debt charity volunteer election senate court police fire ambulance storm ' +
  'flood drought solar battery electric diesel tesla toyota honda bmw audi volvo kia ford jeep tractor boat'
).split(' ');
const PROBES = ['/.env', '//phpmyadmin/', '//_phpMyAdmin/', '//PMA2005/', '/wp-login.php', '/.git/config', '/phpmyadmin/index.php', '/admin.php', '/xmlrpc.php', '/.aws/credentials', '/cgi-bin/luci', '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php'];
const ARTICLES = 5000;
/** An article has one URL: its number and a slug. */
const articleUrl = (number) => `/articles/${number}-${WORDS[number % WORDS.length]}-${WORDS[(number * 7 + 3) % WORDS.length]}`;
const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const CATEGORIES = ['news', 'tech', 'travel', 'food', 'health', 'money', 'sport', 'culture'];

/** A binary min-heap of future lines, keyed by time (replays, delayed visits). */
class Pending {
  constructor() {
    this.times = [];
    this.items = [];
  }
  get size() {
    return this.times.length;
  }
  peekTime() {
    return this.times[0];
  }
  push(time, item) {
    const times = this.times;
    const items = this.items;
    let index = times.length;
    times.push(time);
    items.push(item);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent] <= time) break;
      times[index] = times[parent];
      items[index] = items[parent];
      index = parent;
    }
    times[index] = time;
    items[index] = item;
  }
  pop() {
    const times = this.times;
    const items = this.items;
    const top = items[0];
    const lastTime = times.pop();
    const lastItem = items.pop();
    const size = times.length;
    if (size > 0) {
      let index = 0;
      for (;;) {
        let child = 2 * index + 1;
        if (child >= size) break;
        if (child + 1 < size && times[child + 1] < times[child]) child++;
        if (times[child] >= lastTime) break;
        times[index] = times[child];
        items[index] = items[child];
        index = child;
      }
      times[index] = lastTime;
      items[index] = lastItem;
    }
    return top;
  }
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const random = prng(options.seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const hex = (digits) => {
    let text = '';
    for (let index = 0; index < digits; index += 2) text += HEX_PAIRS[Math.floor(random() * 256)];
    return digits % 2 === 0 ? text : text.slice(0, digits);
  };
  const json = options.format === 'nginx-json';

  const fd = options.out === '-' ? 1 : (mkdirSync(dirname(options.out), { recursive: true }), openSync(options.out, 'w'));
  // lines are written straight into one reused chunk: no big joined string, little garbage
  const chunk = Buffer.allocUnsafe(1 << 22);
  let used = 0;
  let written = 0;
  const flush = () => {
    let offset = 0;
    while (offset < used) offset += writeSync(fd, chunk, offset, used - offset);
    used = 0;
  };

  // time formatting is cached per second: most lines share their second with the previous one
  let cachedSecond = -1;
  let cachedText = '';
  const timeText = (ms) => {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      const date = new Date(second * 1000);
      cachedText = json
        ? date.toISOString().slice(0, 19) + '+00:00'
        : `${pad2(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} +0000`;
    }
    return cachedText;
  };

  const emit = (ms, ip, method, url, protocol, status, bytes, referrer, agent) => {
    // exactly --lines lines: a session cut at the end is fine
    if (written >= options.lines) return;
    let line;
    if (json) {
      line = `{"time_iso8601":"${timeText(ms)}","remote_addr":"${ip}","remote_user":"","request":"${method} ${url} ${protocol}","status":${status},"body_bytes_sent":${bytes},"request_time":"0.0${(bytes % 89) + 10}","http_referer":"${referrer === '-' ? '' : referrer}","http_user_agent":"${agent}"}\n`;
    } else {
      line = `${ip} - - [${timeText(ms)}] "${method} ${url} ${protocol}" ${status} ${bytes} "${referrer}" "${agent}"\n`;
    }
    if (used + line.length > chunk.length) flush();
    used += chunk.write(line, used, 'latin1');
    written++;
  };

  const start = Date.parse(options.start);
  const span = options.days * 86400_000;
  const step = span / Math.max(1, options.lines);
  let now = start;

  if (options.distinct) {
    while (written < options.lines) {
      now += step;
      // address n: 1.0.0.0 + n, skipping nothing (all distinct, all IPv4)
      const n = written + (1 << 24);
      emit(now, `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, 'GET', `/r/${hex(12)}?k=${hex(16)}`, 'HTTP/1.1', 200, 1000 + Math.floor(random() * 30000), '-', `Mozilla/5.0 (X11; Linux x86_64; rv:${written}) Gecko/20100101 Firefox/128.0`);
    }
    flush();
    if (fd !== 1) closeSync(fd);
    return;
  }
  if (options.hostile) {
    const clients = Array.from({ length: 100_000 }, (_, index) => `${10 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}.${1 + (index % 250)}`);
    while (written < options.lines) {
      now += step;
      emit(now, clients[Math.floor(random() * clients.length)], 'GET', `/r/${hex(12)}?k=${hex(16)}`, 'HTTP/1.1', 200, 1000 + Math.floor(random() * 30000), '-', BROWSERS[written % BROWSERS.length]);
    }
    flush();
    if (fd !== 1) closeSync(fd);
    return;
  }

  // people: about one per 50 lines, 15% on IPv6 (their /64 stays, the interface id rotates)
  const userCount = Math.max(200, Math.floor(options.lines / 50));
  const users = new Array(userCount);
  for (let index = 0; index < userCount; index++) {
    const ipv6 = random() < 0.15;
    users[index] = {
      ipv6,
      ip: ipv6 ? `2a02:${hex(4)}:${hex(4)}:${hex(4)}` : `${[73, 81, 86, 92, 98, 109, 176, 188, 212, 24][index % 10]}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`,
      agent: pick(BROWSERS),
      // about 3% run the antivirus that uploads their browsing
      infected: random() < 0.03,
      build: 0,
    };
  }
  const addressOf = (user) => (user.ipv6 ? `${user.ip}:${hex(4)}:${hex(4)}:${hex(4)}:${hex(4)}` : user.ip);
  const replayCloud = Array.from({ length: 24 }, (_, index) => (index < 20 ? `150.70.${96 + (index >> 2)}.${40 + index}` : `216.104.15.${128 + index}`));
  const realtimeReplayers = ['203.0.113.7', '203.0.113.8', '203.0.113.9'];
  const mailScanners = ['40.94.28.10', '40.94.28.11', '40.94.29.12', '40.94.30.13'];
  const googlebot = ['66.249.66.1', '66.249.66.33', '66.249.66.65', '66.249.79.10'];
  const bingbot = ['157.55.39.12', '157.55.39.40', '207.46.13.88'];
  const monitors = ['216.144.250.150', '69.162.124.226'];
  const probers = ['45.155.205.9', '185.224.128.17', '194.26.29.113', '2a06:4880:1000::21'];
  const slack = ['54.209.10.20', '3.90.44.71'];
  const pending = new Pending();
  const assetBuild = () => Math.floor((now - start) / 86400_000) + 1000;

  const session = (user) => {
    const ip = addressOf(user);
    const agent = user.agent;
    let referrer = random() < 0.5 ? 'https://www.google.com/' : '-';
    const pagesInSession = 1 + Math.floor(random() * 4);
    for (let page = 0; page < pagesInSession; page++) {
      const roll = random();
      let url;
      let privateUrl = false;
      let rare = false;
      if (roll < 0.45) url = articleUrl(Math.floor(ARTICLES * random() * random()));
      else if (roll < 0.70) {
        url = `/search?q=${pick(WORDS)}+${pick(WORDS)}+${pick(WORDS)}`;
        rare = true;
      } else if (roll < 0.80) url = `/${pick(CATEGORIES)}?page=${1 + Math.floor(random() * 20)}`;
      else if (roll < 0.88) {
        url = `/account/orders/${Math.floor(random() * 9_000_000) + 1_000_000}`;
        privateUrl = true;
        rare = true;
      } else if (roll < 0.92) {
        url = `/admin/drafts/${hex(8)}/edit`;
        privateUrl = true;
        rare = true;
      } else if (roll < 0.95) {
        url = `/share/${hex(10)}`;
        rare = true;
        // someone pasted it into Slack: the unfurl comes seconds later
        pending.push(now + 2000 + random() * 8000, [pick(slack), 'GET', url, 'HTTP/1.1', 200, 18000, '-', SLACKBOT]);
      } else if (roll < 0.97) {
        // a password-reset link: the mail scanner opens it seconds before the person does
        url = `/reset?token=${hex(24)}`;
        emit(now, pick(mailScanners), 'GET', url, 'HTTP/1.1', 200, 5200, '-', MAIL_SCANNER_AGENT);
        pending.push(now + 20_000 + random() * 200_000, [ip, 'GET', url, 'HTTP/1.1', 200, 1400, '-', agent]);
        return;
      } else {
        emit(now, ip, 'POST', '/login', 'HTTP/1.1', 302, 0, `${SITE}/login`, agent);
        url = '/account';
        privateUrl = true;
      }
      const bytes = 8000 + Math.floor(random() * 40000);
      emit(now, ip, 'GET', url, 'HTTP/1.1', 200, bytes, referrer, agent);
      const pageUrl = `${SITE}${url}`;
      emit(now, ip, 'GET', `/static/site.css?v=${assetBuild()}`, 'HTTP/1.1', 200, 24811, pageUrl, agent);
      emit(now, ip, 'GET', `/static/app.js?v=${assetBuild()}`, 'HTTP/1.1', 200, 91234, pageUrl, agent);
      emit(now, ip, 'GET', '/static/logo.png', 'HTTP/1.1', 200, 5120, pageUrl, agent);
      if (random() < 0.5) emit(now, ip, 'GET', '/static/fonts/inter.woff2', 'HTTP/1.1', 200, 48000, pageUrl, agent);
      if (url.startsWith('/articles/')) emit(now, ip, 'GET', `/images/${url.slice(10)}.jpg`, 'HTTP/1.1', 200, 120000, pageUrl, agent);
      // an XHR with a cache-busting timestamp: a unique URL per request
      if (random() < 0.3) emit(now, ip, 'GET', `/api/notifications?ts=${Math.floor(now)}`, 'HTTP/1.1', 200, 310, pageUrl, agent);
      if (user.infected && rare) {
        const lag = 60_000 * Math.exp(random() * 7); // one minute to about 18 hours
        pending.push(now + lag, [pick(replayCloud), 'GET', url, 'HTTP/1.0', privateUrl ? 403 : 200, privateUrl ? 1834 : 2200, '-', OLD_AGENT]);
      }
      if (rare && random() < 0.004) {
        pending.push(now + 5000 + random() * 40_000, [pick(realtimeReplayers), 'GET', url, 'HTTP/1.1', privateUrl ? 401 : 200, 900, '-', BROWSERS[0]]);
      }
      referrer = pageUrl;
      now += step;
    }
  };

  while (written < options.lines) {
    // time follows the line count, so the log spans --days whatever the mix
    now = Math.max(now + 1, start + written * step);
    while (pending.size > 0 && pending.peekTime() <= now) {
      const [ip, method, url, protocol, status, bytes, referrer, agent] = pending.pop();
      emit(now, ip, method, url, protocol, status, bytes, referrer, agent);
    }
    const roll = random();
    if (roll < 0.86) {
      // a few people visit often, most rarely
      session(users[Math.floor(userCount * random() * random())]);
    } else if (roll < 0.95) {
      const crawler = random() < 0.7;
      emit(now, pick(crawler ? googlebot : bingbot), 'GET', articleUrl(Math.floor(random() * ARTICLES)), 'HTTP/1.1', 200, 30000, '-', crawler ? GOOGLEBOT : BINGBOT);
    } else if (roll < 0.985) {
      emit(now, pick(monitors), 'HEAD', '/', 'HTTP/1.1', 200, 0, '-', MONITOR);
    } else {
      emit(now, pick(probers), 'GET', pick(PROBES), 'HTTP/1.1', 404, 162, '-', PROBER_AGENT);
    }
  }
  flush();
  if (fd !== 1) closeSync(fd);
}

main();
