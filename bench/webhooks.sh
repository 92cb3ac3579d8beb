#!/usr/bin/env bash
# Webhook delivery rate with a slow receiver. A department subscribes to xzcf (行政处罚) from a receiver on loopback
# that takes DELAY_MS to answer each delivery; the subscription's place in the change feed is then set back to the
# start, so that the demo's penalties are a backlog of events to deliver. Prints deliveries/s once N are
# acknowledged (each signed and sent over its own connection).
# Usage: bench/webhooks.sh DATA_DIR [N=2000] [DELAY_MS=100]. Needs a release build and sqlite3 (SQLite store).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; n=${2:-2000}; delay=${3:-100}
bin=${CREDO_BIN:-target/release/credo}
addr=127.0.0.1:8098; hook=127.0.0.1:8099
sql() { sqlite3 "$data/credo.sqlite" "$1"; }
dept=$(sql "SELECT uscc FROM departments WHERE permissions LIKE '%zfcg%' LIMIT 1")
key=$(CREDO_LOG=warn "$bin" dept key --data "$data" --uscc "$dept" --scopes check 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
python3 - "$hook" "$n" "$delay" <<'PY' &
import sys, time, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
host, port = sys.argv[1].split(":"); n = int(sys.argv[2]); delay = int(sys.argv[3]) / 1000
keys, lock, t0 = set(), threading.Lock(), [None]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a department's system behind a web server would answer
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(delay)
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
        with lock:
            if t0[0] is None: t0[0] = time.time()
            keys.add(self.headers["Idempotency-Key"])
            if len(keys) == n:
                dt = time.time() - t0[0]
                print(f"webhooks: {n} deliveries acknowledged in {dt:.1f} s: {n/dt:,.0f} deliveries/s (receiver answers in {delay*1000:.0f} ms)", flush=True)
                threading.Thread(target=server.shutdown).start()
ThreadingHTTPServer.request_queue_size = 256  # the default of 5 drops connections under concurrent deliveries
server = ThreadingHTTPServer((host, int(port)), H)
server.serve_forever()
PY
receiver=$!
CREDO_LOG=warn "$bin" serve --data "$data" --addr "$addr" --rate-per-address 0 --rate-per-key 0 --webhook-private &
pid=$!
trap 'kill $pid $receiver 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://$addr/healthz" >/dev/null && break; sleep 0.2; done
id=$(curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d "{\"url\":\"http://$hook/hook\",\"items\":[\"xzcf\"]}" "http://$addr/api/v1/webhooks" | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook"]["id"])')
sql "UPDATE webhooks SET followed_to = 0 WHERE id = $id"
wait $receiver
kill $pid; wait $pid 2>/dev/null || true
trap - EXIT
