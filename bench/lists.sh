#!/usr/bin/env bash
# The publicity lists (/lists/{list}) against an existing data directory (e.g. the 1,000,000-subject demo store):
# first pages, filtered pages and pages deep inside each list by keyset, after the list projection is built.
# Usage: bench/lists.sh DATA_DIR [DURATION=20s] [CONNECTIONS=4]
# Needs wrk and a release build. Few connections measure the time per page; run with 32 for the throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; duration=${2:-20s}; conns=${3:-4}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8096
out=$(mktemp -d)
python3 bench/lists.py "$data" "$out"
start=$(date +%s.%N)
CREDO_LOG=info "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 2>"$out/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
# The first list page waits for the projection when it is still being built: time it.
first=$(curl -s -o /dev/null -w '%{time_total}' "http://$addr/lists/sgs")
echo "first /lists/sgs after start: ${first}s (server up $(echo "$(date +%s.%N) - $start" | bc) s after launch)"
grep -h 'publicity lists built' "$out/server.log" | tail -2 || true
echo "startup RSS: $(grep VmRSS /proc/$pid/status)"
for kind in lists lists_text; do
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d5s -s bench/paths.lua "http://$addr" >/dev/null
  echo "== $kind: wrk -t1 -c$conns -d$duration"
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d"$duration" --latency -s bench/paths.lua "http://$addr" \
    | grep -E "Requests/sec|50%|90%|99%|requests in|Non-2xx"
done
echo "server peak RSS: $(grep VmHWM /proc/$pid/status)"
