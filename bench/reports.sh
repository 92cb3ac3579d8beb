#!/usr/bin/env bash
# Credit reports over HTTP: one organisation with RECORDS 行政处罚 records, its public report (signed PDF) asked by
# CONNS connections for DURATION; wrk prints reports/s and the latency percentiles. The per-address report limit is
# off for the run (--reports-per-hour 0); each report is still recorded for /verify.
# Usage: bench/reports.sh [RECORDS=200] [DURATION=20s] [CONNS=8] [WORK_DIR=/tmp/credo-bench-reports]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-200}; dur=${2:-20s}; conns=${3:-8}; work=${4:-/tmp/credo-bench-reports}
cargo build --release -q -p credo
rm -rf "$work"; mkdir -p "$work"
csv="$work/xzcf.csv"
target/release/credo synth --rows "$records" --subjects 1 --out "$csv" >/dev/null
target/release/credo import --data "$work/store" --item xzcf --dept 11630100MB17400002 "$csv" >/dev/null 2>&1
# The subject's 统一社会信用代码: the first 18-character code in the file that is not the department's.
code=$(grep -oE '\b[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\b' "$csv" | grep -v 11630100MB17400002 | sed -n 1p)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/credo serve --data "$work/store" --addr "127.0.0.1:$port" --rate-per-address 0 --reports-per-hour 0 \
  >"$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$port/api/v1/subjects/$code/report"
curl -sf -o "$work/one.pdf" "$url"
echo "subject $code: one report $(stat -c %s "$work/one.pdf") bytes, $(pdfinfo "$work/one.pdf" | awk '/^Pages/ {print $2}') pages"
wrk -t2 -c"$conns" -d"$dur" --latency "$url"
