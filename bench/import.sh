#!/usr/bin/env bash
# Import benchmark: ROWS synthetic 行政处罚 rows from CSV into a fresh store, end to end (parse, validate,
# resolve, store, index), and beside it the raw insert rate of the same rows (the ceiling).
# Usage: bench/import.sh [ROWS=1000000] [WORK_DIR=/tmp/credo-bench]
# With CREDO_BENCH_PG=postgres://user@host:port (a server where databases may be created), the same on PostgreSQL:
# `credo import --store` into a fresh database, and a raw `COPY` of the same rows into a bare table.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; work=${2:-/tmp/credo-bench}
cargo build --release -q -p credo && cargo build --release -q -p credo-store --example raw_insert
mkdir -p "$work"
csv="$work/xzcf-$rows.csv"
[ -f "$csv" ] || target/release/credo synth --rows "$rows" --subjects $((rows / 5)) --out "$csv" >/dev/null
rm -rf "$work/store"
echo "== credo import ($rows rows)"
/usr/bin/time -f "wall %e s, peak RSS %M KiB" target/release/credo import --data "$work/store" --item xzcf \
  --dept 11630100MB17400002 --report "$work/report.csv" "$csv" 2>&1 | grep -v "已登记"
echo "== raw SQLite insert of the same rows"
target/release/examples/raw_insert "$csv" "$work/raw"
if [ -n "${CREDO_BENCH_PG:-}" ]; then
  for db in credo_bench credo_bench_raw; do
    psql "$CREDO_BENCH_PG/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  done
  rm -rf "$work/pgstore"
  target/release/credo migrate --data "$work/pgstore" --store "$CREDO_BENCH_PG/credo_bench" >/dev/null
  echo "== credo import ($rows rows) on PostgreSQL"
  /usr/bin/time -f "wall %e s, peak RSS %M KiB" target/release/credo import --data "$work/pgstore" \
    --store "$CREDO_BENCH_PG/credo_bench" --item xzcf --dept 11630100MB17400002 --report "$work/report-pg.csv" "$csv" 2>&1 \
    | grep -v "已登记"
  echo "== raw PostgreSQL COPY of the same rows"
  target/release/examples/raw_insert "$csv" "$CREDO_BENCH_PG/credo_bench_raw"
fi
