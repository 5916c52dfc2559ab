#!/usr/bin/env bash
# Runs a throw-away Prometheus (the Debian package's binary) that scrapes a running spend-monitor
# every 5 s with the alert rules loaded, for eval-queries.sh and a look at the alerts:
#
#   dashboards/test/prometheus-for.sh 127.0.0.1:8080 [PROM_PORT]
#   dashboards/eval-queries.sh --allow-empty http://127.0.0.1:9090     # in another terminal
#
# Runs in the foreground until Ctrl-C; its data lives in a temp dir removed on exit.
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
target="$1"
port="${2:-9090}"
dash="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t spend-prom.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rules"
cp "$dash"/prometheus/rules/*.yml "$work/rules/"
cat > "$work/prometheus.yml" <<YML
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: [rules/*.rules.yml]
scrape_configs:
  - job_name: spend-monitor
    static_configs: [{targets: ["$target"]}]
YML
echo "Prometheus at http://127.0.0.1:$port scraping http://$target/metrics (Ctrl-C stops it)" >&2
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn
