#!/usr/bin/env bash
# Soak: the app under steady simulated traffic from many teams, its RSS and state size sampled.
#
#   scripts/soak.sh [MINUTES] [TEAMS] [EVENTS_PER_SECOND]      # defaults: 30 10000 2000
#   SOAK_RUN_ARGS="-X spend.horizon.minutes=5 -X spend.window.retention=PT12M" scripts/soak.sh
#                                  # extra `run` options: a short retention shows the state level off
#
#   SOAK_JAVA_OPTS="-Xmx1g" scripts/soak.sh        # the app's JVM options (default: a fixed 1 GiB heap)
#
# Starts `spend-monitor local`, `run` (its own JVM; MALLOC_ARENA_MAX=2 unless set) and
# `simulate steady` in real time, samples the run process every 30 s (RSS, state directory size,
# heap in use, records processed, series exported) into target/soak/samples.csv, and stops
# everything at the end. Needs the project built.
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
MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" JAVA_OPTS="${SOAK_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch}" "$root/spend-monitor" run -b "$b" -r "$r" --http-host 127.0.0.1 --http-port 0 --ingest-allow-anonymous --state-dir "$state" \
  ${SOAK_RUN_ARGS:-} > "$out/run.out" 2> "$out/run.err" & run_launcher=$!; pids+=($run_launcher)
until grep -q app.url "$out/run.out" 2>/dev/null; do sleep 1; done
url="$(sed -n 's/^app.url=//p' "$out/run.out")"
run_pid="$(pgrep -f "spend-monitor.jar run -b $b" | head -1)"
"$root/spend-monitor" simulate steady -b "$b" -r "$r" --teams "$teams" --rate "$rate" --speed 1 --start now \
  --duration "${minutes}m" --load-prices > "$out/simulate.out" 2> "$out/simulate.err" & sim=$!; pids+=($sim)
echo "elapsed_s,rss_mb,state_mb,heap_used_mb,processed,series_exported" > "$out/samples.csv"
start=$(date +%s)
while kill -0 "$sim" 2>/dev/null; do
  sleep 30
  rss=$(( $(ps -o rss= -p "$run_pid") / 1024 ))
  st=$(( $(du -sk "$state" | cut -f1) / 1024 ))
  metrics="$(curl -s "$url/metrics")"
  exported=$(grep -c '^gpu_idle_gpus{\|^llm_api_cost_usd_total{' <<< "$metrics" || true)
  heap=$(awk '/^jvm_memory_used_bytes\{area="heap"/ {s += $NF} END {printf "%d", s / 1048576}' <<< "$metrics")
  processed=$(awk '/^kafka_stream_thread_process_total\{/ {s += $NF} END {printf "%d", s}' <<< "$metrics")
  echo "$(( $(date +%s) - start )),$rss,$st,$heap,$processed,$exported" | tee -a "$out/samples.csv"
done
echo "samples in $out/samples.csv"
