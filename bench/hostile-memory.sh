#!/usr/bin/env bash
# The hostile-memory benchmark (issue 11, defect 2). Not part of `npm test`; it compares, it
# asserts nothing. A log where every line is a new client address, a new URL and a new user
# agent (generate-log.js --distinct) against a normal log of the same size, scanned on one
# thread (or --workers N) at the default memory budget and at 64MB, in alternating runs. Prints
# a markdown table: seconds, lines/s, peak RSS (/usr/bin/time), the ratio to the normal log,
# and the peak beyond the baseline: the peak of a scan of a log of one line repeated (as many
# bytes as the normal log's first 1 M lines: Node, the attribution tables, the line buffers
# and, with workers, the worker threads, with nothing to remember), which the budget bounds.
#
#   bench/hostile-memory.sh                          # 1 M lines each (about 180 MB per log)
#   bench/hostile-memory.sh --lines 5M               # the size of the issue's report (takes a while)
#   bench/hostile-memory.sh --lines 5M --workers 2
set -euo pipefail
cd "$(dirname "$0")/.."

lines=1M
out=bench/out
repeat=2
workers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "bench/hostile-memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
mkdir -p "$out"
npx tsc -p tsconfig.json
normal="$out/access-$lines.log"
distinct="$out/distinct-$lines.log"
[ -s "$normal" ] || node bench/generate-log.js --lines "$lines" --out "$normal"
[ -s "$distinct" ] || node bench/generate-log.js --lines "$lines" --distinct --out "$distinct"
count=$(wc -l < "$normal")
same="$out/same-line.log"
if [ ! -s "$same" ]; then
  line=$(head -n 1 "$normal")
  LINE=$line awk 'BEGIN { line = ENVIRON["LINE"]; for (i = 0; i < 1000000; i++) print line }' > "$same"
fi

# best of $repeat: seconds and peak RSS (MB) of one scan
measure() {
  local best_s='' best_rss=''
  for _ in $(seq "$repeat"); do
    /usr/bin/time -f '%e %M' -o "$out/time.txt" node bin/replaywatch.js scan "$@" --json --offline --workers "$workers" --no-progress --state /nonexistent/replaywatch-bench.duckdb > "$out/stdout.txt" || true
    # (a first line "Command exited with non-zero status 1" when sources were found)
    read -r seconds kb < <(tail -n 1 "$out/time.txt")
    if [ -z "$best_s" ] || awk "BEGIN { exit !($seconds < $best_s) }"; then best_s=$seconds; fi
    local mb=$((kb / 1024))
    if [ -z "$best_rss" ] || [ "$mb" -lt "$best_rss" ]; then best_rss=$mb; fi
  done
  echo "$best_s $best_rss"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "workers: $workers"
echo
echo "| log ($count lines) | budget | seconds | lines/s | peak RSS | time vs normal | peak - baseline |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for budget in 256MB 64MB; do
  read -r _ base_rss < <(measure "$same" --memory-budget "$budget")
  read -r normal_s normal_rss < <(measure "$normal" --memory-budget "$budget")
  read -r distinct_s distinct_rss < <(measure "$distinct" --memory-budget "$budget")
  echo "| baseline (one line repeated) | $budget | | | $base_rss MB | | |"
  for row in "normal $normal_s $normal_rss" "distinct $distinct_s $distinct_rss"; do
    set -- $row
    echo "| $1 | $budget | $2 | $(awk "BEGIN { printf \"%d\", $count / $2 }") | $3 MB | $(awk "BEGIN { printf \"%.2f\", $2 / $normal_s }")x | $(($3 - base_rss)) MB |"
  done
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
