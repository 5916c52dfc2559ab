#!/usr/bin/env bash
# Live self-test: a real Prometheus (the Debian package's binary) scrapes fake-exporter.py every
# second with the rules loaded; then every dashboard query is evaluated (eval-queries.sh) and the
# rules must load healthy. Needs: prometheus, python3. Everything runs on 127.0.0.1 and stops by
# itself (only the processes this script started are ended).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dash="$(dirname "$here")"
command -v prometheus >/dev/null || { echo "prometheus not installed" >&2; exit 1; }

work="$(mktemp -d -t spend-live.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
exporter_port="$(free_port)"
prom_port="$(free_port)"

python3 "$here/fake-exporter.py" "$exporter_port" & pids+=($!)

mkdir -p "$work/rules"
cp "$dash"/prometheus/rules/*.yml "$work/rules/"
cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules/*.rules.yml]
scrape_configs:
  - job_name: spend-monitor
    static_configs: [{targets: ["127.0.0.1:$exporter_port"]}]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 & pids+=($!)

prom="http://127.0.0.1:$prom_port"
ready=0
for _ in $(seq 1 60); do   # up to 30 s: ready, and at least 4 scrapes so 5m rates have 2+ samples
  if curl -fsS "$prom/api/v1/query?query=count_over_time(up%7Bjob%3D%22spend-monitor%22%7D%5B1m%5D)" 2>/dev/null \
      | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; sys.exit(0 if r and float(r[0]["value"][1])>=4 else 1)' 2>/dev/null; then
    ready=1; break
  fi
  sleep 0.5
done
[[ $ready == 1 ]] || { echo "Prometheus did not scrape the fake exporter:" >&2; cat "$work/prometheus.log" >&2; exit 1; }

echo "-- rules loaded by Prometheus"
curl -fsS "$prom/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") != "ok"]
print("%d rules in %d groups, unhealthy: %s" % (len(rules), len(groups), bad or "none"))
sys.exit(1 if bad or len(rules) == 0 else 0)'

echo "-- dashboard queries against the fake exporter"
"$dash/eval-queries.sh" "$prom" "$dash/queries.txt"
