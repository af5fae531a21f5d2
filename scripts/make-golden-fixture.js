#!/usr/bin/env node
// Writes test/fixtures/golden/access.log: a small, hand-shaped combined log (ours, not copied)
// with people, a replay cloud in the incident's documented ranges, a mail scanner, a link
// previewer, a crawler, a fake crawler and a prober. Deterministic; run once, commit the file.
import { writeFileSync } from 'node:fs';

const lines = [];
const browser = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const old = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)';
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const stamp = (ms) => {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
};
const add = (ms, ip, method, url, status, bytes, referrer, agent, protocol = 'HTTP/1.1') =>
  lines.push({ ms, text: `${ip} - - [${stamp(ms)}] "${method} ${url} ${protocol}" ${status} ${bytes} "${referrer}" "${agent}"` });

const base = Date.UTC(2026, 2, 2, 8, 0, 0);
const minute = 60_000;
const people = ['73.12.9.4', '81.2.69.160', '86.178.80.51', '2a02:8108:1a40:7e00:1c2b:aa1:51e0:9f3', '98.206.132.18', '24.16.33.7'];
people.forEach((ip, user) => {
  let t = base + user * 47 * minute;
  add(t, ip, 'POST', '/login', 302, 0, 'https://shop.example/login', browser);
  for (let page = 0; page < 4; page++) {
    t += (3 + page) * minute;
    const url = page === 1 ? `/account/orders/${7000 + user}` : page === 3 ? `/search?q=user${user}+gift+ideas` : `/products/${100 + page}`;
    add(t, ip, 'GET', url, 200, 31022 + user * 10, 'https://shop.example/', browser);
    add(t + 900, ip, 'GET', '/static/site.css', 200, 8400, `https://shop.example${url}`, browser);
    add(t + 950, ip, 'GET', `/static/img/p${page}.jpg`, 200, 55000, `https://shop.example${url}`, browser);
    if ((page === 1 || page === 3) && user < 5) {
      const replayer = ['150.70.97.43', '150.70.97.44', '216.104.15.130'][(user + page) % 3];
      add(t + (20 + user * 7) * minute, replayer, 'GET', url, 403, 554, '-', old, 'HTTP/1.0');
    }
  }
});
// a mail scanner opens a magic link before the person
for (let mail = 0; mail < 3; mail++) {
  const t = base + 5 * 3600_000 + mail * 31 * minute;
  const token = `/auth/magic?token=g0ld${mail}x7Qp2vLm${mail}`;
  add(t + 4000, `40.107.${mail}.${20 + mail}`, 'HEAD', token, 200, 0, '-', browser);
  add(t + 5000, `40.107.${mail}.${20 + mail}`, 'GET', token, 200, 4700, '-', browser);
  add(t + (2 + mail) * minute, people[mail], 'GET', token, 410, 1670, '-', browser);
}
// a link previewer, a crawler, a fake crawler, a prober
add(base + 2 * 3600_000, '3.91.10.20', 'GET', '/products/101', 200, 31000, '-', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)');
for (let i = 0; i < 3; i++) add(base + 3 * 3600_000 + i * minute, '66.249.66.1', 'GET', `/products/${100 + i}`, 200, 31000, '-', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
add(base + 3 * 3600_000, '45.155.205.9', 'GET', '/products/100', 200, 31000, '-', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)');
['//phpmyadmin/', '/.env', '/.git/config', '/wp-login.php'].forEach((url, i) => add(base + 4 * 3600_000 + i * 1000, '185.224.128.49', 'GET', url, 404, 196, '-', 'Mozilla/5.0 zgrab/0.x'));
// one broken line, counted with its reason
lines.push({ ms: base + 6 * 3600_000, text: '10.0.0.1 - - [02/Mar/2026:14:00:00 +0000] "GET /truncated' });

lines.sort((a, b) => a.ms - b.ms);
writeFileSync(new URL('../test/fixtures/golden/access.log', import.meta.url), lines.map((line) => line.text).join('\n') + '\n');
console.log(`wrote ${lines.length} lines`);
