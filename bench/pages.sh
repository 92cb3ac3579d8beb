#!/usr/bin/env bash
# The website's pages (home, search, subject) against an existing data directory (e.g. `credo demo --no-serve`).
# Usage: bench/pages.sh DATA_DIR [DURATION=20s] [CONNECTIONS=4]
# Needs wrk and a release build. Few connections measure the server's time per page (no queueing behind 32
# open connections on two cores); run with 32 as well to see the throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; duration=${2:-20s}; conns=${3:-4}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8097
out=$(mktemp -d)
python3 bench/paths.py "$data" "$out" >/dev/null
CREDO_LOG=warn "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
for kind in home_page search_page subject_page; do
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d5s -s bench/paths.lua "http://$addr" >/dev/null
  echo "== $kind: wrk -t1 -c$conns -d$duration"
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d"$duration" --latency -s bench/paths.lua "http://$addr" \
    | grep -E "Requests/sec|50%|90%|99%|Non-2xx"
done
