#!/usr/bin/env python3
"""Sanity checks of the Grafana dashboards (Grafana itself cannot be installed here).

    python3 check-dashboards.py ../grafana/dashboards/*.json

Each file: valid JSON; a stable, unique uid; schemaVersion 39 and refresh 10s; a `datasource`
variable of type datasource (prometheus); every panel and every target on `${datasource}`; every
target with an expression; unique panel ids; panels inside the 24-column grid and not
overlapping; a unit on every value panel; the team variable used only as team="$team" or
team=~"$team" (the placeholder convention of extract-queries.sh). Exit 1 on any problem.
"""
import json
import re
import sys

DS_UID = "${datasource}"
UID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TEAM_USE = re.compile(r'team\s*=~?\s*"\$(?:\{team\}|team)"')


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


def check(path, uids, problems):
    def bad(msg):
        problems.append(f"{path}: {msg}")

    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        bad(f"not valid JSON: {e}")
        return
    uid = d.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        bad(f"uid {uid!r} missing or not a stable slug")
    elif uid in uids:
        bad(f"uid {uid!r} also used by {uids[uid]}")
    else:
        uids[uid] = path
    if d.get("schemaVersion") != 39:
        bad(f"schemaVersion {d.get('schemaVersion')!r}, expected 39")
    if d.get("refresh") != "10s":
        bad(f"refresh {d.get('refresh')!r}, expected 10s")
    if not d.get("title"):
        bad("no title")

    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        bad("no `datasource` variable of type datasource with query prometheus")
    for v in variables.values():
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != DS_UID:
            bad(f"variable {v.get('name')} does not query ${{datasource}}")
    uses_team = False

    ids, boxes = set(), []
    for p in panels(d.get("panels", [])):
        title = p.get("title") or f"id {p.get('id')}"
        where = f"panel {title!r}"
        if not p.get("title"):
            bad(f"{where}: no title")
        pid = p.get("id")
        if pid in ids:
            bad(f"{where}: duplicate id {pid}")
        ids.add(pid)
        g = p.get("gridPos") or {}
        if not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")):
            bad(f"{where}: gridPos incomplete: {g}")
        else:
            if g["x"] < 0 or g["w"] <= 0 or g["x"] + g["w"] > 24 or g["h"] <= 0:
                bad(f"{where}: gridPos {g} outside the 24-column grid")
            for other, og in boxes:
                if (g["x"] < og["x"] + og["w"] and og["x"] < g["x"] + g["w"]
                        and g["y"] < og["y"] + og["h"] and og["y"] < g["y"] + g["h"]):
                    bad(f"{where}: overlaps panel {other!r}")
            boxes.append((title, g))
        if p.get("type") == "row":
            continue
        if (p.get("datasource") or {}).get("uid") != DS_UID:
            bad(f"{where}: panel datasource is not ${{datasource}}")
        targets = p.get("targets") or []
        if not targets:
            bad(f"{where}: no targets")
        for t in targets:
            if (t.get("datasource") or {}).get("uid") != DS_UID:
                bad(f"{where}: target {t.get('refId')} does not use ${{datasource}}")
            expr = t.get("expr", "")
            if not expr.strip():
                bad(f"{where}: target {t.get('refId')} has no expr")
            rest = TEAM_USE.sub("", expr)
            if TEAM_USE.search(expr):
                uses_team = True
            if "$" in rest:
                bad(f"{where}: variable outside the team=\"$team\" / team=~\"$team\" convention: {expr}")
        fc = p.get("fieldConfig", {})
        has_unit = "unit" in fc.get("defaults", {}) or any(
            prop.get("id") == "unit" for o in fc.get("overrides", []) for prop in o.get("properties", []))
        if not has_unit:
            bad(f"{where}: no unit")
    if uses_team and "team" not in variables:
        bad("queries use $team but there is no team variable")
    if "team" in variables and not uses_team:
        bad("team variable defined but unused")


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    problems, uids = [], {}
    for path in paths:
        check(path, uids, problems)
    for p in problems:
        print("FAIL " + p)
    print(f"{len(paths)} dashboards, uids: {', '.join(sorted(uids))}; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
