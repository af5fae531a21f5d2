// The relaxed combined-log scan of scan.c (split, fields, URL hash, path end), compiled to
// WebAssembly with SIMD, over 4 MiB chunks read straight into its memory. See run.sh.
import { readFileSync, openSync, readSync } from 'node:fs';
const memory = new WebAssembly.Memory({ initial: 1024 }); // 64 MiB
const { instance } = await WebAssembly.instantiate(readFileSync(new URL('./scan.wasm', import.meta.url)), { env: { memory } });
const scan = instance.exports.scan;
const IN = 1 << 20, CH = 4 << 20, OUT = 8 << 20;
const heap = new Uint8Array(memory.buffer);
const buf = Buffer.from(memory.buffer, IN, CH);
const fd = openSync(process.argv[2], 'r');
let carry = 0, lines = 0; const t = performance.now(); let sum = 0;
const out = new Int32Array(memory.buffer, OUT, (CH / 40) * 12 | 0);
for (;;) {
  const read = readSync(fd, buf, carry, CH - carry, null);
  const length = carry + read; if (read === 0) break;
  const done = scan(IN, length, OUT);
  const count = instance.exports.lines();
  lines += count;
  for (let i = 0; i < count; i++) sum += out[i * 12 + 5];
  carry = length - done; buf.copy(buf, 0, done, length);
}
const s = (performance.now() - t) / 1000;
console.log('wasm scan', lines, 'lines', s.toFixed(2), 's', (lines / s / 1e6).toFixed(2), 'M lines/s', sum);
