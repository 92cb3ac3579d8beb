"""Writes request paths for the publicity-list benchmark from a data directory's store.

lists.txt: first pages of every list; the 双公示 list filtered by district, subject kind, department, a decision-date
range and a text; and pages deep inside each list, reached by keyset (`after=` a record's key, `YYYY-MM-DD.id`,
as the pages' own 下一页 links carry it). Usage: python3 bench/lists.py DATA_DIR OUT_DIR
"""
import random
import sqlite3
import sys
import urllib.parse

data, out = sys.argv[1], sys.argv[2]
db = sqlite3.connect(f"file:{data}/credo.sqlite?mode=ro", uri=True)
random.seed(2)
lists = {"sgs": ("xzxk", "xzcf"), "yzsx": ("yzsx",), "jyyc": ("jyyc",), "sxbzxr": ("sxbzxr",), "xzxf": ("xzxf",),
         "zdss": ("zdss",), "zfcgsx": ("zfcgsx",), "qxgz": ("qxgz",), "sxjl": ("sxjl",)}
paths = []
for code, items in lists.items():
    paths.append(f"/lists/{code}")
    marks = ",".join("?" * len(items))
    keys = db.execute(
        f"SELECT decided_on, id FROM records WHERE item IN ({marks}) AND decided_on IS NOT NULL ORDER BY random() LIMIT 200",
        items,
    ).fetchall()
    for decided, rid in keys:
        paths.append(f"/lists/{code}?after={decided[:10]}.{rid}")
departments = [d for (d,) in db.execute("SELECT name FROM departments ORDER BY random() LIMIT 20")]
for district in ["630102", "630103", "630104", "630105", "630106", "630121", "630123"]:
    paths.append(f"/lists/sgs?district={district}")
for kind in ["organisation", "individual_business", "person"]:
    paths.append(f"/lists/sgs?kind={kind}")
for d in departments:
    paths.append("/lists/sgs?department=" + urllib.parse.quote(d))
for year in range(2021, 2027):
    paths.append(f"/lists/sgs?from={year}-01-01&to={year}-06-30")
random.shuffle(paths)
open(f"{out}/lists.txt", "w").write("\n".join(paths) + "\n")
# The text filter (a name or a 文书号 within the list) separately: it reads every entry's text.
text = ["/lists/sgs?q=" + urllib.parse.quote(w) for w in ["商贸", "餐饮", "建筑", "科技", "宁市监罚", "鑫源"]]
text += ["/lists/yzsx?q=" + urllib.parse.quote(w) for w in ["商贸", "科技"]]
open(f"{out}/lists_text.txt", "w").write("\n".join(text) + "\n")
print(f"{len(paths)} list pages, {len(text)} with a text")
