#!/usr/bin/env bash
# Checks everything in dashboards/ (and the compose file): run from anywhere.
#
#   dashboards/check.sh              # all checks; the live one when `prometheus` is installed
#   dashboards/check.sh --no-live    # skip the live Prometheus self-test (~10 s)
#
# Needs python3 (with PyYAML), promtool; uses amtool, docker-compose and prometheus when present
# (Debian: apt-get install -y prometheus prometheus-alertmanager docker-compose).
# Every step runs; the exit status is 1 when any step failed (a missing optional tool is a SKIP).
set -uo pipefail
cd "$(dirname "$0")"
live=1
[[ "${1:-}" == "--no-live" ]] && live=0

failed=()
passed=0
skipped=()
step() { # step NAME COMMAND...
  local name="$1"; shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "!! FAILED: $name"
    failed+=("$name")
  fi
}
skip() { echo "== $1"; echo "-- SKIP: $2"; skipped+=("$1"); }
have() { command -v "$1" >/dev/null 2>&1; }

# python3 with PyYAML (pyenv shims may lack it; Debian's python3-yaml comes with docker-compose)
PY=python3
if ! python3 -c 'import yaml' 2>/dev/null && /usr/bin/python3 -c 'import yaml' 2>/dev/null; then PY=/usr/bin/python3; fi

work="$(mktemp -d -t spend-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# ---------------------------------------------------------------- Grafana dashboards
step "dashboards are generated from grafana/build-dashboards.py (no stale JSON)" \
  python3 grafana/build-dashboards.py --check
step "dashboard JSON sanity (uid, \${datasource}, units, grid, team variable)" \
  python3 test/check-dashboards.py grafana/dashboards/*.json
step "queries.txt is in sync with the dashboards (extract-queries.sh)" ./extract-queries.sh --check

parse_queries() {
  # every panel query parses: promtool checks each as the expression of a recording rule
  { echo "groups:"; echo "  - name: dashboard-queries"; echo "    rules:"
    n=0
    while IFS= read -r q; do
      [[ -z "$q" ]] && continue
      n=$((n + 1))
      printf '      - record: dashboard:query:%d\n        expr: %s\n' "$n" "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$q")"
    done < queries.txt
  } > "$work/queries.rules.yml"
  promtool check rules "$work/queries.rules.yml"
}

# ---------------------------------------------------------------- Prometheus
if have promtool; then
  # rule_files in prometheus.yml are relative to the file itself, so it resolves in place
  # (here and in the container, where this folder is /etc/prometheus)
  step "promtool check config prometheus/prometheus.yml" promtool check config prometheus/prometheus.yml
  step "promtool check rules" promtool check rules prometheus/rules/*.rules.yml
  step "promtool test rules" promtool test rules prometheus/tests/*.test.yml
  step "every dashboard query parses (promtool)" parse_queries
else
  skip "promtool checks" "promtool not installed (apt-get install -y prometheus)"
  failed+=("promtool missing")
fi
step "alert conventions: severity, summary, description, runbook anchor, fire + quiet tests" \
  "$PY" test/check-rules.py prometheus/rules/spend-monitor.rules.yml prometheus/tests/*.test.yml ../docs/RUNBOOK.md

# ---------------------------------------------------------------- Alertmanager
am_routes() {
  local ok=0 line want got
  while IFS='|' read -r labels want; do
    [[ -z "$labels" ]] && continue
    # shellcheck disable=SC2086
    got="$(amtool config routes test --config.file=alertmanager/alertmanager.yml $labels 2>/dev/null)"
    if [[ "$got" == "$want" ]]; then echo "ok   $labels -> $got"; else echo "FAIL $labels -> $got (want $want)"; ok=1; fi
  done <<'ROUTES'
alertname=SpendBudgetExceeded team=search severity=critical period=day|webhook,slack-oncall,slack-team-search
alertname=SpendSelfHostingCheaper team=research severity=warning|webhook,slack-team-research
alertname=SpendIdleCapacity team=ml severity=warning|webhook,slack-finops
alertname=SpendMonitorDown severity=critical instance=app:8080|webhook,slack-oncall,slack-platform
alertname=SpendEventsRejected severity=warning reason=unpriced|webhook,slack-platform
ROUTES
  return $ok
}
if have amtool; then
  step "amtool check-config alertmanager/alertmanager.yml" amtool check-config alertmanager/alertmanager.yml
  step "alertmanager routes (amtool config routes test)" am_routes
else
  skip "amtool checks" "amtool not installed (apt-get install -y prometheus-alertmanager)"
fi

# ---------------------------------------------------------------- docker-compose
# The secrets come from .env (git-ignored): validate with the shipped example, and check that
# without them compose refuses to start (no default passwords).
compose_without_secrets_fails() {
  : > "$work/empty.env"
  local out
  if out="$("$@" --env-file "$work/empty.env" -f ../docker-compose.yml config -q 2>&1)"; then
    echo "compose accepted the file without KAFKA_PASSWORD / GRAFANA_ADMIN_PASSWORD"; return 1
  fi
  grep -q "PASSWORD" <<<"$out" || { echo "unexpected failure: $out"; return 1; }
  echo "ok   refused without the secrets: $(grep -m1 -o '[A-Z_]*PASSWORD[^"]*' <<<"$out")"
}
compose_env() { env -u KAFKA_PASSWORD -u GRAFANA_ADMIN_PASSWORD -u KAFKA_USER -u GRAFANA_ADMIN_USER "$@"; }
if have docker-compose; then
  step "docker-compose --env-file ../.env.example -f ../docker-compose.yml config -q" \
    compose_env docker-compose --env-file ../.env.example -f ../docker-compose.yml config -q
  step "docker-compose refuses to start without the secrets of .env" compose_without_secrets_fails compose_env docker-compose
elif have docker && docker compose version >/dev/null 2>&1; then
  step "docker compose --env-file ../.env.example -f ../docker-compose.yml config -q" \
    compose_env docker compose --env-file ../.env.example -f ../docker-compose.yml config -q
  step "docker compose refuses to start without the secrets of .env" compose_without_secrets_fails compose_env docker compose
else
  skip "compose file" "neither docker-compose nor docker compose installed"
fi
step "compose and image closed by default: loopback ports, SASL Kafka, no default passwords, pinned images" \
  "$PY" test/check-compose.py ../docker-compose.yml ../Dockerfile

# ---------------------------------------------------------------- Kubernetes (deploy/k8s)
step "k8s: the PrometheusRule is generated from prometheus/rules (deploy/k8s/gen-prometheusrule.py --check)" \
  "$PY" ../deploy/k8s/gen-prometheusrule.py --check
k8s_render() { # k8s_render DIR: kubectl kustomize into $work/k8s-<name>.yaml
  kubectl kustomize "../deploy/k8s/$1" > "$work/k8s-${1//\//-}.yaml"
}
k8s_validate() { # the API schemas (npm kubernetes-models, installed from the lock file on first use)
  if [[ ! -d ../deploy/k8s/test/node_modules ]]; then
    (cd ../deploy/k8s/test && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  local f rc=0
  for f in "$work"/k8s-*.yaml; do node ../deploy/k8s/test/validate.mjs < "$f" || rc=1; done
  return $rc
}
k8s_policy() {
  local f rc=0
  for f in "$work"/k8s-*.yaml; do "$PY" ../deploy/k8s/test/check-manifests.py < "$f" || rc=1; done
  return $rc
}
if have kubectl; then
  step "k8s: kubectl kustomize deploy/k8s (the example overlay) renders" k8s_render .
  step "k8s: kubectl kustomize deploy/k8s/base renders" k8s_render base
  step "k8s: state volume, headless application.server, probes, heap in limits, non-root, PDB, Secrets referenced" k8s_policy
  if have node && have npm; then
    step "k8s: every rendered object validates against the Kubernetes / Prometheus Operator schemas" k8s_validate
  else
    skip "k8s schema validation" "node/npm not installed"
  fi
else
  skip "k8s manifests" "kubectl not installed (apt-get install -y kubectl)"
fi

# ---------------------------------------------------------------- live
if [[ $live == 1 ]] && have prometheus; then
  step "live: a real Prometheus scrapes test/fake-exporter.py; every query returns data" test/live-selftest.sh
else
  skip "live Prometheus self-test" "$([[ $live == 0 ]] && echo "--no-live" || echo "prometheus not installed")"
fi

echo
echo "check.sh: ${passed} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
for f in "${failed[@]}"; do echo "  failed: $f"; done
for s in "${skipped[@]}"; do echo "  skipped: $s"; done
[[ ${#failed[@]} -eq 0 ]]
