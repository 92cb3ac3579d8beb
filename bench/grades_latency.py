"""Reads `code|name` lines; for each, submits a 严重失信主体名单 entry over the API and polls the subject's grade
until it is D. Prints each latency and the median and maximum, in seconds. Used by bench/grades.sh."""
import json, statistics, sys, time, urllib.request

base, key, dept = sys.argv[1:4]


def call(method, path, body=None, auth=True):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, method=method, data=data)
    req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


def grade(code):
    g = call("GET", f"/api/v1/subjects/{code}/grades", auth=False)
    return next((x["grade"] for x in g["grades"] if x["scheme"] == "ggxy"), None)


rows = [l.split("|", 1) for l in sys.stdin.read().splitlines() if "|" in l]
# Wait until the server has built its restriction index and caught the grades up (the first subject has one).
start = time.time()
while grade(rows[0][0]) is None and time.time() - start < 600:
    time.sleep(1)
time.sleep(3)
latencies = []
for i, (code, name) in enumerate(rows):
    entry = {"YZ_MC": name, "YZ_ZTLB": "法人及非法人组织", "YZ_SHXYM": code, "YZ_MDLX": "市场监督管理严重违法失信名单",
             "YZ_LRYY": "提交虚假材料取得登记", "YZ_LRYJ": "市场监督管理严重违法失信名单管理办法第十条",
             "YZ_LRWSH": f"宁市监严〔2026〕B{i}号", "YZ_LRRQ": time.strftime("%Y-%m-%d"), "YZ_RDJG": "西宁市市场监督管理局",
             "YZ_RDJGDM": dept, "YZ_SJLY": "西宁市市场监督管理局", "YZ_SJLYDM": dept}
    r = call("POST", "/api/v1/batches", {"item": "yzsx", "records": [entry]})
    if r.get("accepted") != 1:
        print("not accepted:", json.dumps(r, ensure_ascii=False)[:500])
        continue
    t0 = time.time()
    while grade(code) != "D" and time.time() - t0 < 60:
        time.sleep(0.02)
    latencies.append(time.time() - t0)
    print(f"{code}: {latencies[-1]:.3f} s" + (" (warm-up: the server may still be building its indexes; not counted)" if i == 0 else ""))
latencies = latencies[1:]
if latencies:
    print(f"new record → new grade: median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s over {len(latencies)}")
