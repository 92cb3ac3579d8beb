#!/usr/bin/env bash
# Delta feed and export benchmark against an existing data directory (e.g. from `credo demo --subjects 1000000
# --no-serve`):
# 1. the server running, the whole public feed read over HTTP from sequence 0 with `limit` events a page
#    (events/s to the client, pages, events);
# 2. `credo export --format jsonl` and `--format ftm` of everything (time, peak memory, size).
# Usage: bench/feed.sh DATA_DIR [LIMIT=5000] [MAX_PAGES=0: all]. Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; limit=${2:-5000}; max_pages=${3:-0}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8098
CREDO_LOG=warn "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 --rate-per-key 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
python3 - "http://$addr" "$limit" "$max_pages" <<'PY'
import json, sys, time, urllib.request
base, limit, max_pages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
after, events, pages, size, t0 = 0, 0, 0, 0, time.time()
ops = {}
while True:
    with urllib.request.urlopen(f"{base}/api/v1/feed?after={after}&limit={limit}") as r:
        body = r.read()
    page = json.loads(body)
    size += len(body); pages += 1; events += len(page["events"])
    for e in page["events"]:
        ops[e["op"]] = ops.get(e["op"], 0) + 1
    after = page["next"]
    if not page["more"] or (max_pages and pages >= max_pages):
        break
dt = time.time() - t0
print(f"feed: {events} events ({ops}) in {pages} pages, {dt:.1f} s: {events/dt:,.0f} events/s, {size/dt/1e6:.1f} MB/s, up to seq {after}")
PY
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
for format in jsonl ftm; do
  out=$(mktemp /tmp/credo-export.XXXXXX)
  /usr/bin/time -f "export $format: %e s wall, %M KB peak RSS" env CREDO_LOG=warn "$bin" export --data "$data" --format "$format" --out "$out"
  echo "  $(du -h "$out" | cut -f1) ($(gzip -c "$out" | wc -c | numfmt --to=iec) gzipped)"
  rm -f "$out"
done
