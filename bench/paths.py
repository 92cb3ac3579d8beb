"""Writes request paths for the HTTP benchmarks from a data directory's store.

search.txt (and search_page.txt for the website): a mix of full names, short names (name core), traditional-script names, lower-case codes and pinyin-free
brand words, so every query kind is exercised. profile.txt (subject_page.txt): subject profiles by code; home_page.txt: the home page.
Usage: python3 bench/paths.py DATA_DIR OUT_DIR (with CREDO_STORE=postgres://… set, the subjects come from that database)
"""
import os
import random
import sqlite3
import subprocess
import sys
import urllib.parse

data, out = sys.argv[1], sys.argv[2]
PICK = "SELECT name, code, kind FROM subjects WHERE code IS NOT NULL ORDER BY random() LIMIT 4000"
if os.environ.get("CREDO_STORE", "").startswith("postgres"):
    # The store is a PostgreSQL database (as `credo serve` finds it through CREDO_STORE): read it with psql.
    text = subprocess.run(["psql", os.environ["CREDO_STORE"], "-AtF", "\t", "-c", PICK], check=True,
                          capture_output=True, text=True).stdout
    rows = [tuple(line.split("\t")) for line in text.splitlines() if line]
else:
    db = sqlite3.connect(f"file:{data}/credo.sqlite?mode=ro", uri=True)
    rows = db.execute(PICK).fetchall()
random.seed(1)
places = ["青海省", "青海", "西宁市", "西宁", "城东区", "城中区", "城西区", "城北区", "湟中区", "大通回族土族自治县", "湟源县"]
forms = ["股份有限公司", "有限责任公司", "有限公司"]
trad = str.maketrans("东区贸业门车电兴丰汇达华乐宁", "東區貿業門車電興豐匯達華樂寧")


def core(name):
    changed = True
    while changed:
        changed = False
        for p in places:
            if name.startswith(p) and len(name) > len(p):
                name, changed = name[len(p):], True
    for f in forms:
        if name.endswith(f):
            return name[: -len(f)]
    return name


def q(text):
    return "/api/v1/subjects?q=" + urllib.parse.quote(text) + "&limit=10"


search, profile = [], []
for i, (name, code, kind) in enumerate(rows):
    choice = i % 5
    if kind == "person":
        search.append(q(name))
        continue
    if choice == 0:
        search.append(q(name))
    elif choice == 1:
        search.append(q(core(name)))
    elif choice == 2:
        search.append(q(name.translate(trad)))
    elif choice == 3:
        search.append(q(code.lower()))
    else:
        c = core(name)
        search.append(q(c[:2] + " " + c[2:]))
    profile.append("/api/v1/subjects/" + urllib.parse.quote(code))
open(f"{out}/search.txt", "w").write("\n".join(search) + "\n")
# The website's pages: the same queries and subjects.
open(f"{out}/home_page.txt", "w").write("/\n")
open(f"{out}/search_page.txt", "w").write("\n".join(s.replace("/api/v1/subjects?", "/search?").replace("&limit=10", "") for s in search) + "\n")
open(f"{out}/subject_page.txt", "w").write("\n".join(p.replace("/api/v1/subjects/", "/subjects/") for p in profile) + "\n")
open(f"{out}/profile.txt", "w").write("\n".join(profile) + "\n")
print(f"{len(search)} search paths, {len(profile)} profile paths")
