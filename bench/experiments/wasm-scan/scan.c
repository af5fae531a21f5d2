/*
 * A measurement, not part of replaywatch: how fast the byte work of a combined-log scan runs in
 * WebAssembly with SIMD, against the same algorithm in JavaScript (js.mjs). Per line: find the
 * line end, the address, the time, the method, the request target (checking its bytes), status,
 * body bytes, the referrer and user-agent quotes, the path's end, and a 64-bit hash of the URL.
 * It is looser than src/formats/combined-scanner.ts (no time parse, fewer checks), so it bounds
 * what moving the scanner alone would gain. Build and run: bash run.sh FILE.
 */
#include <stdint.h>
#include <wasm_simd128.h>
static int lines_out;
__attribute__((export_name("lines"))) int lines(void) { return lines_out; }
typedef uint8_t u8;
static inline int find(const u8* b, int pos, int end, u8 c) {
  v128_t needle = wasm_i8x16_splat(c);
  while (pos + 16 <= end) {
    v128_t v = wasm_v128_load(b + pos);
    int m = wasm_i8x16_bitmask(wasm_i8x16_eq(v, needle));
    if (m) return pos + __builtin_ctz(m);
    pos += 16;
  }
  while (pos < end && b[pos] != c) pos++;
  return pos;
}
static uint32_t hh, hl;
static void hash(const u8* b, int s, int e) {
  uint32_t h = 0x9e3779b1u ^ (uint32_t)(e - s), l = 0x85ebca6bu;
  int i = s;
  for (; i + 8 <= e; i += 8) {
    uint32_t w0 = b[i] | b[i+1] << 8 | b[i+2] << 16 | (uint32_t)b[i+3] << 24;
    uint32_t w1 = b[i+4] | b[i+5] << 8 | b[i+6] << 16 | (uint32_t)b[i+7] << 24;
    h = (h ^ w0) * 0xcc9e2d51u; h ^= h >> 15; l = (l ^ w1) * 0x1b873593u; l ^= l >> 13; h += l; l += h;
  }
  for (; i < e; i++) { h = (h ^ b[i]) * 0x01000193u; l += h; }
  hh = h; hl = l;
}
__attribute__((export_name("scan")))
int scan(const u8* b, int len, int32_t* out) {
  int pos = 0, n = 0;
  while (pos < len) {
    int end = find(b, pos, len, '\n');
    if (end >= len) break;
    int32_t* o = out + n * 12;
    int at = pos;
    int ipEnd = find(b, at, end, ' ');
    at = find(b, ipEnd + 1, end, ' ');
    at = find(b, at + 1, end, ' ');
    // [time] 28 bytes
    int t = at + 2;
    at = t + 26;
    if (at + 3 >= end || b[at] != ']') { o[0] = -1; n++; pos = end + 1; continue; }
    int ms = at + 3;
    int me = find(b, ms, end, ' ');
    int ts = me + 1, lastSpace = -1, q = ts;
    for (; q < end; q++) { u8 c = b[q]; if (c == '"') break; if (c == ' ') lastSpace = q; else if (c < 32 || c == 127 || c == '\\') { q = -1; break; } }
    if (q < 0) { o[0] = -1; n++; pos = end + 1; continue; }
    int te = lastSpace > ts ? lastSpace : q;
    int st = q + 2;
    int status = (b[st]-48)*100 + (b[st+1]-48)*10 + (b[st+2]-48);
    int bs = st + 4, bytes = 0;
    while (bs < end && b[bs] >= '0' && b[bs] <= '9') { bytes = bytes * 10 + b[bs] - 48; bs++; }
    int rs = bs + 2; int re = find(b, rs, end, '"');
    int as = re + 3; int ae = find(b, as, end, '"');
    int pe = ts; while (pe < te && b[pe] != '?' && b[pe] != '#' && b[pe] != ';') pe++;
    hash(b, ts, te);
    o[0] = pos; o[1] = ipEnd; o[2] = t; o[3] = ts; o[4] = te; o[5] = status; o[6] = bytes; o[7] = rs; o[8] = re; o[9] = ae; o[10] = (int32_t)hh; o[11] = (int32_t)hl; (void)pe;
    n++;
    pos = end + 1;
  }
  lines_out = n;
  lines_out = n;
  return pos;
}
