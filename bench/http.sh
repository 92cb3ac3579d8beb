#!/usr/bin/env bash
# HTTP benchmark of search and subject profiles against an existing data directory.
# Usage: bench/http.sh DATA_DIR [DURATION=30s] [CONNECTIONS=32]
# Needs wrk (Debian package `wrk`) and a release build (cargo build --release). With CREDO_STORE=postgres://… the
# server (and the choice of paths) use that database instead of DATA_DIR/credo.sqlite.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; duration=${2:-30s}; conns=${3:-32}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8099
out=$(mktemp -d)
python3 bench/paths.py "$data" "$out"
# The per-address rate limit is for the public internet; wrk is one address asking thousands of times a second.
CREDO_LOG=warn,credo_app::checks=info,credo_app::listing=info "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
echo "startup RSS: $(grep VmRSS /proc/$pid/status)"
# The restriction index and the publicity lists are built in the background after a start; CREDO_BENCH_SETTLE=N
# waits N seconds for them, so that the run measures the answers and not the building.
sleep "${CREDO_BENCH_SETTLE:-0}"
for kind in search profile; do
  # Warm-up, then the measured run (one wrk thread leaves the second core to the server).
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d5s -s bench/paths.lua "http://$addr" >/dev/null
  echo "== $kind: wrk -t1 -c$conns -d$duration"
  CREDO_PATHS="$out/$kind.txt" wrk -t1 -c"$conns" -d"$duration" --latency -s bench/paths.lua "http://$addr" \
    | grep -E "Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx"
done
echo "server peak RSS: $(grep VmHWM /proc/$pid/status)"
