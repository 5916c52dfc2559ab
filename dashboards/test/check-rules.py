#!/usr/bin/env python3
"""Checks the alert rules against the conventions (kubernetes-mixin style):

    python3 check-rules.py RULES_FILE TESTS_FILE... RUNBOOK_MD

Every alert has labels.severity (critical|warning|info) and annotations summary, description and
runbook_url; a spend alert's description mentions {{ $labels.team }}; every description mentions
{{ $value }}; runbook_url is docs/RUNBOOK.md#<alert name in lower case> and that section exists;
every alert has a promtool test case where it fires and one where it does not (exp_alerts: []).
Exit 1 on any problem.
"""
import re
import sys

import yaml


def main(rules_path, test_paths, runbook_path):
    problems = []
    with open(rules_path, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    with open(runbook_path, encoding="utf-8") as f:
        anchors = {re.sub(r"[^a-z0-9 -]", "", m.group(1).strip().lower()).replace(" ", "-")
                   for m in re.finditer(r"^#{1,6}\s+(.+)$", f.read(), re.M)}

    fires, quiet = set(), set()
    for path in test_paths:
        with open(path, encoding="utf-8") as f:
            tests = yaml.safe_load(f)
        for t in tests.get("tests", []):
            for case in t.get("alert_rule_test", []):
                (fires if case.get("exp_alerts") else quiet).add(case["alertname"])

    for a in alerts:
        name = a["alert"]
        labels, ann = a.get("labels", {}), a.get("annotations", {})
        if labels.get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{name}: severity label missing or not critical|warning|info")
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                problems.append(f"{name}: annotation {key} missing")
        desc = ann.get("description", "")
        if "$value" not in desc:
            problems.append(f"{name}: description does not show {{{{ $value }}}}")
        if "team" in a["expr"] or "spend_alert_active" in a["expr"] or "budget" in a["expr"]:
            if "$labels.team" not in desc:
                problems.append(f"{name}: description of a per-team alert does not name {{{{ $labels.team }}}}")
        url = ann.get("runbook_url", "")
        want = f"docs/RUNBOOK.md#{name.lower()}"
        if not url.endswith(want):
            problems.append(f"{name}: runbook_url {url!r} does not end with {want}")
        elif name.lower() not in anchors:
            problems.append(f"{name}: no section '{name}' in {runbook_path}")
        if name not in fires:
            problems.append(f"{name}: no promtool test case where it fires")
        if name not in quiet:
            problems.append(f"{name}: no promtool test case where it does not fire (exp_alerts: [])")

    for p in problems:
        print("FAIL " + p)
    print(f"{len(alerts)} alerts: {', '.join(a['alert'] for a in alerts)}; {len(problems)} problems")
    return 1 if problems or not alerts else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:-1], sys.argv[-1]))
