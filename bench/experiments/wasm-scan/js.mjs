// The same relaxed scan as scan.c, in JavaScript (byte loops; Buffer.indexOf for the line end
// and the two quoted fields, as the product's scanner does). See run.sh.
import { openSync, readSync } from 'node:fs';
const CH = 4 << 20; const buf = Buffer.allocUnsafe(CH); const out = new Int32Array((CH / 40 | 0) * 12);
const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
function find(b, pos, end, c) { while (pos < end && b[pos] !== c) pos++; return pos; }
let hh = 0, hl = 0;
function hash(b, s, e) {
  let h = (0x9e3779b1 ^ (e - s)) | 0, l = 0x85ebca6b | 0; let i = s;
  for (; i + 8 <= e; i += 8) { const w0 = view.getInt32(i, true), w1 = view.getInt32(i + 4, true);
    h = Math.imul(h ^ w0, 0xcc9e2d51); h ^= h >>> 15; l = Math.imul(l ^ w1, 0x1b873593); l ^= l >>> 13; h = (h + l) | 0; l = (l + h) | 0; }
  for (; i < e; i++) { h = Math.imul(h ^ b[i], 0x01000193); l = (l + h) | 0; }
  hh = h; hl = l;
}
function scan(b, len) {
  let pos = 0, n = 0;
  while (pos < len) {
    let end = b.indexOf(10, pos); if (end < 0 || end >= len) break;
    const o = n * 12; let at = pos;
    const ipEnd = find(b, at, end, 32); at = find(b, ipEnd + 1, end, 32); at = find(b, at + 1, end, 32);
    const t = at + 2; at = t + 26;
    if (at + 3 >= end || b[at] !== 93) { out[o] = -1; n++; pos = end + 1; continue; }
    const ms = at + 3; const me = find(b, ms, end, 32);
    const ts = me + 1; let lastSpace = -1, q = ts;
    for (; q < end; q++) { const c = b[q]; if (c === 34) break; if (c === 32) lastSpace = q; else if (c < 32 || c === 127 || c === 92) { q = -1; break; } }
    if (q < 0) { out[o] = -1; n++; pos = end + 1; continue; }
    const te = lastSpace > ts ? lastSpace : q; const st = q + 2;
    const status = (b[st] - 48) * 100 + (b[st + 1] - 48) * 10 + (b[st + 2] - 48);
    let bs = st + 4, bytes = 0; while (bs < end && b[bs] >= 48 && b[bs] <= 57) { bytes = bytes * 10 + b[bs] - 48; bs++; }
    const rs = bs + 2; const re = b.indexOf(34, rs); const as = re + 3; const ae = b.indexOf(34, as);
    let pe = ts; while (pe < te && b[pe] !== 63 && b[pe] !== 35 && b[pe] !== 59) pe++;
    hash(b, ts, te);
    out[o] = pos; out[o + 1] = ipEnd; out[o + 2] = t; out[o + 3] = ts; out[o + 4] = te; out[o + 5] = status; out[o + 6] = bytes; out[o + 7] = rs; out[o + 8] = re; out[o + 9] = ae; out[o + 10] = hh; out[o + 11] = hl;
    n++; pos = end + 1;
  }
  return [pos, n];
}
const fd = openSync(process.argv[2], 'r'); let carry = 0, lines = 0, sum = 0; const t0 = performance.now();
for (;;) { const read = readSync(fd, buf, carry, CH - carry, null); const length = carry + read; if (read === 0) break;
  const [done, count] = scan(buf, length); lines += count; for (let i = 0; i < count; i++) sum += out[i * 12 + 5];
  carry = length - done; buf.copy(buf, 0, done, length); }
const s = (performance.now() - t0) / 1000; console.log('js relaxed scan', lines, 'lines', s.toFixed(2), 's', (lines / s / 1e6).toFixed(2), 'M lines/s', sum);
