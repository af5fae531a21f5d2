#!/usr/bin/env bash
# The performance benchmark (issue 4), `npm run bench`. Not part of `npm test`.
#
# In one run and on the same files it times `replaywatch scan --json --offline` end to end
# (1 and 2 workers), GoAccess (Debian's goaccess, JSON output), `wc -l` and `grep -c`, plus .gz
# input against Node's own zlib gunzipping the same file to nowhere, and a hostile log where
# every line is a new URL. It prints a markdown table (lines/s, MB/s, peak RSS from
# /usr/bin/time -v, ratios to GoAccess and wc -l) and writes it to bench/out/results.md.
# It compares; it asserts nothing.
#
#   bench/run.sh                 # 10 M lines (about 2.6 GB), as in docs/PERFORMANCE.md
#   bench/run.sh --lines 1M      # a quicker run
#   options: --lines N  --out DIR  --repeat N (best of N for every tool but GoAccess; default 2)
#            --no-goaccess  --no-gz  --no-hostile  --json (adds nginx-json rows)
# The machine should be otherwise idle: the load average before and after is printed with the
# table, and the best of --repeat runs is kept to damp other processes' noise.
set -euo pipefail
cd "$(dirname "$0")/.."

lines=10M
out=bench/out
goaccess=1
gz=1
hostile=1
json=0
repeat=2
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-goaccess) goaccess=0; shift ;;
    --no-gz) gz=0; shift ;;
    --no-hostile) hostile=0; shift ;;
    --json) json=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"

# the tools it measures with: Debian's time (for peak RSS) and goaccess
need=()
[ -x /usr/bin/time ] || need+=(time)
if [ "$goaccess" = 1 ] && ! command -v goaccess >/dev/null; then need+=(goaccess); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing ${need[*]} from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "bench: needs ${need[*]} (apt-get install ${need[*]})" >&2
    exit 2
  fi
fi

echo "bench: building" >&2
npx tsc -p tsconfig.json

log="$out/access-$lines.log"
hostile_log="$out/hostile-$lines.log"
json_log="$out/access-$lines.jsonl"
[ -s "$log" ] || { echo "bench: generating $log" >&2; node bench/generate-log.js --lines "$lines" --out "$log"; }
if [ "$hostile" = 1 ]; then [ -s "$hostile_log" ] || { echo "bench: generating $hostile_log" >&2; node bench/generate-log.js --lines "$lines" --hostile --out "$hostile_log"; }; fi
if [ "$json" = 1 ]; then [ -s "$json_log" ] || { echo "bench: generating $json_log" >&2; node bench/generate-log.js --lines "$lines" --format nginx-json --out "$json_log"; }; fi
if [ "$gz" = 1 ]; then [ -s "$log.gz" ] || { echo "bench: compressing $log (gzip -6)" >&2; gzip -6 -c "$log" > "$log.gz"; }; fi

results="$out/measurements.tsv"
: > "$results"
# measure NAME INPUT-FILE LINES command... : wall seconds and peak RSS of the command, best of
# $repeat runs (GoAccess runs once: it takes minutes)
measure() {
  local name=$1 input=$2 count=$3
  shift 3
  local runs=$repeat best_seconds='' best_rss='' best_cpu=''
  case "$name" in goaccess*) runs=1 ;; esac
  for ((run = 1; run <= runs; run++)); do
    echo "bench: $name (run $run of $runs)" >&2
    # warm the page cache so every tool reads from memory, as the others did before it
    cat "$input" > /dev/null
    /usr/bin/time -v -o "$out/time.txt" "$@" > "$out/stdout.txt" 2> "$out/stderr.txt" || true
    local seconds rss
    seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$out/time.txt")
    if [ -z "$best_seconds" ] || awk -v a="$seconds" -v b="$best_seconds" 'BEGIN { exit !(a < b) }'; then
      best_seconds=$seconds
      best_rss=$rss
      best_cpu=$cpu
    fi
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$input" "$count" "$best_seconds" "$best_rss" "$best_cpu" >> "$results"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
count=$(wc -l < "$log")
rw=(node bin/replaywatch.js scan --json --offline --no-progress)
measure 'wc -l' "$log" "$count" wc -l "$log"
measure "grep -c ' 404 ' (LC_ALL=C)" "$log" "$count" env LC_ALL=C grep -c ' 404 ' "$log"
measure 'replaywatch scan --workers 1' "$log" "$count" "${rw[@]}" --workers 1 "$log"
cp "$out/stdout.txt" "$out/report-workers-1.json"
measure 'replaywatch scan --workers 2' "$log" "$count" "${rw[@]}" --workers 2 "$log"
cp "$out/stdout.txt" "$out/report-workers-2.json"
same=no
cmp -s "$out/report-workers-1.json" "$out/report-workers-2.json" && same=yes
if [ "$goaccess" = 1 ]; then
  measure 'goaccess --log-format=COMBINED -o report.json' "$log" "$count" goaccess "$log" --log-format=COMBINED --no-global-config -o "$out/goaccess.json"
fi
if [ "$gz" = 1 ]; then
  measure 'node zlib gunzip to nowhere' "$log.gz" "$count" node -e '
    const { createReadStream } = require("node:fs");
    const { createGunzip } = require("node:zlib");
    createReadStream(process.argv[1], { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 })).on("data", () => {});' "$log.gz"
  measure 'replaywatch scan .gz --workers 1' "$log.gz" "$count" "${rw[@]}" --workers 1 "$log.gz"
  cp "$out/stdout.txt" "$out/report-gz-workers-1.json"
  measure 'replaywatch scan .gz --workers 2' "$log.gz" "$count" "${rw[@]}" --workers 2 "$log.gz"
  cmp -s "$out/report-gz-workers-1.json" "$out/stdout.txt" || same=no
fi
if [ "$json" = 1 ]; then
  jcount=$(wc -l < "$json_log")
  measure 'replaywatch scan nginx-json --workers 1' "$json_log" "$jcount" "${rw[@]}" --workers 1 "$json_log"
  measure 'replaywatch scan nginx-json --workers 2' "$json_log" "$jcount" "${rw[@]}" --workers 2 "$json_log"
fi
if [ "$hostile" = 1 ]; then
  hcount=$(wc -l < "$hostile_log")
  measure 'replaywatch scan hostile --workers 1' "$hostile_log" "$hcount" "${rw[@]}" --workers 1 "$hostile_log"
  hostile_warning=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.warnings.find((w) => w.includes("rare-URL detail")) ?? "(no detail dropped)")' "$out/stdout.txt" 2>/dev/null || echo '(no report)')
  measure 'replaywatch scan hostile --workers 2' "$hostile_log" "$hcount" "${rw[@]}" --workers 2 "$hostile_log"
fi

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
node - "$results" "$out/results.md" "$same" "${hostile_warning:-}" "$load_before" "$load_after" "$repeat" <<'EOF'
const fs = require('node:fs');
const os = require('node:os');
const [results, target, same, hostileWarning, loadBefore, loadAfter, repeat] = process.argv.slice(2);
const rows = fs.readFileSync(results, 'utf8').trim().split('\n').map((line) => {
  const [name, input, lines, seconds, rss, cpu] = line.split('\t');
  // MB/s counts log bytes: for .gz, the decompressed size (the plain file beside it)
  const plain = input.endsWith('.gz') && fs.existsSync(input.slice(0, -3)) ? input.slice(0, -3) : input;
  // /usr/bin/time counts hundredths of a second
  return { name, input, lines: Number(lines), seconds: Math.max(0.01, Number(seconds)), rss: Number(rss) * 1024, cpu: Number(cpu), bytes: fs.statSync(plain).size, onDisk: fs.statSync(input).size };
});
const rate = (row) => row.lines / row.seconds;
const find = (prefix) => rows.find((row) => row.name.startsWith(prefix));
const goaccess = find('goaccess');
const wc = find('wc -l');
const zlib = find('node zlib');
const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0]?.model || 'unknown';
const out = [];
out.push(`Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores (nproc ${os.availableParallelism?.() ?? os.cpus().length}), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}.`);
out.push(`Load average before ${loadBefore}, after ${loadAfter}; best of ${repeat} runs (GoAccess: one run); page cache warm for every run. CPU s: user + system seconds of that run, all threads.`);
out.push('');
out.push('| what | input | lines | seconds | CPU s | lines/s | MB/s | peak RSS | vs GoAccess | vs wc -l |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const mb = row.bytes / 1e6 / row.seconds;
  const vsGoaccess = goaccess ? `${(rate(row) / rate(goaccess)).toFixed(1)}×` : '';
  const vsWc = wc ? `${(rate(row) / rate(wc)).toFixed(2)}×` : '';
  out.push(`| ${row.name} | ${row.input.split('/').pop()} (${(row.onDisk / 1e9).toFixed(2)} GB) | ${row.lines.toLocaleString('en')} | ${row.seconds.toFixed(2)} | ${row.cpu.toFixed(2)} | ${(rate(row) / 1e6).toFixed(2)} M | ${mb.toFixed(0)} | ${(row.rss / 2 ** 20).toFixed(0)} MB | ${vsGoaccess} | ${vsWc} |`);
}
out.push('');
const gzRows = rows.filter((row) => row.name.startsWith('replaywatch scan .gz'));
if (gzRows.length > 0 && zlib) out.push(`.gz input: replaywatch reads at ${gzRows.map((row) => `${((zlib.seconds / row.seconds) * 100).toFixed(0)}% (${row.name.replace('replaywatch scan .gz ', '')})`).join(', ')} of the throughput of Node's zlib gunzipping the same file to nowhere.`);
out.push(`JSON report identical with --workers 1 and --workers 2 (plain and .gz): ${same}.`);
if (hostileWarning) out.push(`Hostile log, one worker, default budget: ${hostileWarning}`);
const text = out.join('\n') + '\n';
fs.writeFileSync(target, text);
process.stdout.write(text);
EOF
