#!/usr/bin/env bash
# A measurement spike (docs/PERFORMANCE.md, "What is left"): the byte work of a combined-log
# scan in WebAssembly with SIMD against the same algorithm in JavaScript, on one file.
#   bash bench/experiments/wasm-scan/run.sh bench/out/access-10M.log
# Needs Debian's clang-14 and lld-14 (installed with apt-get when missing and run as root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
file="${1:?usage: run.sh FILE}"
if ! command -v clang-14 >/dev/null || ! command -v wasm-ld-14 >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "run.sh: clang-14 and lld-14 are needed (apt-get install clang-14 lld-14)" >&2; exit 2; }
  apt-get install -y -q clang-14 lld-14 >/dev/null
fi
clang-14 --target=wasm32 -O3 -msimd128 -nostdlib -fuse-ld=lld -Wl,--no-entry -Wl,--import-memory -Wl,--export-dynamic \
  -o "$here/scan.wasm" "$here/scan.c"
for run in 1 2 3; do
  node "$here/js.mjs" "$file"
  node "$here/wasm.mjs" "$file"
done
