#!/usr/bin/env bash
# Soak: the app under steady simulated traffic from many teams, its RSS and state size sampled.
#
#   scripts/soak.sh [MINUTES] [TEAMS] [EVENTS_PER_SECOND]      # defaults: 30 10000 2000
#   SOAK_RUN_ARGS="-X spend.horizon.minutes=5 -X spend.window.retention=PT12M" scripts/soak.sh
#                                  # extra `run` options: a short retention shows the state level off
#
# Starts `spend-monitor local`, `run` (its own JVM, -Xmx1g) and `simulate steady` in real time,
# samples the run process every 30 s (RSS, state directory size, records processed) into
# target/soak/samples.csv, and stops everything at the end. Needs the project built.
set -euo pipefail
minutes="${1:-30}" teams="${2:-10000}" rate="${3:-2000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/target/soak"; mkdir -p "$out"
state="$(mktemp -d -t spend-soak.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$state"; }
trap cleanup EXIT
export SPEND_SKIP_BUILD=1
"$root/spend-monitor" local > "$out/local.out" 2> "$out/local.err" & pids+=($!)
until grep -q schema.registry.url "$out/local.out" 2>/dev/null; do sleep 1; done
b="$(sed -n 's/^bootstrap.servers=//p' "$out/local.out")"; r="$(sed -n 's/^schema.registry.url=//p' "$out/local.out")"
JAVA_OPTS="-Xmx1g" "$root/spend-monitor" run -b "$b" -r "$r" --http-host 127.0.0.1 --http-port 0 --state-dir "$state" \
  ${SOAK_RUN_ARGS:-} > "$out/run.out" 2> "$out/run.err" & run_launcher=$!; pids+=($run_launcher)
until grep -q app.url "$out/run.out" 2>/dev/null; do sleep 1; done
url="$(sed -n 's/^app.url=//p' "$out/run.out")"
run_pid="$(pgrep -f "spend-monitor.jar run -b $b" | head -1)"
"$root/spend-monitor" simulate steady -b "$b" -r "$r" --teams "$teams" --rate "$rate" --speed 1 --start now \
  --duration "${minutes}m" --load-prices > "$out/simulate.out" 2> "$out/simulate.err" & sim=$!; pids+=($sim)
echo "elapsed_s,rss_mb,state_mb,teams_exported" > "$out/samples.csv"
start=$(date +%s)
while kill -0 "$sim" 2>/dev/null; do
  sleep 30
  rss=$(( $(ps -o rss= -p "$run_pid") / 1024 ))
  st=$(( $(du -sk "$state" | cut -f1) / 1024 ))
  exported=$(curl -s "$url/metrics" | grep -c '^gpu_idle_gpus{\|^llm_api_cost_usd_total{' || true)
  echo "$(( $(date +%s) - start )),$rss,$st,$exported" | tee -a "$out/samples.csv"
done
echo "samples in $out/samples.csv"
