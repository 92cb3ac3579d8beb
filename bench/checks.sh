#!/usr/bin/env bash
# Check benchmark against an existing data directory (e.g. from `credo demo --no-serve`): single checks over HTTP
# with keep-alive, the minimal handler (/healthz) in the same run for the ratio, and one batch of 10,000 codes.
# Usage: bench/checks.sh DATA_DIR [DURATION=20s] [CONNECTIONS=32]
# Needs wrk and a release build (cargo build --release). With CREDO_STORE=postgres://… the server, the key and the
# codes come from that database (read with psql) instead of DATA_DIR/credo.sqlite.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; duration=${2:-20s}; conns=${3:-32}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8098
out=$(mktemp -d)
sql() {
  if [[ "${CREDO_STORE:-}" == postgres* ]]; then psql "$CREDO_STORE" -At -c "$1"; else sqlite3 "$data/credo.sqlite" "$1"; fi
}
dept=$(sql "SELECT uscc FROM departments WHERE permissions LIKE '%zfcg%' LIMIT 1")
key=$(CREDO_LOG=warn "$bin" dept key --data "$data" --uscc "$dept" --scopes check 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
sql "SELECT code FROM subjects WHERE kind <> 'person' AND code IS NOT NULL ORDER BY random() LIMIT 10000" > "$out/codes.txt"
CREDO_LOG=warn,credo_server::checks=info,credo_app::checks=info,credo_app::listing=info "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 --rate-per-key 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
# The first check builds the restriction index.
/usr/bin/time -f "first check (builds the index): %e s" curl -sf -o /dev/null -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d "{\"scene\":\"zfcg\",\"purpose\":\"预热\",\"subjects\":[\"$(head -1 "$out/codes.txt")\"]}" \
  "http://$addr/api/v1/checks"
# The publicity lists are built in the background after a start; CREDO_BENCH_SETTLE=N waits N seconds for them, so
# that the run measures the checks and not the building.
sleep "${CREDO_BENCH_SETTLE:-0}"
echo "== minimal handler GET /healthz: wrk -t1 -c$conns -d$duration"
wrk -t1 -c"$conns" -d"$duration" --latency "http://$addr/healthz" | grep -E "Requests/sec|99%"
CREDO_CODES="$out/codes.txt" CREDO_KEY="$key" wrk -t1 -c"$conns" -d5s -s bench/checks.lua "http://$addr" >/dev/null
echo "== single checks POST /api/v1/checks: wrk -t1 -c$conns -d$duration"
CREDO_CODES="$out/codes.txt" CREDO_KEY="$key" wrk -t1 -c"$conns" -d"$duration" --latency -s bench/checks.lua "http://$addr" \
  | grep -E "Requests/sec|Latency|50%|90%|99%|requests in|Non-2xx"
python3 -c 'import json,sys; print(json.dumps({"scene":"zfcg","purpose":"批量基准","subjects":[l.strip() for l in open(sys.argv[1])]}))' \
  "$out/codes.txt" > "$out/batch.json"
echo "== one batch of $(wc -l < "$out/codes.txt") codes (three runs)"
for _ in 1 2 3; do
  curl -sf -o /dev/null -w "%{time_total} s\n" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    --data-binary @"$out/batch.json" "http://$addr/api/v1/checks"
done
echo "server peak RSS: $(grep VmHWM /proc/$pid/status)"
