#!/usr/bin/env bash
# Restriction index at start, against an existing data directory (e.g. `bench/import.sh 10000000` or `credo demo
# --no-serve`): starts `credo serve`, waits for the index (built in the background at start), prints its log line
# and the server's memory then, and stops the server. RUNS starts in a row: on a store without a snapshot the first
# builds the index from the records and writes its snapshot; the next ones read the snapshot.
# Usage: bench/index.sh DATA_DIR [RUNS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; runs=${2:-2}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8097
log=$(mktemp)
for run in $(seq 1 "$runs"); do
  : > "$log"
  NO_COLOR=1 CREDO_LOG=warn,credo_app::checks=info "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 \
    --rate-per-key 0 2> "$log" &
  pid=$!
  started=$(date +%s.%N)
  until grep -q "restriction index built" "$log"; do
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  ready=$(date +%s.%N)
  echo "== start $run: index ready $(python3 -c "print(round($ready - $started, 1))") s after the server started"
  grep "restriction index built" "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^.*INFO //'
  grep -E "VmRSS|VmHWM|RssAnon|RssFile" /proc/$pid/status | tr -s ' \t' ' '
  kill $pid; wait $pid 2>/dev/null || true
done
rm -f "$log"
