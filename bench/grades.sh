#!/usr/bin/env bash
# Grades benchmark against an existing data directory (e.g. from `credo demo --subjects 1000000 --no-serve`):
# 1. `credo grade recompute` of every subject (time and peak memory), run twice: the first writes every grade,
#    the second (nothing changed) only compares;
# 2. the server running, a 严重失信主体名单 entry submitted over the API for N organisations, one at a time: the
#    time from the submission's answer to the subject's new grade on GET /api/v1/subjects/{code}/grades.
# Usage: bench/grades.sh DATA_DIR [N=20]. Needs a release build and sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; n=${2:-20}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8097
for run in first again; do
  /usr/bin/time -f "recompute ($run): %e s wall, %M KB peak RSS" env CREDO_LOG=warn,credo_app=info "$bin" grade recompute --data "$data" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); print("  subjects {}, changed {}, {} ms in the service".format(r["subjects"], r["changed"], r["ms"]))'
done
dept=$(sqlite3 "$data/credo.sqlite" "SELECT uscc FROM departments WHERE permissions LIKE '%yzsx%' LIMIT 1")
key=$(CREDO_LOG=warn "$bin" dept key --data "$data" --uscc "$dept" --scopes submit 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
CREDO_LOG=warn "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 --rate-per-key 0 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
sqlite3 "$data/credo.sqlite" "SELECT s.code, s.name FROM grades g JOIN subjects s ON s.id = g.subject_id \
  WHERE g.superseded_at IS NULL AND g.grade = 'B' AND s.kind = 'organisation' ORDER BY random() LIMIT $n" \
  | python3 bench/grades_latency.py "http://$addr" "$key" "$dept"
echo "server peak RSS: $(grep VmHWM /proc/$pid/status)"
