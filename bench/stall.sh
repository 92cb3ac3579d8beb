#!/usr/bin/env bash
# Does an upload stall other requests? Two department uploads at once — ROWS valid 行政处罚 rows, and rows a million
# cells wide — while /healthz is asked every 20 ms; prints the upload times and the /healthz latencies.
# Usage: bench/stall.sh [ROWS=200000] [WORK_DIR=/tmp/credo-stall]   (needs curl and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-200000}; work=${2:-/tmp/credo-stall}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8098
mkdir -p "$work"; rm -rf "$work/store"
csv="$work/xzcf-$rows.csv"
[ -f "$csv" ] || "$bin" synth --rows "$rows" --subjects $((rows / 5)) --out "$csv" >/dev/null
wide="$work/wide.csv"
[ -f "$wide" ] || python3 -c "
import sys
row = ','.join(['x'] * 1_000_000) + '\n'
with open('$wide', 'w') as f:
    f.write('行政相对人名称,行政处罚决定书文号\n')
    for _ in range(40): f.write(row)
"
dept=11630100MB17400002
"$bin" dept add --data "$work/store" --uscc "$dept" --name 西宁市市场监督管理局 --items xzcf >/dev/null
key=$("$bin" dept key --data "$work/store" --uscc "$dept" --scopes submit | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
CREDO_LOG=warn "$bin" serve --data "$work/store" --addr "$addr" --rate-per-address 0 --rate-per-key 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
upload() {
  curl -s -o /dev/null -w "$2: HTTP %{http_code} in %{time_total} s\n" -H "Authorization: Bearer $key" \
    -F item=xzcf -F "file=@$1" "http://$addr/api/v1/batches"
}
upload "$csv" "rows ($rows)" > "$work/up1.txt" & u1=$!
upload "$wide" "wide (40 rows x 1,000,000 cells)" > "$work/up2.txt" & u2=$!
: > "$work/lat.txt"
while kill -0 $u1 2>/dev/null || kill -0 $u2 2>/dev/null; do
  curl -s -o /dev/null -w "%{time_total}\n" "http://$addr/healthz" >> "$work/lat.txt"
  sleep 0.02
done
cat "$work/up1.txt" "$work/up2.txt"
sort -n "$work/lat.txt" | python3 -c '
import sys
v = [float(x) * 1000 for x in sys.stdin]
p = lambda q: v[min(len(v) - 1, int(q * len(v)))]
print(f"/healthz during the uploads: {len(v)} requests, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {v[-1]:.1f} ms")'
