#!/usr/bin/env bash
# Import benchmark: ROWS synthetic 行政处罚 rows from CSV into a fresh store, end to end (parse, validate,
# resolve, store, index), and beside it the raw SQLite insert rate of the same rows (the ceiling).
# Usage: bench/import.sh [ROWS=1000000] [WORK_DIR=/tmp/credo-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; work=${2:-/tmp/credo-bench}
cargo build --release -q -p credo -p credo-store --example raw_insert
mkdir -p "$work"
csv="$work/xzcf-$rows.csv"
[ -f "$csv" ] || target/release/credo synth --rows "$rows" --subjects $((rows / 5)) --out "$csv" >/dev/null
rm -rf "$work/store"
echo "== credo import ($rows rows)"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" target/release/credo import --data "$work/store" --item xzcf \
  --dept 11630100MB17400002 --report "$work/report.csv" "$csv" 2>&1 | grep -v "已登记"
echo "== raw SQLite insert of the same rows"
target/release/examples/raw_insert "$csv" "$work/raw"
