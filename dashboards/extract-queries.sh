#!/usr/bin/env bash
# Writes queries.txt: every PromQL expression of the dashboards, one per line, deduplicated in
# dashboard order, ready to evaluate against a Prometheus that scrapes the app (eval-queries.sh).
#
#   ./extract-queries.sh             # rewrite queries.txt (all teams)
#   TEAM=search ./extract-queries.sh -   # print them for one team instead
#   ./extract-queries.sh --check     # exit 1 when queries.txt is out of date (check.sh runs this)
#
# Placeholder convention: the dashboards use the team variable only as team="$team" (team.json,
# one team) or team=~"$team" (multi-select dashboards); both become team=~".+" (every team), or
# team="$TEAM" when TEAM is set. No other $variable may appear in a panel query.
# Template variables are included too: label_values(SELECTOR, LABEL) becomes
# count by (LABEL) (SELECTOR), which returns one series per value Grafana would offer.
set -euo pipefail
cd "$(dirname "$0")"

mode="write"
case "${1:-}" in
  --check) mode="check" ;;
  -) mode="stdout" ;;
  "") ;;
  *) echo "usage: $0 [-|--check]" >&2; exit 2 ;;
esac

generate() {
  TEAM="${TEAM:-}" python3 - grafana/dashboards/overview.json grafana/dashboards/team.json \
      grafana/dashboards/gpu-idle.json grafana/dashboards/break-even.json <<'PY'
import json, os, re, sys

team = os.environ.get("TEAM", "")
team_matcher = f'team="{team}"' if team else 'team=~".+"'
TEAM_USES = re.compile(r'team\s*=~?\s*"\$(?:\{team\}|team)"')
LABEL_VALUES = re.compile(r'^\s*label_values\((.+),\s*([A-Za-z_][A-Za-z0-9_]*)\)\s*$')

def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))  # collapsed rows hold their panels

seen, out = set(), []
def emit(expr, where):
    expr = " ".join(TEAM_USES.sub(team_matcher, expr).split())
    if "$" in expr:
        sys.exit(f"{where}: unsupported variable in {expr!r} (see the placeholder convention)")
    if expr not in seen:
        seen.add(expr)
        out.append(expr)

for path in sys.argv[1:]:
    d = json.load(open(path, encoding="utf-8"))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = LABEL_VALUES.match(q)
        if not m:
            sys.exit(f"{path}: variable {v['name']}: only label_values(SELECTOR, LABEL) is supported, got {q!r}")
        emit(f"count by ({m.group(2)}) ({m.group(1)})", f"{path} variable {v['name']}")
    for p in panels(d.get("panels", [])):
        for t in p.get("targets", []):
            if t.get("expr"):
                emit(t["expr"], f"{path} panel {p.get('title')!r}")
print("\n".join(out))
PY
}

case "$mode" in
  write) generate > queries.txt; echo "wrote queries.txt ($(wc -l < queries.txt) queries)" ;;
  stdout) generate ;;
  check)
    if ! diff -u queries.txt <(generate) >/dev/null; then
      echo "queries.txt is out of date: run dashboards/extract-queries.sh" >&2
      diff -u queries.txt <(generate) >&2 || true
      exit 1
    fi ;;
esac
