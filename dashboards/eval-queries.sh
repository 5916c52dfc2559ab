#!/usr/bin/env bash
# Evaluates every line of queries.txt (or FILE) against a Prometheus that scrapes spend-monitor.
#
#   ./eval-queries.sh http://localhost:9090                # after `docker compose up` + some traffic
#   ./eval-queries.sh --allow-empty http://prom:9090 FILE
#
# For each query: FAIL when Prometheus rejects it, EMPTY when it returns no series (a failure
# unless --allow-empty: on a fresh system, budgets or GPUs may not exist yet). It also lists the
# metric names the queries read that Prometheus has no series of: the usual cause of an empty
# panel is a metric name or label the app does not export.
# Exit status: 0 all good, 1 a failure, 2 bad usage.
set -euo pipefail
cd "$(dirname "$0")"
allow_empty=0
if [[ "${1:-}" == "--allow-empty" ]]; then allow_empty=1; shift; fi
[[ $# -ge 1 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
PROM_URL="${1%/}" QUERIES="${2:-queries.txt}" ALLOW_EMPTY="$allow_empty" python3 - <<'PY'
import json, os, re, sys, urllib.parse, urllib.request

url, path, allow_empty = os.environ["PROM_URL"], os.environ["QUERIES"], os.environ["ALLOW_EMPTY"] == "1"
KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "inf", "nan"}

def query(expr):
    data = urllib.parse.urlencode({"query": expr}).encode()
    req = urllib.request.Request(url + "/api/v1/query", data=data)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)

def metric_names(expr):
    names = set()
    for m in re.finditer(r'__name__\s*=~?\s*"([^"]*)"', expr):
        names.update(n for n in m.group(1).split("|") if re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", n))
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # strings
    e = re.sub(r"\{[^}]*\}", " ", e)                         # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                        # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word, rest = m.group(0), e[m.end():]
        if word.lower() in KEYWORDS or re.match(r"\s*\(", rest):
            continue
        names.add(word)
    return names

lines = [l.strip() for l in open(path, encoding="utf-8") if l.strip()]
failed = empty = 0
names = set()
for i, expr in enumerate(lines, 1):
    names |= metric_names(expr)
    r = query(expr)
    if r.get("status") != "success":
        failed += 1
        print(f"FAIL  {i:3}  {expr}\n        {r.get('errorType')}: {r.get('error')}")
        continue
    result = r["data"]["result"]
    n = len(result) if r["data"]["resultType"] in ("vector", "matrix") else 1
    if n == 0:
        empty += 1
        print(f"EMPTY {i:3}  {expr}")
    else:
        print(f"ok    {i:3}  {n:3} series  {expr}")
missing = sorted(n for n in names if not query(f"count({n})")["data"]["result"])
for n in missing:
    print(f"MISSING METRIC  {n}")
print(f"{len(lines) - failed - empty} ok, {empty} empty, {failed} failed; "
      f"{len(names) - len(missing)} of {len(names)} metric names have series")
sys.exit(1 if failed or ((empty or missing) and not allow_empty) else 0)
PY
