#!/usr/bin/env node
// For labelling real-log candidates from the raw lines (test/realworld/labels/README.md): prints
// every record of the given addresses and, for each URL they requested, everyone else who
// requested it (time, address, status, bytes, agent). It shows the log, never a verdict.
// Usage: node scripts/label-view.js LOG ADDRESS [ADDRESS ...] [--others N]
import { expandInputs } from '../dist/ingest/index.js';
import { scanInputs } from '../dist/formats/index.js';

const args = process.argv.slice(2);
let others = 12;
const at = args.indexOf('--others');
if (at >= 0) {
  others = Number(args[at + 1]);
  args.splice(at, 2);
}
const [log, ...addresses] = args;
if (!log || addresses.length === 0) {
  console.error('usage: node scripts/label-view.js LOG ADDRESS [ADDRESS ...] [--others N]');
  process.exit(2);
}
const wanted = new Set(addresses);
const records = [];
const inputs = await expandInputs([log]);
await scanInputs(inputs, null, (record) => {
  const r = record.toObject();
  records.push([r.time, r.ip, r.method, r.url, r.protocol, r.status, r.bytes, r.referrer, r.userAgent]);
});
const byUrl = new Map();
for (const r of records) {
  let list = byUrl.get(r[3]);
  if (!list) byUrl.set(r[3], (list = []));
  list.push(r);
}
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const show = (r) => `${iso(r[0])} ${r[1]} ${r[2]} ${JSON.stringify(r[3]).slice(1, -1)} ${r[4]} ${r[5]} ${r[6]} ref=${JSON.stringify(r[7])} ua=${JSON.stringify(r[8])}`;
for (const address of wanted) {
  const mine = records.filter((r) => r[1] === address);
  console.log(`\n######## ${address}: ${mine.length} records`);
  for (const r of mine) console.log('  ' + show(r));
  const urls = [...new Set(mine.map((r) => r[3]))];
  console.log(`  -- its ${urls.length} distinct URLs, with every other client that requested each (distinct clients over the whole log):`);
  for (const url of urls) {
    const all = byUrl.get(url);
    const clients = new Set(all.map((r) => r[1]));
    const rest = all.filter((r) => r[1] !== address);
    console.log(`  URL ${JSON.stringify(url).slice(1, -1)}  [${clients.size} clients, ${all.length} requests]`);
    // the other requests nearest in time to this address's own requests of the URL
    const times = mine.filter((r) => r[3] === url).map((r) => r[0]);
    const distance = (r) => Math.min(...times.map((time) => Math.abs(r[0] - time)));
    const nearest = [...rest].sort((a, b) => distance(a) - distance(b)).slice(0, others).sort((a, b) => a[0] - b[0]);
    for (const r of nearest) console.log('      ' + show(r));
    if (rest.length > others) console.log(`      … ${rest.length - others} more, farther in time`);
  }
}
